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

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Gathers the rows of Product::getAttributeCombinations / getAttributeCombinationsById (one row per
 * combination and attribute group, read from product_attribute, product_attribute_combination,
 * attribute, attribute_lang and attribute_group_lang) into one entry per combination. The product
 * event and the order lines describe a combination with the same code.
 */
final class CombinationRows
{
    /**
     * @param mixed $rows what PrestaShop returned (an array of rows, or false)
     *
     * @return array<int, array{reference: string, ean13: string, attributes: array<string, string>}>
     *         id_product_attribute => the combination's own reference and EAN13 (trimmed, "" when
     *         empty) and its attributes, group name => value name (attribute_group_lang.name and
     *         attribute_lang.name, PrestaShop's `group_name` and `attribute_name`); sorted by id
     */
    public static function group($rows): array
    {
        $byId = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $id = (int) $row['id_product_attribute'];
            if (!isset($byId[$id])) {
                $byId[$id] = [
                    'reference' => trim((string) ($row['reference'] ?? '')),
                    'ean13' => trim((string) ($row['ean13'] ?? '')),
                    'attributes' => [],
                ];
            }
            $group = (string) ($row['group_name'] ?? '');
            if ($group !== '') {
                $byId[$id]['attributes'][$group] = (string) ($row['attribute_name'] ?? '');
            }
        }
        ksort($byId);

        return $byId;
    }
}
