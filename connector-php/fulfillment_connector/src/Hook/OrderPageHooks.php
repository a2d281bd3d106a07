<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Hook;

use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Service\HubOrderLookup;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The back-office order page of a CLIENT store (`displayAdminOrderSide`, rendered by the order view
 * page of PrestaShop 8.x and 9.x): a small panel saying what the hub did with the order. A SOURCE store,
 * or a store not configured yet, shows nothing.
 */
final class OrderPageHooks
{
    public const TEMPLATE = 'views/templates/admin/order_replication.tpl';

    public function __construct(
        private readonly \Module $module,
        private readonly \Context $context,
        private readonly SettingsRepository $settings,
        private readonly HubOrderLookup $lookup,
    ) {
    }

    /**
     * @param array<string, mixed> $params the hook's parameters: `id_order`
     *
     * @return string the panel's HTML, or '' when there is nothing to show
     */
    public function onOrderPage(array $params): string
    {
        $settings = $this->settings->load();
        $idOrder = (int) ($params['id_order'] ?? 0);
        if ($settings->role !== Role::Client || !$settings->isComplete() || $settings->storeCode === '' || $idOrder <= 0) {
            return '';
        }
        $order = ['id_order' => $idOrder] + $this->lookup->find($settings, $idOrder)->toArray();
        // The hub knows this shop's state by its id: show the name this shop gives it.
        $order['client_state_name'] = null;
        if (is_string($order['client_state'] ?? null) && ctype_digit($order['client_state'])) {
            $name = (new \OrderState((int) $order['client_state'], (int) $this->context->language->id))->name;
            $order['client_state_name'] = is_string($name) && $name !== '' ? $name : null;
        }
        $this->context->smarty->assign(['fulfillment_order' => $order]);

        return (string) $this->module->display($this->module->getLocalPath() . $this->module->name . '.php', self::TEMPLATE);
    }
}
