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
 * Counters of one dispatch run (returned by the cron endpoint and the "Send now" action).
 */
final class DispatchReport
{
    public int $claimed = 0;
    public int $accepted = 0;
    public int $duplicates = 0;
    public int $retried = 0;
    public int $failed = 0;
    public int $released = 0;
    public int $skippedUnconfigured = 0;

    /**
     * @return array<string, int>
     */
    public function toArray(): array
    {
        return [
            'claimed' => $this->claimed,
            'accepted' => $this->accepted,
            'duplicates' => $this->duplicates,
            'retried' => $this->retried,
            'failed' => $this->failed,
            'released' => $this->released,
            'skipped_unconfigured' => $this->skippedUnconfigured,
        ];
    }
}
