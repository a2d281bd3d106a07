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

use FulfillmentConnector\Clock\Clock;
use FulfillmentConnector\Repository\OutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The work behind the cron URL: deliver due events (retries included) and prune old delivered rows.
 */
final class CronRunner
{
    public const BATCH = 200;
    public const BUDGET_SECONDS = 45.0;
    public const KEEP_SENT_DAYS = 30;

    public function __construct(
        private readonly SettingsRepository $settings,
        private readonly OutboxDispatcher $dispatcher,
        private readonly OutboxRepository $outbox,
        private readonly Clock $clock,
    ) {
    }

    public function isValidToken(string $token): bool
    {
        return $token !== '' && hash_equals($this->settings->cronToken(), $token);
    }

    /**
     * @return array<string, int|array<string, int>>
     */
    public function run(): array
    {
        $report = $this->dispatcher->dispatch(self::BATCH, self::BUDGET_SECONDS);
        $purged = $this->outbox->purgeSentBefore($this->clock->now()->modify('-' . self::KEEP_SENT_DAYS . ' days'));
        $stats = $this->outbox->stats($this->clock->now());

        return [
            'dispatch' => $report->toArray(),
            'purged' => $purged,
            'pending' => $stats->pending,
            'failed' => $stats->failed,
        ];
    }
}
