<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Model;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * How one delivery attempt ended, decided from the hub's answer (or the lack of one).
 */
final class DeliveryOutcome
{
    public const ACCEPTED = 'accepted';
    public const RETRY = 'retry';
    public const PERMANENT = 'permanent';

    private function __construct(
        public readonly string $kind,
        public readonly ?int $httpStatus,
        public readonly string $detail,
        public readonly ?int $retryAfterSeconds = null,
        public readonly bool $hubUnreachable = false,
    ) {
    }

    /**
     * 202: the hub stored the event; `$detail` is its status ("queued" or "duplicate").
     */
    public static function accepted(int $httpStatus, string $hubStatus): self
    {
        return new self(self::ACCEPTED, $httpStatus, $hubStatus);
    }

    public static function retry(?int $httpStatus, string $error, ?int $retryAfterSeconds = null): self
    {
        return new self(self::RETRY, $httpStatus, $error, $retryAfterSeconds);
    }

    /**
     * No answer at all (connection refused, DNS, timeout): retry, and stop the current batch.
     */
    public static function unreachable(string $error): self
    {
        return new self(self::RETRY, null, $error, null, true);
    }

    public static function permanent(int $httpStatus, string $error): self
    {
        return new self(self::PERMANENT, $httpStatus, $error);
    }
}
