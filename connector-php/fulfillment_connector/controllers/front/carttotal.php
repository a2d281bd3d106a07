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

use FulfillmentConnector\Http\RequestHeaders;
use FulfillmentConnector\Service\HubSignature;

/**
 * GET index.php?fc=module&module=fulfillment_connector&controller=carttotal&id_cart=N (or
 * /module/fulfillment_connector/carttotal?id_cart=N): the source shop's own total of cart N, for the hub
 * that creates the order through the Webservice (decision 0004). Authenticated by `X-API-KEY` (and
 * `X-Hub-Signature` when a signing secret is set); the logic is CartTotalEndpoint. Answers JSON only.
 *
 * PrestaShop's Dispatcher loads `<module name><controller>ModuleFrontController`, hence the class name.
 */
class Fulfillment_ConnectorCarttotalModuleFrontController extends ModuleFrontController
{
    /** @var Fulfillment_connector */
    public $module;

    public function __construct()
    {
        parent::__construct();
        // No theme: Controller::run renders nothing for an ajax controller.
        $this->ajax = true;
    }

    public function postProcess()
    {
        $response = $this->module->connector()->cartTotalEndpoint()->handle(
            Tools::getValue('id_cart', null),
            RequestHeaders::get($_SERVER, 'X-API-KEY'),
            RequestHeaders::get($_SERVER, HubSignature::HEADER)
        );

        // Whatever reached the output buffer before (a notice, a stray BOM) would corrupt the JSON.
        if (ob_get_level() > 0 && ob_get_length() > 0) {
            ob_clean();
        }
        http_response_code($response->status);
        header('Content-Type: application/json');
        header('Cache-Control: no-store');
        header('X-Robots-Tag: noindex');
        $this->ajaxRender($response->json());
    }

    /**
     * Nothing to prepare for a theme that never renders, and no reason to run every module's
     * displayHeader hook on each call of the hub.
     */
    public function initContent()
    {
    }

    /**
     * The hub keeps creating orders while the shop is in maintenance mode (the Webservice does too).
     */
    protected function displayMaintenancePage()
    {
    }

    /**
     * The hub calls the URL of decision 0004 (index.php?fc=module…); no redirect to the friendly URL.
     */
    protected function canonicalRedirection($canonical_url = '')
    {
    }

    /**
     * Geolocation restrictions are for shoppers; the hub is authenticated by its key.
     */
    protected function displayRestrictedCountryPage()
    {
    }
}
