<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Install\Installer;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The module is a PaymentModule (decision 0004): the hub's `POST /api/orders` with
 * `module=fulfillment_connector` reaches its validateOrder. It installs and uninstalls like one, and is
 * never offered to shoppers.
 */
final class PaymentModuleTest extends ConnectorTestCase
{
    /** Every hook through which a module offers or confirms a payment at checkout (1.6 → 9.x). */
    private const CHECKOUT_PAYMENT_HOOKS = [
        'paymentOptions', 'displayPayment', 'displayPaymentEU', 'displayPaymentByBinaries', 'displayPaymentReturn',
        'paymentReturn', 'payment', 'displayPaymentTop', 'advancedPaymentOptions',
    ];

    public function testTheModuleIsAPaymentModuleThatAcceptsEveryCurrency(): void
    {
        $module = $this->module();

        self::assertInstanceOf(\PaymentModule::class, $module);
        self::assertTrue($module->currencies);
        self::assertSame('checkbox', $module->currencies_mode);
        self::assertSame('1.4.0', $module->version);
    }

    public function testInstallAddsTheRestrictionsOfPaymentModuleInstallAndKeepsEverythingElse(): void
    {
        \Db::getInstance()->execute('DROP TABLE ps_fulfillment_outbox');
        $module = $this->module();

        self::assertTrue($module->install(), implode(', ', $module->getErrors()));

        $id = (int) $module->id;
        self::assertGreaterThan(0, $id);
        // Every currency not deleted, every active country, every carrier (by reference), for the shop.
        self::assertSame([[$id, 1, 1], [$id, 1, 2]], $this->restrictions('module_currency', 'id_currency'));
        self::assertSame([[$id, 1, 6], [$id, 1, 8]], $this->restrictions('module_country', 'id_country'));
        self::assertSame([[$id, 1, 1], [$id, 1, 2]], $this->restrictions('module_carrier', 'id_reference'));
        // What the module did before it was a PaymentModule.
        self::assertSame(Installer::HOOKS, \Module::$registeredHooks);
        self::assertSame([], \Db::getInstance()->rows(DbOutboxRepository::TABLE), 'the outbox table exists');
        self::assertSame(64, strlen((string) \Configuration::getGlobalValue(SettingsRepository::CRON_SECRET)));
    }

    public function testInstallOnEveryShopOfAMultistore(): void
    {
        \PaymentModule::$shopIds = [1, 2];
        $module = $this->module();

        self::assertTrue($module->install());

        $id = (int) $module->id;
        self::assertSame([[$id, 1, 1], [$id, 1, 2], [$id, 2, 1], [$id, 2, 2]], $this->restrictions('module_currency', 'id_currency'));
        self::assertCount(4, $this->restrictions('module_country', 'id_country'));
        self::assertCount(4, $this->restrictions('module_carrier', 'id_reference'));
    }

    public function testItIsNeverOfferedToShoppersAtCheckout(): void
    {
        self::assertTrue($this->module()->install());

        $registered = array_map('strtolower', \Module::$registeredHooks);
        foreach (self::CHECKOUT_PAYMENT_HOOKS as $hook) {
            self::assertNotContains(strtolower($hook), $registered, $hook . ' is not registered');
            self::assertFalse(method_exists(\Fulfillment_connector::class, 'hook' . ucfirst($hook)), 'no handler for ' . $hook);
        }
    }

    public function testUninstallRemovesTheRestrictionsAndTheFeeSettingsAndOnlyThose(): void
    {
        // Another payment module's rows, and a setting of the shop.
        \Db::getInstance()->execute('INSERT INTO ps_module_currency VALUES (99, 1, 1)');
        \Db::getInstance()->execute('INSERT INTO ps_module_country VALUES (99, 1, 6)');
        \Db::getInstance()->execute('INSERT INTO ps_module_carrier VALUES (99, 1, 1)');
        \Configuration::updateValue('CONF_PS_WIREPAYMENT_FIXED', '0.2');
        $module = $this->module();
        self::assertTrue($module->install());
        $this->configure('SOURCE');
        foreach (Installer::PAYMENT_MODULE_KEYS as $key) {
            self::assertNotFalse(\Configuration::get($key), $key . ' created by PaymentModule::install');
        }

        self::assertTrue($this->module()->uninstall());

        foreach (['module_currency' => 'id_currency', 'module_country' => 'id_country', 'module_carrier' => 'id_reference'] as $table => $column) {
            self::assertSame([[99, 1, $column === 'id_country' ? 6 : 1]], $this->restrictions($table, $column), $table);
        }
        foreach ([...Installer::PAYMENT_MODULE_KEYS, ...SettingsRepository::ALL_KEYS] as $key) {
            self::assertFalse(\Configuration::get($key), $key);
        }
        self::assertSame('0.2', \Configuration::get('CONF_PS_WIREPAYMENT_FIXED'));
        self::assertFalse(\Db::getInstance()->executeS('SELECT * FROM ps_fulfillment_outbox'), 'the outbox is dropped');
        self::assertArrayNotHasKey('fulfillment_connector', \Module::$installedIds);
    }

    public function testItCanBeReinstalledAfterAnUninstall(): void
    {
        self::assertTrue($this->module()->install());
        self::assertTrue($this->module()->uninstall());
        \Module::$registeredHooks = [];

        $module = $this->module();
        self::assertTrue($module->install(), implode(', ', $module->getErrors()));

        self::assertCount(2, $this->restrictions('module_currency', 'id_currency'));
        self::assertSame(Installer::HOOKS, \Module::$registeredHooks);
    }

    public function testTheWebserviceOrderCreationReachesThisModulesValidateOrder(): void
    {
        self::assertTrue($this->module()->install());
        \ObjectModel::$rows[\Customer::class][3] = ['secure_key' => 'b44a6d9efd7a0076a0fbce6b15eaf3b1'];
        \ObjectModel::$rows[\Cart::class][7] = ['id_customer' => 3, 'secure_key' => 'b44a6d9efd7a0076a0fbce6b15eaf3b1'];
        \Module::$instances = [];
        // A later request: PrestaShop instantiates the module by name.
        $this->module();

        // POST /api/orders as the hub sends it (FACTS §5.4): Order::addWs.
        $order = new \Order();
        $order->id_cart = 7;
        $order->id_customer = 3;
        $order->module = 'fulfillment_connector';
        $order->payment = 'Fulfillment Hub';
        $order->total_paid = '54.14';
        self::assertTrue($order->addWs());

        self::assertSame([[
            'module' => 'fulfillment_connector',
            'id_cart' => 7,
            'id_order_state' => 11,
            'amount_paid' => '54.14',
            'payment_method' => 'Fulfillment Hub',
            'message' => null,
            'extra_vars' => [],
            'currency_special' => null,
            'dont_touch_amount' => false,
            'secure_key' => 'b44a6d9efd7a0076a0fbce6b15eaf3b1',
            'shop' => null,
            'order_reference' => null,
        ]], \PaymentModule::$validateOrderCalls);
        self::assertSame(1, $order->id);
    }

    public function testAnInactiveModuleCannotValidateOrders(): void
    {
        $module = $this->module();
        $module->active = false;

        $this->expectException(\StubRequestEnded::class);
        $this->expectExceptionMessage('Payment module is not active');
        $module->validateOrder(7, 11, '54.14', 'Fulfillment Hub');
    }

    public function testValidateOrderDiesOnACartThatDoesNotLoadOrAlreadyHasAnOrder(): void
    {
        $module = $this->module();
        $module->active = true;
        \ObjectModel::$rows[\Cart::class][8] = ['id_customer' => 3, 'secure_key' => 'k'];
        \Order::$idsByCart[8] = 99;

        foreach ([7, 8] as $idCart) {
            try {
                $module->validateOrder($idCart, 11, '54.14', 'Fulfillment Hub');
                self::fail("cart $idCart was accepted");
            } catch (\StubRequestEnded $e) {
                self::assertSame('Cart cannot be loaded or an order has already been placed using this cart', $e->getMessage());
            }
        }
        self::assertSame([], \PaymentModule::$validateOrderCalls);
    }

    public function testValidateOrderDiesWhenTheSecureKeyIsNotTheCarts(): void
    {
        $module = $this->module();
        $module->active = true;
        \ObjectModel::$rows[\Cart::class][7] = ['id_customer' => 3, 'secure_key' => 'b44a6d9efd7a0076a0fbce6b15eaf3b1'];

        $this->expectException(\StubRequestEnded::class);
        $this->expectExceptionMessage('Secure key does not match');
        $module->validateOrder(7, 11, '54.14', 'Fulfillment Hub', null, [], null, false, 'another key');
    }

    public function testTheUpgradeFrom100AddsTheRestrictionsOnce(): void
    {
        // Installed as 1.0.0, a plain Module: an id, no restrictions.
        \Module::$installedIds['fulfillment_connector'] = 12;
        $module = $this->module();
        self::assertSame(12, $module->id);
        self::assertSame([], $this->restrictions('module_currency', 'id_currency'));

        self::assertTrue(upgrade_module_1_1_0($module));
        self::assertTrue(upgrade_module_1_1_0($module), 'running it again is harmless');

        self::assertSame([[12, 1, 1], [12, 1, 2]], $this->restrictions('module_currency', 'id_currency'));
        self::assertSame([[12, 1, 6], [12, 1, 8]], $this->restrictions('module_country', 'id_country'));
        self::assertSame([[12, 1, 1], [12, 1, 2]], $this->restrictions('module_carrier', 'id_reference'));
    }

    /**
     * @return list<array{int, int, int}> [id_module, id_shop, restricted id], sorted
     */
    private function restrictions(string $table, string $column): array
    {
        $rows = \Db::getInstance()->executeS(
            'SELECT id_module, id_shop, ' . $column . ' AS value FROM ps_' . $table . ' ORDER BY id_module, id_shop, value'
        );

        return array_map(static fn (array $row): array => [(int) $row['id_module'], (int) $row['id_shop'], (int) $row['value']], $rows);
    }
}
