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
 * GET /module/fulfillment_connector/cron?token=<token>: delivers due outbox events (retries included)
 * and answers a JSON summary. The token is an HMAC of the module's install-time secret, shown on the
 * configuration page. Meant to be called every minute by cron.
 */
class Fulfillment_ConnectorCronModuleFrontController extends ModuleFrontController
{
    /** @var Fulfillment_connector */
    public $module;

    public function __construct()
    {
        parent::__construct();
        $this->ajax = true;
    }

    public function postProcess()
    {
        $runner = $this->module->connector()->cronRunner();
        $token = Tools::getValue('token', '');
        if (!is_string($token) || !$runner->isValidToken($token)) {
            http_response_code(403);
            header('Content-Type: application/json');
            $this->ajaxRender(json_encode(['error' => ['code' => 'forbidden', 'message' => 'Invalid or missing token.']]));

            return;
        }

        header('Content-Type: application/json');
        header('Cache-Control: no-store');
        $this->ajaxRender(json_encode(['status' => 'ok'] + $runner->run()));
    }

    /**
     * The cron keeps delivering while the shop is in maintenance mode: it is token-protected and shows
     * no page.
     */
    protected function displayMaintenancePage()
    {
    }
}
