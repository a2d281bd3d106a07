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
 * One combination (variant) of a product with its own stock.
 */
final class CombinationSnapshot
{
    /**
     * @param array<string, string> $attributes attribute group name => value name, e.g. ["Size" => "S"]
     */
    public function __construct(
        public readonly int $id,
        public readonly string $reference,
        public readonly string $ean13,
        public readonly array $attributes,
        public readonly int $quantity,
    ) {
    }
}
