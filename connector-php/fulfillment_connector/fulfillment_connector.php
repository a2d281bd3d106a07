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

require_once __DIR__ . '/autoload.php';

use FulfillmentConnector\ConnectorFactory;

/**
 * Event-Driven Fulfillment Connector: pushes catalog changes and the life of the orders the hub created
 * (SOURCE store) or orders (CLIENT store) to the Fulfillment Hub through a durable outbox. The class only wires PrestaShop to the services
 * in src/.
 *
 * It is a PaymentModule so that the hub can create orders on the SOURCE store through the Webservice
 * (`POST /api/orders` with `module=fulfillment_connector`: Order::addWs calls this module's
 * validateOrder). It is never offered to shoppers: it does not register `paymentOptions` (nor the
 * legacy payment hooks), so the checkout never lists it.
 */
class Fulfillment_connector extends PaymentModule
{
    private ?ConnectorFactory $factory = null;

    public function __construct()
    {
        $this->name = 'fulfillment_connector';
        $this->tab = 'administration';
        $this->version = '1.4.0';
        $this->author = 'Fulfillment Hub';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '8.0.0', 'max' => '9.99.99'];
        $this->bootstrap = true;
        // PaymentModule::install restricts the module to every currency (checkbox mode), every active
        // country and every carrier: validateOrder then accepts any cart the hub builds.
        $this->currencies = true;
        $this->currencies_mode = 'checkbox';

        parent::__construct();

        $this->displayName = $this->trans('Event-Driven Fulfillment Connector', [], 'Modules.Fulfillmentconnector.Admin');
        $this->description = $this->trans(
            'Sends product, price and stock changes (wholesaler store) or new orders (retailer store) to the Fulfillment Hub, and lets the hub place the retailers\' orders on the wholesaler store. Never offered as a payment method at checkout.',
            [],
            'Modules.Fulfillmentconnector.Admin'
        );
        $this->confirmUninstall = $this->trans(
            'Uninstalling deletes the outbox, including events not yet delivered to the hub. Continue?',
            [],
            'Modules.Fulfillmentconnector.Admin'
        );
    }

    public function isUsingNewTranslationSystem(): bool
    {
        return true;
    }

    /**
     * Replaces the services' PrestaShop-backed defaults (tests, and tools that embed the module).
     */
    public function setConnectorFactory(ConnectorFactory $factory): void
    {
        $this->factory = $factory;
    }

    public function connector(): ConnectorFactory
    {
        return $this->factory ??= new ConnectorFactory($this);
    }

    public function install(): bool
    {
        if (PHP_VERSION_ID < 80100) {
            $this->_errors[] = $this->trans('This module needs PHP 8.1 or later.', [], 'Modules.Fulfillmentconnector.Admin');

            return false;
        }
        if (!extension_loaded('curl')) {
            $this->_errors[] = $this->trans('This module needs the PHP curl extension.', [], 'Modules.Fulfillmentconnector.Admin');

            return false;
        }
        // PaymentModule::install: Module::install, then the currency, country and carrier restrictions.
        if (!parent::install()) {
            return false;
        }
        $installer = $this->connector()->installer();
        if (!$installer->install($this)) {
            foreach ($installer->errors() as $error) {
                $this->_errors[] = $error;
            }

            return false;
        }

        return true;
    }

    /**
     * The outbox and the settings, then PaymentModule::uninstall (restrictions, then Module::uninstall).
     */
    public function uninstall(): bool
    {
        return $this->connector()->installer()->uninstall() && parent::uninstall();
    }

    public function getContent(): string
    {
        return $this->connector()->configurationPage()->render();
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionProductSave(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductSave($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectProductAddAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductObjectSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectProductUpdateAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductObjectSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectProductDeleteAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductObjectDeleted($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionUpdateQuantity(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onUpdateQuantity($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectStockAvailableUpdateAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductPartSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectCombinationAddAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductPartSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectCombinationUpdateAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductPartSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectCombinationDeleteAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->productHooks()->onProductPartSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionValidateOrder(array $params): void
    {
        $this->runHook(fn () => $this->connector()->orderHooks()->onOrderValidated($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionValidateOrderAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->orderHooks()->onOrderValidated($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionOrderStatusPostUpdate(array $params): void
    {
        // Each role does its own thing: a CLIENT sends its order, a SOURCE the state of a hub-created order.
        $this->runHook(fn () => $this->connector()->orderHooks()->onOrderStatusChanged($params));
        $this->runHook(fn () => $this->connector()->orderStatusHooks()->onOrderStatusChanged($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionAdminOrdersTrackingNumberUpdate(array $params): void
    {
        $this->runHook(fn () => $this->connector()->orderStatusHooks()->onTrackingNumberUpdated($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionObjectOrderCarrierUpdateAfter(array $params): void
    {
        $this->runHook(fn () => $this->connector()->orderStatusHooks()->onOrderCarrierSaved($params));
    }

    /**
     * @param array<string, mixed> $params
     */
    public function hookActionDispatcherBefore(array $params): void
    {
        $this->runHook(fn () => $this->connector()->dispatcherHooks()->onDispatch($params));
    }

    /**
     * The back-office order page (PrestaShop 8.x and 9.x): on a CLIENT store, what the hub did with the
     * order. Never fails the page: any error shows nothing.
     *
     * @param array<string, mixed> $params
     */
    public function hookDisplayAdminOrderSide(array $params): string
    {
        try {
            return $this->connector()->orderPageHooks()->onOrderPage($params);
        } catch (\Throwable $e) {
            $this->connector()->logger()->error('Order page panel failed: ' . $e->getMessage());

            return '';
        }
    }

    /**
     * A hook must never break the shop's own operation (saving a product, placing an order).
     */
    private function runHook(callable $handler): void
    {
        try {
            $handler();
        } catch (\Throwable $e) {
            $this->connector()->logger()->error('Hook failed: ' . $e->getMessage());
        }
    }
}
