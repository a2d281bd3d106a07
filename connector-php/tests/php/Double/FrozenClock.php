<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Double;

use FulfillmentConnector\Clock\Clock;

/**
 * A clock that only moves when the test says so.
 */
final class FrozenClock implements Clock
{
    private \DateTimeImmutable $now;

    public function __construct(string $now = '2026-11-27 10:00:00.123456')
    {
        $this->now = new \DateTimeImmutable($now, new \DateTimeZone('UTC'));
    }

    public function now(): \DateTimeImmutable
    {
        return $this->now;
    }

    public function advance(int $seconds): void
    {
        $this->now = $this->now->modify('+' . $seconds . ' seconds');
    }
}
