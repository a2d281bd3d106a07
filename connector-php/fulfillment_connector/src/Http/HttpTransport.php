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
 * Sends one HTTP request to the hub (injectable so tests can script answers).
 */
interface HttpTransport
{
    /**
     * Sends the request and returns whatever status the server answered, 4xx/5xx included.
     *
     * @param array<string, string> $headers
     *
     * @throws TransportException when no HTTP answer was received (DNS, refused, TLS, timeout)
     */
    public function request(string $method, string $url, array $headers = [], ?string $body = null): HttpResponse;
}
