<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Model\DeliveryOutcome;
use FulfillmentConnector\Service\HubSignature;
use FulfillmentConnector\Service\ResponseClassifier;
use FulfillmentConnector\Service\RetryPolicy;
use PHPUnit\Framework\TestCase;

/**
 * The signature against vectors computed independently, the retry schedule, and response classes.
 */
final class SigningAndRetryTest extends TestCase
{
    public function testSignatureMatchesOpensslVectors(): void
    {
        // printf '%s' "1700000000.{}" | openssl dgst -sha256 -hmac secret
        self::assertSame(
            't=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163',
            HubSignature::header('secret', 1700000000, '{}')
        );
        // printf '%s' '1700000000.{"event_id":"0b5b6f0e-8d1c-4a39-9d0e-3f7f0c2a9b11"}' | openssl dgst -sha256 -hmac whsec-0123456789abcdef
        self::assertSame(
            'f7efc98520472a14024bce9012af0533db10f7008efe57b0c78d6ad7cade803e',
            HubSignature::digest('whsec-0123456789abcdef', 1700000000, '{"event_id":"0b5b6f0e-8d1c-4a39-9d0e-3f7f0c2a9b11"}')
        );
    }

    public function testBackoffDoublesFrom15SecondsUpToOneHour(): void
    {
        $policy = new RetryPolicy(15, 3600, 72, 0.0);

        $schedule = array_map(static fn (int $n): int => $policy->delayAfter($n), range(1, 11));

        self::assertSame([15, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600], $schedule);
        self::assertSame(3600, $policy->delayAfter(500), 'no overflow for large attempt counts');
    }

    public function testJitterOnlyAddsUpToTenPercent(): void
    {
        $max = new RetryPolicy(15, 3600, 72, 0.1, static fn (): float => 1.0);
        $min = new RetryPolicy(15, 3600, 72, 0.1, static fn (): float => 0.0);

        self::assertSame([66, 3960], [$max->delayAfter(3), $max->delayAfter(20)]);
        self::assertSame([60, 3600], [$min->delayAfter(3), $min->delayAfter(20)]);
    }

    public function testRetryAfterIsHonouredButCappedAtTheMaximumDelay(): void
    {
        $policy = new RetryPolicy(15, 3600, 72, 0.0);

        self::assertSame(120, $policy->delayAfter(1, 120));
        self::assertSame(60, $policy->delayAfter(3, 5), 'a shorter Retry-After does not shorten the backoff');
        self::assertSame(3600, $policy->delayAfter(1, 86400));
    }

    public function testAttemptsAreBounded(): void
    {
        $policy = new RetryPolicy();

        self::assertTrue($policy->mayRetry(71));
        self::assertFalse($policy->mayRetry(72));
        // The default schedule covers a long weekend before giving up.
        $total = array_sum(array_map(static fn (int $n): int => (new RetryPolicy(15, 3600, 72, 0.0))->delayAfter($n), range(1, 71)));
        self::assertGreaterThan(60 * 3600, $total);
    }

    /**
     * @dataProvider classifications
     *
     * @param array<string, string> $headers
     */
    public function testResponsesAreClassified(int $status, string $body, array $headers, string $kind, ?int $retryAfter): void
    {
        $outcome = (new ResponseClassifier())->classify(new HttpResponse($status, $body, $headers));

        self::assertSame([$kind, $retryAfter], [$outcome->kind, $outcome->retryAfterSeconds]);
    }

    /**
     * @return array<string, array{int, string, array<string, string>, string, ?int}>
     */
    public function classifications(): array
    {
        return [
            '202 queued' => [202, '{"event_id":"x","status":"queued"}', [], DeliveryOutcome::ACCEPTED, null],
            '202 duplicate' => [202, '{"event_id":"x","status":"duplicate"}', [], DeliveryOutcome::ACCEPTED, null],
            '301' => [301, '', ['location' => 'https://hub/api/sync/product'], DeliveryOutcome::PERMANENT, null],
            '401' => [401, '{"error":{"code":"unauthorized","message":"bad key"}}', [], DeliveryOutcome::PERMANENT, null],
            '404' => [404, '', [], DeliveryOutcome::PERMANENT, null],
            '408' => [408, '', [], DeliveryOutcome::RETRY, null],
            '422' => [422, '{}', [], DeliveryOutcome::PERMANENT, null],
            '429 with Retry-After' => [429, '', ['retry-after' => '30'], DeliveryOutcome::RETRY, 30],
            '503 with Retry-After' => [503, '', ['retry-after' => '5'], DeliveryOutcome::RETRY, 5],
            '500' => [500, '<html>oops</html>', [], DeliveryOutcome::RETRY, null],
        ];
    }

    public function testErrorsDescribeTheHubsMessageWithoutHtml(): void
    {
        $classifier = new ResponseClassifier();

        self::assertSame('HTTP 502: Bad Gateway nginx', $classifier->describe(new HttpResponse(502, "<html><h1>Bad Gateway</h1>\n<hr>nginx</html>")));
        self::assertSame(
            'HTTP 301 redirect to https://hub/api/sync/product (fix the hub API URL)',
            $classifier->describe(new HttpResponse(301, '', ['location' => 'https://hub/api/sync/product']))
        );
    }
}
