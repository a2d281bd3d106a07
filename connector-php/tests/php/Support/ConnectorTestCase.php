<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Support;

use FulfillmentConnector\ConnectorFactory;
use FulfillmentConnector\Http\HttpTransport;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\AfterResponseRunner;
use FulfillmentConnector\Service\EventBuffer;
use FulfillmentConnector\Tests\Double\FrozenClock;
use FulfillmentConnector\Tests\Double\MemoryLogger;
use FulfillmentConnector\Tests\Double\ScriptedTransport;
use PHPUnit\Framework\TestCase;

/**
 * Resets every PrestaShop stand-in, creates the outbox on a fresh database, and drives the module the
 * way PrestaShop does: hooks during the request, then the shutdown callbacks at its end.
 */
abstract class ConnectorTestCase extends TestCase
{
    public const API_KEY = 'source-key-0123456789';
    public const SIGNING_SECRET = 'whsec-0123456789abcdef';

    protected FrozenClock $clock;
    protected MemoryLogger $logger;
    protected ScriptedTransport $http;

    /** @var list<callable> */
    protected array $shutdownCallbacks = [];

    protected bool $canFinishResponse = true;

    protected function setUp(): void
    {
        parent::setUp();
        \Db::resetInstance();
        foreach (DbOutboxRepository::createSchemaSql() as $sql) {
            self::assertTrue(\Db::getInstance()->execute($sql), \Db::getInstance()->getMsgError());
        }
        \Db::getInstance()->execute(
            'CREATE TABLE `ps_webservice_account` (`id_webservice_account` INTEGER PRIMARY KEY, `key` VARCHAR(32), '
            . '`description` TEXT, `active` INTEGER)'
        );
        \PaymentModule::createTables(\Db::getInstance());
        \Shop::setStandInContext(false);
        \Configuration::reset();
        \Context::reset();
        \Tools::$requestValues = [];
        \Cache::resetStandIn();
        \PrestaShopLogger::$logs = [];
        \Product::$rows = [];
        \Product::$combinationRows = [];
        \Product::$categoryRows = [];
        \Product::$loads = 0;
        \StockAvailable::$quantities = [];
        \ObjectModel::$rows = [];
        \Order::$details = [];
        \Order::$idsByCart = [];
        \Cart::$totals = [];
        \Cart::$totalCalls = [];
        \Country::$isoCodes = [];
        \Module::$instances = [];
        \Module::$registeredHooks = [];
        \Module::$installedIds = [];
        \PaymentModule::reset();
        \HelperForm::$generated = [];
        EventBuffer::reset();
        AfterResponseRunner::reset();

        $this->clock = new FrozenClock();
        $this->logger = new MemoryLogger();
        $this->http = new ScriptedTransport();
        $this->shutdownCallbacks = [];
        $this->canFinishResponse = true;
    }

    protected function configure(string $role, string $apiUrl = 'http://hub:8080/api', string $secret = self::SIGNING_SECRET): void
    {
        \Configuration::updateValue(SettingsRepository::API_URL, $apiUrl);
        \Configuration::updateValue(SettingsRepository::API_KEY, self::API_KEY);
        \Configuration::updateValue(SettingsRepository::SIGNING_SECRET, $secret);
        \Configuration::updateValue(SettingsRepository::ROLE, $role);
        \Configuration::updateValue(SettingsRepository::STORE_CODE, $role === 'SOURCE' ? 'wholesaler' : 'retailer-1');
    }

    /**
     * The module as PrestaShop instantiates it, with the test's clock, transport, logger and
     * end-of-request machinery.
     */
    protected function module(?HttpTransport $http = null): \Fulfillment_connector
    {
        $module = new \Fulfillment_connector();
        $module->setConnectorFactory(new ConnectorFactory(
            $module,
            $this->clock,
            $http ?? $this->http,
            null,
            $this->logger,
            fn (): bool => $this->canFinishResponse,
            function (callable $callback): void {
                $this->shutdownCallbacks[] = $callback;
            },
            fn (): bool => $this->canFinishResponse
        ));

        return $module;
    }

    /**
     * What PHP does when the request ends: run the registered shutdown functions.
     */
    protected function endRequest(): void
    {
        $callbacks = $this->shutdownCallbacks;
        $this->shutdownCallbacks = [];
        foreach ($callbacks as $callback) {
            $callback();
        }
    }

    /**
     * @return list<array<string, mixed>>
     */
    protected function outboxRows(): array
    {
        return \Db::getInstance()->rows(DbOutboxRepository::TABLE);
    }

    /**
     * The mug of the contract example: product 6, reference WHS-0001, 300 in stock, two sizes, in
     * categories 2, 3 and 4 (its default).
     */
    protected function givenMugInCatalog(): void
    {
        \Product::$rows[6] = [
            'reference' => 'WHS-0001',
            'name' => [1 => 'Mug', 2 => 'Taza'],
            'price' => '11.900000',
            'active' => '1',
            // Europe/Madrid is UTC+1 in November.
            'date_upd' => '2026-11-27 10:59:58',
            'id_category_default' => '4',
        ];
        \Product::$categoryRows[6] = [3, 4, 2];
        \Product::$combinationRows[6] = [
            ['id_product' => 6, 'id_product_attribute' => 13, 'reference' => 'WHS-0001-S', 'ean13' => '', 'group_name' => 'Size', 'attribute_name' => 'S'],
            ['id_product' => 6, 'id_product_attribute' => 14, 'reference' => '', 'ean13' => '8412345678905', 'group_name' => 'Size', 'attribute_name' => 'M'],
            ['id_product' => 6, 'id_product_attribute' => 14, 'reference' => '', 'ean13' => '8412345678905', 'group_name' => 'Color', 'attribute_name' => 'White'],
        ];
        \StockAvailable::$quantities = ['6-0' => 300, '6-13' => 10, '6-14' => 290];
    }

    /**
     * Order 42 of the contract example, as PrestaShop stores it.
     */
    protected function givenOrder42(int $state = 2, bool $valid = true): void
    {
        \ObjectModel::$rows[\Order::class][42] = [
            'reference' => 'XKBKNABJK',
            'id_customer' => 3,
            'id_address_delivery' => 7,
            'id_currency' => 1,
            'current_state' => (string) $state,
            'valid' => $valid ? '1' : '0',
            'total_paid_tax_incl' => '31.460000',
            'date_add' => '2026-11-27 11:00:00',
        ];
        \Order::$details[42] = [
            ['product_id' => '6', 'product_attribute_id' => '0', 'product_reference' => 'WHS-0001', 'product_quantity' => '2', 'unit_price_tax_incl' => '15.730000'],
        ];
        \ObjectModel::$rows[\Customer::class][3] = ['email' => 'ana@example.com', 'firstname' => 'Ana', 'lastname' => 'Garcia'];
        \ObjectModel::$rows[\Address::class][7] = [
            'firstname' => 'Ana', 'lastname' => 'Garcia', 'company' => '', 'address1' => 'Calle Mayor 1', 'address2' => '',
            'postcode' => '28013', 'city' => 'Madrid', 'id_country' => 6, 'phone' => '+34600000000', 'phone_mobile' => '',
        ];
        \ObjectModel::$rows[\Currency::class][1] = ['iso_code' => 'EUR'];
        \Country::$isoCodes[6] = 'ES';
    }
}
