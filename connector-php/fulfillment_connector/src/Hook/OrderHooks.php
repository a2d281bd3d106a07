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
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Service\AfterResponseRunner;
use FulfillmentConnector\Service\EventBuffer;
use FulfillmentConnector\Service\EventGate;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * CLIENT store: a new order, or a change of an order's state, records the order id; the event is
 * built at the end of the request, when validateOrder has saved the order's real state (its
 * `orderStatus` parameter is only the requested one).
 */
final class OrderHooks
{
    public function __construct(
        private readonly EventGate $gate,
        private readonly Clock $clock,
        private readonly AfterResponseRunner $afterResponse,
    ) {
    }

    /**
     * actionValidateOrder and actionValidateOrderAfter: `order` (and `orders` after).
     *
     * @param array<string, mixed> $params
     */
    public function onOrderValidated(array $params): void
    {
        $ids = [];
        foreach (array_merge([$params['order'] ?? null], is_array($params['orders'] ?? null) ? $params['orders'] : []) as $order) {
            if (is_object($order) && isset($order->id)) {
                $ids[] = $order->id;
            }
        }
        foreach ($ids as $id) {
            $this->record($id);
        }
    }

    /**
     * actionOrderStatusPostUpdate: `id_order`, `newOrderStatus` (after the state was saved).
     *
     * @param array<string, mixed> $params
     */
    public function onOrderStatusChanged(array $params): void
    {
        $this->record($params['id_order'] ?? 0);
    }

    /**
     * @param mixed $idOrder
     */
    private function record($idOrder): void
    {
        $id = is_numeric($idOrder) ? (int) $idOrder : 0;
        if ($id <= 0 || !$this->gate->allows(Role::Client)) {
            return;
        }
        EventBuffer::recordOrder($id, $this->clock->now());
        $this->afterResponse->schedule();
    }
}
