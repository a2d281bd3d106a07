<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Repository;

use FulfillmentConnector\Exception\ConnectorException;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Model\OutboxEvent;
use FulfillmentConnector\Model\OutboxStats;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The durable queue of events waiting for the hub. Rows are only ever marked sent or failed, never
 * deleted while unsent. Claims are leases: a sender that dies leaves its rows claimable again once
 * the lease has expired, so delivery is at-least-once and the hub de-duplicates on event_id.
 */
interface OutboxRepository
{
    /**
     * Stores a new pending event, due immediately, and returns its sequence (the row id).
     *
     * @throws ConnectorException when the row cannot be written
     */
    public function add(NewOutboxEvent $event, \DateTimeImmutable $now): int;

    /**
     * Claims up to `$limit` due pending events (oldest first) for `$leaseSeconds` under `$token`.
     * Rows claimed by another live lease are skipped.
     *
     * @return list<OutboxEvent>
     */
    public function claimDue(\DateTimeImmutable $now, int $limit, int $leaseSeconds, string $token): array;

    /**
     * Records the hub's acceptance; false when the claim was lost (lease expired and re-claimed).
     */
    public function markSent(int $sequence, string $token, \DateTimeImmutable $now, string $deliveryStatus, int $httpStatus): bool;

    /**
     * Counts a failed attempt and makes the event due again at `$nextAttemptAt`.
     */
    public function scheduleRetry(int $sequence, string $token, \DateTimeImmutable $now, \DateTimeImmutable $nextAttemptAt, string $error, ?int $httpStatus): bool;

    /**
     * Counts a failed attempt and keeps the event as failed (no more automatic attempts).
     */
    public function markFailed(int $sequence, string $token, \DateTimeImmutable $now, string $error, ?int $httpStatus): bool;

    /**
     * Gives a claimed event back without counting an attempt.
     */
    public function release(int $sequence, string $token): void;

    /**
     * Makes every failed event pending and due now again with a fresh attempt budget; returns how many.
     */
    public function requeueFailed(\DateTimeImmutable $now): int;

    /**
     * Deletes events delivered before `$before`; returns how many.
     */
    public function purgeSentBefore(\DateTimeImmutable $before): int;

    /**
     * Whether some pending event is waiting for a later retry (the hub failed recently).
     */
    public function hasEventsBackingOff(\DateTimeImmutable $now): bool;

    public function stats(\DateTimeImmutable $now): OutboxStats;

    public function find(int $sequence): ?OutboxEvent;
}
