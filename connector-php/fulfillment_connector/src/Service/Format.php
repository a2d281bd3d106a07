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
 * Value formats of the wire contract: decimal strings, RFC 3339 UTC timestamps, JSON.
 */
final class Format
{
    private const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
        | JSON_INVALID_UTF8_SUBSTITUTE | JSON_THROW_ON_ERROR;

    /**
     * A price as stored by PrestaShop (6 decimals) as a lossless decimal string with at least two
     * decimals: "11.900000" gives "11.90", "0.123456" stays "0.123456", "10" gives "10.00".
     */
    public static function price(string|float|int|null $value): string
    {
        $fixed = self::fixed($value, 6);
        [$int, $dec] = explode('.', $fixed);
        $dec = rtrim($dec, '0');

        return $int . '.' . str_pad($dec, 2, '0');
    }

    /**
     * Money rounded to exactly two decimals, e.g. "15.73" (half away from zero).
     */
    public static function money(string|float|int|null $value): string
    {
        return self::fixed($value, 2);
    }

    /**
     * A local PrestaShop datetime (`Y-m-d H:i:s` in the shop's PHP timezone) as RFC 3339 UTC
     * ("2026-11-27T09:59:58Z"). Empty or zero dates give null.
     */
    public static function localToUtc(?string $localDateTime, ?string $timezone = null): ?string
    {
        if ($localDateTime === null || $localDateTime === '' || str_starts_with($localDateTime, '0000-00-00')) {
            return null;
        }
        $zone = new \DateTimeZone($timezone ?: date_default_timezone_get());
        $date = \DateTimeImmutable::createFromFormat('!Y-m-d H:i:s', $localDateTime, $zone);
        if ($date === false) {
            return null;
        }

        return $date->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d\TH:i:s\Z');
    }

    /**
     * A local PrestaShop datetime as RFC 3339 UTC, like localToUtc(), or `$fallback` (to the second)
     * when the date is empty or invalid: the hub requires a timestamp.
     */
    public static function localToUtcOr(?string $localDateTime, ?string $timezone, \DateTimeImmutable $fallback): string
    {
        return self::localToUtc($localDateTime, $timezone)
            ?? $fallback->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d\TH:i:s\Z');
    }

    /**
     * An instant as RFC 3339 UTC with microseconds ("2026-11-27T10:00:00.123456Z").
     */
    public static function instant(\DateTimeImmutable $instant): string
    {
        return $instant->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d\TH:i:s.u\Z');
    }

    /**
     * An instant as the outbox's UTC `Y-m-d H:i:s` column value.
     */
    public static function sqlDate(\DateTimeImmutable $instant): string
    {
        return $instant->setTimezone(new \DateTimeZone('UTC'))->format('Y-m-d H:i:s');
    }

    /**
     * @param mixed $value
     */
    public static function json($value): string
    {
        return json_encode($value, self::JSON_FLAGS);
    }

    private static function fixed(string|float|int|null $value, int $decimals): string
    {
        $number = is_numeric($value) ? (float) $value : 0.0;
        $formatted = number_format(round($number, $decimals), $decimals, '.', '');

        return $formatted === '-' . number_format(0, $decimals, '.', '') ? substr($formatted, 1) : $formatted;
    }
}
