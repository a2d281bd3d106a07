<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Service\HubSignature;
use FulfillmentConnector\Service\OutboxDispatcher;
use FulfillmentConnector\Service\ResponseClassifier;
use FulfillmentConnector\Service\RetryPolicy;
use FulfillmentConnector\Service\Uuid;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * Delivery outcomes: accepted, retried with backoff, failed for good, and what is sent on the wire.
 */
final class OutboxDispatcherTest extends ConnectorTestCase
{
    private DbOutboxRepository $outbox;
    private Settings $settings;

    protected function setUp(): void
    {
        parent::setUp();
        $this->outbox = new DbOutboxRepository(\Db::getInstance());
        $this->settings = new Settings('http://hub:8080/api', self::API_KEY, self::SIGNING_SECRET, Role::Source, 'wholesaler');
    }

    public function testAcceptedEventIsMarkedSentWithTheHubsStatus(): void
    {
        $first = $this->add();
        $second = $this->add();
        $this->http->push($this->http::accepted('queued'), $this->http::accepted('duplicate'));

        $report = $this->dispatcher()->dispatch(10, 10.0);

        self::assertSame([2, 1, 1], [$report->claimed, $report->accepted, $report->duplicates]);
        self::assertSame(['sent', 'queued', 1], [$this->outbox->find($first)->status, $this->outbox->find($first)->deliveryStatus, $this->outbox->find($first)->attempts]);
        self::assertSame('duplicate', $this->outbox->find($second)->deliveryStatus);
        self::assertSame([], $this->outbox->claimDue($this->clock->now()->modify('+1 year'), 10, 60, 't'), 'never sent again');
    }

    public function testRequestsCarryTheKeyAndAVerifiableSignature(): void
    {
        $this->add();
        $this->http->push($this->http::accepted());

        $this->dispatcher()->dispatch(10, 10.0);

        $request = $this->http->requests[0];
        self::assertSame('application/json', $request['headers']['Content-Type']);
        self::assertSame(self::API_KEY, $request['headers']['X-API-KEY']);
        self::assertSame('wholesaler', $request['headers']['X-Store-Code']);
        $timestamp = $this->clock->now()->getTimestamp();
        $expected = 't=' . $timestamp . ',v1=' . hash_hmac('sha256', $timestamp . '.' . $request['body'], self::SIGNING_SECRET);
        self::assertSame($expected, $request['headers']['X-Hub-Signature']);
    }

    public function testWithoutASigningSecretNoSignatureIsSent(): void
    {
        $this->settings = new Settings('http://hub:8080/api', self::API_KEY, '', Role::Source, 'wholesaler');
        $this->add();
        $this->http->push($this->http::accepted());

        $this->dispatcher()->dispatch(10, 10.0);

        self::assertArrayNotHasKey(HubSignature::HEADER, $this->http->requests[0]['headers']);
    }

    public function testServerErrorsAreRetriedWithBackoffAndTheSameEventIdAndBody(): void
    {
        $id = $this->add();
        $this->http->push(new HttpResponse(503, '{"error":{"code":"unavailable","message":"queue down"}}'), $this->http::accepted());

        $this->dispatcher()->dispatch(10, 10.0);
        $afterFailure = $this->outbox->find($id);
        $this->dispatcher()->dispatch(10, 10.0);
        self::assertCount(1, $this->http->requests, 'not retried before the backoff delay');
        $this->clock->advance(15);
        $this->dispatcher()->dispatch(10, 10.0);

        self::assertSame(['pending', 1, '2026-11-27 10:00:15', 'HTTP 503 unavailable: queue down'], [
            $afterFailure->status, $afterFailure->attempts, $afterFailure->nextAttemptAt, $afterFailure->lastError,
        ]);
        self::assertCount(2, $this->http->requests);
        self::assertSame($this->http->requests[0]['body'], $this->http->requests[1]['body'], 'identical bytes, hence identical event_id');
        self::assertSame(['sent', 2], [$this->outbox->find($id)->status, $this->outbox->find($id)->attempts]);
    }

    public function testRetryAfterFromTheHubIsHonoured(): void
    {
        $id = $this->add();
        $this->http->push(new HttpResponse(429, '', ['retry-after' => '120']));

        $this->dispatcher()->dispatch(10, 10.0);

        self::assertSame('2026-11-27 10:02:00', $this->outbox->find($id)->nextAttemptAt);
    }

    /**
     * @dataProvider permanentStatuses
     */
    public function testClientErrorsOtherThan408And429AreFailedForGood(int $status): void
    {
        $id = $this->add();
        $this->http->push(new HttpResponse($status, '{"error":{"code":"invalid_payload","message":"Invalid event","fields":{"product.price":["must be a decimal"]}}}'));

        $report = $this->dispatcher()->dispatch(10, 10.0);

        $event = $this->outbox->find($id);
        self::assertSame(1, $report->failed);
        self::assertSame('failed', $event->status);
        self::assertSame('HTTP ' . $status . ' invalid_payload: Invalid event (product.price: must be a decimal)', $event->lastError);
        self::assertStringContainsString('failed: HTTP ' . $status, $this->logger->text());
    }

    /**
     * @return array<string, array{int}>
     */
    public function permanentStatuses(): array
    {
        return ['400' => [400], '401' => [401], '403' => [403], '413' => [413], '415' => [415], '422' => [422]];
    }

    /**
     * @dataProvider retryableStatuses
     */
    public function testTimeoutsRateLimitsAndServerErrorsAreRetried(int $status): void
    {
        $id = $this->add();
        $this->http->push(new HttpResponse($status, ''));

        $this->dispatcher()->dispatch(10, 10.0);

        self::assertSame(['pending', 1], [$this->outbox->find($id)->status, $this->outbox->find($id)->attempts]);
    }

    /**
     * @return array<string, array{int}>
     */
    public function retryableStatuses(): array
    {
        return ['408' => [408], '429' => [429], '500' => [500], '502' => [502], '503' => [503], '200 is not an acceptance' => [200]];
    }

    public function testAnUnreachableHubStopsTheBatchWithoutCountingAttemptsForTheRest(): void
    {
        $first = $this->add();
        $second = $this->add();
        $third = $this->add();
        $this->http->push(new TransportException('curl error 28: Operation timed out after 3000 milliseconds', true));

        $report = $this->dispatcher()->dispatch(10, 10.0);

        self::assertCount(1, $this->http->requests, 'one timeout, not one per event');
        self::assertSame([1, 2], [$report->retried, $report->released]);
        self::assertSame([1, 0, 0], [$this->outbox->find($first)->attempts, $this->outbox->find($second)->attempts, $this->outbox->find($third)->attempts]);
        self::assertStringStartsWith('Hub unreachable: curl error 28', (string) $this->outbox->find($first)->lastError);
        self::assertCount(2, $this->outbox->claimDue($this->clock->now(), 10, 60, 'next'), 'the others are immediately claimable again');
    }

    public function testAfterTheLastAllowedAttemptTheEventIsKeptAsFailed(): void
    {
        $id = $this->add();
        $this->http->push(new HttpResponse(503, ''), new HttpResponse(503, ''), new HttpResponse(503, ''));
        $dispatcher = $this->dispatcher(new RetryPolicy(15, 3600, 3, 0.0));

        for ($i = 0; $i < 3; ++$i) {
            $dispatcher->dispatch(10, 10.0);
            $this->clock->advance(3600);
        }

        $event = $this->outbox->find($id);
        self::assertSame(['failed', 3], [$event->status, $event->attempts]);
        self::assertSame('Gave up after 3 attempts: HTTP 503', $event->lastError);
    }

    public function testEventsOfAnUnconfiguredShopWaitUntouched(): void
    {
        $this->settings = new Settings('', '', '', null, '');
        $id = $this->add();

        $report = $this->dispatcher()->dispatch(10, 10.0);

        self::assertSame(1, $report->skippedUnconfigured);
        self::assertSame([], $this->http->requests);
        self::assertSame(0, $this->outbox->find($id)->attempts);
        self::assertCount(1, $this->outbox->claimDue($this->clock->now(), 10, 60, 'next'));
    }

    public function testOrderEventsGoToTheOrderEndpoint(): void
    {
        $this->settings = new Settings('https://hub.example/api', 'client-key-000000', '', Role::Client, 'retailer-1');
        $this->outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Order, 1, 42, '{"id":42}', $this->clock->now()), $this->clock->now());
        $this->http->push($this->http::accepted());

        $this->dispatcher()->dispatch(10, 10.0);

        self::assertSame('https://hub.example/api/sync/order', $this->http->requests[0]['url']);
        self::assertStringEndsWith(',"order":{"id":42}}', (string) $this->http->requests[0]['body']);
    }

    private function dispatcher(?RetryPolicy $retry = null): OutboxDispatcher
    {
        return new OutboxDispatcher(
            $this->outbox,
            $this->http,
            $this->clock,
            $retry ?? new RetryPolicy(15, 3600, 72, 0.0),
            new ResponseClassifier(),
            $this->logger,
            fn (int $idShop): Settings => $this->settings
        );
    }

    private function add(): int
    {
        return $this->outbox->add(
            new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 6, '{"id":6}', $this->clock->now()),
            $this->clock->now()
        );
    }
}
