<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Install\Installer;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\OrderStatusSnapshot;
use FulfillmentConnector\Repository\OrderStatusRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\HubSignature;
use FulfillmentConnector\Service\OrderStatusPayloadBuilder;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The SOURCE store reports the life of the orders the hub created (Order::$module is
 * `fulfillment_connector`): state changes and tracking numbers go to POST {api_url}/sync/order-status,
 * through the outbox, from the order as it is at the end of the request.
 */
final class OrderStatusEventTest extends ConnectorTestCase
{
    private const HUB_WS_KEY = 'HUBKEY0123456789ABCDEFGHIJKLMNOP';

    protected function tearDown(): void
    {
        unset($_SERVER['PHP_AUTH_USER']);
        parent::tearDown();
    }

    public function testAStateChangeOfAHubOrderSendsExactlyTheContractBody(): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        $this->http->push($this->http::accepted());

        $this->module()->hookActionOrderStatusPostUpdate(['id_order' => '31', 'newOrderStatus' => new \OrderState(4)]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(1, $rows);
        self::assertSame(['order_status', '31'], [$rows[0]['event_type'], (string) $rows[0]['aggregate_id']]);
        $expected = '{"event_id":"' . $rows[0]['event_id'] . '","occurred_at":"2026-11-27T10:00:00.123456Z","sequence":' . $rows[0]['id_outbox'] . ','
            . '"order":{"id":31,"reference":"XKBKNABJK","cart_id":77,"state":"4","state_name":"Shipped",'
            . '"tracking_number":"1Z999","carrier_id":2,"updated_at":"2026-11-27T10:00:05Z"}}';
        self::assertCount(1, $this->http->requests);
        $request = $this->http->requests[0];
        self::assertSame(['POST', 'http://hub:8080/api/sync/order-status'], [$request['method'], $request['url']]);
        self::assertSame($expected, $request['body']);
        self::assertSame(self::API_KEY, $request['headers']['X-API-KEY']);
        self::assertSame(
            HubSignature::header(self::SIGNING_SECRET, $this->clock->now()->getTimestamp(), $expected),
            $request['headers'][HubSignature::HEADER]
        );
        self::assertSame('sent', $this->outboxRows()[0]['status']);
    }

    public function testEveryHookAboutOneOrderInOneRequestGivesOneEventReadFreshAtTheEnd(): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        \ObjectModel::$rows[\OrderCarrier::class][5]['tracking_number'] = '';
        $this->http->push($this->http::accepted());
        $module = $this->module();
        // The back office's shipping form, as UpdateOrderShippingDetailsHandler runs it: the order and its
        // order carrier are loaded (and cached) before the tracking number is saved.
        $order = new \Order(31);
        $orderCarrier = new \OrderCarrier(5);
        $orderCarrier->tracking_number = '1Z999NEW';
        \ObjectModel::$rows[\OrderCarrier::class][5]['tracking_number'] = '1Z999NEW';
        \ObjectModel::$rows[\Order::class][31]['date_upd'] = '2026-11-27 11:00:09';

        $module->hookActionObjectOrderCarrierUpdateAfter(['object' => $orderCarrier]);
        $this->clock->advance(2);
        $module->hookActionAdminOrdersTrackingNumberUpdate(['order' => $order, 'customer' => new \Customer(3), 'carrier' => (object) ['id' => 2]]);
        $module->hookActionOrderStatusPostUpdate(['id_order' => 31, 'newOrderStatus' => new \OrderState(4)]);
        $this->endRequest();

        self::assertCount(1, $this->outboxRows(), 'several hooks about one order give one event');
        $sent = json_decode((string) $this->http->requests[0]['body'], true, 512, JSON_THROW_ON_ERROR);
        self::assertSame('1Z999NEW', $sent['order']['tracking_number'], 'the order carrier is read again, not from the cache');
        self::assertSame('2026-11-27T10:00:09Z', $sent['order']['updated_at']);
        self::assertSame('2026-11-27T10:00:02.123456Z', $sent['occurred_at'], 'the time of the latest hook');
    }

    /**
     * @return array<string, array{0: string}>
     */
    public static function sourceHooks(): array
    {
        return [
            'actionOrderStatusPostUpdate' => ['actionOrderStatusPostUpdate'],
            'actionAdminOrdersTrackingNumberUpdate' => ['actionAdminOrdersTrackingNumberUpdate'],
            'actionObjectOrderCarrierUpdateAfter' => ['actionObjectOrderCarrierUpdateAfter'],
        ];
    }

    /**
     * @dataProvider sourceHooks
     */
    public function testEachHookRecordsAHubOrderOnASourceStore(string $hook): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        $this->http->push($this->http::accepted());

        $this->fire($hook);
        $this->endRequest();

        self::assertSame([['order_status', '31']], array_map(
            static fn (array $row): array => [$row['event_type'], (string) $row['aggregate_id']],
            $this->outboxRows()
        ));
        self::assertSame('http://hub:8080/api/sync/order-status', $this->http->requests[0]['url']);
    }

    /**
     * @dataProvider sourceHooks
     */
    public function testEachHookIgnoresTheOrdersOfOtherModules(string $hook): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        \ObjectModel::$rows[\Order::class][31]['module'] = 'ps_wirepayment';

        $this->fire($hook);
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertSame([], $this->http->requests);
        self::assertSame([], $this->shutdownCallbacks);
    }

    /**
     * On a CLIENT store the SOURCE's hooks produce no order-status event, even for an order whose module
     * is this one (actionOrderStatusPostUpdate still gives the CLIENT's own order event).
     *
     * @dataProvider sourceHooks
     */
    public function testEachHookGivesNoOrderStatusEventOnAClientStore(string $hook): void
    {
        $this->configure('CLIENT');
        $this->givenHubOrder31();
        // Enough of an order for the CLIENT's own order event.
        $this->givenOrder42();
        \ObjectModel::$rows[\Order::class][31] += \ObjectModel::$rows[\Order::class][42];
        \Order::$details[31] = \Order::$details[42];
        $this->http->push($this->http::accepted());

        $this->fire($hook);
        $this->endRequest();

        $types = array_column($this->outboxRows(), 'event_type');
        self::assertNotContains('order_status', $types);
        self::assertSame($hook === 'actionOrderStatusPostUpdate' ? ['order'] : [], $types);
        foreach ($this->http->requests as $request) {
            self::assertStringEndsWith('/sync/order', (string) $request['url']);
        }
    }

    public function testNothingIsRecordedBeforeTheModuleIsConfigured(): void
    {
        $this->givenHubOrder31();

        foreach (array_keys(self::sourceHooks()) as $hook) {
            $this->fire($hook);
        }
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertSame([], $this->shutdownCallbacks);
    }

    /**
     * The hub's own Webservice writes (the order it creates, a state it sets) are not sent back.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testTheHubsOwnWebserviceWritesAreNotEchoed(): void
    {
        define('_PS_API_IN_USE_', true);
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (3, '" . self::HUB_WS_KEY . "', 'Fulfillment hub', 1)");
        $_SERVER['PHP_AUTH_USER'] = self::HUB_WS_KEY;
        $this->configure('SOURCE');
        \Configuration::updateValue(SettingsRepository::HUB_WS_ACCOUNT, '3');
        $this->givenHubOrder31();

        foreach (array_keys(self::sourceHooks()) as $hook) {
            $this->fire($hook);
        }
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertSame([], $this->http->requests);
    }

    public function testAnOrderDeletedBeforeTheEndOfTheRequestIsLoggedAndSkipped(): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        $this->module()->hookActionOrderStatusPostUpdate(['id_order' => 31]);
        unset(\ObjectModel::$rows[\Order::class][31]);
        \Cache::resetStandIn();

        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertStringContainsString('Not synchronised', $this->logger->text());
    }

    /**
     * `sequence` is the outbox row id for every type: it grows with every event of the store, whatever
     * its type, and each body carries its own row's id.
     */
    public function testTheSequenceIsTheOutboxRowIdAndGrowsAcrossTypesAndRequests(): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        $this->givenMugInCatalog();
        \ObjectModel::$rows[\Order::class][32] = ['module' => 'fulfillment_connector'] + \ObjectModel::$rows[\Order::class][31];
        $this->http->push(...array_fill(0, 4, $this->http::accepted()));
        $module = $this->module();

        $module->hookActionProductSave(['id_product' => 6, 'product' => new \Product(6)]);
        $module->hookActionOrderStatusPostUpdate(['id_order' => 31]);
        $this->endRequest();
        $module->hookActionOrderStatusPostUpdate(['id_order' => 32]);
        $module->hookActionOrderStatusPostUpdate(['id_order' => 31]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertSame(['product', 'order_status', 'order_status', 'order_status'], array_column($rows, 'event_type'));
        $ids = array_map('intval', array_column($rows, 'id_outbox'));
        $sequences = [];
        foreach ($this->http->requests as $request) {
            $sequences[] = json_decode((string) $request['body'], true, 512, JSON_THROW_ON_ERROR)['sequence'];
        }
        self::assertSame($ids, $sequences);
        $sorted = $sequences;
        sort($sorted);
        self::assertSame($sorted, $sequences);
        self::assertCount(4, array_unique($sequences));
    }

    public function testAFailedDeliveryIsRetriedWithTheSameBody(): void
    {
        $this->configure('SOURCE');
        $this->givenHubOrder31();
        $this->http->push(new \FulfillmentConnector\Http\HttpResponse(503, '{}'), $this->http::accepted());
        $module = $this->module();

        $module->hookActionOrderStatusPostUpdate(['id_order' => 31]);
        $this->endRequest();
        self::assertSame('pending', $this->outboxRows()[0]['status']);
        $this->clock->advance(3600);
        $module->connector()->dispatcher()->dispatch(10, 5.0);

        self::assertCount(2, $this->http->requests);
        self::assertSame($this->http->requests[0]['body'], $this->http->requests[1]['body']);
        self::assertSame('sent', $this->outboxRows()[0]['status']);
    }

    public function testTheEventTypeIsPostedToOrderStatusWithItsOrderUnderOrder(): void
    {
        self::assertSame('order_status', EventType::OrderStatus->value);
        self::assertSame('order-status', EventType::OrderStatus->pathSegment());
        self::assertSame('order', EventType::OrderStatus->envelopeKey());
        self::assertSame(['product', 'order'], [EventType::Product->pathSegment(), EventType::Order->pathSegment()]);
        self::assertSame(['product', 'order'], [EventType::Product->envelopeKey(), EventType::Order->envelopeKey()]);
        self::assertLessThanOrEqual(16, strlen(EventType::OrderStatus->value), 'fits the outbox event_type column');
    }

    // The payload builder.

    public function testTheStateNameIsReadInTheShopsDefaultLanguage(): void
    {
        \Configuration::updateValue('PS_LANG_DEFAULT', '2');
        $this->givenHubOrder31();

        $payload = $this->payloadOf31();

        self::assertSame('Enviado', $payload['state_name']);
    }

    public function testWithoutOrderCarrierTrackingOrCarrierTheyAreNullAndAnUnknownStateHasNoName(): void
    {
        $this->givenHubOrder31();
        unset(\ObjectModel::$rows[\OrderCarrier::class][5]);
        \ObjectModel::$rows[\Order::class][31]['id_carrier'] = '0';
        \ObjectModel::$rows[\Order::class][31]['current_state'] = '99';

        $payload = $this->payloadOf31();

        self::assertSame(
            ['id' => 31, 'reference' => 'XKBKNABJK', 'cart_id' => 77, 'state' => '99', 'tracking_number' => null, 'carrier_id' => null, 'updated_at' => '2026-11-27T10:00:05Z'],
            $payload
        );
        self::assertSame(
            '{"id":31,"reference":"XKBKNABJK","cart_id":77,"state":"99","tracking_number":null,"carrier_id":null,"updated_at":"2026-11-27T10:00:05Z"}',
            json_encode($payload)
        );
    }

    public function testAnEmptyTrackingNumberOrStateNameIsNullOrLeftOut(): void
    {
        $this->givenHubOrder31();
        \ObjectModel::$rows[\OrderCarrier::class][5]['tracking_number'] = ' ';
        \ObjectModel::$rows[\OrderState::class][4]['name'] = [1 => '', 2 => 'Enviado'];

        $payload = $this->payloadOf31();

        self::assertNull($payload['tracking_number']);
        self::assertArrayNotHasKey('state_name', $payload);
        self::assertSame(2, $payload['carrier_id']);
    }

    public function testAnOrderWithoutStateSendsStateZeroWithoutName(): void
    {
        $this->givenHubOrder31();
        \ObjectModel::$rows[\Order::class][31]['current_state'] = '0';

        $payload = $this->payloadOf31();

        self::assertSame('0', $payload['state']);
        self::assertArrayNotHasKey('state_name', $payload);
    }

    /**
     * @return array<string, array{0: string, 1: ?string, 2: string}>
     */
    public static function localTimes(): array
    {
        return [
            'Madrid in winter (UTC+1)' => ['2026-11-27 11:00:05', null, '2026-11-27T10:00:05Z'],
            'Madrid in summer (UTC+2)' => ['2026-07-01 12:30:00', null, '2026-07-01T10:30:00Z'],
            'a shop in New York' => ['2026-11-27 05:00:05', 'America/New_York', '2026-11-27T10:00:05Z'],
            'past midnight in Tokyo' => ['2026-11-28 01:00:00', 'Asia/Tokyo', '2026-11-27T16:00:00Z'],
            'no date: the time of the hook' => ['0000-00-00 00:00:00', null, '2026-11-27T10:00:00Z'],
            'empty date: the time of the hook' => ['', null, '2026-11-27T10:00:00Z'],
        ];
    }

    /**
     * @dataProvider localTimes
     */
    public function testUpdatedAtIsTheOrdersLastUpdateInUtc(string $dateUpd, ?string $timezone, string $expected): void
    {
        $snapshot = new OrderStatusSnapshot(31, 'XKBKNABJK', 77, 4, 'Shipped', '1Z999', 2, $dateUpd);

        $payload = (new OrderStatusPayloadBuilder())->build($snapshot, $timezone, $this->clock->now());

        self::assertSame($expected, $payload['updated_at']);
        self::assertSame(['id', 'reference', 'cart_id', 'state', 'state_name', 'tracking_number', 'carrier_id', 'updated_at'], array_keys($payload));
    }

    // Install and upgrade.

    public function testInstallAndTheUpgradeTo130RegisterTheSourceHooks(): void
    {
        \Db::getInstance()->execute('DROP TABLE ps_fulfillment_outbox');

        self::assertTrue($this->module()->install());
        foreach (Installer::ORDER_STATUS_HOOKS as $hook) {
            self::assertContains($hook, \Module::$registeredHooks);
            self::assertContains($hook, Installer::HOOKS);
            self::assertTrue(method_exists(\Fulfillment_connector::class, 'hook' . ucfirst($hook)), $hook . ' has a handler');
        }

        \Module::$registeredHooks = [];
        self::assertTrue(upgrade_module_1_3_0($this->module()));
        self::assertSame(Installer::ORDER_STATUS_HOOKS, \Module::$registeredHooks);
        self::assertSame(
            ['actionOrderStatusPostUpdate', 'actionAdminOrdersTrackingNumberUpdate', 'actionObjectOrderCarrierUpdateAfter'],
            Installer::ORDER_STATUS_HOOKS
        );
        self::assertTrue(version_compare($this->module()->version, '1.3.0', '>='), 'PrestaShop runs upgrade-1.3.0.php only up to the module version');
    }

    /**
     * Order 31 of the contract example: created on the SOURCE by the hub (module fulfillment_connector)
     * from cart 77, shipped (state 4) with carrier 2, tracking 1Z999 on order carrier 5.
     */
    private function givenHubOrder31(): void
    {
        \ObjectModel::$rows[\Order::class][31] = [
            'reference' => 'XKBKNABJK',
            'id_cart' => '77',
            'id_customer' => 3,
            'id_carrier' => '2',
            'current_state' => '4',
            'module' => OrderStatusRepository::HUB_MODULE,
            'date_add' => '2026-11-27 10:59:00',
            // Europe/Madrid is UTC+1 in November.
            'date_upd' => '2026-11-27 11:00:05',
        ];
        \ObjectModel::$rows[\OrderCarrier::class][5] = ['id_order' => '31', 'id_carrier' => '2', 'tracking_number' => '1Z999'];
        \ObjectModel::$rows[\OrderState::class][4] = ['name' => [1 => 'Shipped', 2 => 'Enviado']];
        \ObjectModel::$rows[\Customer::class][3] = ['email' => 'ana@example.com', 'firstname' => 'Ana', 'lastname' => 'Garcia'];
    }

    /**
     * Fires a hook with the parameters PrestaShop 8.2.1 gives it, about order 31.
     */
    private function fire(string $hook): void
    {
        $module = $this->module();
        match ($hook) {
            'actionOrderStatusPostUpdate' => $module->hookActionOrderStatusPostUpdate(['id_order' => 31, 'newOrderStatus' => new \OrderState(4)]),
            'actionAdminOrdersTrackingNumberUpdate' => $module->hookActionAdminOrdersTrackingNumberUpdate([
                'order' => new \Order(31), 'customer' => new \Customer(3), 'carrier' => (object) ['id' => 2],
            ]),
            'actionObjectOrderCarrierUpdateAfter' => $module->hookActionObjectOrderCarrierUpdateAfter(['object' => new \OrderCarrier(5)]),
        };
    }

    /**
     * @return array<string, mixed>
     */
    private function payloadOf31(): array
    {
        $idLang = (int) \Configuration::get('PS_LANG_DEFAULT');

        return (new OrderStatusPayloadBuilder())->build((new OrderStatusRepository())->snapshot(31, $idLang), null, $this->clock->now());
    }
}
