<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Support;

use FulfillmentConnector\Http\CurlTransport;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Tests\Double\FrozenClock;

/**
 * A connector test against the real hub binary (see RealHub): skipped when the binary does not
 * exist, and every hub a test starts is stopped and removed in tearDown, whatever the outcome.
 */
abstract class RealHubTestCase extends ConnectorTestCase
{
    /** @var list<RealHub> */
    private array $hubs = [];

    protected function setUp(): void
    {
        $reason = RealHub::unavailableReason();
        if ($reason !== null) {
            self::markTestSkipped($reason);
        }
        parent::setUp();
        // The hub checks signatures against its own clock (±300 s): sign with the real time.
        $this->clock = new FrozenClock('now');
    }

    protected function tearDown(): void
    {
        foreach ($this->hubs as $hub) {
            $hub->destroy();
        }
        $this->hubs = [];
        parent::tearDown();
    }

    /**
     * On failure, show what the hub said (on stderr: PHPUnit's output checks ignore it).
     */
    protected function onNotSuccessfulTest(\Throwable $t): void
    {
        foreach ($this->hubs as $hub) {
            fwrite(STDERR, sprintf("\n--- hub log (%s) ---\n%s\n", $hub->dir, $hub->logTail()));
        }
        parent::onNotSuccessfulTest($t);
    }

    /**
     * A hub started now and stopped in tearDown.
     */
    protected function startHub(?string $sourceSecret = RealHub::SOURCE_SECRET): RealHub
    {
        return $this->hubs[] = RealHub::start($sourceSecret);
    }

    /**
     * A hub configured but not started (its port is free), stopped and removed in tearDown.
     */
    protected function preparedHub(?string $sourceSecret = RealHub::SOURCE_SECRET): RealHub
    {
        return $this->hubs[] = RealHub::prepare($sourceSecret);
    }

    /**
     * The module's settings as an operator enters them for this store of the hub.
     */
    protected function configureStore(string $role, RealHub $hub, string $signingSecret = ''): void
    {
        $source = $role === 'SOURCE';
        \Configuration::updateValue(SettingsRepository::API_URL, $hub->apiUrl());
        \Configuration::updateValue(SettingsRepository::API_KEY, $source ? RealHub::SOURCE_KEY : RealHub::CLIENT_KEY);
        \Configuration::updateValue(SettingsRepository::SIGNING_SECRET, $signingSecret);
        \Configuration::updateValue(SettingsRepository::ROLE, $role);
        \Configuration::updateValue(SettingsRepository::STORE_CODE, $source ? RealHub::SOURCE_CODE : RealHub::CLIENT_CODE);
    }

    /**
     * The module of one PrestaShop request, with the real curl transport (the factory's timeouts).
     * Settings are read once per request, as in a shop: call it again after changing them.
     */
    protected function requestModule(): \Fulfillment_connector
    {
        \Module::$instances = [];

        return $this->module(new CurlTransport(2000, 3000));
    }

    /**
     * @return list<string> the event_ids of the hub's inbox that occur more than once
     */
    protected static function repeatedEventIds(RealHub $hub): array
    {
        $counts = array_count_values(array_column($hub->inbox(), 'event_id'));

        return array_keys(array_filter($counts, static fn (int $count): bool => $count > 1));
    }
}
