<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Double;

use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Http\HttpTransport;

/**
 * Answers requests from a script of responses (or transport failures) and records every request.
 */
final class ScriptedTransport implements HttpTransport
{
    /** @var list<HttpResponse|TransportException> */
    private array $script = [];

    /** @var list<array{method: string, url: string, headers: array<string, string>, body: ?string}> */
    public array $requests = [];

    public function __construct(HttpResponse|TransportException ...$script)
    {
        $this->script = $script;
    }

    public function push(HttpResponse|TransportException ...$answers): void
    {
        array_push($this->script, ...$answers);
    }

    public static function accepted(string $status = 'queued'): HttpResponse
    {
        return new HttpResponse(202, '{"event_id":"x","status":"' . $status . '"}', ['content-type' => 'application/json']);
    }

    public function request(string $method, string $url, array $headers = [], ?string $body = null): HttpResponse
    {
        $this->requests[] = ['method' => $method, 'url' => $url, 'headers' => $headers, 'body' => $body];
        if ($this->script === []) {
            throw new \LogicException('Unexpected request to ' . $url . ': the script is exhausted.');
        }
        $answer = array_shift($this->script);
        if ($answer instanceof TransportException) {
            throw $answer;
        }

        return $answer;
    }
}
