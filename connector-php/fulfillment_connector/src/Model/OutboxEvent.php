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
 * One stored outbox row. `$sequence` is the auto-increment id: monotonic per store.
 */
final class OutboxEvent
{
    public const STATUS_PENDING = 'pending';
    public const STATUS_SENT = 'sent';
    public const STATUS_FAILED = 'failed';

    public function __construct(
        public readonly int $sequence,
        public readonly string $eventId,
        public readonly EventType $type,
        public readonly int $idShop,
        public readonly int $aggregateId,
        public readonly string $payload,
        public readonly string $occurredAt,
        public readonly string $status,
        public readonly int $attempts,
        public readonly string $nextAttemptAt,
        public readonly ?string $lastError,
        public readonly ?int $lastHttpStatus,
        public readonly ?string $deliveryStatus,
        public readonly ?string $sentAt,
    ) {
    }
}
