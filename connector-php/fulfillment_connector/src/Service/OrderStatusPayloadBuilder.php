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

use FulfillmentConnector\Model\OrderStatusSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The `order` member of a POST /sync/order-status body (wire contract v1), sent by the SOURCE store for
 * an order the hub created:
 * `{id, reference, cart_id, state, state_name?, tracking_number|null, carrier_id|null, updated_at}`.
 */
final class OrderStatusPayloadBuilder
{
    /**
     * `updated_at` is the order's `date_upd` in UTC; when that is empty or zero, `$changedAt`, the time
     * of the hook (the hub requires a timestamp).
     *
     * @return array<string, mixed> in contract order
     */
    public function build(OrderStatusSnapshot $order, ?string $timezone, \DateTimeImmutable $changedAt): array
    {
        $payload = [
            'id' => $order->id,
            'reference' => $order->reference,
            'cart_id' => $order->cartId,
            'state' => (string) $order->state,
        ];
        // Left out when unknown (a deleted state, a state without a name in the default language).
        if ($order->stateName !== null) {
            $payload['state_name'] = $order->stateName;
        }
        $payload['tracking_number'] = $order->trackingNumber !== '' ? $order->trackingNumber : null;
        $payload['carrier_id'] = $order->carrierId > 0 ? $order->carrierId : null;
        $payload['updated_at'] = Format::localToUtcOr($order->dateUpd, $timezone, $changedAt);

        return $payload;
    }
}
