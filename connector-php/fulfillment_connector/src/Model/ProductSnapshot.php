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
 * The state of a product as read from the shop at the end of the request.
 */
final class ProductSnapshot
{
    /**
     * @param string $price tax excluded, as PrestaShop stores it ("11.900000")
     * @param string $dateUpd local shop time `Y-m-d H:i:s`
     * @param list<CombinationSnapshot> $combinations
     * @param list<int> $categories the default category first, then the others in ascending order
     */
    public function __construct(
        public readonly int $id,
        public readonly string $reference,
        public readonly string $name,
        public readonly string $price,
        public readonly int $quantity,
        public readonly bool $active,
        public readonly string $dateUpd,
        public readonly array $combinations,
        public readonly array $categories,
    ) {
    }
}
