<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Install\Installer;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\Uuid;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * The module's skeleton (identity, install, uninstall) and the token-protected cron controller.
 */
final class CronAndInstallTest extends ConnectorTestCase
{
    public function testModuleIdentityFollowsPrestaShopRules(): void
    {
        $module = $this->module();

        self::assertSame('fulfillment_connector', $module->name);
        self::assertMatchesRegularExpression('/^[a-zA-Z0-9_-]+$/', $module->name);
        self::assertSame('Event-Driven Fulfillment Connector', $module->displayName);
        self::assertSame(['min' => '8.0.0', 'max' => '9.99.99'], $module->ps_versions_compliancy);
        self::assertSame(0, $module->need_instance);
        self::assertTrue($module->bootstrap);
    }

    public function testInstallRegistersEveryHookTheModuleHandles(): void
    {
        \Db::getInstance()->execute('DROP TABLE ps_fulfillment_outbox');

        self::assertTrue($this->module()->install());

        self::assertSame(Installer::HOOKS, \Module::$registeredHooks);
        foreach (Installer::HOOKS as $hook) {
            self::assertTrue(method_exists(\Fulfillment_connector::class, 'hook' . ucfirst($hook)), $hook . ' has a handler');
        }
        $handlers = array_filter(get_class_methods(\Fulfillment_connector::class), static fn (string $m): bool => str_starts_with($m, 'hook'));
        self::assertCount(count(Installer::HOOKS), $handlers, 'no handler for an unregistered hook');
        self::assertSame([], \Db::getInstance()->rows(DbOutboxRepository::TABLE), 'the outbox table exists');
        self::assertSame(64, strlen((string) \Configuration::getGlobalValue(SettingsRepository::CRON_SECRET)));
    }

    public function testUninstallDropsTheOutboxAndTheSettings(): void
    {
        self::assertTrue($this->module()->install());
        $this->configure('SOURCE');

        self::assertTrue($this->module()->uninstall());

        self::assertFalse(\Db::getInstance()->executeS('SELECT * FROM ps_fulfillment_outbox'));
        foreach (SettingsRepository::ALL_KEYS as $key) {
            self::assertFalse(\Configuration::get($key), $key);
        }
    }

    /**
     * In a process of its own: the controller sends HTTP headers.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testCronRefusesAMissingOrWrongToken(): void
    {
        $this->configure('SOURCE');
        $this->givenAnEvent();

        foreach (['', 'wrong', (string) \Configuration::getGlobalValue(SettingsRepository::CRON_SECRET)] as $token) {
            $output = $this->runCron($token);
            self::assertSame('forbidden', json_decode($output, true)['error']['code'] ?? null, 'token "' . $token . '"');
            self::assertSame(403, http_response_code());
        }
        self::assertSame([], $this->http->requests);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testCronWithTheTokenDeliversDueEvents(): void
    {
        $this->configure('SOURCE');
        $this->givenAnEvent();
        $this->http->push($this->http::accepted());

        $output = json_decode($this->runCron((new SettingsRepository())->cronToken()), true);

        self::assertSame('ok', $output['status']);
        self::assertSame(1, $output['dispatch']['accepted']);
        self::assertSame(0, $output['pending']);
        self::assertCount(1, $this->http->requests);
    }

    public function testTheCronOfADisabledModuleRedirectsLikePrestaShop(): void
    {
        \Module::$instances = [];
        $this->module();
        \Tools::$requestValues = ['module' => 'fulfillment_connector', 'token' => (new SettingsRepository())->cronToken()];

        $this->expectException(\StubRequestEnded::class);
        $this->expectExceptionMessage('redirect to index');
        new \Fulfillment_ConnectorCronModuleFrontController();
    }

    private function runCron(string $token): string
    {
        \Module::$instances = [];
        // Installed and enabled: ModuleFrontController redirects to the home page otherwise.
        \Module::$installedIds['fulfillment_connector'] = 1;
        $module = $this->module();
        \Tools::$requestValues = ['module' => 'fulfillment_connector', 'token' => $token];
        $controller = new \Fulfillment_ConnectorCronModuleFrontController();
        self::assertSame($module, $controller->module);
        ob_start();
        $controller->postProcess();

        return (string) ob_get_clean();
    }

    private function givenAnEvent(): void
    {
        (new DbOutboxRepository(\Db::getInstance()))->add(
            new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 6, '{"id":6}', $this->clock->now()),
            $this->clock->now()
        );
    }
}
