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
 * The `X-Hub-Signature` header: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
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
}
