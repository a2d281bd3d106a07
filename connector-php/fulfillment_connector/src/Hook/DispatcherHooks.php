<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Hook;

use FulfillmentConnector\Clock\Clock;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\AfterResponseRunner;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * actionDispatcherBefore (every page): at most once a minute, and only where the response can be
 * finished first, deliver due events at the end of the request. A backup for a missing cron, free
 * for visitors.
 */
final class DispatcherHooks
{
    public const SWEEP_INTERVAL_SECONDS = 60;

    public function __construct(
        private readonly SettingsRepository $settings,
        private readonly Clock $clock,
        private readonly AfterResponseRunner $afterResponse,
    ) {
    }

    /**
     * @param array<string, mixed> $params
     */
    public function onDispatch(array $params): void
    {
        if (!$this->settings->load()->isComplete() || !$this->afterResponse->canFinishResponseEarly()) {
            return;
        }
        $now = $this->clock->now()->getTimestamp();
        if ($now < $this->settings->nextSweepAt()) {
            return;
        }
        $this->settings->setNextSweepAt($now + self::SWEEP_INTERVAL_SECONDS);
        $this->afterResponse->scheduleSweep();
    }
}
