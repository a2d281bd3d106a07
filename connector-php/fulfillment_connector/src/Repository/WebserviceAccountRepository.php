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
     * The shop's Webservice accounts, for the configuration form's list and the status panel.
     *
     * @return array<int, string> id => `#id …ABCD description`, the key masked to its last 4 characters
     *                            (enough to tell two keys apart, never enough to use one)
     */
    public function listAccounts(): array
    {
        $rows = $this->db->executeS(
            'SELECT `id_webservice_account`, `key`, `description`, `active` FROM `' . _DB_PREFIX_ . 'webservice_account`'
            . ' ORDER BY `id_webservice_account` ASC',
            true,
            false
        );
        $accounts = [];
        foreach (is_array($rows) ? $rows : [] as $row) {
            $id = (int) $row['id_webservice_account'];
            $description = trim((string) $row['description']);
            $accounts[$id] = sprintf('#%d %s', $id, self::masked((string) $row['key']))
                . ($description !== '' ? ' ' . $description : '')
                . ((int) $row['active'] === 1 ? '' : ' (inactive)');
        }

        return $accounts;
    }

    /**
     * A key as `…ABCD`: its last 4 characters only.
     */
    public static function masked(string $key): string
    {
        return '…' . substr($key, -4);
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
