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
 * 1.2.0 → 1.3.0: a SOURCE store reports the state and the tracking number of the orders the hub created
 * (`POST {api_url}/sync/order-status`). That needs the hooks `actionAdminOrdersTrackingNumberUpdate` and
 * `actionObjectOrderCarrierUpdateAfter`, which installs made before 1.3.0 did not register, and
 * `actionOrderStatusPostUpdate`, which they did (registering it again changes nothing). The outbox table
 * is unchanged: its `event_type` column holds the new type `order_status`.
 *
 * @param Fulfillment_connector $module
 */
function upgrade_module_1_3_0($module): bool
{
    return (bool) $module->registerHook([
        'actionOrderStatusPostUpdate',
        'actionAdminOrdersTrackingNumberUpdate',
        'actionObjectOrderCarrierUpdateAfter',
    ]);
}
