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

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Reads a request header the way PHP exposes it in `$_SERVER` (`X-API-KEY` → `HTTP_X_API_KEY`).
 */
final class RequestHeaders
{
    /**
     * @param array<mixed> $server usually `$_SERVER`
     */
    public static function get(array $server, string $name): ?string
    {
        $value = $server['HTTP_' . strtoupper(str_replace('-', '_', $name))] ?? null;

        return is_string($value) ? $value : null;
    }
}
