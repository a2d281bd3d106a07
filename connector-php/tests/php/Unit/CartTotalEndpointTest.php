<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Http\JsonResponse;
use FulfillmentConnector\Http\RequestHeaders;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * `GET …&controller=carttotal&id_cart=N` (decision 0004): the source shop's own cart total, for the
 * hub's `POST /api/orders`. Authentication, role, the answers and their exact bodies, rounding.
 */
final class CartTotalEndpointTest extends ConnectorTestCase
{
    /** The decision's example: cart 7, 45.12 € excl. tax, 54.14 € incl. tax, free shipping. */
    private const DECISION_EXAMPLE = '{"id_cart":7,"id_currency":1,"currency":"EUR","total_paid_tax_incl":"54.14",'
        . '"total_products_tax_excl":"45.12","total_products_tax_incl":"54.14","total_shipping_tax_incl":"0.00"}';

    protected function setUp(): void
    {
        parent::setUp();
        $this->configure('SOURCE');
        $this->givenCart(7, ['1-3' => 54.144, '0-1' => 45.12, '1-1' => 54.144, '1-5' => 0.0]);
    }

    public function testAnswersTheDecisionsBodyForASignedRequestWithTheKey(): void
    {
        $response = $this->call('7', self::API_KEY, $this->sign('7'));

        self::assertSame(200, $response->status);
        self::assertSame(self::DECISION_EXAMPLE, $response->json());
    }

    public function testTheTotalIsGetOrderTotalBothWithTaxesComputedInTheContextValidateOrderUses(): void
    {
        $context = \Context::getContext();
        $shopperCurrency = new \Currency(2);
        $context->currency = $shopperCurrency;

        $this->call('7', self::API_KEY, $this->sign('7'));

        $calls = \Cart::$totalCalls;
        self::assertSame(
            [[true, \Cart::BOTH], [false, \Cart::ONLY_PRODUCTS], [true, \Cart::ONLY_PRODUCTS], [true, \Cart::ONLY_SHIPPING]],
            array_map(static fn (array $c): array => [$c['with_taxes'], $c['type']], $calls)
        );
        foreach ($calls as $call) {
            self::assertSame(
                ['id_cart' => 7, 'id_currency' => 1, 'id_customer' => 3, 'tax_method_set' => true],
                array_intersect_key($call, array_flip(['id_cart', 'id_currency', 'id_customer', 'tax_method_set']))
            );
        }
        self::assertSame($shopperCurrency, $context->currency, 'the Context is restored');
        self::assertNull($context->cart);
        self::assertNull($context->customer);
    }

    /**
     * @dataProvider amounts
     */
    public function testAmountsAreRoundedToTheCurrencyPrecisionAndWrittenWithItsDecimals(float $amount, ?int $precision, string $expected): void
    {
        \ObjectModel::$rows[\Currency::class][1] = ['iso_code' => 'EUR', 'precision' => $precision];
        \Cart::$totals[7] = ['1-3' => $amount, '0-1' => $amount, '1-1' => $amount, '1-5' => $amount];

        $body = $this->call('7', self::API_KEY, $this->sign('7'))->body;

        foreach (['total_paid_tax_incl', 'total_products_tax_excl', 'total_products_tax_incl', 'total_shipping_tax_incl'] as $field) {
            self::assertSame($expected, $body[$field], $field);
        }
    }

    /**
     * @return array<string, array{float, ?int, string}>
     */
    public static function amounts(): array
    {
        return [
            'two decimals' => [54.14, 2, '54.14'],
            'rounded down' => [54.144999, 2, '54.14'],
            'half up' => [54.145, 2, '54.15'],
            'float noise (1.005)' => [1.005, 2, '1.01'],
            'float sum (0.1 + 0.2)' => [0.1 + 0.2, 2, '0.30'],
            'zero' => [0.0, 2, '0.00'],
            'integer' => [100.0, 2, '100.00'],
            'no thousands separator' => [12345.678, 2, '12345.68'],
            'zero precision (JPY)' => [1234.5, 0, '1235'],
            'three decimals' => [12.3456, 3, '12.346'],
            'currency without precision: 2' => [9.999, null, '10.00'],
            'negative zero is zero' => [-0.001, 2, '0.00'],
        ];
    }

    public function testCurrencyAndIdsComeFromTheCart(): void
    {
        \ObjectModel::$rows[\Currency::class][2] = ['iso_code' => 'USD', 'precision' => 2];
        \ObjectModel::$rows[\Cart::class][7]['id_currency'] = 2;

        $body = $this->call('7', self::API_KEY, $this->sign('7'))->body;

        self::assertSame([7, 2, 'USD'], [$body['id_cart'], $body['id_currency'], $body['currency']]);
    }

    public function testWithoutASigningSecretTheKeyAloneAuthenticates(): void
    {
        $this->configure('SOURCE', 'http://hub:8080/api', '');

        self::assertSame(200, $this->call('7', self::API_KEY, null)->status);
        self::assertSame(401, $this->call('7', 'wrong-key-0123456789', null)->status);
    }

    /**
     * @dataProvider badKeys
     */
    public function testAMissingOrWrongKeyIsUnauthorized(?string $key): void
    {
        $response = $this->call('7', $key, $this->sign('7'));

        self::assertSame([401, '{"error":"unauthorized"}'], [$response->status, $response->json()]);
        self::assertSame([], \Cart::$totalCalls, 'nothing is read before authentication');
    }

    /**
     * @return array<string, array{?string}>
     */
    public static function badKeys(): array
    {
        return [
            'missing' => [null],
            'empty' => [''],
            'wrong' => ['source-key-0123456780'],
            'prefix' => [substr(self::API_KEY, 0, -1)],
            'longer' => [self::API_KEY . 'x'],
            'other case' => [strtoupper(self::API_KEY)],
            'with spaces' => [' ' . self::API_KEY],
            'the signing secret' => [self::SIGNING_SECRET],
        ];
    }

    public function testAnUnconfiguredKeyNeverAuthenticates(): void
    {
        \Configuration::updateValue(SettingsRepository::API_KEY, '');
        \Configuration::updateValue(SettingsRepository::SIGNING_SECRET, '');

        self::assertSame(401, $this->call('7', '', null)->status);
        self::assertSame(401, $this->call('7', null, null)->status);
    }

    /**
     * @dataProvider badSignatures
     */
    public function testAMissingBadOrStaleSignatureIsUnauthorized(callable $signature): void
    {
        $response = $this->call('7', self::API_KEY, $signature($this));

        self::assertSame([401, '{"error":"unauthorized"}'], [$response->status, $response->json()]);
        self::assertSame([], \Cart::$totalCalls);
    }

    /**
     * @return array<string, array{callable(self): ?string}>
     */
    public static function badSignatures(): array
    {
        return [
            'missing' => [static fn (self $t): ?string => null],
            'empty' => [static fn (self $t): ?string => ''],
            'garbage' => [static fn (self $t): ?string => 'garbage'],
            'no timestamp' => [static fn (self $t): ?string => 'v1=' . hash_hmac('sha256', $t->now() . '.id_cart=7', self::SIGNING_SECRET)],
            'no v1' => [static fn (self $t): ?string => 't=' . $t->now()],
            'other cart' => [static fn (self $t): ?string => $t->sign('8')],
            'other secret' => [static fn (self $t): ?string => $t->sign('7', 0, 'another-secret-0123')],
            'the body format of events' => [static fn (self $t): ?string => $t->sign('{"id_cart":7}')],
            'without the id_cart= prefix' => [static fn (self $t): ?string => 't=' . $t->now() . ',v1=' . hash_hmac('sha256', $t->now() . '.7', self::SIGNING_SECRET)],
            'timestamp changed' => [static fn (self $t): ?string => str_replace('t=' . $t->now(), 't=' . ($t->now() + 1), $t->sign('7'))],
            'truncated digest' => [static fn (self $t): ?string => substr($t->sign('7'), 0, -1)],
            'stale (301 s old)' => [static fn (self $t): ?string => $t->sign('7', -301)],
            'from the future (301 s)' => [static fn (self $t): ?string => $t->sign('7', 301)],
            'negative timestamp' => [static fn (self $t): ?string => 't=-1,v1=' . hash_hmac('sha256', '-1.id_cart=7', self::SIGNING_SECRET)],
        ];
    }

    public function testASignatureWithinTheWindowIsAccepted(): void
    {
        foreach ([-300, -1, 0, 1, 300] as $skew) {
            self::assertSame(200, $this->call('7', self::API_KEY, $this->sign('7', $skew))->status, 'skew ' . $skew);
        }
        // As the hub parses it: upper-case hex, spaces, extra parts and several v1 are fine.
        $digest = hash_hmac('sha256', $this->now() . '.id_cart=7', self::SIGNING_SECRET);
        foreach (
            [
                't=' . $this->now() . ',v1=' . strtoupper($digest),
                ' t=' . $this->now() . ' , v1=' . $digest . ' ',
                'v1=' . $digest . ',t=' . $this->now(),
                't=' . $this->now() . ',v0=abc,v1=' . str_repeat('0', 64) . ',v1=' . $digest,
            ] as $header
        ) {
            self::assertSame(200, $this->call('7', self::API_KEY, $header)->status, $header);
        }
    }

    public function testOnlyTheSourceRoleAnswers(): void
    {
        $this->configure('CLIENT');

        $response = $this->call('7', self::API_KEY, $this->sign('7'));

        self::assertSame([403, '{"error":"not_source"}'], [$response->status, $response->json()]);
        self::assertSame([], \Cart::$totalCalls);
    }

    public function testAnUnconfiguredModuleIsNotASource(): void
    {
        \Configuration::reset();

        $response = $this->call('7', self::API_KEY, null);

        self::assertSame([403, '{"error":"not_source"}'], [$response->status, $response->json()]);
    }

    /**
     * @dataProvider badIds
     */
    public function testAnIdCartThatIsNotAPositiveIntegerIsABadRequest(mixed $idCart): void
    {
        $raw = is_string($idCart) || is_int($idCart) ? (string) $idCart : '';

        $response = $this->call($idCart, self::API_KEY, $this->sign($raw));

        self::assertSame([400, '{"error":"invalid_id_cart"}'], [$response->status, $response->json()]);
    }

    /**
     * @return array<string, array{mixed}>
     */
    public static function badIds(): array
    {
        return [
            'missing' => [null],
            'empty' => [''],
            'zero' => ['0'],
            'negative' => ['-7'],
            'leading zero' => ['07'],
            'plus sign' => ['+7'],
            'decimal' => ['7.0'],
            'exponent' => ['7e0'],
            'text' => ['seven'],
            'trailing space' => ['7 '],
            'array' => [['7']],
            'above INT UNSIGNED' => ['4294967296'],
            'eleven digits' => ['10000000000'],
        ];
    }

    public function testTheLargestCartIdIsValid(): void
    {
        self::assertSame(404, $this->call('4294967295', self::API_KEY, $this->sign('4294967295'))->status);
        self::assertSame(200, $this->call(7, self::API_KEY, $this->sign('7'))->status, 'an int, as from a test or a hook');
    }

    public function testAnUnknownCartIsNotFound(): void
    {
        $response = $this->call('8', self::API_KEY, $this->sign('8'));

        self::assertSame([404, '{"error":"cart_not_found"}'], [$response->status, $response->json()]);
    }

    public function testACartAlreadyOrderedIsAConflictNamingTheOrder(): void
    {
        \Order::$idsByCart[7] = 12;

        $response = $this->call('7', self::API_KEY, $this->sign('7'));

        self::assertSame([409, '{"error":"cart_already_ordered","id_order":12}'], [$response->status, $response->json()]);
        $this->givenCart(9, ['1-3' => 10.0]);
        self::assertSame(200, $this->call('9', self::API_KEY, $this->sign('9'))->status, 'another cart is unaffected');
    }

    public function testTheKeyAndTheSecretAreNeverInAnAnswerOrALog(): void
    {
        \Order::$idsByCart[7] = 12;
        $answers = [
            $this->call('7', self::API_KEY, $this->sign('7')),
            $this->call('7', 'wrong', $this->sign('7')),
            $this->call('7', self::API_KEY, 'garbage'),
            $this->call('x', self::API_KEY, $this->sign('x')),
        ];

        $everything = implode("\n", array_map(static fn (JsonResponse $r): string => $r->json(), $answers))
            . json_encode(\PrestaShopLogger::$logs) . $this->logger->text();
        self::assertStringNotContainsString(self::API_KEY, $everything);
        self::assertStringNotContainsString(self::SIGNING_SECRET, $everything);
    }

    public function testHeadersAreReadAsPhpExposesThem(): void
    {
        $server = ['HTTP_X_API_KEY' => 'k', 'HTTP_X_HUB_SIGNATURE' => 't=1,v1=ab', 'HTTP_X_ARRAY' => ['x']];

        self::assertSame('k', RequestHeaders::get($server, 'X-API-KEY'));
        self::assertSame('k', RequestHeaders::get($server, 'x-api-key'));
        self::assertSame('t=1,v1=ab', RequestHeaders::get($server, 'X-Hub-Signature'));
        self::assertNull(RequestHeaders::get($server, 'X-Missing'));
        self::assertNull(RequestHeaders::get($server, 'X-Array'));
    }

    /**
     * Through the front controller, as PrestaShop's Dispatcher runs it. In a process of its own: the
     * controller sends HTTP headers.
     *
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testTheFrontControllerAnswersJsonOnly(): void
    {
        // The Dispatcher loads "<module name><controller>ModuleFrontController" (class names ignore case).
        self::assertTrue(class_exists('fulfillment_connector' . 'carttotal' . 'ModuleFrontController'));

        [$status, $output] = $this->runController(['id_cart' => '7'], ['HTTP_X_API_KEY' => self::API_KEY, 'HTTP_X_HUB_SIGNATURE' => $this->sign('7')]);
        self::assertSame([200, self::DECISION_EXAMPLE], [$status, $output]);

        [$status, $output] = $this->runController(['id_cart' => '7'], ['HTTP_X_API_KEY' => 'wrong']);
        self::assertSame([401, '{"error":"unauthorized"}'], [$status, $output]);

        [$status, $output] = $this->runController(['id_cart' => '8'], ['HTTP_X_API_KEY' => self::API_KEY, 'HTTP_X_HUB_SIGNATURE' => $this->sign('8')]);
        self::assertSame([404, '{"error":"cart_not_found"}'], [$status, $output]);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testTheFrontControllerDropsStrayOutputAndRendersNoTheme(): void
    {
        [$status, $output, $controller] = $this->runController(
            ['id_cart' => '7'],
            ['HTTP_X_API_KEY' => self::API_KEY, 'HTTP_X_HUB_SIGNATURE' => $this->sign('7')],
            'Notice: something upstream' . "\xEF\xBB\xBF"
        );

        self::assertSame([200, self::DECISION_EXAMPLE], [$status, $output]);
        self::assertTrue($controller->ajax);
        $controller->initContent();
        self::assertSame([], \Context::getContext()->smarty->vars, 'initContent assigns nothing');
    }

    public function sign(string $rawIdCart, int $skew = 0, string $secret = self::SIGNING_SECRET): string
    {
        $t = $this->now() + $skew;

        return 't=' . $t . ',v1=' . hash_hmac('sha256', $t . '.id_cart=' . $rawIdCart, $secret);
    }

    public function now(): int
    {
        return $this->clock->now()->getTimestamp();
    }

    private function call(mixed $idCart, ?string $key, ?string $signature): JsonResponse
    {
        return $this->module()->connector()->cartTotalEndpoint()->handle($idCart, $key, $signature);
    }

    /**
     * Cart `$id` of customer 3 in EUR (precision 2), with these getOrderTotal results.
     *
     * @param array<string, float> $totals "<1 with taxes|0>-<Cart::type>" => amount
     */
    private function givenCart(int $id, array $totals): void
    {
        \ObjectModel::$rows[\Cart::class][$id] = ['id_currency' => 1, 'id_customer' => 3, 'id_lang' => 1];
        \ObjectModel::$rows[\Customer::class][3] = ['email' => 'b2b@retailer.example', 'secure_key' => 'b44a6d9e'];
        \ObjectModel::$rows[\Currency::class][1] = ['iso_code' => 'EUR', 'precision' => 2];
        \ObjectModel::$rows[\Currency::class][2] = ['iso_code' => 'USD', 'precision' => 2];
        \Cart::$totals[$id] = $totals;
    }

    /**
     * @param array<string, mixed> $query
     * @param array<string, string> $headers $_SERVER entries
     *
     * @return array{int, string, \Fulfillment_ConnectorCarttotalModuleFrontController}
     */
    private function runController(array $query, array $headers, string $strayOutput = ''): array
    {
        \Module::$instances = [];
        // Installed and enabled, as on the hub's shops: ModuleFrontController redirects otherwise.
        \Module::$installedIds['fulfillment_connector'] = 1;
        $module = $this->module();
        \Tools::$requestValues = ['module' => 'fulfillment_connector', 'controller' => 'carttotal'] + $query;
        $saved = $_SERVER;
        $_SERVER = $headers + $_SERVER;
        try {
            $controller = new \Fulfillment_ConnectorCarttotalModuleFrontController();
            self::assertSame($module, $controller->module);
            ob_start();
            echo $strayOutput;
            $controller->postProcess();
            $output = (string) ob_get_clean();
        } finally {
            $_SERVER = $saved;
        }

        return [(int) http_response_code(), $output, $controller];
    }
}
