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
 * Logger writing to the shop's log (Advanced Parameters > Logs), object type "fulfillment_connector".
 * Identical messages are not repeated, so a hub that stays down does not flood the log.
 */
final class PrestaShopLog implements Logger
{
    private const OBJECT_TYPE = 'fulfillment_connector';

    public function info(string $message, ?int $objectId = null): void
    {
        $this->add($message, 1, $objectId);
    }

    public function warning(string $message, ?int $objectId = null): void
    {
        $this->add($message, 2, $objectId);
    }

    public function error(string $message, ?int $objectId = null): void
    {
        $this->add($message, 3, $objectId);
    }

    private function add(string $message, int $severity, ?int $objectId): void
    {
        try {
            \PrestaShopLogger::addLog('[fulfillment_connector] ' . $message, $severity, null, self::OBJECT_TYPE, $objectId, false);
        } catch (\Throwable $e) {
            // Logging must never break the shop's request.
            error_log('[fulfillment_connector] ' . $message);
        }
    }
}
