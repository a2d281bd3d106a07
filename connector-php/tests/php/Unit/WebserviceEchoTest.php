<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Repository\WebserviceAccountRepository;
use FulfillmentConnector\Service\WebserviceEchoGuard;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * Changes written by the hub through this shop's Webservice are not sent back (no echo loop).
 */
final class WebserviceEchoTest extends ConnectorTestCase
{
    private const HUB_WS_KEY = 'HUBKEY0123456789ABCDEFGHIJKLMNOP';
    private const ERP_WS_KEY = 'ERPKEY0123456789ABCDEFGHIJKLMNOP';

    protected function setUp(): void
    {
        parent::setUp();
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (3, '" . self::HUB_WS_KEY . "', 'Fulfillment hub', 1)");
        \Db::getInstance()->execute("INSERT INTO ps_webservice_account VALUES (4, '" . self::ERP_WS_KEY . "', 'ERP', 1)");
        unset($_SERVER['PHP_AUTH_USER'], $_SERVER['HTTP_AUTHORIZATION'], $_SERVER['REDIRECT_HTTP_AUTHORIZATION']);
    }

    protected function tearDown(): void
    {
        unset($_SERVER['PHP_AUTH_USER'], $_SERVER['HTTP_AUTHORIZATION'], $_SERVER['REDIRECT_HTTP_AUTHORIZATION']);
        parent::tearDown();
    }

    /**
     * The real constant, as PrestaShop's webservice dispatcher defines it. A constant cannot be
     * undefined, hence a process of its own.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testNoEventIsProducedForTheHubsOwnWebserviceWritesInEitherRole(): void
    {
        define('_PS_API_IN_USE_', true);
        $_SERVER['PHP_AUTH_USER'] = self::HUB_WS_KEY;
        $this->configure('SOURCE');
        \Configuration::updateValue(SettingsRepository::HUB_WS_ACCOUNT, '3');
        $this->givenMugInCatalog();
        $stock = new \StockAvailable();
        $stock->id_product = 6;

        $this->module()->hookActionObjectStockAvailableUpdateAfter(['object' => $stock]);
        $this->module()->hookActionObjectProductUpdateAfter(['object' => new \Product(6)]);
        $this->endRequest();
        $this->configure('CLIENT');
        $this->givenOrder42();
        $this->module()->hookActionValidateOrder(['order' => new \Order(42)]);
        $this->endRequest();

        self::assertSame([], $this->outboxRows());
        self::assertSame([], $this->http->requests);
        self::assertSame([], $this->shutdownCallbacks);
    }

    /**
     * With no hub account chosen (a fresh install), an ERP's stock update through the Webservice
     * reaches the hub, and so does an order created through the Webservice on a retailer's store.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testWithNoHubAccountChosenWebserviceChangesAreSentInEitherRole(): void
    {
        define('_PS_API_IN_USE_', true);
        $_SERVER['PHP_AUTH_USER'] = self::ERP_WS_KEY;
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $stock = new \StockAvailable();
        $stock->id_product = 6;
        $this->http->push($this->http::accepted(), $this->http::accepted());

        $this->module()->hookActionObjectStockAvailableUpdateAfter(['object' => $stock]);
        $this->endRequest();
        $this->configure('CLIENT');
        $this->givenOrder42();
        $this->module()->hookActionValidateOrder(['order' => new \Order(42)]);
        $this->endRequest();

        self::assertSame(['product', 'order'], array_column($this->outboxRows(), 'event_type'));
        self::assertSame(
            ['http://hub:8080/api/sync/product', 'http://hub:8080/api/sync/order'],
            array_column($this->http->requests, 'url')
        );
    }

    public function testOutsideTheWebserviceChangesAreNotSuppressed(): void
    {
        $this->configure('SOURCE');

        self::assertFalse(defined('_PS_API_IN_USE_'));
        self::assertFalse($this->guard(null)->isHubWrite());
    }

    public function testByDefaultNoWebserviceWriteIsSuppressed(): void
    {
        $this->configure('SOURCE');

        self::assertFalse($this->guard(self::ERP_WS_KEY, true)->isHubWrite(), 'nothing configured: an ERP write is sent');
        self::assertFalse($this->guard(self::HUB_WS_KEY, true)->isHubWrite(), 'nothing configured: nothing is suppressed');
        \Configuration::updateValue(SettingsRepository::HUB_WS_ACCOUNT, '0');
        self::assertFalse($this->guard(self::ERP_WS_KEY, true)->isHubWrite(), 'a stored 0 is "none"');
    }

    public function testAChosenAccountThatWasDeletedSuppressesNothing(): void
    {
        $this->configure('SOURCE');
        \Configuration::updateValue(SettingsRepository::HUB_WS_ACCOUNT, '3');
        \Db::getInstance()->execute('DELETE FROM ps_webservice_account WHERE id_webservice_account = 3');

        self::assertFalse($this->guard(self::HUB_WS_KEY, true)->isHubWrite());
        self::assertFalse($this->guard(self::ERP_WS_KEY, true)->isHubWrite());
    }

    public function testWithTheHubAccountConfiguredOnlyItsWritesAreSuppressed(): void
    {
        $this->configure('SOURCE');
        \Configuration::updateValue(SettingsRepository::HUB_WS_ACCOUNT, '3');

        self::assertTrue($this->guard(self::HUB_WS_KEY, true)->isHubWrite(), 'the hub writing stock must not echo');
        self::assertFalse($this->guard(self::ERP_WS_KEY, true)->isHubWrite(), 'an ERP writing stock is a real change');
        self::assertTrue($this->guard(null, true)->isHubWrite(), 'an unknown key is treated as the hub');
    }

    public function testTheRequestKeyIsFoundWhereTheWebserviceDispatcherLooksForIt(): void
    {
        self::assertNull(WebserviceEchoGuard::requestKeyFromGlobals());

        \Tools::$requestValues['ws_key'] = self::ERP_WS_KEY;
        self::assertSame(self::ERP_WS_KEY, WebserviceEchoGuard::requestKeyFromGlobals());

        $_SERVER['REDIRECT_HTTP_AUTHORIZATION'] = 'Basic ' . base64_encode(self::HUB_WS_KEY . ':');
        self::assertSame(self::HUB_WS_KEY, WebserviceEchoGuard::requestKeyFromGlobals());

        $_SERVER['PHP_AUTH_USER'] = self::ERP_WS_KEY;
        self::assertSame(self::ERP_WS_KEY, WebserviceEchoGuard::requestKeyFromGlobals());
    }

    private function guard(?string $key, bool $apiInUse = false): WebserviceEchoGuard
    {
        return new WebserviceEchoGuard(
            new SettingsRepository(),
            new WebserviceAccountRepository(\Db::getInstance()),
            static fn (): bool => $apiInUse,
            static fn (): ?string => $key
        );
    }
}
