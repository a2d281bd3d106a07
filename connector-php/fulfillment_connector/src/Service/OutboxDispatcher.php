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
use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpTransport;
use FulfillmentConnector\Model\DeliveryOutcome;
use FulfillmentConnector\Model\DispatchReport;
use FulfillmentConnector\Model\OutboxEvent;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\OutboxRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Delivers due outbox events to the hub and records each outcome: accepted (202) → sent; retryable
 * (5xx, 408, 429, no answer) → due again after the retry policy's delay; permanent (other 4xx, 3xx) →
 * failed with the hub's error. Every attempt posts the stored event unchanged, with the same event_id.
 */
final class OutboxDispatcher
{
    private const LEASE_SECONDS = 120;

    /** @var callable(int): Settings */
    private $settingsForShop;

    /**
     * @param callable(int): Settings $settingsForShop settings of the shop an event belongs to
     */
    public function __construct(
        private readonly OutboxRepository $outbox,
        private readonly HttpTransport $http,
        private readonly Clock $clock,
        private readonly RetryPolicy $retryPolicy,
        private readonly ResponseClassifier $classifier,
        private readonly Logger $logger,
        callable $settingsForShop,
    ) {
        $this->settingsForShop = $settingsForShop;
    }

    /**
     * Sends up to `$limit` due events, oldest first, within about `$budgetSeconds` of wall time. After
     * a hub fails to answer at all, the rest of the batch for that hub is given back untouched rather
     * than waiting for one timeout per event.
     */
    public function dispatch(int $limit, float $budgetSeconds): DispatchReport
    {
        $report = new DispatchReport();
        $token = bin2hex(random_bytes(16));
        $startedAt = hrtime(true);
        $events = $this->outbox->claimDue($this->clock->now(), $limit, self::LEASE_SECONDS, $token);
        $report->claimed = count($events);
        $unreachable = [];

        foreach ($events as $event) {
            $settings = ($this->settingsForShop)($event->idShop);
            if (!$settings->isComplete()) {
                $this->outbox->release($event->sequence, $token);
                ++$report->skippedUnconfigured;
                continue;
            }
            $elapsed = (hrtime(true) - $startedAt) / 1e9;
            if (isset($unreachable[$settings->apiUrl]) || $elapsed > $budgetSeconds) {
                $this->outbox->release($event->sequence, $token);
                ++$report->released;
                continue;
            }

            $outcome = $this->deliver($event, $settings);
            $this->record($event, $outcome, $token, $report);
            if ($outcome->hubUnreachable) {
                $unreachable[$settings->apiUrl] = true;
            }
        }

        return $report;
    }

    /**
     * One attempt: POST the event's envelope to its endpoint, signed when a secret is set.
     */
    public function deliver(OutboxEvent $event, Settings $settings): DeliveryOutcome
    {
        $body = EventEnvelope::encode($event);
        try {
            $response = $this->http->request('POST', $settings->endpoint($event->type), self::headers($settings, $body, $this->clock->now()), $body);
        } catch (TransportException $e) {
            return DeliveryOutcome::unreachable('Hub unreachable: ' . $e->getMessage());
        }

        return $this->classifier->classify($response);
    }

    /**
     * Headers of an authenticated request to the hub.
     *
     * @return array<string, string>
     */
    public static function headers(Settings $settings, string $body, \DateTimeImmutable $now): array
    {
        $headers = [
            'Content-Type' => 'application/json',
            'Accept' => 'application/json',
            'X-API-KEY' => $settings->apiKey(),
        ];
        if ($settings->hasSigningSecret()) {
            $headers[HubSignature::HEADER] = HubSignature::header($settings->signingSecret(), $now->getTimestamp(), $body);
        }
        if ($settings->storeCode !== '') {
            $headers['X-Store-Code'] = $settings->storeCode;
        }

        return $headers;
    }

    private function record(OutboxEvent $event, DeliveryOutcome $outcome, string $token, DispatchReport $report): void
    {
        $now = $this->clock->now();
        $label = sprintf('%s event %s (seq %d, #%d)', $event->type->value, $event->eventId, $event->sequence, $event->aggregateId);

        if ($outcome->kind === DeliveryOutcome::ACCEPTED) {
            $this->outbox->markSent($event->sequence, $token, $now, $outcome->detail, (int) $outcome->httpStatus);
            if ($outcome->detail === 'duplicate') {
                ++$report->duplicates;
            } else {
                ++$report->accepted;
            }

            return;
        }

        $failedAttempts = $event->attempts + 1;
        if ($outcome->kind === DeliveryOutcome::RETRY && $this->retryPolicy->mayRetry($failedAttempts)) {
            $delay = $this->retryPolicy->delayAfter($failedAttempts, $outcome->retryAfterSeconds);
            $this->outbox->scheduleRetry(
                $event->sequence,
                $token,
                $now,
                $now->modify('+' . $delay . ' seconds'),
                $outcome->detail,
                $outcome->httpStatus
            );
            ++$report->retried;
            if ($outcome->hubUnreachable) {
                $this->logger->warning($outcome->detail);
            }

            return;
        }

        $error = $outcome->kind === DeliveryOutcome::RETRY
            ? sprintf('Gave up after %d attempts: %s', $failedAttempts, $outcome->detail)
            : $outcome->detail;
        $this->outbox->markFailed($event->sequence, $token, $now, $error, $outcome->httpStatus);
        ++$report->failed;
        $this->logger->error($label . ' failed: ' . $error, $event->aggregateId);
    }
}
