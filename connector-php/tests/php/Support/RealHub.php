<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Support;

/**
 * The real Fulfillment Hub binary (api + workers, SQLite), run on a free local port with a config and
 * databases in a temporary folder of its own.
 *
 * The binary is `$HUB_BIN`, or `target/debug/hub` of the repository that holds connector-php/. Every
 * started process is stopped by stop()/destroy(), and, should a test die before its tearDown, by a
 * shutdown function: no hub outlives the PHPUnit run.
 */
final class RealHub
{
    public const SOURCE_CODE = 'wholesaler';
    public const SOURCE_KEY = 'source-key-0123456789';
    public const SOURCE_SECRET = 'signing-secret-0123456789';
    public const CLIENT_CODE = 'retail-1';
    public const CLIENT_KEY = 'client-key-0123456789';

    private const START_TIMEOUT_SECONDS = 15.0;
    /**
     * How long a SIGTERM may take before SIGKILL. Short on purpose: a graceful stop needs well under a
     * second, and the tests must not wait on a hub that hangs while shutting down.
     */
    private const STOP_TIMEOUT_SECONDS = 1.0;

    /** @var array<int, self> every hub with a live process, by object id */
    private static array $running = [];

    private static bool $shutdownRegistered = false;

    /** @var resource|null */
    private $process = null;

    private function __construct(public readonly string $binary, public readonly string $dir, public readonly int $port)
    {
    }

    /**
     * The binary the tests run: `$HUB_BIN` (relative to the working directory), else
     * `<repository>/target/debug/hub` next to connector-php/.
     */
    public static function binary(): string
    {
        $configured = getenv('HUB_BIN');
        if (is_string($configured) && $configured !== '') {
            return $configured;
        }

        return dirname(__DIR__, 4) . '/target/debug/hub';
    }

    /**
     * Why the real hub cannot run here, or null when it can.
     */
    public static function unavailableReason(): ?string
    {
        $binary = self::binary();
        if (!is_file($binary)) {
            return sprintf('The hub binary %s does not exist: build the hub (target/debug/hub) or set HUB_BIN.', $binary);
        }
        if (!is_executable($binary)) {
            return sprintf('The hub binary %s is not executable.', $binary);
        }

        return null;
    }

    /**
     * A hub configured (folder, port, hub.toml) but not started: events sent to apiUrl() meanwhile
     * find nobody listening.
     *
     * @param string|null $sourceSecret the wholesaler's signing secret; null: no signature required
     */
    public static function prepare(?string $sourceSecret = self::SOURCE_SECRET): self
    {
        $dir = sys_get_temp_dir() . '/fulfillment-real-hub-' . bin2hex(random_bytes(6));
        if (!mkdir($dir, 0700)) {
            throw new \RuntimeException('Cannot create ' . $dir);
        }
        $hub = new self(self::binary(), $dir, LocalHubServer::freePort());
        file_put_contents($dir . '/hub.toml', $hub->config($sourceSecret));

        return $hub;
    }

    /**
     * A hub up and ready (GET /ready answers 200).
     */
    public static function start(?string $sourceSecret = self::SOURCE_SECRET): self
    {
        $hub = self::prepare($sourceSecret);
        try {
            $hub->run();
        } catch (\Throwable $e) {
            $hub->destroy();
            throw $e;
        }

        return $hub;
    }

    public function apiUrl(): string
    {
        return 'http://127.0.0.1:' . $this->port . '/api';
    }

    public function baseUrl(): string
    {
        return 'http://127.0.0.1:' . $this->port;
    }

    public function isRunning(): bool
    {
        return is_resource($this->process) && proc_get_status($this->process)['running'];
    }

    /**
     * Starts the process (again, on the same port and databases) and waits until it is ready.
     */
    public function run(): void
    {
        if ($this->isRunning()) {
            return;
        }
        self::registerShutdown();
        $log = $this->dir . '/hub.log';
        $process = proc_open(
            [$this->binary],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']],
            $pipes,
            $this->dir,
            [
                'HUB_CONFIG' => $this->dir . '/hub.toml',
                'PATH' => (string) getenv('PATH'),
                'HOME' => $this->dir,
                'NO_COLOR' => '1',
                'RUST_BACKTRACE' => '1',
            ]
        );
        if (!is_resource($process)) {
            throw new \RuntimeException('Cannot start ' . $this->binary);
        }
        $this->process = $process;
        self::$running[spl_object_id($this)] = $this;

        $deadline = microtime(true) + self::START_TIMEOUT_SECONDS;
        while (microtime(true) < $deadline) {
            if (!$this->isRunning()) {
                $this->stop();
                throw new \RuntimeException("The hub exited during start-up:\n" . $this->logTail());
            }
            $ready = $this->request('GET', '/ready');
            if ($ready['status'] === 200) {
                return;
            }
            usleep(50000);
        }
        $this->stop();
        throw new \RuntimeException(sprintf("The hub was not ready within %.0f s:\n%s", self::START_TIMEOUT_SECONDS, $this->logTail()));
    }

    /**
     * SIGTERM, then SIGKILL if it is still running after STOP_TIMEOUT_SECONDS. Keeps the folder (and the
     * databases) so that run() can start it again.
     */
    public function stop(): void
    {
        unset(self::$running[spl_object_id($this)]);
        if (!is_resource($this->process)) {
            return;
        }
        $process = $this->process;
        $this->process = null;
        if (proc_get_status($process)['running']) {
            proc_terminate($process, 15);
            $deadline = microtime(true) + self::STOP_TIMEOUT_SECONDS;
            while (proc_get_status($process)['running'] && microtime(true) < $deadline) {
                usleep(20000);
            }
            if (proc_get_status($process)['running']) {
                proc_terminate($process, 9);
                while (proc_get_status($process)['running']) {
                    usleep(10000);
                }
            }
        }
        proc_close($process);
    }

    /**
     * stop(), then remove the folder with its config, databases and log.
     */
    public function destroy(): void
    {
        $this->stop();
        foreach (glob($this->dir . '/{,.}*', GLOB_BRACE) ?: [] as $file) {
            if (is_file($file)) {
                unlink($file);
            }
        }
        if (is_dir($this->dir)) {
            @rmdir($this->dir);
        }
    }

    /**
     * A plain HTTP request to the hub, without the module's code.
     *
     * @param array<string, string> $headers
     *
     * @return array{status: int, body: string, headers: array<string, string>}
     */
    public function request(string $method, string $path, array $headers = [], ?string $body = null): array
    {
        $lines = ['Expect:'];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        $responseHeaders = [];
        $handle = curl_init($this->baseUrl() . $path);
        curl_setopt_array($handle, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT_MS => 500,
            CURLOPT_TIMEOUT_MS => 3000,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$responseHeaders): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $responseHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
                }

                return strlen($line);
            },
        ]);
        if ($body !== null) {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $body);
        }
        $result = curl_exec($handle);
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);

        return ['status' => $result === false ? 0 : $status, 'body' => $result === false ? '' : (string) $result, 'headers' => $responseHeaders];
    }

    /**
     * The published OpenAPI document (GET /api/openapi.json).
     *
     * @return array<string, mixed>
     */
    public function openApi(): array
    {
        $response = $this->request('GET', '/api/openapi.json', ['Accept' => 'application/json']);
        if ($response['status'] !== 200) {
            throw new \RuntimeException('GET /api/openapi.json answered ' . $response['status'] . ': ' . $response['body']);
        }
        $document = json_decode($response['body'], true, 512, JSON_THROW_ON_ERROR);
        if (!is_array($document)) {
            throw new \RuntimeException('The OpenAPI document is not a JSON object.');
        }

        return $document;
    }

    /**
     * What the hub stored: its inbox, oldest first (read-only; works while the hub runs).
     *
     * @return list<array{event_id: string, store: string, kind: string, status: string, sequence: int|null, payload: string}>
     */
    public function inbox(): array
    {
        $file = $this->dir . '/hub.db';
        if (!is_file($file)) {
            return [];
        }
        $pdo = new \PDO('sqlite:' . $file, null, null, [
            \PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION,
            \PDO::ATTR_TIMEOUT => 5,
            \PDO::SQLITE_ATTR_OPEN_FLAGS => \PDO::SQLITE_OPEN_READONLY,
        ]);
        $rows = $pdo->query('SELECT event_id, store, kind, status, sequence, payload FROM inbox_events ORDER BY id')->fetchAll(\PDO::FETCH_ASSOC);
        $pdo = null;

        return array_map(static fn (array $row): array => [
            'event_id' => (string) $row['event_id'],
            'store' => (string) $row['store'],
            'kind' => (string) $row['kind'],
            'status' => (string) $row['status'],
            'sequence' => $row['sequence'] === null ? null : (int) $row['sequence'],
            'payload' => (string) $row['payload'],
        ], $rows);
    }

    /**
     * The last lines of the hub's log, for failure messages.
     */
    public function logTail(int $lines = 30): string
    {
        $log = @file($this->dir . '/hub.log', FILE_IGNORE_NEW_LINES) ?: [];
        // Strip ANSI colours in case the binary ignores NO_COLOR.
        $tail = array_map(static fn (string $line): string => (string) preg_replace('/\e\[[0-9;]*m/', '', $line), array_slice($log, -$lines));

        return implode("\n", $tail);
    }

    private function config(?string $sourceSecret): string
    {
        $quote = static fn (string $value): string => '"' . addcslashes($value, "\"\\") . '"';
        $lines = [
            '[server]',
            'listen = ' . $quote('127.0.0.1:' . $this->port),
            '[database]',
            'url = ' . $quote('sqlite://' . $this->dir . '/hub.db?mode=rwc'),
            '[queue]',
            'backend = "sqlite"',
            'url = ' . $quote('sqlite://' . $this->dir . '/queue.db'),
            'poll_interval_ms = 20',
            '[sweeper]',
            'interval_secs = 1',
            'grace_secs = 1',
            '[[stores]]',
            'code = ' . $quote(self::SOURCE_CODE),
            'role = "source"',
            'api_key = ' . $quote(self::SOURCE_KEY),
        ];
        if ($sourceSecret !== null) {
            $lines[] = 'signing_secret = ' . $quote($sourceSecret);
        }
        array_push(
            $lines,
            '[[stores]]',
            'code = ' . $quote(self::CLIENT_CODE),
            'role = "client"',
            'api_key = ' . $quote(self::CLIENT_KEY),
            'markup_percent = "30"'
        );

        return implode("\n", $lines) . "\n";
    }

    private static function registerShutdown(): void
    {
        if (!self::$shutdownRegistered) {
            self::$shutdownRegistered = true;
            register_shutdown_function(static function (): void {
                foreach (self::$running as $hub) {
                    $hub->destroy();
                }
            });
        }
    }
}
