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
 * The part a store plays for the hub: the wholesaler's SOURCE store owns the catalog, CLIENT stores
 * (retailers) send their orders.
 */
enum Role: string
{
    case Source = 'SOURCE';
    case Client = 'CLIENT';

    /**
     * The event type a store of this role is allowed to post.
     */
    public function eventType(): EventType
    {
        return $this === self::Source ? EventType::Product : EventType::Order;
    }
}
