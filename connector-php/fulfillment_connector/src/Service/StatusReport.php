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
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\OutboxRepository;
use FulfillmentConnector\Repository\WebserviceAccountRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The data of the configuration page's status panel. Secrets appear only as "set" and a short
 * fingerprint.
 */
final class StatusReport
{
    /** @var callable(string, array<string, string>=): string */
    private $translate;

    /**
     * @param callable(string, array<string, string>=): string $translate
     */
    public function __construct(
        private readonly OutboxRepository $outbox,
        private readonly Clock $clock,
        private readonly WebserviceAccountRepository $accounts,
        callable $translate,
    ) {
        $this->translate = $translate;
    }

    /**
     * @return array<string, mixed>
     */
    public function build(Settings $settings, string $cronUrl): array
    {
        $stats = $this->outbox->stats($this->clock->now());

        return [
            'configured' => $settings->isComplete(),
            'role' => $settings->role?->value ?? '',
            'store_code' => $settings->storeCode,
            'api_url' => $settings->apiUrl,
            'api_key_set' => $settings->apiKey() !== '',
            'api_key_fingerprint' => Settings::fingerprint($settings->apiKey()),
            'signing_enabled' => $settings->hasSigningSecret(),
            'signing_fingerprint' => Settings::fingerprint($settings->signingSecret()),
            'pending' => $stats->pending,
            'backing_off' => $stats->backingOff,
            'failed' => $stats->failed,
            'sent' => $stats->sent,
            'oldest_pending_at' => $stats->oldestPendingAt,
            'last_error' => $stats->lastError,
            'last_error_at' => $stats->lastErrorAt,
            'last_success_at' => $stats->lastSuccessAt,
            'cron_url' => $cronUrl,
            'webservice_changes' => $this->webserviceChanges($settings->hubWebserviceAccountId),
        ];
    }

    /**
     * Which changes made through the Webservice are sent to the hub (see WebserviceEchoGuard).
     */
    private function webserviceChanges(int $idAccount): string
    {
        if ($idAccount <= 0) {
            return ($this->translate)('all forwarded (no hub account chosen)', []);
        }
        $label = $this->accounts->listAccounts()[$idAccount] ?? null;
        if ($label === null) {
            return ($this->translate)(
                'all forwarded (the chosen hub account #%id% no longer exists)',
                ['%id%' => (string) $idAccount]
            );
        }

        return ($this->translate)('all forwarded except those made with the hub\'s account %account%', ['%account%' => $label]);
    }
}
