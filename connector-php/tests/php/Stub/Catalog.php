<?php

/**
 * Catalog stand-ins with PrestaShop's request-level caching: a loaded Product and a read stock
 * quantity are cached under the same keys as in PrestaShop 8, so reading stale values is possible
 * here exactly as it is in a real shop.
 */

declare(strict_types=1);

class Product extends ObjectModel
{
    /**
     * @standin id => fields; `name` is keyed by language id
     *
     * @var array<int, array<string, mixed>>
     */
    public static array $rows = [];

    /**
     * @standin id => getAttributeCombinations() rows
     *
     * @var array<int, list<array<string, mixed>>>
     */
    public static array $combinationRows = [];

    /**
     * @standin id => the `id_category` of its category_product rows, in the database's (unspecified) order
     *
     * @var array<int, list<int>>
     */
    public static array $categoryRows = [];

    /** @standin how many times a product was read from the "database" */
    public static int $loads = 0;

    public $id;
    public $reference;
    public $name;
    public $price = 0;
    public $active = true;
    public $date_upd;
    public $id_category_default;

    public function __construct($id_product = null, $full = false, $id_lang = null, $id_shop = null, Context $context = null)
    {
        if ($id_product === null) {
            return;
        }
        $cacheKey = 'objectmodel_Product_' . (int) $id_product . '_' . (int) $id_shop . '_' . (int) $id_lang;
        if (!Cache::isStored($cacheKey)) {
            ++self::$loads;
            Cache::store($cacheKey, self::$rows[(int) $id_product] ?? null);
        }
        $row = Cache::retrieve($cacheKey);
        if ($row === null) {
            return;
        }
        $this->id = (int) $id_product;
        $this->reference = $row['reference'];
        $this->name = $id_lang === null ? $row['name'] : ($row['name'][(int) $id_lang] ?? '');
        $this->price = $row['price'];
        $this->active = $row['active'];
        $this->date_upd = $row['date_upd'];
        // A column that may be NULL; PrestaShop hands it over as the database returns it.
        $this->id_category_default = $row['id_category_default'] ?? null;
    }

    /** As PrestaShop 8.2.1: cached for the request, ids as the database returns them (strings). */
    public static function getProductCategories($id_product = '')
    {
        $cacheId = 'Product::getProductCategories_' . (int) $id_product;
        if (!Cache::isStored($cacheId)) {
            Cache::store($cacheId, array_map('strval', self::$categoryRows[(int) $id_product] ?? []));
        }

        return Cache::retrieve($cacheId);
    }

    public function getAttributeCombinations($id_lang = null, $groupByIdAttributeGroup = true)
    {
        return self::$combinationRows[(int) $this->id] ?? [];
    }

    /** As PrestaShop 8.2.1: the rows of getAttributeCombinations for one id_product_attribute of this product. */
    public function getAttributeCombinationsById($id_product_attribute, $id_lang, $groupByIdAttributeGroup = true)
    {
        return array_values(array_filter(
            self::$combinationRows[(int) $this->id] ?? [],
            static fn (array $row): bool => (int) $row['id_product_attribute'] === (int) $id_product_attribute
        ));
    }
}

class Combination extends ObjectModel
{
    public $id;
    public $id_product;
}

class StockAvailable extends ObjectModel
{
    /**
     * @standin "<id_product>-<id_product_attribute>" => quantity
     *
     * @var array<string, int>
     */
    public static array $quantities = [];

    public $id;
    public $id_product;
    public $id_product_attribute;
    public $quantity = 0;

    public static function getQuantityAvailableByProduct($id_product = null, $id_product_attribute = null, $id_shop = null)
    {
        $id_product_attribute = $id_product_attribute ?? 0;
        $key = 'StockAvailable::getQuantityAvailableByProduct_' . (int) $id_product . '-' . (int) $id_product_attribute . '-' . (int) $id_shop;
        if (!Cache::isStored($key)) {
            Cache::store($key, self::$quantities[(int) $id_product . '-' . (int) $id_product_attribute] ?? 0);
        }

        return Cache::retrieve($key);
    }
}
