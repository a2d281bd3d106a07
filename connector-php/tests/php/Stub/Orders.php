<?php

/**
 * Order stand-ins: Order (with ObjectModel caching), its details, its order carrier (cached too), order
 * states, Cart, Customer, Address, Currency, Country (ObjectModel is in Core.php).
 */

declare(strict_types=1);

class Order extends ObjectModel
{
    /**
     * @standin id_order => order_detail rows
     *
     * @var array<int, list<array<string, mixed>>>
     */
    public static array $details = [];

    public $reference;
    public $id_customer;
    public $id_address_delivery;
    public $id_currency;
    public $current_state;
    public $valid;
    public $total_paid_tax_incl;
    public $date_add;
    public $id_cart;
    public $module;
    public $payment;
    public $total_paid;
    public $id_carrier;
    public $date_upd;

    public function __construct($id = null, $id_lang = null)
    {
        $cacheKey = 'objectmodel_Order_' . (int) $id . '_0_0';
        if (!Cache::isStored($cacheKey)) {
            Cache::store($cacheKey, self::$rows[self::class][(int) $id] ?? null);
        }
        $row = Cache::retrieve($cacheKey);
        if ($row === null) {
            return;
        }
        $this->id = (int) $id;
        foreach ($row as $field => $value) {
            $this->{$field} = $value;
        }
    }

    /**
     * @standin id_cart => id_order, what Order::getIdByCartId finds in the `orders` table
     *
     * @var array<int, int>
     */
    public static array $idsByCart = [];

    /**
     * As OrderCore::getIdOrderCarrier: the id of one `order_carrier` row of the order (0 when none),
     * read from the database, never from the object cache.
     */
    public function getIdOrderCarrier()
    {
        foreach (self::$rows[OrderCarrier::class] ?? [] as $idOrderCarrier => $row) {
            if ((int) ($row['id_order'] ?? 0) === (int) $this->id) {
                return (int) $idOrderCarrier;
            }
        }

        return 0;
    }

    public function getOrderDetailList()
    {
        return self::$details[(int) $this->id] ?? [];
    }

    public static function getIdByCartId($id_cart)
    {
        $id = self::$idsByCart[(int) $id_cart] ?? 0;

        return $id > 0 ? (int) $id : false;
    }

    /**
     * Order::addWs as in PrestaShop 8/9: everything posted but the cart, the module, the payment label,
     * total_paid and the customer's secure key is ignored; the payment module's validateOrder does the
     * rest. 11 is PS_OS_WS_PAYMENT in a default install.
     */
    public function addWs($autodate = true, $null_values = false)
    {
        $payment_module = Module::getInstanceByName($this->module);
        $customer = new Customer($this->id_customer);
        $payment_module->validateOrder(
            $this->id_cart,
            Configuration::get('PS_OS_WS_PAYMENT', null, null, null, 11),
            $this->total_paid,
            $this->payment,
            null,
            [],
            null,
            false,
            $customer->secure_key
        );
        $this->id = $payment_module->currentOrder;

        return true;
    }
}

/**
 * An order's shipment: its carrier and tracking number. Loaded through the object cache under the same
 * key as in PrestaShop, so a copy read earlier in the request is stale exactly as in a real shop.
 */
class OrderCarrier extends ObjectModel
{
    public $id_order;
    public $id_carrier;
    public $tracking_number;

    public function __construct($id = null, $id_lang = null, $id_shop = null, $translator = null)
    {
        $cacheKey = 'objectmodel_OrderCarrier_' . (int) $id . '_0_0';
        if (!Cache::isStored($cacheKey)) {
            Cache::store($cacheKey, self::$rows[self::class][(int) $id] ?? null);
        }
        $row = Cache::retrieve($cacheKey);
        if ($row === null) {
            return;
        }
        $this->id = (int) $id;
        foreach ($row as $field => $value) {
            $this->{$field} = $value;
        }
    }
}

/**
 * An order state; `name` is keyed by language id in the stand-in's rows and loaded in the language asked
 * (ObjectModel's constructor).
 */
class OrderState extends ObjectModel
{
    public $name;
}

class Cart extends ObjectModel
{
    public const ONLY_PRODUCTS = 1;
    public const ONLY_DISCOUNTS = 2;
    public const BOTH = 3;
    public const BOTH_WITHOUT_SHIPPING = 4;
    public const ONLY_SHIPPING = 5;
    public const ONLY_WRAPPING = 6;

    /**
     * @standin id_cart => "<1 with taxes|0>-<type>" => what getOrderTotal returns
     *
     * @var array<int, array<string, float>>
     */
    public static array $totals = [];

    /**
     * @standin
     *
     * @var list<array{id_cart: int, with_taxes: bool, type: int, id_currency: ?int, id_customer: ?int, tax_method_set: bool}>
     *      every getOrderTotal call, with the Context it ran in
     */
    public static array $totalCalls = [];

    public $id_currency;
    public $id_customer;
    public $id_lang;
    public $secure_key;

    /** @standin */
    private bool $taxMethodSet = false;

    /** As CartCore::orderExists: whether an order was placed with this cart. */
    public function orderExists()
    {
        return Order::getIdByCartId((int) $this->id) !== false;
    }

    public function setTaxCalculationMethod()
    {
        $this->taxMethodSet = true;
    }

    public function getOrderTotal($withTaxes = true, $type = self::BOTH, $products = null, $id_carrier = null, $use_cache = false, bool $keepOrderPrices = false)
    {
        $context = Context::getContext();
        self::$totalCalls[] = [
            'id_cart' => (int) $this->id,
            'with_taxes' => (bool) $withTaxes,
            'type' => (int) $type,
            'id_currency' => isset($context->currency->id) ? (int) $context->currency->id : null,
            'id_customer' => isset($context->customer->id) ? (int) $context->customer->id : null,
            'tax_method_set' => $this->taxMethodSet,
        ];

        return self::$totals[(int) $this->id][($withTaxes ? '1' : '0') . '-' . (int) $type] ?? 0.0;
    }
}

class Customer extends ObjectModel
{
    public $secure_key;
    public $email;
    public $firstname;
    public $lastname;
}

class Address extends ObjectModel
{
    public $firstname;
    public $lastname;
    public $company;
    public $address1;
    public $address2;
    public $postcode;
    public $city;
    public $id_country;
    public $phone;
    public $phone_mobile;
}

class Currency extends ObjectModel
{
    public $iso_code;
    public $precision;
}

class Country extends ObjectModel
{
    /**
     * @standin id_country => iso_code
     *
     * @var array<int, string>
     */
    public static array $isoCodes = [];

    public static function getIsoById($idCountry)
    {
        return self::$isoCodes[(int) $idCountry] ?? false;
    }
}
