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
 * What the status panel shows about the outbox. Dates are UTC `Y-m-d H:i:s` strings.
 */
final class OutboxStats
{
    public function __construct(
        public readonly int $pending,
        public readonly int $backingOff,
        public readonly int $failed,
        public readonly int $sent,
        public readonly ?string $oldestPendingAt,
        public readonly ?string $lastError,
        public readonly ?string $lastErrorAt,
        public readonly ?string $lastSuccessAt,
    ) {
    }
}
