<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * 1.0.0 → 1.1.0: the module became a PaymentModule. A store installed with 1.0.0 never ran
 * PaymentModule::install, so add the currency, country and carrier restrictions it would have created
 * (existing rows are replaced, so running it twice is harmless). Hooks and settings are unchanged.
 *
 * @param Fulfillment_connector $module
 */
function upgrade_module_1_1_0($module): bool
{
    $db = Db::getInstance();
    foreach (['module_currency', 'module_country', 'module_carrier'] as $table) {
        if (!$db->execute('DELETE FROM `' . _DB_PREFIX_ . $table . '` WHERE `id_module` = ' . (int) $module->id)) {
            return false;
        }
    }

    return (bool) $module->addCheckboxCurrencyRestrictionsForModule()
        && (bool) $module->addCheckboxCountryRestrictionsForModule()
        && (bool) $module->addCheckboxCarrierRestrictionsForModule();
}
