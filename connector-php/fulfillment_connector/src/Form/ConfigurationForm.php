<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Form;

use FulfillmentConnector\Exception\InvalidSettingsException;
use FulfillmentConnector\Model\Role;
use FulfillmentConnector\Model\Settings;
use FulfillmentConnector\Repository\SettingsRepository;
use FulfillmentConnector\Repository\WebserviceAccountRepository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * The settings form (HelperForm) and the validation of what it submits. Secrets are write-only: the
 * form never carries their value back; an empty field keeps the stored one.
 */
final class ConfigurationForm
{
    public const SUBMIT = 'submitFulfillmentConnector';
    public const CLEAR_SIGNING_SECRET = 'FULFILLMENT_SIGNING_SECRET_CLEAR';

    private const SECRET_PATTERN = '/^[\x21-\x3b\x3d\x3f-\x7e]{8,255}$/';
    private const STORE_CODE_PATTERN = '/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/';

    /** @var callable(string, array<string, string>=): string */
    private $translate;

    /**
     * @param callable(string, array<string, string>=): string $translate
     */
    public function __construct(
        private readonly SettingsRepository $settings,
        private readonly WebserviceAccountRepository $accounts,
        callable $translate,
    ) {
        $this->translate = $translate;
    }

    /**
     * Validates submitted values against the stored settings.
     *
     * @param array<string, mixed> $input field name => submitted value
     *
     * @throws InvalidSettingsException with one message per invalid field
     */
    public function validate(array $input, Settings $current): Settings
    {
        $errors = [];
        $value = static fn (string $key): string => trim(is_scalar($input[$key] ?? null) ? (string) $input[$key] : '');

        $apiUrl = rtrim($value(SettingsRepository::API_URL), '/');
        $parts = parse_url($apiUrl);
        if (
            $apiUrl === '' || $parts === false || filter_var($apiUrl, FILTER_VALIDATE_URL) === false
            || !in_array(strtolower((string) ($parts['scheme'] ?? '')), ['http', 'https'], true)
            || isset($parts['user']) || isset($parts['pass']) || isset($parts['query']) || isset($parts['fragment'])
        ) {
            $errors[SettingsRepository::API_URL] = $this->t('The hub API URL must be an http(s) URL without credentials, query or fragment, like http://hub:8080/api.');
        }

        $apiKey = $value(SettingsRepository::API_KEY);
        if ($apiKey === '') {
            $apiKey = $current->apiKey();
            if ($apiKey === '') {
                $errors[SettingsRepository::API_KEY] = $this->t('The API key is required.');
            }
        } elseif (preg_match(self::SECRET_PATTERN, $apiKey) !== 1) {
            $errors[SettingsRepository::API_KEY] = $this->t('The API key must be 8 to 255 printable characters, without spaces, "<" or ">".');
        }

        $secret = $value(SettingsRepository::SIGNING_SECRET);
        if ((bool) $value(self::CLEAR_SIGNING_SECRET)) {
            $secret = '';
        } elseif ($secret === '') {
            $secret = $current->signingSecret();
        } elseif (preg_match(self::SECRET_PATTERN, $secret) !== 1) {
            $errors[SettingsRepository::SIGNING_SECRET] = $this->t('The signing secret must be 8 to 255 printable characters, without spaces, "<" or ">".');
        }

        $role = Role::tryFrom($value(SettingsRepository::ROLE));
        if ($role === null) {
            $errors[SettingsRepository::ROLE] = $this->t('Choose the role of this store: SOURCE or CLIENT.');
        }

        $storeCode = $value(SettingsRepository::STORE_CODE);
        if (preg_match(self::STORE_CODE_PATTERN, $storeCode) !== 1) {
            $errors[SettingsRepository::STORE_CODE] = $this->t('The store code must be 1 to 64 letters, digits, "-" or "_", as declared in the hub.');
        }

        $account = $value(SettingsRepository::HUB_WS_ACCOUNT);
        $idAccount = $account === '' ? 0 : (ctype_digit($account) ? (int) $account : -1);
        if ($idAccount < 0 || ($idAccount > 0 && !array_key_exists($idAccount, $this->accounts->listAccounts()))) {
            $errors[SettingsRepository::HUB_WS_ACCOUNT] = $this->t('Choose an existing Webservice account, or "none".');
        }

        if ($errors !== []) {
            throw new InvalidSettingsException($errors);
        }

        return new Settings($apiUrl, $apiKey, $secret, $role, $storeCode, $idAccount);
    }

    /**
     * The HelperForm definition.
     *
     * @return array<string, mixed>
     */
    public function definition(Settings $current): array
    {
        $accounts = [['id' => '0', 'name' => $this->t('None: every change made through the Webservice is sent (default)')]];
        foreach ($this->accounts->listAccounts() as $id => $label) {
            $accounts[] = ['id' => (string) $id, 'name' => $label];
        }
        $keyHelp = $current->apiKey() === ''
            ? $this->t('Not set.')
            : $this->t('Set (fingerprint %fingerprint%). Leave empty to keep it.', ['%fingerprint%' => Settings::fingerprint($current->apiKey())]);
        $secretHelp = $current->hasSigningSecret()
            ? $this->t('Set (fingerprint %fingerprint%). Leave empty to keep it.', ['%fingerprint%' => Settings::fingerprint($current->signingSecret())])
            : $this->t('Not set: requests are not signed.');

        return [
            'form' => [
                'legend' => ['title' => $this->t('Hub connection'), 'icon' => 'icon-cogs'],
                'input' => [
                    [
                        'type' => 'text',
                        'label' => $this->t('Hub API URL'),
                        'name' => SettingsRepository::API_URL,
                        'required' => true,
                        'desc' => $this->t('For example http://hub:8080/api. Events are posted to [API URL]/sync/product and [API URL]/sync/order.'),
                    ],
                    [
                        'type' => 'password',
                        'label' => $this->t('API key'),
                        'name' => SettingsRepository::API_KEY,
                        'required' => $current->apiKey() === '',
                        'desc' => $this->t('The X-API-KEY the hub gave this store.') . ' ' . $keyHelp,
                    ],
                    [
                        'type' => 'password',
                        'label' => $this->t('Signing secret'),
                        'name' => SettingsRepository::SIGNING_SECRET,
                        'desc' => $this->t('Optional. When set, every request carries X-Hub-Signature (HMAC-SHA256).') . ' ' . $secretHelp,
                    ],
                    [
                        'type' => 'switch',
                        'label' => $this->t('Remove the signing secret'),
                        'name' => self::CLEAR_SIGNING_SECRET,
                        'is_bool' => true,
                        'values' => [
                            ['id' => 'clear_on', 'value' => 1, 'label' => $this->t('Yes')],
                            ['id' => 'clear_off', 'value' => 0, 'label' => $this->t('No')],
                        ],
                    ],
                    [
                        'type' => 'select',
                        'label' => $this->t('Role'),
                        'name' => SettingsRepository::ROLE,
                        'required' => true,
                        'options' => [
                            'query' => [
                                ['id' => '', 'name' => $this->t('-- Choose --')],
                                ['id' => Role::Source->value, 'name' => $this->t('SOURCE: wholesaler, sends products, prices and stock')],
                                ['id' => Role::Client->value, 'name' => $this->t('CLIENT: retailer, sends its orders')],
                            ],
                            'id' => 'id',
                            'name' => 'name',
                        ],
                    ],
                    [
                        'type' => 'text',
                        'label' => $this->t('Store code'),
                        'name' => SettingsRepository::STORE_CODE,
                        'required' => true,
                        'desc' => $this->t('The code of this store in the hub configuration.'),
                    ],
                    [
                        'type' => 'select',
                        'label' => $this->t('Hub Webservice account'),
                        'name' => SettingsRepository::HUB_WS_ACCOUNT,
                        'desc' => $this->t('The Webservice account the hub writes to this store with: its changes are the hub\'s own and are not sent back. Changes made with any other account (an ERP, a PIM) are sent. With "none", every change is sent.'),
                        'options' => ['query' => $accounts, 'id' => 'id', 'name' => 'name'],
                    ],
                ],
                'submit' => ['title' => $this->t('Save'), 'name' => self::SUBMIT],
            ],
        ];
    }

    /**
     * Values shown in the form: secrets always empty.
     *
     * @param array<string, mixed>|null $submitted values to show again after a failed submission
     *
     * @return array<string, string|int>
     */
    public function values(Settings $current, ?array $submitted = null): array
    {
        $pick = static fn (string $key, string $stored): string => $submitted !== null && is_scalar($submitted[$key] ?? null)
            ? (string) $submitted[$key]
            : $stored;

        return [
            SettingsRepository::API_URL => $pick(SettingsRepository::API_URL, $current->apiUrl),
            SettingsRepository::API_KEY => '',
            SettingsRepository::SIGNING_SECRET => '',
            self::CLEAR_SIGNING_SECRET => 0,
            SettingsRepository::ROLE => $pick(SettingsRepository::ROLE, $current->role?->value ?? ''),
            SettingsRepository::STORE_CODE => $pick(SettingsRepository::STORE_CODE, $current->storeCode),
            SettingsRepository::HUB_WS_ACCOUNT => $pick(SettingsRepository::HUB_WS_ACCOUNT, (string) $current->hubWebserviceAccountId),
        ];
    }

    /**
     * The names of the submitted fields, for reading them with Tools::getValue.
     *
     * @return list<string>
     */
    public static function fieldNames(): array
    {
        return [
            SettingsRepository::API_URL,
            SettingsRepository::API_KEY,
            SettingsRepository::SIGNING_SECRET,
            self::CLEAR_SIGNING_SECRET,
            SettingsRepository::ROLE,
            SettingsRepository::STORE_CODE,
            SettingsRepository::HUB_WS_ACCOUNT,
        ];
    }

    /**
     * @param array<string, string> $params
     */
    private function t(string $text, array $params = []): string
    {
        return ($this->translate)($text, $params);
    }
}
