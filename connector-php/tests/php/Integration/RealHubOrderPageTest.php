<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Integration;

use FulfillmentConnector\Http\CurlTransport;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Http\HttpTransport;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Tests\Support\RealHub;
use FulfillmentConnector\Tests\Support\RealHubTestCase;

/**
 * The order page panel of a CLIENT store against the real hub: the URL and the key header are the ones
 * the hub's GET /api/orders/{client_store}/{client_order_id} expects. (This hub has no Webservice for
 * its source store, so it never gets to replicate an order: the states it can answer here are "no such
 * order" and "key refused"; the other states are covered by OrderPageTest.)
 */
final class RealHubOrderPageTest extends RealHubTestCase
{
    /** @var list<HttpResponse> */
    private array $answers = [];

    public function testAnOrderTheHubHasNotSeenIsNotKnownAndTheRouteAndKeyMatched(): void
    {
        $hub = $this->startHub();
        $this->configureStore('CLIENT', $hub);

        self::assertNotSame('', $this->moduleSeeingTheAnswers()->hookDisplayAdminOrderSide(['id_order' => 42]));

        self::assertSame(['unknown', 404], $this->panelState());
        // The hub's route answered (not its "no such resource"), after authenticating the key.
        self::assertStringContainsString('no order 42 from store `retail-1`', $this->answers[0]->body);
        self::assertStringNotContainsString(RealHub::CLIENT_KEY, json_encode(\Context::getContext()->smarty->vars) . json_encode(\PrestaShopLogger::$logs));
    }

    public function testAWrongKeyIsShownAsRefused(): void
    {
        $hub = $this->startHub();
        $this->configureStore('CLIENT', $hub);
        \Configuration::updateValue(SettingsRepository::API_KEY, 'not-the-key-0123456789');

        $this->moduleSeeingTheAnswers()->hookDisplayAdminOrderSide(['id_order' => 42]);

        self::assertSame(['refused', 401], $this->panelState());
    }

    /**
     * The module of one request with the real curl transport, keeping the hub's answers for the test.
     */
    private function moduleSeeingTheAnswers(): \Fulfillment_connector
    {
        \Module::$instances = [];
        $answers = &$this->answers;

        return $this->module(new class (new CurlTransport(1000, 2000), $answers) implements HttpTransport {
            /**
             * @param list<HttpResponse> $answers
             */
            public function __construct(private readonly CurlTransport $curl, private array &$answers)
            {
            }

            public function request(string $method, string $url, array $headers = [], ?string $body = null): HttpResponse
            {
                return $this->answers[] = $this->curl->request($method, $url, $headers, $body);
            }
        });
    }

    /**
     * @return array{0: string, 1: ?int}
     */
    private function panelState(): array
    {
        $panel = \Context::getContext()->smarty->vars['fulfillment_order'];

        return [$panel['state'], $panel['http_status']];
    }
}
