<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Http;

use FulfillmentConnector\Exception\TransportException;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * HttpTransport over ext-curl, with short timeouts so a slow or dead hub never holds a PHP worker.
 */
final class CurlTransport implements HttpTransport
{
    /** Answers larger than this are cut: the hub's answers are a few hundred bytes. */
    private const MAX_BODY_BYTES = 65536;

    public function __construct(
        private readonly int $connectTimeoutMs = 2000,
        private readonly int $totalTimeoutMs = 3000,
        private readonly string $userAgent = 'fulfillment_connector',
    ) {
    }

    public function request(string $method, string $url, array $headers = [], ?string $body = null): HttpResponse
    {
        if (!function_exists('curl_init')) {
            throw new TransportException('The PHP curl extension is not installed.');
        }
        $scheme = strtolower((string) parse_url($url, PHP_URL_SCHEME));
        if ($scheme !== 'http' && $scheme !== 'https') {
            throw new TransportException('The hub URL must start with http:// or https://.');
        }

        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        // curl would otherwise wait up to 1 s for a "100 Continue" on bodies over 1 KiB.
        $lines[] = 'Expect:';

        $responseHeaders = [];
        $responseBody = '';
        $handle = curl_init();
        curl_setopt_array($handle, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_CONNECTTIMEOUT_MS => $this->connectTimeoutMs,
            CURLOPT_TIMEOUT_MS => $this->totalTimeoutMs,
            // Millisecond timeouts below one second need signals off on some resolvers.
            CURLOPT_NOSIGNAL => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
            CURLOPT_USERAGENT => $this->userAgent,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$responseHeaders): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $responseHeaders[strtolower(trim($parts[0]))] = trim($parts[1]);
                }

                return strlen($line);
            },
            CURLOPT_WRITEFUNCTION => static function ($ch, string $chunk) use (&$responseBody): int {
                if (strlen($responseBody) < self::MAX_BODY_BYTES) {
                    $responseBody .= substr($chunk, 0, self::MAX_BODY_BYTES - strlen($responseBody));
                }

                return strlen($chunk);
            },
        ]);
        if ($body !== null) {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $body);
        } elseif ($method === 'HEAD') {
            curl_setopt($handle, CURLOPT_NOBODY, true);
        }

        $ok = curl_exec($handle);
        $errno = curl_errno($handle);
        $error = curl_error($handle);
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);

        if ($ok === false || $errno !== 0) {
            $timedOut = $errno === CURLE_OPERATION_TIMEDOUT;
            // The URL is not part of the message: it never carries secrets, but it is noise.
            throw new TransportException(sprintf('curl error %d: %s', $errno, $error), $timedOut);
        }

        return new HttpResponse($status, $responseBody, $responseHeaders);
    }
}
