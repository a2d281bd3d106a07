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
 * Kinds of event in the outbox; the value is both the stored type and the hub path segment
 * (`/sync/product`, `/sync/order`) and the envelope key (`"product"`, `"order"`).
 */
enum EventType: string
{
    case Product = 'product';
    case Order = 'order';
}
