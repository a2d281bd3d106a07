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
 * 1.1.0 → 1.2.0: the order page panel (the hub's replication state of a CLIENT store's order) needs the
 * hook `displayAdminOrderSide`, which installs made before 1.2.0 did not register. The stored "Hub
 * Webservice account" keeps its format (an account id, 0 for none); only the meaning of 0 changed, from
 * "suppress every Webservice change" to "suppress none", so there is nothing to convert.
 *
 * @param Fulfillment_connector $module
 */
function upgrade_module_1_2_0($module): bool
{
    return (bool) $module->registerHook('displayAdminOrderSide');
}
