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
 */
final class EventBuffer
{
    /** @var array<int, \DateTimeImmutable> product id => time of the latest change */
    private static array $products = [];

    /** @var array<int, ProductSnapshot> product id => state captured when it was deleted */
    private static array $deletedProducts = [];

    /** @var array<int, \DateTimeImmutable> order id => time of the latest change */
    private static array $orders = [];

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

    public static function isEmpty(): bool
    {
        return self::$products === [] && self::$orders === [];
    }

    /**
     * Returns everything recorded so far and empties the buffer.
     *
     * @return array{products: array<int, \DateTimeImmutable>, deleted: array<int, ProductSnapshot>,
     *               orders: array<int, \DateTimeImmutable>}
     */
    public static function drain(): array
    {
        $drained = ['products' => self::$products, 'deleted' => self::$deletedProducts, 'orders' => self::$orders];
        self::reset();

        return $drained;
    }

    public static function reset(): void
    {
        self::$products = [];
        self::$deletedProducts = [];
        self::$orders = [];
    }
}
