<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector;

use FulfillmentConnector\Clock\Clock;
use FulfillmentConnector\Clock\SystemClock;
use FulfillmentConnector\Form\ConfigurationForm;
use FulfillmentConnector\Form\ConfigurationPage;
use FulfillmentConnector\Hook\DispatcherHooks;
use FulfillmentConnector\Hook\OrderHooks;
use FulfillmentConnector\Hook\OrderPageHooks;
use FulfillmentConnector\Hook\OrderStatusHooks;
use FulfillmentConnector\Hook\ProductHooks;
use FulfillmentConnector\Http\CurlTransport;
use FulfillmentConnector\Http\HttpTransport;
use FulfillmentConnector\Install\Installer;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\CartRepository;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\OrderRepository;
use FulfillmentConnector\Repository\OrderStatusRepository;
use FulfillmentConnector\Repository\OutboxRepository;
use FulfillmentConnector\Repository\ProductRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Repository\WebserviceAccountRepository;
use FulfillmentConnector\Service\AfterResponseRunner;
use FulfillmentConnector\Service\CartTotalEndpoint;
use FulfillmentConnector\Service\ConnectionTester;
use FulfillmentConnector\Service\CronRunner;
use FulfillmentConnector\Service\EventFlusher;
use FulfillmentConnector\Service\EventGate;
use FulfillmentConnector\Service\HubOrderLookup;
use FulfillmentConnector\Service\Logger;
use FulfillmentConnector\Service\OrderPayloadBuilder;
use FulfillmentConnector\Service\OrderStatusPayloadBuilder;
use FulfillmentConnector\Service\OutboxDispatcher;
use FulfillmentConnector\Service\PrestaShopLog;
use FulfillmentConnector\Service\ProductPayloadBuilder;
use FulfillmentConnector\Service\ResponseClassifier;
use FulfillmentConnector\Service\RetryPolicy;
use FulfillmentConnector\Service\StatusReport;
use FulfillmentConnector\Service\WebserviceEchoGuard;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The composition root: builds each service once, on first use, from PrestaShop's Db, Configuration
 * and Context. Tests pass their own clock, HTTP transport, outbox and end-of-request hooks.
 */
final class ConnectorFactory
{
    /** @var array<string, object> */
    private array $services = [];

    private ?HttpTransport $injectedHttp;

    /** @var (callable(): bool)|null */
    private $finishResponse;

    /** @var (callable(callable): void)|null */
    private $registerShutdown;

    /** @var (callable(): bool)|null */
    private $canFinishEarly;

    /**
     * @param (callable(): bool)|null $finishResponse
     * @param (callable(callable): void)|null $registerShutdown
     * @param (callable(): bool)|null $canFinishEarly
     */
    public function __construct(
        private readonly \Module $module,
        ?Clock $clock = null,
        ?HttpTransport $http = null,
        ?OutboxRepository $outbox = null,
        ?Logger $logger = null,
        ?callable $finishResponse = null,
        ?callable $registerShutdown = null,
        ?callable $canFinishEarly = null,
    ) {
        $this->services = array_filter([
            Clock::class => $clock,
            HttpTransport::class => $http,
            OutboxRepository::class => $outbox,
            Logger::class => $logger,
        ]);
        $this->injectedHttp = $http;
        $this->finishResponse = $finishResponse;
        $this->registerShutdown = $registerShutdown;
        $this->canFinishEarly = $canFinishEarly;
    }

    public function clock(): Clock
    {
        return $this->once(Clock::class, static fn (): Clock => new SystemClock());
    }

    public function http(): HttpTransport
    {
        return $this->once(HttpTransport::class, fn (): HttpTransport => new CurlTransport(
            2000,
            3000,
            'fulfillment_connector/' . $this->module->version . ' PrestaShop/' . _PS_VERSION_
        ));
    }

    public function outbox(): OutboxRepository
    {
        return $this->once(OutboxRepository::class, static fn (): OutboxRepository => new DbOutboxRepository(\Db::getInstance()));
    }

    public function logger(): Logger
    {
        return $this->once(Logger::class, static fn (): Logger => new PrestaShopLog());
    }

    public function settings(): SettingsRepository
    {
        return $this->once(SettingsRepository::class, static fn (): SettingsRepository => new SettingsRepository());
    }

    public function installer(): Installer
    {
        return new Installer(\Db::getInstance(), $this->settings());
    }

    public function productHooks(): ProductHooks
    {
        return $this->once(ProductHooks::class, fn (): ProductHooks => new ProductHooks(
            $this->gate(),
            $this->clock(),
            $this->afterResponse(),
            $this->productRepository(),
            static fn (): int => (int) \Configuration::get('PS_LANG_DEFAULT')
        ));
    }

    public function orderHooks(): OrderHooks
    {
        return $this->once(OrderHooks::class, fn (): OrderHooks => new OrderHooks($this->gate(), $this->clock(), $this->afterResponse()));
    }

    /**
     * SOURCE: state and tracking changes of the orders the hub created.
     */
    public function orderStatusHooks(): OrderStatusHooks
    {
        return $this->once(OrderStatusHooks::class, fn (): OrderStatusHooks => new OrderStatusHooks(
            $this->gate(),
            $this->clock(),
            $this->afterResponse(),
            $this->orderStatusRepository()
        ));
    }

    /**
     * The order page panel asks the hub while the page renders: its transport gives up after 1 s to
     * connect and 2 s in all, whatever the delivery timeouts are (tests pass their own transport).
     */
    public function orderPageHooks(): OrderPageHooks
    {
        return $this->once(OrderPageHooks::class, fn (): OrderPageHooks => new OrderPageHooks(
            $this->module,
            \Context::getContext(),
            $this->settings(),
            new HubOrderLookup($this->injectedHttp ?? new CurlTransport(
                1000,
                2000,
                'fulfillment_connector/' . $this->module->version . ' PrestaShop/' . _PS_VERSION_
            ))
        ));
    }

    public function dispatcherHooks(): DispatcherHooks
    {
        return $this->once(DispatcherHooks::class, fn (): DispatcherHooks => new DispatcherHooks(
            $this->settings(),
            $this->clock(),
            $this->afterResponse()
        ));
    }

    public function dispatcher(): OutboxDispatcher
    {
        return $this->once(OutboxDispatcher::class, fn (): OutboxDispatcher => new OutboxDispatcher(
            $this->outbox(),
            $this->http(),
            $this->clock(),
            new RetryPolicy(),
            new ResponseClassifier(),
            $this->logger(),
            fn (int $idShop): Settings => $this->settings()->load($idShop)
        ));
    }

    public function afterResponse(): AfterResponseRunner
    {
        return $this->once(AfterResponseRunner::class, fn (): AfterResponseRunner => new AfterResponseRunner(
            $this->flusher(),
            $this->dispatcher(),
            $this->outbox(),
            $this->clock(),
            $this->logger(),
            $this->finishResponse,
            $this->registerShutdown,
            $this->canFinishEarly
        ));
    }

    public function flusher(): EventFlusher
    {
        return $this->once(EventFlusher::class, fn (): EventFlusher => new EventFlusher(
            $this->productRepository(),
            new OrderRepository(),
            new ProductPayloadBuilder(),
            new OrderPayloadBuilder(),
            $this->orderStatusRepository(),
            new OrderStatusPayloadBuilder(),
            $this->outbox(),
            $this->clock(),
            $this->logger(),
            static fn (): int => (int) \Context::getContext()->shop->id,
            static fn (): int => (int) \Configuration::get('PS_LANG_DEFAULT')
        ));
    }

    public function cronRunner(): CronRunner
    {
        return new CronRunner($this->settings(), $this->dispatcher(), $this->outbox(), $this->clock());
    }

    public function cartTotalEndpoint(): CartTotalEndpoint
    {
        return new CartTotalEndpoint($this->settings(), new CartRepository(), $this->clock());
    }

    public function connectionTester(): ConnectionTester
    {
        return new ConnectionTester($this->http(), $this->clock(), new ResponseClassifier());
    }

    public function configurationPage(): ConfigurationPage
    {
        // Module::trans is protected: from outside the module class, PrestaShop modules go through the
        // (public) translator. Module::trans in 8.x also escapes the result for HTML (9.0 no longer
        // does); the page's messages are inserted as HTML, so escape them the same way on every version.
        /** @var \PrestaShopBundle\Translation\TranslatorComponent $translator */
        $translator = $this->module->getTranslator();
        $translate = static fn (string $text, array $params = []): string => htmlspecialchars(
            (string) $translator->trans($text, $params, 'Modules.Fulfillmentconnector.Admin'),
            ENT_NOQUOTES
        );

        return new ConfigurationPage(
            $this->module,
            \Context::getContext(),
            $this->settings(),
            new ConfigurationForm($this->settings(), $this->webserviceAccounts(), $translate),
            $this->connectionTester(),
            $this->outbox(),
            $this->dispatcher(),
            new StatusReport($this->outbox(), $this->clock(), $this->webserviceAccounts(), $translate),
            $this->clock(),
            $translate
        );
    }

    private function gate(): EventGate
    {
        return $this->once(EventGate::class, fn (): EventGate => new EventGate(
            $this->settings(),
            new WebserviceEchoGuard($this->settings(), $this->webserviceAccounts())
        ));
    }

    private function productRepository(): ProductRepository
    {
        return $this->once(ProductRepository::class, static fn (): ProductRepository => new ProductRepository());
    }

    private function orderStatusRepository(): OrderStatusRepository
    {
        return $this->once(OrderStatusRepository::class, static fn (): OrderStatusRepository => new OrderStatusRepository());
    }

    private function webserviceAccounts(): WebserviceAccountRepository
    {
        return $this->once(WebserviceAccountRepository::class, static fn (): WebserviceAccountRepository => new WebserviceAccountRepository(\Db::getInstance()));
    }

    /**
     * @template T of object
     *
     * @param class-string<T> $id
     * @param callable(): T $build
     *
     * @return T
     */
    private function once(string $id, callable $build): object
    {
        return $this->services[$id] ??= $build();
    }
}
