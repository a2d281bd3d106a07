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
 * The `X-Hub-Signature` header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The module
 * signs what it posts to the hub, and checks the same header on what the hub asks it (the cart total,
 * where the signed payload is `id_cart=N`).
 */
final class HubSignature
{
    public const HEADER = 'X-Hub-Signature';

    public static function header(string $secret, int $timestamp, string $rawBody): string
    {
        return sprintf('t=%d,v1=%s', $timestamp, self::digest($secret, $timestamp, $rawBody));
    }

    public static function digest(string $secret, int $timestamp, string $rawBody): string
    {
        return hash_hmac('sha256', $timestamp . '.' . $rawBody, $secret);
    }

    /**
     * Whether `$header` signs `$payload` with `$secret`, with a timestamp within ±`$toleranceSeconds`
     * of `$now`. Parsed as the hub parses it: comma-separated `key=value` parts, one `t`, any number of
     * `v1` (hex, any case); unknown parts are ignored. Never says which check failed.
     */
    public static function verify(string $secret, ?string $header, string $payload, int $now, int $toleranceSeconds): bool
    {
        if ($secret === '' || $header === null || $header === '') {
            return false;
        }
        $timestamp = null;
        $candidates = [];
        foreach (explode(',', $header) as $part) {
            $pair = explode('=', trim($part), 2);
            if (count($pair) !== 2) {
                continue;
            }
            if ($pair[0] === 't' && preg_match('/^[0-9]{1,12}$/', $pair[1]) === 1) {
                $timestamp = (int) $pair[1];
            } elseif ($pair[0] === 'v1') {
                $candidates[] = strtolower($pair[1]);
            }
        }
        if ($timestamp === null || $candidates === [] || abs($now - $timestamp) > $toleranceSeconds) {
            return false;
        }
        $expected = self::digest($secret, $timestamp, $payload);
        $valid = false;
        foreach ($candidates as $candidate) {
            // Every candidate is compared, in constant time, so timing says nothing about which matched.
            $valid = hash_equals($expected, $candidate) || $valid;
        }

        return $valid;
    }
}
