<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Service;

use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Repository\SettingsRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Decides whether a hook of the current request may produce an event: the connector is configured,
 * the store plays the role the event belongs to, and the change is not the hub's own write.
 */
final class EventGate
{
    public function __construct(
        private readonly SettingsRepository $settings,
        private readonly WebserviceEchoGuard $echoGuard,
    ) {
    }

    public function allows(Role $role): bool
    {
        $settings = $this->settings->load();

        return $settings->isComplete() && $settings->role === $role && !$this->echoGuard->isHubWrite();
    }
}
