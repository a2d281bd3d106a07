<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Support;

/**
 * Runs tests/php/Fixture/hub-router.php under PHP's built-in web server on a free local port.
 */
final class LocalHubServer
{
    /** @var resource */
    private $process;

    private function __construct(public readonly int $port, public readonly string $dir, $process)
    {
        $this->process = $process;
    }

    /**
     * @param list<int|string> $script answers to successive event posts (see hub-router.php)
     */
    public static function start(array $script, string $secret): self
    {
        $dir = sys_get_temp_dir() . '/fulfillment-hub-' . bin2hex(random_bytes(6));
        mkdir($dir);
        file_put_contents($dir . '/script.json', json_encode($script));
        $router = dirname(__DIR__) . '/Fixture/hub-router.php';

        for ($try = 0; $try < 3; ++$try) {
            $port = self::freePort();
            $process = proc_open(
                [PHP_BINARY, '-S', '127.0.0.1:' . $port, $router],
                [0 => ['file', '/dev/null', 'r'], 1 => ['file', $dir . '/server.log', 'a'], 2 => ['file', $dir . '/server.log', 'a']],
                $pipes,
                $dir,
                ['HUB_FIXTURE_DIR' => $dir, 'HUB_FIXTURE_SECRET' => $secret, 'PATH' => (string) getenv('PATH')]
            );
            if (!is_resource($process)) {
                continue;
            }
            $server = new self($port, $dir, $process);
            if ($server->waitUntilListening(5.0)) {
                return $server;
            }
            $server->stop();
        }
        throw new \RuntimeException('Could not start the local hub: ' . @file_get_contents($dir . '/server.log'));
    }

    /**
     * A port the kernel just gave out and released: bind port 0, read it, close.
     */
    public static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($socket === false) {
            throw new \RuntimeException('Cannot bind a local socket: ' . $error);
        }
        $name = (string) stream_socket_get_name($socket, false);
        fclose($socket);

        return (int) substr($name, strrpos($name, ':') + 1);
    }

    public function apiUrl(): string
    {
        return 'http://127.0.0.1:' . $this->port . '/api';
    }

    /**
     * @return list<array{method: string, path: string, headers: array<string, string>, body: string, signature_valid: ?bool}>
     */
    public function requests(): array
    {
        $file = $this->dir . '/requests.jsonl';
        if (!is_file($file)) {
            return [];
        }

        return array_map(
            static fn (string $line): array => json_decode($line, true),
            array_values(array_filter(explode("\n", (string) file_get_contents($file))))
        );
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
        foreach (glob($this->dir . '/*') ?: [] as $file) {
            unlink($file);
        }
        @rmdir($this->dir);
    }

    private function waitUntilListening(float $seconds): bool
    {
        $deadline = microtime(true) + $seconds;
        while (microtime(true) < $deadline) {
            $status = proc_get_status($this->process);
            if (!$status['running']) {
                return false;
            }
            $connection = @fsockopen('127.0.0.1', $this->port, $errno, $error, 0.2);
            if ($connection !== false) {
                fclose($connection);

                return true;
            }
            usleep(50000);
        }

        return false;
    }
}
