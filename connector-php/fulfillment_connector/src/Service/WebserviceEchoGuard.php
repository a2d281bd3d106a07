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

use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Repository\WebserviceAccountRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Recognises changes made by the hub itself through this shop's Webservice, which must not be sent
 * back to the hub (they would echo forever).
 *
 * A request is a Webservice request when PrestaShop's dispatcher defined `_PS_API_IN_USE_`. Only writes
 * authenticated with the key of the hub's Webservice account, as chosen in the configuration, are the
 * hub's; writes by other Webservice clients (an ERP updating stock, an order created through the
 * Webservice) are real changes and are sent like any other. With no account chosen (the default, stored
 * as 0), or when the chosen account no longer exists, nothing is suppressed: a shop the hub does not
 * write to must lose no change.
 */
final class WebserviceEchoGuard
{
    /** @var callable(): bool */
    private $apiInUse;

    /** @var callable(): ?string */
    private $requestKey;

    /**
     * @param (callable(): bool)|null $apiInUse defaults to reading `_PS_API_IN_USE_`
     * @param (callable(): ?string)|null $requestKey defaults to the key of the current Webservice request
     */
    public function __construct(
        private readonly SettingsRepository $settings,
        private readonly WebserviceAccountRepository $accounts,
        ?callable $apiInUse = null,
        ?callable $requestKey = null,
    ) {
        $this->apiInUse = $apiInUse ?? static fn (): bool => defined('_PS_API_IN_USE_') && constant('_PS_API_IN_USE_');
        $this->requestKey = $requestKey ?? [self::class, 'requestKeyFromGlobals'];
    }

    public function isHubWrite(): bool
    {
        if (!($this->apiInUse)()) {
            return false;
        }
        $idAccount = $this->settings->load()->hubWebserviceAccountId;
        if ($idAccount <= 0) {
            return false;
        }
        $hubKey = $this->accounts->keyOf($idAccount);
        if ($hubKey === null) {
            // The account was deleted: the hub cannot write with it any more.
            return false;
        }
        $key = ($this->requestKey)();
        // The dispatcher authenticated the request, so a key was sent; not finding it where the
        // dispatcher looks means it cannot be told apart from the hub's: stay on the safe side (no echo).
        if ($key === null) {
            return true;
        }

        return hash_equals($hubKey, $key);
    }

    /**
     * The Webservice key of the current request, found where PrestaShop's dispatcher looks for it:
     * HTTP Basic user (also decoded from a raw Authorization header under CGI/FPM), then `ws_key`.
     */
    public static function requestKeyFromGlobals(): ?string
    {
        if (isset($_SERVER['PHP_AUTH_USER']) && is_string($_SERVER['PHP_AUTH_USER']) && $_SERVER['PHP_AUTH_USER'] !== '') {
            return $_SERVER['PHP_AUTH_USER'];
        }
        foreach (['HTTP_AUTHORIZATION', 'REDIRECT_HTTP_AUTHORIZATION'] as $header) {
            $value = $_SERVER[$header] ?? null;
            if (is_string($value) && preg_match('/^Basic\s+(\S+)$/i', $value, $matches) === 1) {
                $decoded = base64_decode($matches[1], true);
                if (is_string($decoded) && $decoded !== '') {
                    return explode(':', $decoded, 2)[0];
                }
            }
        }
        $param = \Tools::getValue('ws_key', '');

        return is_string($param) && $param !== '' ? $param : null;
    }
}
