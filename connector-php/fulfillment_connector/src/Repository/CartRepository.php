<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Repository;

use FulfillmentConnector\Model\CartTotals;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Reads a cart's totals, and the order placed with it, through PrestaShop's classes.
 */
final class CartRepository
{
    /** When the currency says nothing about its precision. */
    public const DEFAULT_PRECISION = 2;

    /**
     * The cart's totals, computed in the context `PaymentModule::validateOrder` sets up before it compares
     * the posted `total_paid` with `getOrderTotal(true, Cart::BOTH)`: the cart, its customer (groups,
     * specific prices) and its currency. The Context is restored afterwards. Null when no such cart.
     */
    public function totals(int $idCart): ?CartTotals
    {
        $cart = new \Cart($idCart);
        if (!\Validate::isLoadedObject($cart)) {
            return null;
        }

        $context = \Context::getContext();
        $saved = [$context->cart, $context->customer, $context->currency];
        try {
            $context->cart = $cart;
            $context->customer = new \Customer((int) $cart->id_customer);
            // The cart was loaded before its customer: recompute its tax method, as validateOrder does.
            $cart->setTaxCalculationMethod();
            $context->currency = new \Currency((int) $cart->id_currency);

            return new CartTotals(
                (int) $cart->id,
                (int) $cart->id_currency,
                (string) $context->currency->iso_code,
                self::precisionOf($context->currency),
                (float) $cart->getOrderTotal(true, \Cart::BOTH),
                (float) $cart->getOrderTotal(false, \Cart::ONLY_PRODUCTS),
                (float) $cart->getOrderTotal(true, \Cart::ONLY_PRODUCTS),
                (float) $cart->getOrderTotal(true, \Cart::ONLY_SHIPPING)
            );
        } finally {
            [$context->cart, $context->customer, $context->currency] = $saved;
        }
    }

    /**
     * The order placed with this cart, if any.
     */
    public function orderIdOf(int $idCart): ?int
    {
        $idOrder = (int) \Order::getIdByCartId($idCart);

        return $idOrder > 0 ? $idOrder : null;
    }

    /**
     * The currency's precision (decimals PrestaShop rounds its prices to, 2 for EUR, 0 for JPY), or 2.
     */
    private static function precisionOf(?object $currency): int
    {
        $precision = $currency->precision ?? null;
        if (!is_numeric($precision)) {
            return self::DEFAULT_PRECISION;
        }

        return max(0, min(6, (int) $precision));
    }
}
