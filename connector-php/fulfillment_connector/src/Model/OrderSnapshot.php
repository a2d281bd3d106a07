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
 * The state of an order as read from the shop at the end of the request.
 */
final class OrderSnapshot
{
    /**
     * @param array{email: string, firstname: string, lastname: string} $customer
     * @param array{firstname: string, lastname: string, company: string, address1: string, address2: string,
     *              postcode: string, city: string, country: string, phone: string} $deliveryAddress
     * @param list<array{reference: string, quantity: int, unit_price_tax_incl: string, product_reference: ?string,
     *                   combination: ?array{id: int, reference: string, ean13: string, attributes: array<string, string>}}> $lines
     *        unit prices as stored (6 decimals); `product_reference` is the parent product's own reference
     *        (null when the product no longer exists); `combination` is null for a product without one
     * @param string $dateAdd local shop time `Y-m-d H:i:s`
     * @param int $carrierId the order's carrier at the retailer (0: none), which the hub may map to one of the
     *        wholesaler's carriers
     */
    public function __construct(
        public readonly int $id,
        public readonly string $reference,
        public readonly string $currencyIso,
        public readonly int $state,
        public readonly bool $valid,
        public readonly array $customer,
        public readonly array $deliveryAddress,
        public readonly array $lines,
        public readonly string $totalPaidTaxIncl,
        public readonly string $dateAdd,
        public readonly int $carrierId = 0,
    ) {
    }
}
