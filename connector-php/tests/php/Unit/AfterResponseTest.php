<?php

declare(strict_types=1);

namespace FulfillmentConnector\Tests\Unit;

use FulfillmentConnector\Exception\TransportException;
use FulfillmentConnector\Http\HttpResponse;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\Uuid;
use FulfillmentConnector\Tests\Support\ConnectorTestCase;

/**
 * When events are sent: after the response when possible, never making a visitor wait on a hub that
 * is known to be failing, and opportunistically on later requests.
 */
final class AfterResponseTest extends ConnectorTestCase
{
    public function testAnEventWhoseDeliveryFailsStaysInTheOutbox(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $this->http->push(new TransportException('curl error 7: Failed to connect'));

        $this->module()->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        $rows = $this->outboxRows();
        self::assertCount(1, $rows);
        self::assertSame(['pending', '1'], [$rows[0]['status'], $rows[0]['attempts']]);
    }

    public function testWithoutEarlyResponseNothingIsSentInlineWhileTheHubIsBackingOff(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $this->canFinishResponse = false;
        $this->givenAnEventWaitingForARetry();

        $this->module()->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        self::assertSame([], $this->http->requests, 'the visitor does not wait for a hub that just failed');
        self::assertCount(2, $this->outboxRows());
    }

    public function testWithoutEarlyResponseAHealthyHubGetsTheEventInline(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $this->canFinishResponse = false;
        $this->http->push($this->http::accepted());

        $this->module()->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        self::assertCount(1, $this->http->requests);
        self::assertSame('sent', $this->outboxRows()[0]['status']);
    }

    public function testAfterAnEarlyResponseDueEventsOfEarlierRequestsAreSentToo(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        $this->givenAnEventWaitingForARetry();
        $this->clock->advance(60);
        $this->http->push($this->http::accepted(), $this->http::accepted());

        $this->module()->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        self::assertCount(2, $this->http->requests);
        self::assertSame(['sent', 'sent'], array_column($this->outboxRows(), 'status'));
    }

    public function testPageViewsSweepTheOutboxAtMostOncePerMinute(): void
    {
        $this->configure('SOURCE');
        $this->givenAnEventWaitingForARetry();
        $this->clock->advance(60);
        $this->http->push($this->http::accepted());
        $module = $this->module();

        $module->hookActionDispatcherBefore(['controller_type' => 1]);
        $this->endRequest();
        $module->hookActionDispatcherBefore(['controller_type' => 1]);

        self::assertCount(1, $this->http->requests);
        self::assertSame('sent', $this->outboxRows()[0]['status']);
        self::assertSame([], $this->shutdownCallbacks, 'the second page view within the minute does nothing');
        self::assertSame((string) ($this->clock->now()->getTimestamp() + 60), \Configuration::get(SettingsRepository::NEXT_SWEEP_AT));
    }

    public function testPageViewsDoNotSweepWhenTheResponseCannotBeFinishedFirst(): void
    {
        $this->configure('SOURCE');
        $this->canFinishResponse = false;

        $this->module()->hookActionDispatcherBefore([]);

        self::assertSame([], $this->shutdownCallbacks);
    }

    public function testAFailureAtTheEndOfTheRequestIsLoggedNotThrown(): void
    {
        $this->configure('SOURCE');
        $this->givenMugInCatalog();
        \Db::getInstance()->execute('DROP TABLE ps_fulfillment_outbox');

        $this->module()->hookActionUpdateQuantity(['id_product' => 6]);
        $this->endRequest();

        self::assertStringContainsString('Could not queue the product event of #6', $this->logger->text());
    }

    private function givenAnEventWaitingForARetry(): void
    {
        $outbox = new DbOutboxRepository(\Db::getInstance());
        $id = $outbox->add(new NewOutboxEvent(Uuid::v4(), EventType::Product, 1, 7, '{"id":7}', $this->clock->now()), $this->clock->now());
        $outbox->claimDue($this->clock->now(), 1, 60, 'tok');
        $outbox->scheduleRetry($id, 'tok', $this->clock->now(), $this->clock->now()->modify('+30 seconds'), 'HTTP 503', 503);
    }
}
