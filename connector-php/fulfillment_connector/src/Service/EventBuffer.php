<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Service;

use FulfillmentConnector\Model\ProductSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * What the current request changed, collected by the hooks and turned into events once, at the end
 * of the request. Keyed by id, so any number of hooks about one product (or order) in one request
 * give one event built from its final state.
 *
 * `orders` are a CLIENT's orders (order events); `orderStatuses` are the orders the hub created on a
 * SOURCE store (order-status events). The two never mix: each role records only its own.
 */
final class EventBuffer
{
    /** @var array<int, \DateTimeImmutable> product id => time of the latest change */
    private static array $products = [];

    /** @var array<int, ProductSnapshot> product id => state captured when it was deleted */
    private static array $deletedProducts = [];

    /** @var array<int, \DateTimeImmutable> order id => time of the latest change */
    private static array $orders = [];

    /** @var array<int, \DateTimeImmutable> hub-created order id => time of the latest state or tracking change */
    private static array $orderStatuses = [];

    public static function recordProduct(int $idProduct, \DateTimeImmutable $at): void
    {
        if ($idProduct > 0) {
            self::$products[$idProduct] = $at;
        }
    }

    public static function recordDeletedProduct(ProductSnapshot $snapshot, \DateTimeImmutable $at): void
    {
        if ($snapshot->id > 0) {
            self::$products[$snapshot->id] = $at;
            self::$deletedProducts[$snapshot->id] = $snapshot;
        }
    }

    public static function recordOrder(int $idOrder, \DateTimeImmutable $at): void
    {
        if ($idOrder > 0) {
            self::$orders[$idOrder] = $at;
        }
    }

    public static function recordOrderStatus(int $idOrder, \DateTimeImmutable $at): void
    {
        if ($idOrder > 0) {
            self::$orderStatuses[$idOrder] = $at;
        }
    }

    public static function isEmpty(): bool
    {
        return self::$products === [] && self::$orders === [] && self::$orderStatuses === [];
    }

    /**
     * Returns everything recorded so far and empties the buffer.
     *
     * @return array{products: array<int, \DateTimeImmutable>, deleted: array<int, ProductSnapshot>,
     *               orders: array<int, \DateTimeImmutable>, order_statuses: array<int, \DateTimeImmutable>}
     */
    public static function drain(): array
    {
        $drained = [
            'products' => self::$products,
            'deleted' => self::$deletedProducts,
            'orders' => self::$orders,
            'order_statuses' => self::$orderStatuses,
        ];
        self::reset();

        return $drained;
    }

    public static function reset(): void
    {
        self::$products = [];
        self::$deletedProducts = [];
        self::$orders = [];
        self::$orderStatuses = [];
    }
}
