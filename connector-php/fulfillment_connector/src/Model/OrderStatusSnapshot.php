<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Model;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The life of an order the hub created on the SOURCE store, as read from the shop at the end of the
 * request: its state and its shipment.
 */
final class OrderStatusSnapshot
{
    /**
     * @param int $state the order's current_state (0: none yet)
     * @param string|null $stateName that state's name in the shop's default language, null when unknown
     * @param string $trackingNumber the tracking number of the order's carrier ('' when none)
     * @param int $carrierId the order's id_carrier (0: none)
     * @param string $dateUpd local shop time `Y-m-d H:i:s`
     */
    public function __construct(
        public readonly int $id,
        public readonly string $reference,
        public readonly int $cartId,
        public readonly int $state,
        public readonly ?string $stateName,
        public readonly string $trackingNumber,
        public readonly int $carrierId,
        public readonly string $dateUpd,
    ) {
    }
}
