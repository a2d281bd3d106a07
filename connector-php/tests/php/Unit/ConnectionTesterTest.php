<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Service\ConnectionTester;
use FulfillmentConnector\Service\ResponseClassifier;
use FulfillmentConnector\Tests\Double\FrozenClock;
use FulfillmentConnector\Tests\Double\ScriptedTransport;
use PHPUnit\Framework\TestCase;

/**
 * "Test connection": what each answer of the hub tells the operator.
 */
final class ConnectionTesterTest extends TestCase
{
    public function testHealthIsLookedForBesideTheApiThenUnderIt(): void
    {
        self::assertSame(['http://hub:8080/health', 'http://hub:8080/api/health'], ConnectionTester::healthUrls('http://hub:8080/api'));
        self::assertSame(['https://hub.example/v1/health'], ConnectionTester::healthUrls('https://hub.example/v1'));

        $http = new ScriptedTransport(new HttpResponse(404, ''), new HttpResponse(200, 'ok'), new HttpResponse(422, ''));
        $results = $this->tester($http)->test($this->settings(Role::Source));

        self::assertSame(['http://hub:8080/health', 'http://hub:8080/api/health', 'http://hub:8080/api/sync/product'], array_column($http->requests, 'url'));
        self::assertSame([true, true], array_column($results, 'ok'));
    }

    /**
     * @dataProvider probeAnswers
     */
    public function testTheProbeAnswerIsExplained(HttpResponse|TransportException $answer, bool $ok, string $message): void
    {
        $http = new ScriptedTransport(new HttpResponse(200, 'ok'), $answer);

        $probe = $this->tester($http)->test($this->settings(Role::Client))[1];

        self::assertSame($ok, $probe['ok']);
        self::assertStringContainsString($message, $probe['message']);
        self::assertSame('client-key-0123456789', $http->requests[1]['headers']['X-API-KEY']);
        self::assertSame('1', $http->requests[1]['headers']['X-Fulfillment-Probe']);
    }

    /**
     * @return array<string, array{HttpResponse|TransportException, bool, string}>
     */
    public function probeAnswers(): array
    {
        return [
            'authenticated' => [new HttpResponse(422, ''), true, 'API key accepted for the CLIENT role'],
            'bad key' => [new HttpResponse(401, '{"error":{"code":"unauthorized","message":"invalid API key"}}'), false, 'refused the API key: HTTP 401 unauthorized: invalid API key'],
            'wrong role' => [new HttpResponse(403, ''), false, 'not for a CLIENT store'],
            'accepted an empty event' => [new HttpResponse(202, ''), false, 'accepted an empty probe'],
            'down' => [new TransportException('curl error 7: Connection refused'), false, 'Hub unreachable: curl error 7'],
        ];
    }

    public function testNothingIsSentBeforeTheConnectorIsConfigured(): void
    {
        $http = new ScriptedTransport();

        $results = $this->tester($http)->test(new Settings('', '', '', null, ''));

        self::assertFalse($results[0]['ok']);
        self::assertSame([], $http->requests);
    }

    private function tester(ScriptedTransport $http): ConnectionTester
    {
        return new ConnectionTester($http, new FrozenClock(), new ResponseClassifier());
    }

    private function settings(Role $role): Settings
    {
        return new Settings('http://hub:8080/api', strtolower($role->value) . '-key-0123456789', '', $role, 'store');
    }
}
