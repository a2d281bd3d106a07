<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Repository;

use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Model\Settings;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The connector's settings in PrestaShop's Configuration table (per shop where multistore applies),
 * plus the module's own cron secret (global).
 */
final class SettingsRepository
{
    public const API_URL = 'FULFILLMENT_API_URL';
    public const API_KEY = 'FULFILLMENT_API_KEY';
    public const SIGNING_SECRET = 'FULFILLMENT_SIGNING_SECRET';
    public const ROLE = 'FULFILLMENT_ROLE';
    public const STORE_CODE = 'FULFILLMENT_STORE_CODE';
    public const HUB_WS_ACCOUNT = 'FULFILLMENT_HUB_WS_ACCOUNT';
    public const CRON_SECRET = 'FULFILLMENT_CRON_SECRET';
    public const NEXT_SWEEP_AT = 'FULFILLMENT_NEXT_SWEEP_AT';

    /** Every key the module owns, removed on uninstall. */
    public const ALL_KEYS = [
        self::API_URL, self::API_KEY, self::SIGNING_SECRET, self::ROLE, self::STORE_CODE,
        self::HUB_WS_ACCOUNT, self::CRON_SECRET, self::NEXT_SWEEP_AT,
    ];

    /** @var array<int, Settings> */
    private array $loaded = [];

    /**
     * Settings of `$idShop`, or of the shop in context when null.
     */
    public function load(?int $idShop = null): Settings
    {
        $cacheKey = $idShop ?? 0;
        if (!isset($this->loaded[$cacheKey])) {
            $get = static fn (string $key): string => (string) \Configuration::get($key, null, null, $idShop, '');
            $this->loaded[$cacheKey] = new Settings(
                rtrim(trim($get(self::API_URL)), '/'),
                $get(self::API_KEY),
                $get(self::SIGNING_SECRET),
                Role::tryFrom($get(self::ROLE)),
                $get(self::STORE_CODE),
                (int) $get(self::HUB_WS_ACCOUNT)
            );
        }

        return $this->loaded[$cacheKey];
    }

    /**
     * Saves settings for the shop in context. Values must already be validated: Configuration strips
     * anything that looks like a tag.
     */
    public function save(Settings $settings): bool
    {
        $this->loaded = [];

        return \Configuration::updateValue(self::API_URL, $settings->apiUrl)
            && \Configuration::updateValue(self::API_KEY, $settings->apiKey())
            && \Configuration::updateValue(self::SIGNING_SECRET, $settings->signingSecret())
            && \Configuration::updateValue(self::ROLE, $settings->role?->value ?? '')
            && \Configuration::updateValue(self::STORE_CODE, $settings->storeCode)
            && \Configuration::updateValue(self::HUB_WS_ACCOUNT, (string) $settings->hubWebserviceAccountId);
    }

    /**
     * The secret the cron token derives from, created on first use.
     */
    public function cronSecret(): string
    {
        $secret = (string) \Configuration::getGlobalValue(self::CRON_SECRET);
        if ($secret === '') {
            $secret = bin2hex(random_bytes(32));
            \Configuration::updateGlobalValue(self::CRON_SECRET, $secret);
        }

        return $secret;
    }

    /**
     * The token the cron URL must carry: a hash of the module's cron secret, never the secret itself.
     */
    public function cronToken(): string
    {
        return hash_hmac('sha256', 'fulfillment_connector/cron', $this->cronSecret());
    }

    public function nextSweepAt(): int
    {
        return (int) \Configuration::getGlobalValue(self::NEXT_SWEEP_AT);
    }

    public function setNextSweepAt(int $unixTime): void
    {
        \Configuration::updateGlobalValue(self::NEXT_SWEEP_AT, (string) $unixTime);
    }
}
