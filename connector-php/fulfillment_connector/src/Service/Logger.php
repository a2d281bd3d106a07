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

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Where the connector reports problems. Messages never contain keys or secrets.
 */
interface Logger
{
    public function info(string $message, ?int $objectId = null): void;

    public function warning(string $message, ?int $objectId = null): void;

    public function error(string $message, ?int $objectId = null): void;
}
