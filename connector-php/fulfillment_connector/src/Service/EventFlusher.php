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
use FulfillmentConnector\Exception\EntityNotFoundException;
use FulfillmentConnector\Exception\UnsyncableEntityException;
use FulfillmentConnector\Model\EventType;
use FulfillmentConnector\Model\NewOutboxEvent;
use FulfillmentConnector\Repository\OrderRepository;
use FulfillmentConnector\Repository\OrderStatusRepository;
use FulfillmentConnector\Repository\OutboxRepository;
use FulfillmentConnector\Repository\ProductRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Turns what the request recorded in the EventBuffer into outbox rows, one per product, one per order
 * and one per hub-created order whose state or tracking changed, each built from the entity's state at
 * the end of the request.
 */
final class EventFlusher
{
    /** @var callable(): int */
    private $shopId;

    /** @var callable(): int */
    private $languageId;

    /**
     * @param callable(): int $shopId the shop the events belong to
     * @param callable(): int $languageId the language names are read in (the shop's default)
     */
    public function __construct(
        private readonly ProductRepository $products,
        private readonly OrderRepository $orders,
        private readonly ProductPayloadBuilder $productPayloads,
        private readonly OrderPayloadBuilder $orderPayloads,
        private readonly OrderStatusRepository $orderStatuses,
        private readonly OrderStatusPayloadBuilder $orderStatusPayloads,
        private readonly OutboxRepository $outbox,
        private readonly Clock $clock,
        private readonly Logger $logger,
        callable $shopId,
        callable $languageId,
    ) {
        $this->shopId = $shopId;
        $this->languageId = $languageId;
    }

    /**
     * Writes the buffered events to the outbox and returns their sequences. One entity that cannot be
     * described is logged and skipped; it never prevents the others from being written.
     *
     * @return list<int>
     */
    public function flush(): array
    {
        $recorded = EventBuffer::drain();
        if ($recorded['products'] === [] && $recorded['orders'] === [] && $recorded['order_statuses'] === []) {
            return [];
        }
        $idShop = ($this->shopId)();
        $idLang = ($this->languageId)();
        $sequences = [];

        foreach ($recorded['products'] as $idProduct => $occurredAt) {
            $sequence = $this->write(EventType::Product, $idShop, $idProduct, $occurredAt, function () use ($recorded, $idProduct, $idShop, $idLang, $occurredAt): array {
                $snapshot = $recorded['deleted'][$idProduct] ?? $this->products->snapshot($idProduct, $idShop, $idLang);

                return $this->productPayloads->build($snapshot, null, $occurredAt);
            });
            if ($sequence !== null) {
                $sequences[] = $sequence;
            }
        }
        foreach ($recorded['orders'] as $idOrder => $occurredAt) {
            $sequence = $this->write(EventType::Order, $idShop, $idOrder, $occurredAt, function () use ($idOrder, $idLang, $occurredAt): array {
                return $this->orderPayloads->build($this->orders->snapshot($idOrder, $idLang), null, $occurredAt);
            });
            if ($sequence !== null) {
                $sequences[] = $sequence;
            }
        }
        foreach ($recorded['order_statuses'] as $idOrder => $occurredAt) {
            $sequence = $this->write(EventType::OrderStatus, $idShop, $idOrder, $occurredAt, function () use ($idOrder, $idLang, $occurredAt): array {
                return $this->orderStatusPayloads->build($this->orderStatuses->snapshot($idOrder, $idLang), null, $occurredAt);
            });
            if ($sequence !== null) {
                $sequences[] = $sequence;
            }
        }

        return $sequences;
    }

    /**
     * @param callable(): array<string, mixed> $payload
     */
    private function write(EventType $type, int $idShop, int $id, \DateTimeImmutable $occurredAt, callable $payload): ?int
    {
        try {
            return $this->outbox->add(
                new NewOutboxEvent(Uuid::v4(), $type, $idShop, $id, Format::json($payload()), $occurredAt),
                $this->clock->now()
            );
        } catch (EntityNotFoundException | UnsyncableEntityException $e) {
            $this->logger->warning('Not synchronised: ' . $e->getMessage(), $id);
        } catch (\Throwable $e) {
            $this->logger->error(sprintf('Could not queue the %s event of #%d: %s', $type->value, $id, $e->getMessage()), $id);
        }

        return null;
    }
}
