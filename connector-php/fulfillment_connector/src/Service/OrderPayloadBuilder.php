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

use FulfillmentConnector\Exception\UnsyncableEntityException;
use FulfillmentConnector\Model\OrderSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The `order` member of a POST /sync/order body (wire contract v1). Each line is
 * `{reference, quantity, unit_price_tax_incl, product_reference?, combination?}`, where `combination` is
 * `{id, reference|null, ean13|null, attributes{group: value}}` (the retailer's id_product_attribute and
 * the combination's own reference and EAN13, null when empty).
 */
final class OrderPayloadBuilder
{
    /**
     * `placed_at` is the order's `date_add`; when that is empty or zero, `$changedAt`, the time of the
     * hook: the hub requires a timestamp.
     *
     * @return array<string, mixed> in contract order
     *
     * @throws UnsyncableEntityException when the order has no line with a positive quantity, or no date
     */
    public function build(OrderSnapshot $order, ?string $timezone = null, ?\DateTimeImmutable $changedAt = null): array
    {
        $lines = [];
        foreach ($order->lines as $line) {
            if ($line['quantity'] < 1) {
                continue;
            }
            $payload = [
                'reference' => $line['reference'],
                'quantity' => $line['quantity'],
                'unit_price_tax_incl' => Format::money($line['unit_price_tax_incl']),
            ];
            // Both optional in the contract: left out when unknown (a deleted product), and for a line
            // without a combination, so that a hub that predates them reads the same line as before.
            if (($line['product_reference'] ?? null) !== null) {
                $payload['product_reference'] = $line['product_reference'];
            }
            $combination = $line['combination'] ?? null;
            if ($combination !== null) {
                $payload['combination'] = [
                    'id' => $combination['id'],
                    'reference' => $combination['reference'] !== '' ? $combination['reference'] : null,
                    'ean13' => $combination['ean13'] !== '' ? $combination['ean13'] : null,
                    // An object even when empty, as in the product event's combinations.
                    'attributes' => (object) $combination['attributes'],
                ];
            }
            $lines[] = $payload;
        }
        if ($lines === []) {
            throw new UnsyncableEntityException(sprintf('Order #%d has no line to replicate.', $order->id));
        }

        $address = $order->deliveryAddress;

        $payload = [
            'id' => $order->id,
            'reference' => $order->reference,
            'currency' => strtoupper($order->currencyIso),
            'state' => (string) $order->state,
            'valid' => $order->valid,
            'customer' => [
                'email' => $order->customer['email'],
                'firstname' => $order->customer['firstname'],
                'lastname' => $order->customer['lastname'],
            ],
            'delivery_address' => [
                'firstname' => $address['firstname'],
                'lastname' => $address['lastname'],
                'company' => $address['company'],
                'address1' => $address['address1'],
                'address2' => $address['address2'],
                'postcode' => $address['postcode'],
                'city' => $address['city'],
                'country' => strtoupper($address['country']),
                'phone' => $address['phone'],
            ],
            'lines' => $lines,
            'total_paid_tax_incl' => Format::money($order->totalPaidTaxIncl),
            'placed_at' => $this->placedAt($order, $timezone, $changedAt),
        ];
        if ($order->carrierId > 0) {
            // The retailer's carrier: a hub store's `carrier_map` turns it into one of the wholesaler's.
            $payload['carrier_id'] = $order->carrierId;
        }

        return $payload;
    }

    private function placedAt(OrderSnapshot $order, ?string $timezone, ?\DateTimeImmutable $changedAt): string
    {
        if ($changedAt !== null) {
            return Format::localToUtcOr($order->dateAdd, $timezone, $changedAt);
        }

        return Format::localToUtc($order->dateAdd, $timezone)
            ?? throw new UnsyncableEntityException(sprintf('Order #%d has no creation date.', $order->id));
    }
}
