<?php

/**
 * Fulfillment Hub - PrestaShop connector module (fulfillment_connector).
 *
 * @author    Fulfillment Hub
 * @copyright Fulfillment Hub
 * @license   LicenseRef-Commercial
 */

declare(strict_types=1);

namespace FulfillmentConnector\Repository;

if (!defined('_PS_VERSION_')) {
    exit;
}

/**
 * Read access to the shop's Webservice accounts, to recognise the hub's own Webservice writes.
 */
final class WebserviceAccountRepository
{
    public function __construct(private readonly \Db $db)
    {
    }

    /**
     * @return array<int, string> id => description, for the configuration form (keys are not read)
     */
    public function listAccounts(): array
    {
        $rows = $this->db->executeS(
            'SELECT `id_webservice_account`, `description`, `active` FROM `' . _DB_PREFIX_ . 'webservice_account`'
            . ' ORDER BY `id_webservice_account` ASC',
            true,
            false
        );
        $accounts = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $label = trim((string) $row['description']) !== '' ? (string) $row['description'] : 'Webservice key';
            $accounts[(int) $row['id_webservice_account']] = $label . ((int) $row['active'] === 1 ? '' : ' (inactive)');
        }

        return $accounts;
    }

    public function keyOf(int $idAccount): ?string
    {
        $key = $this->db->getValue(
            'SELECT `key` FROM `' . _DB_PREFIX_ . 'webservice_account` WHERE `id_webservice_account` = ' . $idAccount,
            false
        );

        return is_string($key) && $key !== '' ? $key : null;
    }
}
