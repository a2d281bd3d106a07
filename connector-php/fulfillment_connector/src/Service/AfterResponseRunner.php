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

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Runs the connector's work at the end of the request, once, after the response has been handed to
 * the visitor when the server allows it (PHP-FPM's fastcgi_finish_request, LiteSpeed's equivalent):
 *
 * 1. write the events recorded by this request's hooks to the outbox;
 * 2. try to deliver due events right away. With the response already sent, up to 25 events within
 *    8 s; without (mod_php, CLI), only a few, and not at all while the hub is backing off, so a
 *    visitor never waits on a dead hub for more than one short timeout.
 */
final class AfterResponseRunner
{
    public const FLUSH_BATCH = 25;
    public const FLUSH_BUDGET_SECONDS = 8.0;
    public const INLINE_BATCH = 5;
    public const INLINE_BUDGET_SECONDS = 3.0;

    private static bool $scheduled = false;
    private static bool $sweep = false;

    /** @var callable(): bool */
    private $finishResponse;

    /** @var callable(callable): void */
    private $registerShutdown;

    /** @var callable(): bool */
    private $canFinishEarly;

    /**
     * @param (callable(): bool)|null $finishResponse ends the HTTP response early; false when it cannot
     * @param (callable(callable): void)|null $registerShutdown defaults to register_shutdown_function
     * @param (callable(): bool)|null $canFinishEarly whether $finishResponse can work in this SAPI
     */
    public function __construct(
        private readonly EventFlusher $flusher,
        private readonly OutboxDispatcher $dispatcher,
        private readonly OutboxRepository $outbox,
        private readonly Clock $clock,
        private readonly Logger $logger,
        ?callable $finishResponse = null,
        ?callable $registerShutdown = null,
        ?callable $canFinishEarly = null,
    ) {
        $this->finishResponse = $finishResponse ?? static fn (): bool => self::finishResponse();
        $this->registerShutdown = $registerShutdown ?? static function (callable $callback): void {
            register_shutdown_function($callback);
        };
        $this->canFinishEarly = $canFinishEarly ?? static fn (): bool => function_exists('fastcgi_finish_request')
            || function_exists('litespeed_finish_request');
    }

    /**
     * Makes sure the end-of-request work runs (called by every hook that records something).
     */
    public function schedule(): void
    {
        if (!self::$scheduled) {
            self::$scheduled = true;
            ($this->registerShutdown)([$this, 'run']);
        }
    }

    /**
     * Also delivers due events from earlier requests at the end of this one (opportunistic retry).
     */
    public function scheduleSweep(): void
    {
        self::$sweep = true;
        $this->schedule();
    }

    /**
     * Whether the response can be finished before the connector works (so a sweep costs visitors
     * nothing): PHP-FPM or LiteSpeed.
     */
    public function canFinishResponseEarly(): bool
    {
        return ($this->canFinishEarly)();
    }

    /**
     * The end-of-request work. Never throws: the shop's response must not suffer from the connector.
     */
    public function run(): void
    {
        $sweep = self::$sweep;
        self::$scheduled = false;
        self::$sweep = false;
        try {
            $finished = (!EventBuffer::isEmpty() || $sweep) && ($this->finishResponse)();
            $written = $this->flusher->flush();
            if ($finished) {
                $this->dispatcher->dispatch(self::FLUSH_BATCH, self::FLUSH_BUDGET_SECONDS);
            } elseif ($written !== [] && !$this->outbox->hasEventsBackingOff($this->clock->now())) {
                $this->dispatcher->dispatch(self::INLINE_BATCH, self::INLINE_BUDGET_SECONDS);
            }
        } catch (\Throwable $e) {
            $this->logger->error('End-of-request delivery failed: ' . $e->getMessage());
        }
    }

    /**
     * Test helper and safety valve: forget any scheduled run.
     */
    public static function reset(): void
    {
        self::$scheduled = false;
        self::$sweep = false;
    }

    private static function finishResponse(): bool
    {
        if (function_exists('fastcgi_finish_request')) {
            return fastcgi_finish_request();
        }
        if (function_exists('litespeed_finish_request')) {
            return litespeed_finish_request();
        }

        return false;
    }
}
