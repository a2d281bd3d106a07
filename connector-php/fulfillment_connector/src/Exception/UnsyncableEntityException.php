<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Exception;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * An entity exists but cannot be described in the wire contract (for example a product without a
 * reference, which the hub cannot match in any store). It is logged and not queued.
 */
final class UnsyncableEntityException extends ConnectorException
{
}
