<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Model;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Kinds of event in the outbox. The value is the stored type (`event_type` column, at most 16
 * characters); where the event is posted and under which key of the body the entity goes are separate,
 * because they are not always the value: an `order_status` event is posted to `/sync/order-status`
 * with its order under `"order"`.
 */
enum EventType: string
{
    /** SOURCE: a product, its combinations and stock (`POST /sync/product`, `"product"`). */
    case Product = 'product';
    /** CLIENT: a retailer's order (`POST /sync/order`, `"order"`). */
    case Order = 'order';
    /** SOURCE: state and tracking of an order the hub created (`POST /sync/order-status`, `"order"`). */
    case OrderStatus = 'order_status';

    /**
     * The segment of the hub path the event is posted to: `{api_url}/sync/{segment}`.
     */
    public function pathSegment(): string
    {
        return match ($this) {
            self::Product => 'product',
            self::Order => 'order',
            self::OrderStatus => 'order-status',
        };
    }

    /**
     * The member of the posted body that holds the entity, next to event_id, occurred_at and sequence.
     */
    public function envelopeKey(): string
    {
        return match ($this) {
            self::Product => 'product',
            self::Order, self::OrderStatus => 'order',
        };
    }
}
