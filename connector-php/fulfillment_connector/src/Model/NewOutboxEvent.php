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
 * An event about to be written to the outbox: its identity is fixed here, once, and never changes
 * across delivery attempts.
 */
final class NewOutboxEvent
{
    /**
     * @param string $payload JSON object of the entity ("product" or "order" member of the envelope)
     */
    public function __construct(
        public readonly string $eventId,
        public readonly EventType $type,
        public readonly int $idShop,
        public readonly int $aggregateId,
        public readonly string $payload,
        public readonly \DateTimeImmutable $occurredAt,
    ) {
    }
}
