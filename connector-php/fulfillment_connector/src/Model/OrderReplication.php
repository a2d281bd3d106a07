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
 * What the hub says became of one of this (CLIENT) store's orders, as shown on the back-office order
 * page. `state` is the hub's status (`pending`, `waiting_payment`, `created`, `failed`) when the hub
 * answered with the order, else what prevented knowing it: `unknown` (the hub has no such order),
 * `unreachable` (no answer, a timeout or a 5xx), `refused` (401/403: the key or the store code is
 * wrong) or `unexpected` (any other answer).
 *
 * Once the wholesaler works on the order (the SOURCE store reports it to the hub), the hub's answer may
 * also carry the wholesaler's state (`source_state_name`, else `source_state`), the state the hub gave
 * this store's order (`client_state`), the tracking number, when that status last changed
 * (`status_updated_at`) and a message for the retailer (`attention`). Each is null when absent.
 */
final class OrderReplication
{
    public const HUB_STATES = ['pending', 'waiting_payment', 'created', 'failed'];

    /**
     * @param array<string, string> $shipping carrier and shipping fields the hub sent, name => value
     *                                        (`carrier_name`, `shipping_*`, `tracking_*` other than
     *                                        `tracking_number`), when present
     */
    public function __construct(
        public readonly string $state,
        public readonly ?int $httpStatus = null,
        public readonly ?int $sourceOrderId = null,
        public readonly ?string $sourceReference = null,
        public readonly ?string $sourceState = null,
        public readonly ?string $error = null,
        public readonly ?string $updatedAt = null,
        public readonly array $shipping = [],
        public readonly ?string $hubStatus = null,
        public readonly ?string $sourceStateName = null,
        public readonly ?string $clientState = null,
        public readonly ?string $trackingNumber = null,
        public readonly ?string $statusUpdatedAt = null,
        public readonly ?string $attention = null,
    ) {
    }

    public static function because(string $state, ?int $httpStatus = null): self
    {
        return new self($state, $httpStatus);
    }

    /**
     * @return array<string, mixed> the template's variables
     */
    public function toArray(): array
    {
        return [
            'state' => $this->state,
            'http_status' => $this->httpStatus,
            'source_order_id' => $this->sourceOrderId,
            'source_reference' => $this->sourceReference,
            'source_state' => $this->sourceState,
            'error' => $this->error,
            'updated_at' => $this->updatedAt,
            'shipping' => $this->shipping,
            'hub_status' => $this->hubStatus,
            'source_state_name' => $this->sourceStateName,
            'client_state' => $this->clientState,
            'tracking_number' => $this->trackingNumber,
            'status_updated_at' => $this->statusUpdatedAt,
            'attention' => $this->attention,
        ];
    }
}
