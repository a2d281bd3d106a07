<?php

/**
 * Order stand-ins: Order (with ObjectModel caching), its details, Customer, Address, Currency, Country.
 */

declare(strict_types=1);

class StubEntity
{
    /** @var array<string, array<int, array<string, mixed>>> class => id => fields */
    public static array $rows = [];

    public $id;

    public function __construct($id = null)
    {
        $row = self::$rows[static::class][(int) $id] ?? null;
        if ($row === null) {
            return;
        }
        $this->id = (int) $id;
        foreach ($row as $field => $value) {
            $this->{$field} = $value;
        }
    }
}

class Order extends StubEntity
{
    /** @var array<int, list<array<string, mixed>>> id_order => order_detail rows */
    public static array $details = [];

    public $reference;
    public $id_customer;
    public $id_address_delivery;
    public $id_currency;
    public $current_state;
    public $valid;
    public $total_paid_tax_incl;
    public $date_add;

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

    public function getOrderDetailList()
    {
        return self::$details[(int) $this->id] ?? [];
    }
}

class Customer extends StubEntity
{
    public $email;
    public $firstname;
    public $lastname;
}

class Address extends StubEntity
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

class Currency extends StubEntity
{
    public $iso_code;
}

class Country
{
    /** @var array<int, string> */
    public static array $isoCodes = [];

    public static function getIsoById($idCountry)
    {
        return self::$isoCodes[(int) $idCountry] ?? false;
    }
}
