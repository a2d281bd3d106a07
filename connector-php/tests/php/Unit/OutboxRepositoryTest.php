<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Service\Uuid;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The outbox's SQL, run for real (on SQLite through the Db stand-in).
 */
final class OutboxRepositoryTest extends ConnectorTestCase
{
    private DbOutboxRepository $outbox;

    protected function setUp(): void
    {
        parent::setUp();
        $this->outbox = new DbOutboxRepository(\Db::getInstance());
    }

    public function testSequencesAreMonotonicAndThePayloadIsStoredByteForByte(): void
    {
        $payload = '{"id":6,"name":"Mug <b>\"XL\"</b> l\'été\nsecond line \\\\ end"}';

        $first = $this->add($payload);
        $second = $this->add('{}');

        self::assertGreaterThan($first, $second);
        $event = $this->outbox->find($first);
        self::assertNotNull($event);
        self::assertSame($payload, $event->payload);
        self::assertSame('pending', $event->status);
        self::assertSame(0, $event->attempts);
        self::assertSame('2026-11-27T10:00:00.123456Z', $event->occurredAt);
        self::assertTrue(Uuid::isV4($event->eventId));
    }

    public function testSingleRowReadsLeaveTheLimitToDbGetRowWhichAlwaysAppendsIt(): void
    {
        $id = $this->add('{}');
        \Db::getInstance()->log = [];

        self::assertNotNull($this->outbox->find($id));
        $this->outbox->stats($this->clock->now());

        $rowReads = array_values(array_filter(\Db::getInstance()->log, static fn (string $sql): bool => str_ends_with($sql, ' LIMIT 1')));
        self::assertNotEmpty($rowReads);
        foreach ($rowReads as $sql) {
            self::assertSame(1, substr_count(strtoupper($sql), ' LIMIT '), "one LIMIT only, or MySQL refuses it: $sql");
        }
    }

    public function testClaimTakesDueEventsOldestFirstUpToTheLimit(): void
    {
        $a = $this->add('{}');
        $b = $this->add('{}');
        $this->add('{}');

        $claimed = $this->outbox->claimDue($this->clock->now(), 2, 60, 'token-a');

        self::assertSame([$a, $b], array_map(static fn ($event): int => $event->sequence, $claimed));
    }

    public function testAClaimedEventIsNotClaimedAgainUntilItsLeaseExpires(): void
    {
        $id = $this->add('{}');
        self::assertCount(1, $this->outbox->claimDue($this->clock->now(), 10, 60, 'token-a'));

        self::assertSame([], $this->outbox->claimDue($this->clock->now(), 10, 60, 'token-b'), 'a concurrent sender skips it');
        $this->clock->advance(61);
        $reclaimed = $this->outbox->claimDue($this->clock->now(), 10, 60, 'token-b');
        self::assertSame([$id], array_map(static fn ($event): int => $event->sequence, $reclaimed), 'a dead sender does not lose it');
        self::assertFalse(
            $this->outbox->markSent($id, 'token-a', $this->clock->now(), 'queued', 202),
            'the first sender lost its claim and cannot overwrite the outcome'
        );
    }

    public function testRetryCountsTheAttemptAndHidesTheEventUntilItIsDue(): void
    {
        $id = $this->add('{}');
        $this->outbox->claimDue($this->clock->now(), 10, 60, 'tok');

        self::assertTrue($this->outbox->scheduleRetry($id, 'tok', $this->clock->now(), $this->clock->now()->modify('+30 seconds'), 'HTTP 503 unavailable', 503));

        $event = $this->outbox->find($id);
        self::assertSame([1, 'pending', '2026-11-27 10:00:30', 'HTTP 503 unavailable', 503], [
            $event->attempts, $event->status, $event->nextAttemptAt, $event->lastError, $event->lastHttpStatus,
        ]);
        self::assertTrue($this->outbox->hasEventsBackingOff($this->clock->now()));
        self::assertSame([], $this->outbox->claimDue($this->clock->now()->modify('+29 seconds'), 10, 60, 'tok2'));
        self::assertCount(1, $this->outbox->claimDue($this->clock->now()->modify('+30 seconds'), 10, 60, 'tok3'));
    }

    public function testAPermanentFailureKeepsTheEventAsFailedWithItsError(): void
    {
        $id = $this->add('{}');
        $this->outbox->claimDue($this->clock->now(), 10, 60, 'tok');

        $this->outbox->markFailed($id, 'tok', $this->clock->now(), 'HTTP 422 invalid_payload: bad', 422);

        $event = $this->outbox->find($id);
        self::assertSame(['failed', 1, 'HTTP 422 invalid_payload: bad'], [$event->status, $event->attempts, $event->lastError]);
        self::assertSame([], $this->outbox->claimDue($this->clock->now()->modify('+1 year'), 10, 60, 'tok2'), 'never retried on its own');
        $stats = $this->outbox->stats($this->clock->now());
        self::assertSame([0, 1, 'HTTP 422 invalid_payload: bad'], [$stats->pending, $stats->failed, $stats->lastError]);
    }

    public function testRequeueMakesFailedEventsDueAgainWithAFreshAttemptBudget(): void
    {
        $id = $this->add('{}');
        $this->outbox->claimDue($this->clock->now(), 10, 60, 'tok');
        $this->outbox->markFailed($id, 'tok', $this->clock->now(), 'HTTP 401', 401);
        $this->clock->advance(3600);

        self::assertSame(1, $this->outbox->requeueFailed($this->clock->now()));

        $claimed = $this->outbox->claimDue($this->clock->now(), 10, 60, 'tok2');
        self::assertCount(1, $claimed);
        self::assertSame(0, $claimed[0]->attempts);
        self::assertSame($this->outbox->find($id)->eventId, $claimed[0]->eventId, 'the event keeps its id');
    }

    public function testSentEventsArePurgedAfterRetentionButTheNewestRowIsKept(): void
    {
        $old = $this->add('{}');
        $newest = $this->add('{}');
        $this->outbox->claimDue($this->clock->now(), 10, 60, 'tok');
        $this->outbox->markSent($old, 'tok', $this->clock->now(), 'queued', 202);
        $this->outbox->markSent($newest, 'tok', $this->clock->now(), 'duplicate', 202);

        self::assertSame(1, $this->outbox->purgeSentBefore($this->clock->now()->modify('+1 day')));

        self::assertNull($this->outbox->find($old));
        self::assertNotNull($this->outbox->find($newest), 'the newest row anchors AUTO_INCREMENT');
        self::assertGreaterThan($newest, $this->add('{}'));
    }

    public function testStatsReportBacklogLastErrorAndLastSuccess(): void
    {
        $sent = $this->add('{}');
        $retrying = $this->add('{}');
        $this->add('{}');
        $this->outbox->claimDue($this->clock->now(), 2, 60, 'tok');
        $this->outbox->markSent($sent, 'tok', $this->clock->now(), 'queued', 202);
        $this->clock->advance(5);
        $this->outbox->scheduleRetry($retrying, 'tok', $this->clock->now(), $this->clock->now()->modify('+15 seconds'), 'Hub unreachable: curl error 7', null);

        $stats = $this->outbox->stats($this->clock->now());

        self::assertSame(2, $stats->pending);
        self::assertSame(1, $stats->backingOff);
        self::assertSame(1, $stats->sent);
        self::assertSame('Hub unreachable: curl error 7', $stats->lastError);
        self::assertSame('2026-11-27 10:00:05', $stats->lastErrorAt);
        self::assertSame('2026-11-27 10:00:00', $stats->lastSuccessAt);
        self::assertSame('2026-11-27 10:00:00', $stats->oldestPendingAt);
    }

    private function add(string $payload): int
    {
        return $this->outbox->add(
            new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 6, $payload, $this->clock->now()),
            $this->clock->now()
        );
    }
}
