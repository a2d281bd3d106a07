<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Clock;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The source of "now" for everything that schedules or timestamps events (injectable for tests).
 */
interface Clock
{
    /**
     * The current instant, in UTC, with microseconds.
     */
    public function now(): \DateTimeImmutable;
}
