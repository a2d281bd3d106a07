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
 * A cart's totals as PrestaShop computes them (not rounded), with the currency they are in and that
 * currency's precision.
 */
final class CartTotals
{
    public function __construct(
        public readonly int $idCart,
        public readonly int $idCurrency,
        public readonly string $currencyIsoCode,
        public readonly int $precision,
        public readonly float $totalPaidTaxIncl,
        public readonly float $totalProductsTaxExcl,
        public readonly float $totalProductsTaxIncl,
        public readonly float $totalShippingTaxIncl,
    ) {
    }
}
