<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Repository;

use FulfillmentConnector\Exception\EntityNotFoundException;
use FulfillmentConnector\Model\OrderStatusSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * SOURCE store: tells the orders the hub created (placed through the Webservice with
 * `module = fulfillment_connector`, so Order::$module is this module's name) from every other order,
 * and reads their state and shipment.
 */
final class OrderStatusRepository
{
    /** Order::$module of the orders the hub creates: this module's name. */
    public const HUB_MODULE = 'fulfillment_connector';

    public function isHubOrder(int $idOrder): bool
    {
        if ($idOrder <= 0) {
            return false;
        }
        // The module of an order never changes: a cached copy is as good as a fresh one.
        $order = new \Order($idOrder);

        return \Validate::isLoadedObject($order) && self::isHubModule($order->module);
    }

    /**
     * @param mixed $module an Order's `module` field
     */
    public static function isHubModule($module): bool
    {
        return $module === self::HUB_MODULE;
    }

    /**
     * The order as it is now. The order and its order carrier are read again (their cached copies from
     * earlier in the request may predate the change).
     *
     * @param int $idLang the language of the state's name (the shop's default)
     *
     * @throws EntityNotFoundException when the order does not exist
     */
    public function snapshot(int $idOrder, int $idLang): OrderStatusSnapshot
    {
        \Cache::clean('objectmodel_Order_' . $idOrder . '_*');
        $order = new \Order($idOrder);
        if (!\Validate::isLoadedObject($order)) {
            throw EntityNotFoundException::order($idOrder);
        }
        $state = (int) $order->current_state;

        return new OrderStatusSnapshot(
            $idOrder,
            (string) $order->reference,
            (int) $order->id_cart,
            $state,
            $state > 0 ? $this->stateName($state, $idLang) : null,
            $this->trackingNumber($order),
            (int) $order->id_carrier,
            (string) $order->date_upd
        );
    }

    private function stateName(int $idState, int $idLang): ?string
    {
        $state = new \OrderState($idState, $idLang);
        if (!\Validate::isLoadedObject($state)) {
            return null;
        }
        $name = is_string($state->name) ? trim($state->name) : '';

        return $name !== '' ? $name : null;
    }

    /**
     * The tracking number of the order's order carrier, as Order::getShippingNumber reads it (PrestaShop
     * 8.0 to 9.0), from a fresh copy of the order carrier.
     */
    private function trackingNumber(\Order $order): string
    {
        $idOrderCarrier = (int) $order->getIdOrderCarrier();
        if ($idOrderCarrier <= 0) {
            return '';
        }
        \Cache::clean('objectmodel_OrderCarrier_' . $idOrderCarrier . '_*');
        $orderCarrier = new \OrderCarrier($idOrderCarrier);

        return \Validate::isLoadedObject($orderCarrier) ? trim((string) $orderCarrier->tracking_number) : '';
    }
}
