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
use FulfillmentConnector\Repository\OrderStatusRepository;
use FulfillmentConnector\Service\AfterResponseRunner;
use FulfillmentConnector\Service\EventBuffer;
use FulfillmentConnector\Service\EventGate;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * SOURCE store: a change of state or of shipment of an order the hub created (Order::$module is
 * `fulfillment_connector`) records the order id; the order-status event is built at the end of the
 * request from the order as it is then. Every other order, and every order of a CLIENT store, is
 * ignored. Hook parameters as in PrestaShop 8.2.1 (ids arrive as int or string).
 */
final class OrderStatusHooks
{
    public function __construct(
        private readonly EventGate $gate,
        private readonly Clock $clock,
        private readonly AfterResponseRunner $afterResponse,
        private readonly OrderStatusRepository $orders,
    ) {
    }

    /**
     * actionOrderStatusPostUpdate: `id_order`, `newOrderStatus` (OrderHistory::changeIdOrderState, from
     * the back office, the Webservice or validateOrder).
     *
     * @param array<string, mixed> $params
     */
    public function onOrderStatusChanged(array $params): void
    {
        $this->record($params['id_order'] ?? 0, null);
    }

    /**
     * actionAdminOrdersTrackingNumberUpdate: `order`, `customer`, `carrier`. PrestaShop 8.0–9.0 fire it
     * from UpdateOrderShippingDetailsHandler (the back-office order page's shipping form), after the
     * order carrier was saved, and only when the new tracking number is not empty and differs.
     *
     * @param array<string, mixed> $params
     */
    public function onTrackingNumberUpdated(array $params): void
    {
        $order = $params['order'] ?? null;
        if ($order instanceof \Order) {
            $this->record($order->id, $order->module);
        }
    }

    /**
     * actionObjectOrderCarrierUpdateAfter: `object` (every save of an order carrier: the back office,
     * Order::setWsShippingNumber through the Webservice, other modules).
     *
     * @param array<string, mixed> $params
     */
    public function onOrderCarrierSaved(array $params): void
    {
        $object = $params['object'] ?? null;
        if ($object instanceof \OrderCarrier) {
            $this->record($object->id_order, null);
        }
    }

    /**
     * @param mixed $idOrder
     * @param mixed $module the order's module when the hook gave the order, else null (it is read)
     */
    private function record($idOrder, $module): void
    {
        $id = is_numeric($idOrder) ? (int) $idOrder : 0;
        if ($id <= 0 || !$this->gate->allows(Role::Source)) {
            return;
        }
        $isHubOrder = $module !== null ? OrderStatusRepository::isHubModule($module) : $this->orders->isHubOrder($id);
        if (!$isHubOrder) {
            return;
        }
        EventBuffer::recordOrderStatus($id, $this->clock->now());
        $this->afterResponse->schedule();
    }
}
