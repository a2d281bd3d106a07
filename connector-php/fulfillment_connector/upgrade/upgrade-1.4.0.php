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
 * 1.3.0 → 1.4.0: a SOURCE store's product events carry the product's `categories`. They are read from
 * tables PrestaShop already has, through hooks already registered, so hooks, tables and settings are
 * unchanged. Events already in the outbox keep the body they were written with (without `categories`)
 * and are delivered as they are: every attempt posts the same bytes.
 *
 * @param Fulfillment_connector $module
 */
function upgrade_module_1_4_0($module): bool
{
    return true;
}
