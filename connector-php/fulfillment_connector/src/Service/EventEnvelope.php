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

use FulfillmentConnector\Model\OutboxEvent;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The raw JSON body posted to the hub for an outbox event:
 * `{"event_id":…,"occurred_at":…,"sequence":<outbox id>,"product"|"order":{…}}` (the key is the
 * type's envelope key: an order-status event carries its order under `"order"` too). `sequence` is the
 * outbox row id for every type, so it grows with every event the store writes.
 * Built from the stored row only, so every attempt sends the same bytes.
 */
final class EventEnvelope
{
    public static function encode(OutboxEvent $event): string
    {
        return '{"event_id":' . Format::json($event->eventId)
            . ',"occurred_at":' . Format::json($event->occurredAt)
            . ',"sequence":' . $event->sequence
            . ',' . Format::json($event->type->envelopeKey()) . ':' . $event->payload
            . '}';
    }
}
