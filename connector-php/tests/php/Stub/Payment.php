<?php

/**
 * PaymentModule stand-in. install/uninstall and the restriction helpers do what PrestaShop 8/9's do,
 * on the SQLite tables they use (created by createTables): module_currency, module_country,
 * module_carrier and module_group, filled from currency, country and carrier. validateOrder makes the
 * checks PrestaShop makes before it creates anything, in the same order and with the same messages,
 * then records its arguments and gives the order an id. Where PrestaShop die()s, the stand-in throws
 * StubRequestEnded (Core.php) with the message die() would print.
 */

declare(strict_types=1);

abstract class PaymentModule extends Module
{
    /** @var int|null the id of the order validateOrder created */
    public $currentOrder;
    public $currencies = true;
    public $currencies_mode = 'checkbox';

    /**
     * @standin validateOrder's arguments, by name, one entry per call
     *
     * @var list<array<string, mixed>>
     */
    public static array $validateOrderCalls = [];

    /**
     * @standin what Shop::getShops(true, null, true) returns
     *
     * @var list<int>
     */
    public static array $shopIds = [1];

    /** @standin */
    private static int $lastOrderId = 0;

    /** @standin */
    public static function reset(): void
    {
        self::$validateOrderCalls = [];
        self::$shopIds = [1];
        self::$lastOrderId = 0;
    }

    /**
     * @standin
     *
     * The tables PaymentModule reads and fills, with a shop of two currencies (and a deleted one), two
     * active countries (and an inactive one), and two carriers (and a deleted one).
     */
    public static function createTables(Db $db): void
    {
        foreach (
            [
                'CREATE TABLE `ps_module_currency` (`id_module` INTEGER NOT NULL, `id_shop` INTEGER NOT NULL, `id_currency` INTEGER NOT NULL, UNIQUE (`id_module`, `id_shop`, `id_currency`))',
                'CREATE TABLE `ps_module_country` (`id_module` INTEGER NOT NULL, `id_shop` INTEGER NOT NULL, `id_country` INTEGER NOT NULL, UNIQUE (`id_module`, `id_shop`, `id_country`))',
                'CREATE TABLE `ps_module_carrier` (`id_module` INTEGER NOT NULL, `id_shop` INTEGER NOT NULL, `id_reference` INTEGER NOT NULL, UNIQUE (`id_module`, `id_shop`, `id_reference`))',
                'CREATE TABLE `ps_module_group` (`id_module` INTEGER NOT NULL, `id_shop` INTEGER NOT NULL, `id_group` INTEGER NOT NULL, UNIQUE (`id_module`, `id_shop`, `id_group`))',
                'CREATE TABLE `ps_currency` (`id_currency` INTEGER PRIMARY KEY, `iso_code` TEXT, `deleted` INTEGER NOT NULL DEFAULT 0)',
                'CREATE TABLE `ps_country` (`id_country` INTEGER PRIMARY KEY, `iso_code` TEXT, `active` INTEGER NOT NULL DEFAULT 1)',
                'CREATE TABLE `ps_carrier` (`id_carrier` INTEGER PRIMARY KEY, `id_reference` INTEGER NOT NULL, `deleted` INTEGER NOT NULL DEFAULT 0)',
                "INSERT INTO `ps_currency` VALUES (1, 'EUR', 0), (2, 'USD', 0), (3, 'GBP', 1)",
                "INSERT INTO `ps_country` VALUES (6, 'ES', 1), (8, 'FR', 1), (21, 'US', 0)",
                'INSERT INTO `ps_carrier` VALUES (1, 1, 0), (2, 2, 0), (3, 2, 1)',
            ] as $sql
        ) {
            if (!$db->execute($sql)) {
                throw new RuntimeException($db->getMsgError());
            }
        }
    }

    public function install()
    {
        if (!parent::install()) {
            return false;
        }

        // Insert currencies availability
        if ($this->currencies_mode == 'checkbox') {
            if (!$this->addCheckboxCurrencyRestrictionsForModule()) {
                return false;
            }
        } elseif ($this->currencies_mode == 'radio') {
            if (!$this->addRadioCurrencyRestrictionsForModule()) {
                return false;
            }
        } else {
            return $this->trans('No currency mode for payment module', [], 'Admin.Payment.Notification');
        }

        // Insert countries availability
        $return = $this->addCheckboxCountryRestrictionsForModule();

        // Insert carrier availability
        $return &= $this->addCheckboxCarrierRestrictionsForModule();

        foreach (['_FIXED' => '0.2', '_VAR' => '2', '_FIXED_FOREIGN' => '0.2', '_VAR_FOREIGN' => '2'] as $suffix => $value) {
            if (!Configuration::get('CONF_' . strtoupper($this->name) . $suffix)) {
                Configuration::updateValue('CONF_' . strtoupper($this->name) . $suffix, $value);
            }
        }

        return $return;
    }

    public function uninstall()
    {
        foreach (['module_country', 'module_currency', 'module_group', 'module_carrier'] as $table) {
            if (!Db::getInstance()->execute('DELETE FROM `' . _DB_PREFIX_ . $table . '` WHERE id_module = ' . (int) $this->id)) {
                return false;
            }
        }

        return parent::uninstall();
    }

    public function addCheckboxCurrencyRestrictionsForModule(array $shops = [])
    {
        return $this->insertRestrictions($shops, 'module_currency', 'id_currency', 'SELECT `id_currency` FROM `' . _DB_PREFIX_ . 'currency` WHERE deleted = 0');
    }

    public function addRadioCurrencyRestrictionsForModule(array $shops = [])
    {
        return $this->insertRestrictions($shops, 'module_currency', 'id_currency', 'SELECT -2');
    }

    /** Country::getCountries(lang, true) then Country::addModuleRestrictions: every active country. */
    public function addCheckboxCountryRestrictionsForModule(array $shops = [])
    {
        return $this->insertRestrictions($shops, 'module_country', 'id_country', 'SELECT `id_country` FROM `' . _DB_PREFIX_ . 'country` WHERE active = 1');
    }

    /** Carrier::getCarriers(lang): every carrier not deleted, by reference. */
    public function addCheckboxCarrierRestrictionsForModule(array $shops = [])
    {
        return $this->insertRestrictions($shops, 'module_carrier', 'id_reference', 'SELECT DISTINCT `id_reference` FROM `' . _DB_PREFIX_ . 'carrier` WHERE deleted = 0');
    }

    /**
     * As PaymentModuleCore::validateOrder up to the point where it starts creating the order: loads
     * the cart, refuses an inactive module, a cart that does not load or already has an order, and a
     * secure key that is not the cart's (each a die() in PrestaShop); then records its arguments and
     * "creates" an order.
     */
    public function validateOrder(
        $id_cart,
        $id_order_state,
        $amount_paid,
        $payment_method = 'Unknown',
        $message = null,
        $extra_vars = [],
        $currency_special = null,
        $dont_touch_amount = false,
        $secure_key = false,
        Shop $shop = null,
        ?string $order_reference = null
    ) {
        $this->context->cart = new Cart((int) $id_cart);
        if (!$this->active) {
            PrestaShopLogger::addLog('PaymentModule::validateOrder - Module is not active', 3, null, 'Cart', (int) $id_cart, true);

            throw new StubRequestEnded('Error processing order. Payment module is not active.');
        }
        if (!Validate::isLoadedObject($this->context->cart) || $this->context->cart->orderExists()) {
            $error = $this->trans('Cart cannot be loaded or an order has already been placed using this cart', [], 'Admin.Payment.Notification');
            PrestaShopLogger::addLog($error, 4, 1, 'Cart', (int) $this->context->cart->id);

            throw new StubRequestEnded($error);
        }
        if ($secure_key !== false && $secure_key != $this->context->cart->secure_key) {
            PrestaShopLogger::addLog('PaymentModule::validateOrder - Secure key does not match', 3, null, 'Cart', (int) $id_cart, true);

            throw new StubRequestEnded('Error processing order. Secure key does not match.');
        }
        self::$validateOrderCalls[] = [
            'module' => $this->name,
            'id_cart' => $id_cart,
            'id_order_state' => $id_order_state,
            'amount_paid' => $amount_paid,
            'payment_method' => $payment_method,
            'message' => $message,
            'extra_vars' => $extra_vars,
            'currency_special' => $currency_special,
            'dont_touch_amount' => $dont_touch_amount,
            'secure_key' => $secure_key,
            'shop' => $shop,
            'order_reference' => $order_reference,
        ];
        $this->currentOrder = ++self::$lastOrderId;

        return true;
    }

    /**
     * @standin
     *
     * One row per shop (all shops when none given) and per id the query selects, as PrestaShop's
     * INSERT … SELECT does; fails, like MySQL, on a row that already exists.
     */
    private function insertRestrictions(array $shops, string $table, string $column, string $selectIds): bool
    {
        foreach ($shops ?: self::$shopIds as $s) {
            $sql = 'INSERT INTO `' . _DB_PREFIX_ . $table . '` (`id_module`, `id_shop`, `' . $column . '`) '
                . 'SELECT ' . (int) $this->id . ', ' . (int) $s . ', ids.* FROM (' . $selectIds . ') AS ids';
            if (!Db::getInstance()->execute($sql)) {
                return false;
            }
        }

        return true;
    }
}
