<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\ConnectorFactory;
use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Hook\OrderPageHooks;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Install\Installer;
use FulfillmentConnector\Model\OrderReplication;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The back-office order page of a CLIENT store shows what the hub did with the order, from
 * GET {api_url}/orders/{store_code}/{id_order}; the page never fails or waits long because of the hub.
 */
final class OrderPageTest extends ConnectorTestCase
{
    private const CREATED = '{"client_store":"retailer-1","client_order_id":42,"client_reference":"XKBKNABJK","status":"created",'
        . '"source_order_id":1007,"source_reference":"WHSREF007","source_state":"11","error":null,"updated_at":"2026-11-27T10:00:05+00:00"}';

    public function testTheOrderPageHookIsRegisteredOnInstallAndByTheUpgrade(): void
    {
        \Db::getInstance()->execute('DROP TABLE ps_fulfillment_outbox');

        self::assertTrue($this->module()->install());
        self::assertContains('displayAdminOrderSide', \Module::$registeredHooks);
        self::assertContains('displayAdminOrderSide', Installer::HOOKS);

        \Module::$registeredHooks = [];
        self::assertTrue(upgrade_module_1_2_0($this->module()));
        self::assertSame(['displayAdminOrderSide'], \Module::$registeredHooks);
    }

    public function testASentOrderShowsTheWholesalersOrderAndTheKeyGoesOnlyInTheHeader(): void
    {
        $this->configure('CLIENT');
        $this->http->push(new HttpResponse(200, self::CREATED, ['content-type' => 'application/json']));

        $html = $this->module()->hookDisplayAdminOrderSide(['id_order' => 42]);

        self::assertStringStartsWith('<!-- ' . OrderPageHooks::TEMPLATE . ' -->', $html);
        self::assertSame([
            'id_order' => 42,
            'state' => 'created',
            'http_status' => 200,
            'source_order_id' => 1007,
            'source_reference' => 'WHSREF007',
            'source_state' => '11',
            'error' => null,
            'updated_at' => '2026-11-27T10:00:05+00:00',
            'shipping' => [],
            'hub_status' => 'created',
            'source_state_name' => null,
            'client_state' => null,
            'tracking_number' => null,
            'status_updated_at' => null,
            'attention' => null,
            'client_state_name' => null,
        ], $this->panel());
        self::assertCount(1, $this->http->requests);
        $request = $this->http->requests[0];
        self::assertSame(['GET', 'http://hub:8080/api/orders/retailer-1/42', null], [$request['method'], $request['url'], $request['body']]);
        self::assertSame(self::API_KEY, $request['headers']['X-API-KEY']);
        self::assertStringNotContainsString(self::API_KEY, $html);
        self::assertStringNotContainsString(self::API_KEY, json_encode(\Context::getContext()->smarty->vars) . $this->logger->text() . json_encode(\PrestaShopLogger::$logs));
    }

    /**
     * @return array<string, array{0: HttpResponse|TransportException, 1: array<string, mixed>}>
     */
    public static function answers(): array
    {
        $order = static fn (array $fields): HttpResponse => new HttpResponse(200, json_encode($fields + [
            'client_store' => 'retailer-1', 'client_order_id' => 42, 'client_reference' => 'XKBKNABJK',
            'source_order_id' => null, 'source_reference' => null, 'source_state' => null, 'error' => null,
            'updated_at' => '2026-11-27T10:00:05+00:00',
        ]));

        return [
            'waiting for payment' => [$order(['status' => 'waiting_payment']), ['state' => 'waiting_payment', 'source_order_id' => null]],
            'being sent' => [$order(['status' => 'pending']), ['state' => 'pending']],
            'failed, with the reason' => [
                $order(['status' => 'failed', 'error' => 'unknown_sku: WHS-0001-XL is not sold by the wholesaler']),
                ['state' => 'failed', 'error' => 'unknown_sku: WHS-0001-XL is not sold by the wholesaler'],
            ],
            'carrier and shipping fields, when the hub sends them' => [
                $order(['status' => 'created', 'source_order_id' => 9, 'carrier_name' => 'Colissimo', 'shipping_number' => '6A123', 'other' => 'x']),
                ['state' => 'created', 'shipping' => ['carrier_name' => 'Colissimo', 'shipping_number' => '6A123']],
            ],
            'a status this module does not know' => [$order(['status' => 'archived']), ['state' => 'unexpected', 'hub_status' => 'archived']],
            'not known to the hub' => [new HttpResponse(404, '{"error":{"code":"not_found","message":"no order 42 from store `retailer-1`"}}'), ['state' => 'unknown', 'http_status' => 404]],
            'key refused' => [new HttpResponse(401, '{"error":{"code":"unauthorized","message":"unknown X-API-KEY"}}'), ['state' => 'refused', 'http_status' => 401]],
            'another store' => [new HttpResponse(403, '{}'), ['state' => 'refused', 'http_status' => 403]],
            'hub unavailable' => [new HttpResponse(503, '{}'), ['state' => 'unreachable', 'http_status' => 503]],
            'hub down' => [new TransportException('curl error 7: Connection refused'), ['state' => 'unreachable', 'http_status' => null]],
            'timeout' => [new TransportException('curl error 28: timed out', true), ['state' => 'unreachable']],
            'not JSON' => [new HttpResponse(200, '<html>proxy</html>'), ['state' => 'unexpected', 'http_status' => 200]],
            'a redirect' => [new HttpResponse(302, ''), ['state' => 'unexpected', 'http_status' => 302]],
        ];
    }

    /**
     * @dataProvider answers
     *
     * @param array<string, mixed> $expected
     */
    public function testEachAnswerOfTheHubIsAStateOfThePanel(HttpResponse|TransportException $answer, array $expected): void
    {
        $this->configure('CLIENT');
        $this->http->push($answer);

        $html = $this->module()->hookDisplayAdminOrderSide(['id_order' => '42']);

        self::assertNotSame('', $html);
        self::assertSame($expected, array_intersect_key($this->panel(), $expected));
    }

    public function testNothingIsShownOnASourceStoreOrBeforeTheModuleIsConfigured(): void
    {
        $this->configure('SOURCE');
        self::assertSame('', $this->module()->hookDisplayAdminOrderSide(['id_order' => 42]));

        \Configuration::reset();
        self::assertSame('', $this->module()->hookDisplayAdminOrderSide(['id_order' => 42]));

        self::assertSame([], $this->http->requests);
    }

    public function testAnErrorWhileRenderingShowsNothingAndNeverFailsThePage(): void
    {
        $this->configure('CLIENT');
        // The script is empty: the transport throws a LogicException, not a TransportException.

        self::assertSame('', $this->module()->hookDisplayAdminOrderSide(['id_order' => 42]));
        self::assertStringContainsString('Order page panel failed', $this->logger->text());
        self::assertStringNotContainsString(self::API_KEY, $this->logger->text());
    }

    /**
     * The module's own transport (none injected): a hub that accepts the connection and never
     * answers costs the page at most 2 s, then the panel says "hub unreachable".
     */
    public function testAHubThatNeverAnswersHoldsThePageForAtMostTwoSeconds(): void
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        self::assertNotFalse($server, $error);
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($server, false), ':'), 1);
        $this->configure('CLIENT', 'http://127.0.0.1:' . $port . '/api');
        $module = new \Fulfillment_connector();
        $module->setConnectorFactory(new ConnectorFactory($module, $this->clock, null, null, $this->logger));

        $started = microtime(true);
        $html = $module->hookDisplayAdminOrderSide(['id_order' => 42]);
        $elapsed = microtime(true) - $started;
        fclose($server);

        self::assertNotSame('', $html);
        self::assertSame('unreachable', $this->panel()['state']);
        self::assertGreaterThan(1.5, $elapsed, 'the connection was accepted: the total timeout ended the wait');
        self::assertLessThan(2.5, $elapsed);
    }

    /**
     * Everything the order panel prints is escaped: each Smarty output is `|escape:'htmlall'` or `|intval`.
     */
    public function testTheTemplatesEscapeEveryValueTheyPrint(): void
    {
        foreach ([OrderPageHooks::TEMPLATE, 'views/templates/admin/status.tpl'] as $template) {
            $source = (string) file_get_contents(FULFILLMENT_TESTS_MODULE_DIR . '/' . $template);
            preg_match_all('/\{\$[^}]*\}/', $source, $outputs);
            self::assertNotEmpty($outputs[0]);
            foreach ($outputs[0] as $output) {
                self::assertMatchesRegularExpression("/\\|(escape:'htmlall':'UTF-8'|intval)\\}$/", $output, $template);
            }
        }
    }

    public function testTheLifeOfTheOrderAtTheWholesalerIsShownWhenTheHubSendsIt(): void
    {
        $this->configure('CLIENT');
        $this->http->push(new HttpResponse(200, self::withStatusFields([
            'source_state_name' => 'Shipped',
            'client_state' => '4',
            'tracking_number' => '1Z999',
            'status_updated_at' => '2026-11-28T09:15:00Z',
            'attention' => 'The wholesaler cancelled 1 line: refund the customer.',
            'carrier_name' => 'Colissimo',
        ])));

        // This shop's name of its state 4, in the employee's language.
        \ObjectModel::$rows[\OrderState::class][4] = ['name' => [1 => 'Shipped here', 2 => 'Enviado']];

        $this->module()->hookDisplayAdminOrderSide(['id_order' => 42]);

        self::assertSame('Shipped here', $this->panel()['client_state_name'], 'the hub sends the id, the shop names it');
        self::assertSame([
            'source_state' => '11',
            'shipping' => ['carrier_name' => 'Colissimo'],
            'source_state_name' => 'Shipped',
            'client_state' => '4',
            'tracking_number' => '1Z999',
            'status_updated_at' => '2026-11-28T09:15:00Z',
            'attention' => 'The wholesaler cancelled 1 line: refund the customer.',
        ], array_intersect_key($this->panel(), array_flip([
            'source_state', 'shipping', 'source_state_name', 'client_state', 'tracking_number', 'status_updated_at', 'attention',
        ])), 'the tracking number has its own place, not among the shipping fields');
    }

    public function testMissingEmptyOrOddlyTypedStatusFieldsShowNothing(): void
    {
        $this->configure('CLIENT');
        $this->http->push(new HttpResponse(200, self::withStatusFields([
            'source_state_name' => '',
            'client_state' => true,
            'tracking_number' => ['1Z999'],
            'status_updated_at' => null,
            'attention' => '   ',
        ])));

        $this->module()->hookDisplayAdminOrderSide(['id_order' => 42]);

        foreach (['source_state_name', 'client_state', 'tracking_number', 'status_updated_at', 'attention', 'client_state_name'] as $field) {
            self::assertNull($this->panel()[$field], $field);
        }
        self::assertSame('created', $this->panel()['state']);
    }

    /**
     * The template rendered by real Smarty 4 (Debian package smarty4): every new field is escaped, the
     * attention text is a warning, the state name wins over the state id, and nothing is printed for a
     * field the hub did not send.
     */
    public function testThePanelRendersTheNewFieldsEscaped(): void
    {
        $hostile = '<script>alert("x")</script>&';
        $escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;';
        $panel = (new OrderReplication(
            'created',
            200,
            1007,
            'WHSREF007',
            '11',
            null,
            null,
            [],
            'created',
            'Shipped ' . $hostile,
            'Cancelled ' . $hostile,
            '1Z ' . $hostile,
            '2026 ' . $hostile,
            'Attention ' . $hostile
        ))->toArray();

        $html = self::render(['id_order' => 42, 'client_state_name' => null] + $panel);

        self::assertStringNotContainsString('<script>', $html);
        self::assertStringContainsString('role="alert" id="fulfillment-order-attention">Attention ' . $escaped . '</div>', $html);
        self::assertMatchesRegularExpression('/class="alert alert-warning[^"]*" role="alert" id="fulfillment-order-attention"/', $html);
        foreach (['Shipped ', 'Cancelled ', '1Z ', '2026 '] as $value) {
            self::assertStringContainsString('<dd class="col-sm-7">' . $value . $escaped . '</dd>', $html);
        }
        self::assertStringNotContainsString('<dd class="col-sm-7">11</dd>', $html, 'the state name, not the id');

        $named = self::render(['id_order' => 42, 'client_state_name' => 'Expédié ' . $hostile, 'client_state' => '4'] + $panel);
        self::assertStringContainsString('<dd class="col-sm-7">Exp&eacute;di&eacute; ' . $escaped . ' (#4)</dd>', $named, "this shop's name of its state, then its id");

        $withoutName = self::render(['id_order' => 42, 'source_state_name' => null, 'client_state' => null, 'client_state_name' => null, 'tracking_number' => null] + $panel);
        self::assertStringContainsString('<dd class="col-sm-7">11</dd>', $withoutName, 'else the state id');
        self::assertStringNotContainsString('Tracking number', $withoutName);

        $bare = self::render(['id_order' => 42, 'client_state_name' => null] + (new OrderReplication('pending', 200))->toArray());
        self::assertStringNotContainsString('fulfillment-order-status', $bare);
        self::assertStringNotContainsString('fulfillment-order-attention', $bare);
    }

    /**
     * @param array<string, mixed> $fields
     */
    private static function withStatusFields(array $fields): string
    {
        return (string) json_encode(array_merge(json_decode(self::CREATED, true), $fields));
    }

    /**
     * @param array<string, mixed> $order the template's `fulfillment_order`
     */
    private static function render(array $order): string
    {
        $smartyDir = getenv('SMARTY_DIR') ?: '/usr/share/php/smarty4';
        if (!is_file($smartyDir . '/Smarty.class.php')) {
            self::markTestSkipped('Smarty 4 is not installed (Debian package smarty4, or set SMARTY_DIR)');
        }
        $process = proc_open(
            [PHP_BINARY, dirname(__DIR__) . '/Fixture/render-template.php', FULFILLMENT_TESTS_MODULE_DIR],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            null,
            ['SMARTY_DIR' => $smartyDir] + getenv()
        );
        self::assertIsResource($process);
        fwrite($pipes[0], json_encode(['template' => OrderPageHooks::TEMPLATE, 'vars' => ['fulfillment_order' => $order]], JSON_THROW_ON_ERROR));
        fclose($pipes[0]);
        $html = (string) stream_get_contents($pipes[1]);
        $errors = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        self::assertSame(0, proc_close($process), $errors);

        return $html;
    }

    /**
     * @return array<string, mixed> what the hook gave the template
     */
    private function panel(): array
    {
        return \Context::getContext()->smarty->vars['fulfillment_order'];
    }
}
