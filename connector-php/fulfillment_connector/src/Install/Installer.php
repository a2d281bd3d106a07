<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Install;

use FulfillmentConnector\Repository\DbOutboxRepository;
use FulfillmentConnector\Repository\SettingsRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Registers the hooks and creates the outbox on install; removes both, and the settings, on uninstall.
 * (The payment-module part, currency/country/carrier restrictions, is PaymentModule's own install.)
 * Both roles register every hook: the role decides at run time which ones produce events, so a store
 * can change role without reinstalling.
 */
final class Installer
{
    public const HOOKS = [
        // SOURCE: product, combination and stock changes.
        'actionProductSave',
        'actionObjectProductAddAfter',
        'actionObjectProductUpdateAfter',
        'actionObjectProductDeleteAfter',
        'actionUpdateQuantity',
        'actionObjectStockAvailableUpdateAfter',
        'actionObjectCombinationAddAfter',
        'actionObjectCombinationUpdateAfter',
        'actionObjectCombinationDeleteAfter',
        // CLIENT: orders. actionOrderStatusPostUpdate also serves the SOURCE (below).
        'actionValidateOrder',
        'actionValidateOrderAfter',
        'actionOrderStatusPostUpdate',
        // SOURCE: state and tracking of the orders the hub created (with actionOrderStatusPostUpdate).
        'actionAdminOrdersTrackingNumberUpdate',
        'actionObjectOrderCarrierUpdateAfter',
        // CLIENT: the hub's replication state on the back-office order page (8.x and 9.x order view).
        'displayAdminOrderSide',
        // Both: opportunistic delivery of due events.
        'actionDispatcherBefore',
    ];

    /**
     * The hooks a SOURCE store reports the hub's orders with (order-status events), which
     * upgrade/upgrade-1.3.0.php registers on existing installs. actionOrderStatusPostUpdate was already registered
     * (for the CLIENT role); PrestaShop skips a hook the module is already registered on.
     */
    public const ORDER_STATUS_HOOKS = [
        'actionOrderStatusPostUpdate',
        'actionAdminOrdersTrackingNumberUpdate',
        'actionObjectOrderCarrierUpdateAfter',
    ];

    /**
     * The fee settings PaymentModule::install creates for every payment module (CONF_<NAME>_…) and
     * PaymentModule::uninstall leaves behind; this module charges no fee and removes them.
     */
    public const PAYMENT_MODULE_KEYS = [
        'CONF_FULFILLMENT_CONNECTOR_FIXED',
        'CONF_FULFILLMENT_CONNECTOR_VAR',
        'CONF_FULFILLMENT_CONNECTOR_FIXED_FOREIGN',
        'CONF_FULFILLMENT_CONNECTOR_VAR_FOREIGN',
    ];

    /** @var list<string> */
    private array $errors = [];

    public function __construct(
        private readonly \Db $db,
        private readonly SettingsRepository $settings,
    ) {
    }

    public function install(\Module $module): bool
    {
        foreach (DbOutboxRepository::createSchemaSql() as $sql) {
            if (!$this->db->execute($sql)) {
                $this->errors[] = 'Could not create the outbox table: ' . $this->db->getMsgError();

                return false;
            }
        }
        if (!$module->registerHook(self::HOOKS)) {
            $this->errors[] = 'Could not register the hooks.';

            return false;
        }
        // Create the cron secret now so the cron URL is stable from the first visit of the page.
        $this->settings->cronSecret();

        return true;
    }

    public function uninstall(): bool
    {
        $ok = true;
        foreach (DbOutboxRepository::dropSchemaSql() as $sql) {
            $ok = $this->db->execute($sql) && $ok;
        }
        foreach ([...SettingsRepository::ALL_KEYS, ...self::PAYMENT_MODULE_KEYS] as $key) {
            $ok = \Configuration::deleteByName($key) && $ok;
        }

        return $ok;
    }

    /**
     * @return list<string>
     */
    public function errors(): array
    {
        return $this->errors;
    }
}
