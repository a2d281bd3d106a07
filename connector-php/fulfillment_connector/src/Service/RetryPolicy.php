<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Service;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Exponential backoff for retryable delivery failures.
 *
 * After the n-th failed attempt the next one waits base * 2^(n-1) seconds, capped at maxDelay, plus
 * up to jitterRatio of that delay at random (so many shops do not hit a recovering hub in step).
 * A Retry-After from the hub is honoured (up to maxDelay). With the defaults: 15 s, 30 s, 1 min,
 * 2 min, 4 min, 8 min, 16 min, 32 min, then hourly; after 72 attempts (about 65 hours, a long
 * weekend) the event is kept as failed and can be re-queued from the configuration page.
 */
final class RetryPolicy
{
    /** @var callable(): float */
    private $random;

    /**
     * @param (callable(): float)|null $random returns a float in [0, 1]; injectable for tests
     */
    public function __construct(
        private readonly int $baseSeconds = 15,
        private readonly int $maxDelaySeconds = 3600,
        private readonly int $maxAttempts = 72,
        private readonly float $jitterRatio = 0.1,
        ?callable $random = null,
    ) {
        $this->random = $random ?? static fn (): float => mt_rand() / mt_getrandmax();
    }

    /**
     * Seconds to wait after `$failedAttempts` failed attempts (1 for the first failure).
     */
    public function delayAfter(int $failedAttempts, ?int $retryAfterSeconds = null): int
    {
        $exponent = max(0, $failedAttempts - 1);
        // 2^30 is far beyond any cap; bounding the exponent avoids float overflow.
        $delay = (int) min($this->maxDelaySeconds, $this->baseSeconds * (2 ** min($exponent, 30)));
        $delay += (int) floor($delay * $this->jitterRatio * ($this->random)());
        if ($retryAfterSeconds !== null && $retryAfterSeconds > $delay) {
            $delay = min($retryAfterSeconds, $this->maxDelaySeconds);
        }

        return $delay;
    }

    /**
     * Whether another attempt may follow `$failedAttempts` failed ones.
     */
    public function mayRetry(int $failedAttempts): bool
    {
        return $failedAttempts < $this->maxAttempts;
    }

    public function maxAttempts(): int
    {
        return $this->maxAttempts;
    }
}
