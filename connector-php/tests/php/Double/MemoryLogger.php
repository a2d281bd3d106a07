<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Double;

use FulfillmentConnector\Service\Logger;

/**
 * Keeps log lines in memory.
 */
final class MemoryLogger implements Logger
{
    /** @var list<array{level: string, message: string, id: ?int}> */
    public array $lines = [];

    public function info(string $message, ?int $objectId = null): void
    {
        $this->lines[] = ['level' => 'info', 'message' => $message, 'id' => $objectId];
    }

    public function warning(string $message, ?int $objectId = null): void
    {
        $this->lines[] = ['level' => 'warning', 'message' => $message, 'id' => $objectId];
    }

    public function error(string $message, ?int $objectId = null): void
    {
        $this->lines[] = ['level' => 'error', 'message' => $message, 'id' => $objectId];
    }

    public function text(): string
    {
        return implode("\n", array_map(static fn (array $line): string => $line['level'] . ': ' . $line['message'], $this->lines));
    }
}
