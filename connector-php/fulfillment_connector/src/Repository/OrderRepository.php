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
 */
final class OrderRepository
{
    /**
     * @throws EntityNotFoundException when the order does not exist
     */
    public function snapshot(int $idOrder): OrderSnapshot
    {
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
            $lines[] = [
                'reference' => trim((string) $detail['product_reference']),
                'quantity' => (int) $detail['product_quantity'],
                'unit_price_tax_incl' => (string) $detail['unit_price_tax_incl'],
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
            (string) $order->date_add
        );
    }
}
