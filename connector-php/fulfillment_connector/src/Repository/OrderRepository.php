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

use FulfillmentConnector\Exception\EntityNotFoundException;
use FulfillmentConnector\Model\OrderSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Reads an order's current state (customer, delivery address, lines) through PrestaShop's classes.
 *
 * A line's `product_reference` in order_detail is the combination's reference, or the parent's when the
 * combination has none, so it cannot tell a combination from its product: each line also carries its
 * parent product's own reference and, for a combination (order_detail.product_attribute_id > 0), the
 * combination as the catalogue describes it now (Product::getAttributeCombinationsById, the query the
 * product event's combinations come from).
 */
final class OrderRepository
{
    /**
     * @param int|null $idLang the language attribute names are read in; the shop's default when null
     *
     * @throws EntityNotFoundException when the order does not exist
     */
    public function snapshot(int $idOrder, ?int $idLang = null): OrderSnapshot
    {
        $idLang ??= (int) \Configuration::get('PS_LANG_DEFAULT');
        // validateOrder saves the order before its final state: drop the cached copy.
        \Cache::clean('objectmodel_Order_' . $idOrder . '_*');
        $order = new \Order($idOrder);
        if (!\Validate::isLoadedObject($order)) {
            throw EntityNotFoundException::order($idOrder);
        }
        $customer = new \Customer((int) $order->id_customer);
        $address = new \Address((int) $order->id_address_delivery);
        $currency = new \Currency((int) $order->id_currency);

        $lines = [];
        foreach ($order->getOrderDetailList() ?: [] as $detail) {
            $product = new \Product((int) ($detail['product_id'] ?? 0), false, $idLang);
            $loaded = \Validate::isLoadedObject($product);
            $idCombination = (int) ($detail['product_attribute_id'] ?? 0);
            $lines[] = [
                'reference' => trim((string) $detail['product_reference']),
                'quantity' => (int) $detail['product_quantity'],
                'unit_price_tax_incl' => (string) $detail['unit_price_tax_incl'],
                'product_reference' => $loaded ? trim((string) $product->reference) : null,
                'combination' => $idCombination > 0 ? $this->combination($loaded ? $product : null, $idCombination, $idLang) : null,
            ];
        }

        $phone = trim((string) $address->phone);

        return new OrderSnapshot(
            $idOrder,
            (string) $order->reference,
            (string) $currency->iso_code,
            (int) $order->current_state,
            (bool) $order->valid,
            [
                'email' => (string) $customer->email,
                'firstname' => (string) $customer->firstname,
                'lastname' => (string) $customer->lastname,
            ],
            [
                'firstname' => (string) $address->firstname,
                'lastname' => (string) $address->lastname,
                'company' => (string) $address->company,
                'address1' => (string) $address->address1,
                'address2' => (string) $address->address2,
                'postcode' => (string) $address->postcode,
                'city' => (string) $address->city,
                'country' => (string) \Country::getIsoById((int) $address->id_country),
                'phone' => $phone !== '' ? $phone : trim((string) $address->phone_mobile),
            ],
            $lines,
            (string) $order->total_paid_tax_incl,
            (string) $order->date_add,
            (int) $order->id_carrier
        );
    }

    /**
     * The combination of a line. When it (or its product) no longer exists, only its id is known.
     *
     * @return array{id: int, reference: string, ean13: string, attributes: array<string, string>}
     */
    private function combination(?\Product $product, int $idCombination, int $idLang): array
    {
        $found = $product === null ? [] : CombinationRows::group($product->getAttributeCombinationsById($idCombination, $idLang, true));
        $combination = $found[$idCombination] ?? ['reference' => '', 'ean13' => '', 'attributes' => []];

        return ['id' => $idCombination] + $combination;
    }
}
