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
use FulfillmentConnector\Model\ProductSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The `product` member of a POST /sync/product body (wire contract v1).
 */
final class ProductPayloadBuilder
{
    private const MAX_REFERENCE = 64;
    private const MAX_NAME = 255;

    /**
     * `updated_at` is the product's `date_upd`; when that is empty or zero (products imported straight
     * into the database), `$changedAt`, the time of the change: the hub requires a timestamp.
     *
     * @return array<string, mixed> in contract order: id, reference, name, price, quantity, active,
     *                              updated_at, combinations, categories
     *
     * @throws UnsyncableEntityException when the product has no usable reference, or no date at all
     */
    public function build(ProductSnapshot $product, ?string $timezone = null, ?\DateTimeImmutable $changedAt = null): array
    {
        if ($product->reference === '') {
            throw new UnsyncableEntityException(sprintf('Product #%d has no reference: the hub cannot match it.', $product->id));
        }
        if (mb_strlen($product->reference) > self::MAX_REFERENCE) {
            throw new UnsyncableEntityException(sprintf('Product #%d has a reference longer than 64 characters.', $product->id));
        }

        $combinations = [];
        foreach ($product->combinations as $combination) {
            $combinations[] = [
                'id' => $combination->id,
                'reference' => $combination->reference,
                'ean13' => $combination->ean13,
                // An object even when empty: the contract's attributes is a map, never a list.
                'attributes' => (object) $combination->attributes,
                'quantity' => $combination->quantity,
            ];
        }

        return [
            'id' => $product->id,
            'reference' => $product->reference,
            'name' => mb_substr($product->name, 0, self::MAX_NAME),
            'price' => Format::price($product->price),
            'quantity' => $product->quantity,
            'active' => $product->active,
            'updated_at' => $this->updatedAt($product, $timezone, $changedAt),
            'combinations' => $combinations,
            // A JSON list whatever the keys: the hub selects and prices products by these ids.
            'categories' => array_values($product->categories),
        ];
    }

    private function updatedAt(ProductSnapshot $product, ?string $timezone, ?\DateTimeImmutable $changedAt): string
    {
        if ($changedAt !== null) {
            return Format::localToUtcOr($product->dateUpd, $timezone, $changedAt);
        }

        return Format::localToUtc($product->dateUpd, $timezone)
            ?? throw new UnsyncableEntityException(sprintf('Product #%d has no update date.', $product->id));
    }
}
