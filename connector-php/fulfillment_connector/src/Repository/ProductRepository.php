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
use FulfillmentConnector\Model\CombinationSnapshot;
use FulfillmentConnector\Model\ProductSnapshot;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Reads a product's current state through PrestaShop's classes.
 */
final class ProductRepository
{
    /**
     * The product as it is now. Request-level caches are dropped first: hooks of this request may have
     * changed the product or its stock after PrestaShop cached them.
     *
     * @throws EntityNotFoundException when the product does not exist (any more)
     */
    public function snapshot(int $idProduct, int $idShop, int $idLang): ProductSnapshot
    {
        \Cache::clean('objectmodel_Product_' . $idProduct . '_*');
        \Cache::clean('StockAvailable::getQuantityAvailableByProduct_' . $idProduct . '-*');
        \Cache::clean('Product::getProductCategories_' . $idProduct);

        $product = new \Product($idProduct, false, $idLang, $idShop);
        if (!\Validate::isLoadedObject($product)) {
            throw EntityNotFoundException::product($idProduct);
        }

        return new ProductSnapshot(
            $idProduct,
            trim((string) $product->reference),
            self::text($product->name, $idLang),
            (string) $product->price,
            (int) \StockAvailable::getQuantityAvailableByProduct($idProduct, 0, $idShop),
            (bool) $product->active,
            (string) $product->date_upd,
            $this->combinations($product, $idProduct, $idShop, $idLang),
            self::categories($product->id_category_default, \Product::getProductCategories($idProduct))
        );
    }

    /**
     * A snapshot of a product being deleted, taken from the object the delete hook carries: it is
     * reported inactive with no stock so that retailers stop selling it, and in no category (its
     * category_product rows are deleted with it).
     */
    public function deletedSnapshot(\Product $product, int $idLang, \DateTimeImmutable $deletedAt): ProductSnapshot
    {
        $local = $deletedAt->setTimezone(new \DateTimeZone(date_default_timezone_get()));

        return new ProductSnapshot(
            (int) $product->id,
            trim((string) $product->reference),
            self::text($product->name, $idLang),
            (string) $product->price,
            0,
            false,
            $local->format('Y-m-d H:i:s'),
            [],
            []
        );
    }

    /**
     * @return list<CombinationSnapshot>
     */
    private function combinations(\Product $product, int $idProduct, int $idShop, int $idLang): array
    {
        // One row per (combination, attribute group).
        $byId = CombinationRows::group($product->getAttributeCombinations($idLang, true));

        $combinations = [];
        foreach ($byId as $id => $combination) {
            $combinations[] = new CombinationSnapshot(
                $id,
                $combination['reference'],
                $combination['ean13'],
                $combination['attributes'],
                (int) \StockAvailable::getQuantityAvailableByProduct($idProduct, $id, $idShop)
            );
        }

        return $combinations;
    }

    /**
     * The default category first, even when category_product lacks it, then the others in ascending
     * order, each once. PrestaShop returns the ids as the database does (strings, in no set order) and
     * the default as NULL or 0 when there is none.
     *
     * @param mixed $idCategoryDefault
     * @param array<mixed> $idCategories
     *
     * @return list<int>
     */
    private static function categories($idCategoryDefault, array $idCategories): array
    {
        $default = is_numeric($idCategoryDefault) ? (int) $idCategoryDefault : 0;
        $others = array_filter(
            array_unique(array_map('intval', $idCategories)),
            static fn (int $id): bool => $id > 0 && $id !== $default
        );
        sort($others);

        return $default > 0 ? [$default, ...$others] : $others;
    }

    /**
     * @param mixed $value a language field: a string, or an array keyed by language id
     */
    private static function text($value, int $idLang): string
    {
        if (is_array($value)) {
            $value = $value[$idLang] ?? reset($value);
        }

        return trim((string) $value);
    }
}
