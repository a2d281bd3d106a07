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
use FulfillmentConnector\Http\JsonResponse;
use FulfillmentConnector\Model\CartTotals;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Repository\CartRepository;
use FulfillmentConnector\Repository\SettingsRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The logic of `GET …&controller=carttotal&id_cart=N` (decision 0004): the source shop's own total of a
 * cart the hub built through the Webservice, so that the hub's `POST /api/orders` carries the
 * `total_paid` validateOrder accepts.
 *
 * Checks, in this order: SOURCE role (403 `not_source`), `X-API-KEY` equal to the module's API key and,
 * when a signing secret is set, `X-Hub-Signature` over `id_cart=<N as received>` within ±300 s (401
 * `unauthorized`), a positive integer `id_cart` (400 `invalid_id_cart`), the cart (404 `cart_not_found`),
 * no order placed with it yet (409 `cart_already_ordered`). Read-only; never logs or returns the key.
 */
final class CartTotalEndpoint
{
    public const SIGNATURE_TOLERANCE_SECONDS = 300;

    /** PrestaShop's cart ids are INT UNSIGNED. */
    private const MAX_ID = 4294967295;

    public function __construct(
        private readonly SettingsRepository $settings,
        private readonly CartRepository $carts,
        private readonly Clock $clock,
    ) {
    }

    /**
     * @param mixed $idCart the `id_cart` request value, as received
     * @param string|null $apiKey the `X-API-KEY` header
     * @param string|null $signature the `X-Hub-Signature` header
     */
    public function handle(mixed $idCart, ?string $apiKey, ?string $signature): JsonResponse
    {
        $settings = $this->settings->load();
        if ($settings->role !== Role::Source) {
            return JsonResponse::error(403, 'not_source');
        }

        $rawIdCart = is_string($idCart) || is_int($idCart) ? (string) $idCart : '';
        $keyOk = $settings->apiKey() !== '' && $apiKey !== null && hash_equals($settings->apiKey(), $apiKey);
        $signatureOk = !$settings->hasSigningSecret() || HubSignature::verify(
            $settings->signingSecret(),
            $signature,
            'id_cart=' . $rawIdCart,
            $this->clock->now()->getTimestamp(),
            self::SIGNATURE_TOLERANCE_SECONDS
        );
        if (!$keyOk || !$signatureOk) {
            return JsonResponse::error(401, 'unauthorized');
        }

        $id = self::parseId($rawIdCart);
        if ($id === null) {
            return JsonResponse::error(400, 'invalid_id_cart');
        }
        $totals = $this->carts->totals($id);
        if ($totals === null) {
            return JsonResponse::error(404, 'cart_not_found');
        }
        $idOrder = $this->carts->orderIdOf($id);
        if ($idOrder !== null) {
            return new JsonResponse(409, ['error' => 'cart_already_ordered', 'id_order' => $idOrder]);
        }

        return new JsonResponse(200, self::body($totals));
    }

    /**
     * @return array<string, int|string>
     */
    private static function body(CartTotals $totals): array
    {
        $money = static fn (float $amount): string => self::money($amount, $totals->precision);

        return [
            'id_cart' => $totals->idCart,
            'id_currency' => $totals->idCurrency,
            'currency' => $totals->currencyIsoCode,
            'total_paid_tax_incl' => $money($totals->totalPaidTaxIncl),
            'total_products_tax_excl' => $money($totals->totalProductsTaxExcl),
            'total_products_tax_incl' => $money($totals->totalProductsTaxIncl),
            'total_shipping_tax_incl' => $money($totals->totalShippingTaxIncl),
        ];
    }

    /**
     * Rounded as validateOrder rounds the cart total (Tools::ps_round, the shop's rounding mode) and
     * written as validateOrder compares it (number_format with the precision, no thousands separator).
     */
    private static function money(float $amount, int $precision): string
    {
        return number_format((float) \Tools::ps_round($amount, $precision), $precision, '.', '');
    }

    /**
     * A canonical positive integer (`7`, not `07`, `+7` or `7.0`), or null.
     */
    private static function parseId(string $raw): ?int
    {
        if (preg_match('/^[1-9][0-9]{0,9}$/', $raw) !== 1 || (int) $raw > self::MAX_ID) {
            return null;
        }

        return (int) $raw;
    }
}
