<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Integration;

use FulfillmentConnector\Http\CurlTransport;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\ConnectionTester;
use FulfillmentConnector\Service\OutboxDispatcher;
use FulfillmentConnector\Service\ResponseClassifier;
use FulfillmentConnector\Service\RetryPolicy;
use FulfillmentConnector\Service\Uuid;
use FulfillmentConnector\Tests\Double\FrozenClock;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;
use FulfillmentConnector\Tests\Support\LocalHubServer;

/**
 * The real sender (curl) against a real HTTP server that plays the hub.
 */
final class DeliveryToLocalHubTest extends ConnectorTestCase
{
    private ?LocalHubServer $hub = null;

    protected function setUp(): void
    {
        parent::setUp();
        // Signatures are checked by the server against its own clock: start from the real time.
        $this->clock = new FrozenClock('now');
    }

    protected function tearDown(): void
    {
        $this->hub?->stop();
        parent::tearDown();
    }

    public function testAnEventRefusedWith503WaitsInTheOutboxAndIsDeliveredOnceWithTheSameEventId(): void
    {
        $this->hub = LocalHubServer::start([503, 202], self::SIGNING_SECRET);
        $this->configure('SOURCE', $this->hub->apiUrl());
        $this->givenMugInCatalog();
        $module = $this->module(new CurlTransport(2000, 3000));

        // A stock change: the event is written and sent after the response; the hub answers 503.
        $module->hookActionUpdateQuantity(['id_product' => 6, 'id_product_attribute' => 0, 'quantity' => 300]);
        $this->endRequest();
        $rows = $this->outboxRows();
        self::assertCount(1, $rows);
        self::assertSame(['pending', '1'], [$rows[0]['status'], $rows[0]['attempts']]);
        self::assertSame('HTTP 503 unavailable: queue unavailable', $rows[0]['last_error']);

        // Cron runs before the backoff delay: nothing is sent.
        $cron = $module->connector()->cronRunner();
        $cron->run();
        self::assertCount(1, $this->hub->requests());

        // After the delay (15 s plus up to 10 % jitter), the cron delivers it.
        $this->clock->advance(17);
        $report = $cron->run();
        self::assertSame(1, $report['dispatch']['accepted']);
        $row = $this->outboxRows()[0];
        self::assertSame(['sent', '2', 'queued', '202'], [$row['status'], $row['attempts'], $row['delivery_status'], $row['last_http_status']]);

        // And never again.
        $this->clock->advance(3600);
        $cron->run();

        $requests = $this->hub->requests();
        self::assertCount(2, $requests);
        $bodies = array_map(static fn (array $request): array => json_decode($request['body'], true), $requests);
        self::assertSame($rows[0]['event_id'], $bodies[0]['event_id']);
        self::assertSame($bodies[0]['event_id'], $bodies[1]['event_id']);
        self::assertSame($requests[0]['body'], $requests[1]['body'], 'the retry posts the same bytes');
        self::assertSame((int) $rows[0]['id_outbox'], $bodies[1]['sequence']);
        self::assertSame(300, $bodies[1]['product']['quantity']);
        foreach ($requests as $request) {
            self::assertSame('/api/sync/product', $request['path']);
            self::assertSame(self::API_KEY, $request['headers']['X-API-KEY'] ?? $request['headers']['X-Api-Key'] ?? null);
            self::assertSame('application/json', $request['headers']['Content-Type']);
            self::assertTrue($request['signature_valid'], 'the server verified the HMAC signature');
        }
    }

    public function testASlowHubTimesOutAndTheEventIsRetried(): void
    {
        $this->hub = LocalHubServer::start(['sleep:1', 202], self::SIGNING_SECRET);
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $id = $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 6, '{"id":6}', $this->clock->now()), $this->clock->now());
        $dispatcher = $this->dispatcher($outbox, new CurlTransport(500, 500), $this->hub->apiUrl());

        $started = microtime(true);
        $dispatcher->dispatch(10, 10.0);
        $elapsed = microtime(true) - $started;

        self::assertLessThan(1.5, $elapsed, 'the total timeout bounds the wait');
        $event = $outbox->find($id);
        self::assertSame(['pending', 1], [$event->status, $event->attempts]);
        self::assertStringContainsString('curl error 28', (string) $event->lastError);

        // The built-in server handles one request at a time: let it finish the slow one.
        usleep(800000);
        $this->clock->advance(15);
        $dispatcher->dispatch(10, 10.0);
        // The late first attempt reached the hub too: the retry is recognised as a duplicate, not lost.
        self::assertSame(['sent', 'duplicate'], [$outbox->find($id)->status, $outbox->find($id)->deliveryStatus]);
    }

    public function testNoServerListeningIsARetryableFailure(): void
    {
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $id = $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Order, 1, 42, '{"id":42}', $this->clock->now()), $this->clock->now());

        $this->dispatcher($outbox, new CurlTransport(2000, 3000), 'http://127.0.0.1:' . LocalHubServer::freePort() . '/api')->dispatch(10, 10.0);

        $event = $outbox->find($id);
        self::assertSame(['pending', 1], [$event->status, $event->attempts]);
        self::assertStringStartsWith('Hub unreachable: curl error 7', (string) $event->lastError);
    }

    public function testTestConnectionAgainstTheServer(): void
    {
        $this->hub = LocalHubServer::start([422], self::SIGNING_SECRET);
        $settings = new Settings($this->hub->apiUrl(), self::API_KEY, self::SIGNING_SECRET, Role::Source, 'wholesaler');

        $results = (new ConnectionTester(new CurlTransport(), $this->clock, new ResponseClassifier()))->test($settings);

        self::assertSame([true, true], array_column($results, 'ok'), json_encode($results));
        self::assertSame(['/health', '/api/sync/product'], array_column($this->hub->requests(), 'path'));
    }

    private function dispatcher(DbOutboxRepository $outbox, CurlTransport $http, string $apiUrl): OutboxDispatcher
    {
        $settings = new Settings($apiUrl, self::API_KEY, self::SIGNING_SECRET, Role::Source, 'wholesaler');

        return new OutboxDispatcher(
            $outbox,
            $http,
            $this->clock,
            new RetryPolicy(15, 3600, 72, 0.0),
            new ResponseClassifier(),
            $this->logger,
            static fn (int $idShop): Settings => $settings
        );
    }
}
