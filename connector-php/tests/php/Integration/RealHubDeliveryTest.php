<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Integration;

use FulfillmentConnector\Http\CurlTransport;
use FulfillmentConnector\Model\DeliveryOutcome;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Service\ConnectionTester;
use FulfillmentConnector\Service\ResponseClassifier;
use FulfillmentConnector\Tests\Support\RealHub;
use FulfillmentConnector\Tests\Support\RealHubTestCase;

/**
 * The module's real sender and outbox against the REAL hub binary: hooks during a request, delivery
 * after the response (AfterResponseRunner), retries through the cron's CronRunner, and what the hub
 * stored in its SQLite inbox.
 */
final class RealHubDeliveryTest extends RealHubTestCase
{
    public function testProductEventsOfTheSourceStoreAreDeliveredSignedAndStoredByTheHub(): void
    {
        $hub = $this->startHub(RealHub::SOURCE_SECRET);
        $this->configureStore('SOURCE', $hub, RealHub::SOURCE_SECRET);
        $this->givenMugInCatalog();

        $this->requestModule()->hookActionUpdateQuantity(['id_product' => 6, 'id_product_attribute' => 13, 'quantity' => 10]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(1, $rows);
        self::assertSame(['sent', 'queued', '202', '1'], [$rows[0]['status'], $rows[0]['delivery_status'], $rows[0]['last_http_status'], $rows[0]['attempts']], (string) $rows[0]['last_error']);

        $inbox = $hub->inbox();
        self::assertCount(1, $inbox);
        self::assertSame([$rows[0]['event_id'], RealHub::SOURCE_CODE, 'product', (int) $rows[0]['id_outbox']], [$inbox[0]['event_id'], $inbox[0]['store'], $inbox[0]['kind'], $inbox[0]['sequence']]);
        // The hub answers 202 once the event is stored ("received"); it marks it "queued" just after,
        // asynchronously.
        for ($deadline = microtime(true) + 5.0; $inbox[0]['status'] === 'received' && microtime(true) < $deadline; $inbox = $hub->inbox()) {
            usleep(20000);
        }
        self::assertNotSame('received', $inbox[0]['status'], 'a 202 means stored, then queued');
        self::assertStringContainsString('"WHS-0001-S"', $inbox[0]['payload'], 'the hub stored the combinations');
    }

    public function testOrderEventsOfAClientStoreAreDeliveredAndStoredByTheHub(): void
    {
        $hub = $this->startHub();
        // The hub has no signing secret for the retailer: the module sends none either.
        $this->configureStore('CLIENT', $hub);
        $this->givenOrder42();
        $module = $this->requestModule();

        $module->hookActionOrderStatusPostUpdate(['id_order' => 42, 'newOrderStatus' => (object) ['id' => 2]]);
        $this->endRequest();
        // A later state change of the same order is a new event.
        \ObjectModel::$rows[\Order::class][42]['current_state'] = '4';
        \Cache::resetStandIn();
        $module = $this->requestModule();
        $module->hookActionOrderStatusPostUpdate(['id_order' => 42, 'newOrderStatus' => (object) ['id' => 4]]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(2, $rows);
        foreach ($rows as $row) {
            self::assertSame(['sent', 'queued', '202'], [$row['status'], $row['delivery_status'], $row['last_http_status']], (string) $row['last_error']);
        }
        $inbox = $hub->inbox();
        self::assertSame(array_column($rows, 'event_id'), array_column($inbox, 'event_id'));
        self::assertSame([RealHub::CLIENT_CODE], array_values(array_unique(array_column($inbox, 'store'))));
        self::assertSame(['order'], array_values(array_unique(array_column($inbox, 'kind'))));
        self::assertStringContainsString('"XKBKNABJK"', $inbox[0]['payload']);
    }

    public function testEventsWaitInTheOutboxWhileTheHubIsDownAndAreAcceptedExactlyOnceWhenItIsUp(): void
    {
        $hub = $this->preparedHub();
        $this->configureStore('SOURCE', $hub, RealHub::SOURCE_SECRET);
        $this->givenMugInCatalog();
        \Product::$rows[7] = ['reference' => 'WHS-0007', 'name' => [1 => 'Plate'], 'price' => '4.500000', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];
        \StockAvailable::$quantities['7-0'] = 12;

        // 1. The hub has not started yet: both events of the request stay in the outbox.
        $module = $this->requestModule();
        $module->hookActionProductSave(['id_product' => 6]);
        $module->hookActionProductSave(['id_product' => 7]);
        $this->endRequest();
        $cron = $this->requestModule()->connector()->cronRunner();
        $report = $cron->run();
        self::assertSame(0, $report['dispatch']['accepted']);
        self::assertSame(2, $report['pending']);
        foreach ($this->outboxRows() as $row) {
            self::assertSame('pending', $row['status']);
        }
        self::assertStringStartsWith('Hub unreachable: curl error 7', (string) $this->outboxRows()[0]['last_error']);
        $waiting = array_column($this->outboxRows(), 'event_id', 'id_outbox');

        // 2. The hub starts; once the backoff has passed, the cron delivers them.
        $hub->run();
        $this->clock->advance(20);
        $report = $this->requestModule()->connector()->cronRunner()->run();
        self::assertSame([2, 0, 0], [$report['dispatch']['accepted'], $report['pending'], $report['failed']], json_encode($report));
        foreach ($this->outboxRows() as $row) {
            self::assertSame(['sent', 'queued'], [$row['status'], $row['delivery_status']]);
        }
        self::assertSame(array_values($waiting), array_column($hub->inbox(), 'event_id'), 'the same event_ids, each stored once');

        // 3. Sending them again is answered "duplicate", and the hub still stores each once.
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $module = $this->requestModule();
        $settings = $module->connector()->settings()->load();
        foreach (array_keys($waiting) as $sequence) {
            $outcome = $module->connector()->dispatcher()->deliver($outbox->find((int) $sequence), $settings);
            self::assertSame([DeliveryOutcome::ACCEPTED, 202, 'duplicate'], [$outcome->kind, $outcome->httpStatus, $outcome->detail]);
        }
        self::assertCount(2, $hub->inbox());

        // 4. The hub stops: a new event waits; the hub restarts on the same database and gets it once.
        $hub->stop();
        \StockAvailable::$quantities['7-0'] = 11;
        \Cache::resetStandIn();
        $this->requestModule()->hookActionUpdateQuantity(['id_product' => 7, 'id_product_attribute' => 0, 'quantity' => 11]);
        $this->endRequest();
        self::assertSame('pending', $this->outboxRows()[2]['status']);
        self::assertCount(2, $hub->inbox());

        $hub->run();
        $this->clock->advance(20);
        $report = $this->requestModule()->connector()->cronRunner()->run();
        self::assertSame([1, 0], [$report['dispatch']['accepted'], $report['pending']], json_encode($report));
        $inbox = $hub->inbox();
        self::assertSame(array_column($this->outboxRows(), 'event_id'), array_column($inbox, 'event_id'));
        self::assertSame([], self::repeatedEventIds($hub));
        self::assertSame([1, 2, 3], array_column($inbox, 'sequence'));
    }

    public function testAWrongOrMissingSigningSecretKeepsTheEventFailedUntilItIsFixedAndRetried(): void
    {
        $hub = $this->startHub(RealHub::SOURCE_SECRET);
        $this->givenMugInCatalog();
        \Product::$rows[7] = ['reference' => 'WHS-0007', 'name' => [1 => 'Plate'], 'price' => '4.5', 'active' => '1', 'date_upd' => '2026-11-27 10:00:00'];

        // A wrong secret, then no secret at all: the hub refuses both (401), nothing is stored.
        $this->configureStore('SOURCE', $hub, 'not-the-secret-of-the-hub');
        $this->requestModule()->hookActionProductSave(['id_product' => 6]);
        $this->endRequest();
        $this->configureStore('SOURCE', $hub, '');
        $this->requestModule()->hookActionProductSave(['id_product' => 7]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(2, $rows);
        self::assertSame(['failed', '401'], [$rows[0]['status'], $rows[0]['last_http_status']]);
        self::assertSame('HTTP 401 unauthorized: bad X-Hub-Signature', $rows[0]['last_error']);
        self::assertSame(['failed', '401'], [$rows[1]['status'], $rows[1]['last_http_status']]);
        self::assertSame('HTTP 401 unauthorized: missing X-Hub-Signature header', $rows[1]['last_error']);
        self::assertSame([], $hub->inbox());

        // The cron keeps them, and does not send them again with the same wrong settings. (The clock
        // stays within the hub's ±300 s signature window.)
        $report = $this->requestModule()->connector()->cronRunner()->run();
        self::assertSame([0, 2], [$report['dispatch']['claimed'], $report['failed']]);
        self::assertSame([], $hub->inbox());

        // The operator enters the right secret and presses "Retry failed events": both are accepted,
        // with the event_ids they were created with.
        $this->configureStore('SOURCE', $hub, RealHub::SOURCE_SECRET);
        $module = $this->requestModule();
        self::assertSame(2, $module->connector()->outbox()->requeueFailed($this->clock->now()));
        $report = $module->connector()->cronRunner()->run();
        self::assertSame(2, $report['dispatch']['accepted'], json_encode($report));
        self::assertSame(array_column($rows, 'event_id'), array_column($hub->inbox(), 'event_id'));
        self::assertSame(['sent', 'sent'], array_column($this->outboxRows(), 'status'));
    }

    public function testAnOrderTheHubRefusesIsKeptFailedWithTheHubsReason(): void
    {
        // A country without postcodes (PrestaShop's need_zip_code = 0, e.g. Hong Kong). The published
        // schema allows an empty postcode; this hub's validation (minimum length 1) refuses it, which
        // is reported to the hub. Whatever the hub decides, the module must not lose the order: it is
        // either accepted, or kept failed with the hub's reason on the status panel.
        $hub = $this->startHub();
        $this->configureStore('CLIENT', $hub);
        $this->givenOrder42();
        \ObjectModel::$rows[\Address::class][7]['postcode'] = '';
        \Country::$isoCodes[6] = 'HK';

        $this->requestModule()->hookActionOrderStatusPostUpdate(['id_order' => 42]);
        $this->endRequest();

        $row = $this->outboxRows()[0];
        if ($row['status'] === 'sent') {
            self::assertSame('202', $row['last_http_status']);
            self::assertCount(1, $hub->inbox());

            return;
        }
        self::assertSame(['failed', '422'], [$row['status'], $row['last_http_status']]);
        self::assertStringContainsString('HTTP 422 invalid_payload', (string) $row['last_error']);
        self::assertStringContainsString('order.delivery_address.postcode', (string) $row['last_error']);
        self::assertSame([], $hub->inbox());
    }

    public function testTestConnectionAgainstTheRealHub(): void
    {
        $hub = $this->startHub(RealHub::SOURCE_SECRET);
        $tester = new ConnectionTester(new CurlTransport(), $this->clock, new ResponseClassifier());
        $check = static function (string $key, string $secret, Role $role) use ($tester, $hub): array {
            $results = $tester->test(new Settings($hub->apiUrl(), $key, $secret, $role, ''));

            return [array_column($results, 'ok'), $results[1]['message']];
        };

        self::assertSame([true, true], $check(RealHub::SOURCE_KEY, RealHub::SOURCE_SECRET, Role::Source)[0]);
        self::assertSame([true, true], $check(RealHub::CLIENT_KEY, '', Role::Client)[0]);

        [$ok, $message] = $check(RealHub::SOURCE_KEY, 'not-the-secret-of-the-hub', Role::Source);
        self::assertSame([true, false], $ok);
        self::assertStringContainsString('bad X-Hub-Signature', $message);

        [$ok, $message] = $check(RealHub::CLIENT_KEY, '', Role::Source);
        self::assertSame([true, false], $ok);
        self::assertStringContainsString('not for a SOURCE store', $message);

        [$ok, $message] = $check('unknown-key-0123456789', '', Role::Client);
        self::assertSame([true, false], $ok);
        self::assertStringContainsString('unknown X-API-KEY', $message);
        self::assertSame([], $hub->inbox(), 'a probe is never stored');
    }
}
