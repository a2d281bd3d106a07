//! The resources the simulator serves, described as data: each field's storage kind, the flags PrestaShop
//! attaches to it (required, language, getter, read-only…), its validator name and size, the resource an
//! `xlink:href` points to, and each association. Everything else (reading, writing, schemas) is driven by
//! these tables, in the field order PrestaShop 8.2.1 uses on output.

/// How a field is stored, which decides the value a `NULL` or a loose string becomes once saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An unsigned id or integer; `NULL` becomes `0`.
    Int,
    /// A boolean stored as `0`/`1`.
    Bool,
    /// A decimal with this many places (`10` → `10.000000`).
    Dec(u32),
    /// A free string; `NULL` becomes `""`.
    Text,
    /// A date without time; `NULL` becomes `0000-00-00`.
    Date,
    /// A date and time; `NULL` becomes `0000-00-00 00:00:00`.
    DateTime,
    /// A column that keeps `NULL` (product `new`).
    Nullable,
    /// A per-language string.
    Lang,
}

/// The field must be present on POST and PUT (code 41).
pub(crate) const REQ: u32 = 1;
/// The field has a getter: `notFilterable="true"` on output, code 34 when filtered.
pub(crate) const NOT_FILTERABLE: u32 = 1 << 1;
/// The field has `setter => false`: writing it gives code 93; absent from `schema=blank`.
pub(crate) const NOT_WRITABLE: u32 = 1 << 2;
/// `readOnly="true"` in the synopsis, but writable.
pub(crate) const RO_ATTR: u32 = 1 << 3;
/// The `xlink:href` is written even when the value is empty (order `current_state`).
pub(crate) const XLINK_ALWAYS: u32 = 1 << 4;
/// JSON renders the getter's value as an integer (product `id_default_combination`).
pub(crate) const JSON_INT: u32 = 1 << 5;
/// The value is computed by a getter at render time (see `store::getter`).
pub(crate) const GETTER: u32 = 1 << 6;
/// A custom setter runs instead of a plain assignment (see `write`).
pub(crate) const SETTER: u32 = 1 << 7;

/// One field of a resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub flags: u32,
    pub max: Option<u32>,
    pub format: Option<&'static str>,
    pub xlink: Option<&'static str>,
}

impl Field {
    const fn new(name: &'static str, kind: Kind) -> Self {
        Self { name, kind, flags: 0, max: None, format: None, xlink: None }
    }
    const fn req(mut self) -> Self {
        self.flags |= REQ;
        self
    }
    const fn flag(mut self, f: u32) -> Self {
        self.flags |= f;
        self
    }
    const fn max(mut self, n: u32) -> Self {
        self.max = Some(n);
        self
    }
    const fn fmt(mut self, f: &'static str) -> Self {
        self.format = Some(f);
        self
    }
    const fn link(mut self, r: &'static str) -> Self {
        self.xlink = Some(r);
        self
    }
    pub(crate) const fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    pub(crate) fn is_lang(&self) -> bool {
        self.kind == Kind::Lang
    }
}

const fn int(n: &'static str) -> Field {
    Field::new(n, Kind::Int)
}
const fn id(n: &'static str) -> Field {
    Field::new(n, Kind::Int).fmt("isUnsignedId")
}
const fn boolean(n: &'static str) -> Field {
    Field::new(n, Kind::Bool).fmt("isBool")
}
const fn dec(n: &'static str) -> Field {
    Field::new(n, Kind::Dec(6))
}
const fn price(n: &'static str) -> Field {
    Field::new(n, Kind::Dec(6)).fmt("isPrice")
}
const fn text(n: &'static str) -> Field {
    Field::new(n, Kind::Text)
}
const fn date_add() -> Field {
    Field::new("date_add", Kind::DateTime).fmt("isDate")
}
const fn date_upd() -> Field {
    Field::new("date_upd", Kind::DateTime).fmt("isDate")
}
const fn lang(n: &'static str) -> Field {
    Field::new(n, Kind::Lang)
}

/// One sub-field of an association entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AssocField {
    pub name: &'static str,
    pub required: bool,
    pub read_only: bool,
    pub xlink: Option<&'static str>,
}

const fn af(name: &'static str) -> AssocField {
    AssocField { name, required: false, read_only: false, xlink: None }
}
const fn afr(name: &'static str) -> AssocField {
    AssocField { name, required: true, read_only: false, xlink: None }
}
const fn afl(name: &'static str, xlink: &'static str, required: bool) -> AssocField {
    AssocField { name, required, read_only: false, xlink: Some(xlink) }
}
const fn aro(name: &'static str) -> AssocField {
    AssocField { name, required: false, read_only: true, xlink: None }
}

/// Where an association's rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssocSource {
    /// Stored on the record and replaced by a body that carries it.
    Stored,
    /// Stored on the record, but a body carrying it is silently ignored (`setter => false`).
    StoredReadOnly,
    /// Computed from other tables at render time; a body carrying it is silently ignored.
    Computed,
}

/// One association of a resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assoc {
    pub name: &'static str,
    pub node: &'static str,
    pub api: Option<&'static str>,
    pub virtual_entity: bool,
    pub fields: &'static [AssocField],
    pub source: AssocSource,
    /// The class's `webserviceParameters` declare the association's `fields`. Without them (category
    /// children and products, customer groups, combination values and images) the output still shows `id`,
    /// but `display=[…,assoc[id]]` matches no field: empty entries (captured).
    pub declared: bool,
}

const fn assoc(
    name: &'static str,
    node: &'static str,
    api: &'static str,
    fields: &'static [AssocField],
    source: AssocSource,
) -> Assoc {
    Assoc { name, node, api: Some(api), virtual_entity: false, fields, source, declared: true }
}

/// An association whose `fields` the class does not declare (see [`Assoc::declared`]).
const fn undeclared(
    name: &'static str,
    node: &'static str,
    api: &'static str,
    fields: &'static [AssocField],
    source: AssocSource,
) -> Assoc {
    Assoc { declared: false, ..assoc(name, node, api, fields, source) }
}

/// One resource of the Webservice.
#[derive(Debug)]
pub(crate) struct Resource {
    pub name: &'static str,
    pub singular: &'static str,
    pub class: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
    pub assocs: &'static [Assoc],
    /// Methods PrestaShop forbids on this resource (code 101).
    pub forbidden: &'static [&'static str],
    /// False for the reference resources the simulator serves read-only.
    pub writable: bool,
}

impl Resource {
    pub(crate) fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub(crate) fn assoc(&self, name: &str) -> Option<&'static Assoc> {
        self.assocs.iter().find(|a| a.name == name)
    }
}

use AssocSource::{Computed, Stored, StoredReadOnly};

static PRODUCT_FIELDS: &[Field] = &[
    int("id"),
    id("id_manufacturer").link("manufacturers"),
    id("id_supplier").link("suppliers"),
    id("id_category_default").link("categories"),
    Field::new("new", Kind::Nullable),
    int("cache_default_attribute"),
    int("id_default_image").flag(NOT_FILTERABLE | GETTER | SETTER).link("images"),
    int("id_default_combination").flag(NOT_FILTERABLE | GETTER | SETTER | JSON_INT).link("combinations"),
    id("id_tax_rules_group").link("tax_rule_groups"),
    int("position_in_category").flag(NOT_FILTERABLE | GETTER | SETTER),
    text("manufacturer_name").flag(NOT_FILTERABLE | GETTER | NOT_WRITABLE),
    int("quantity").flag(NOT_FILTERABLE | NOT_WRITABLE),
    text("type").flag(NOT_FILTERABLE | GETTER | SETTER),
    id("id_shop_default"),
    text("reference").max(64).fmt("isReference"),
    text("supplier_reference").max(64).fmt("isReference"),
    text("location").max(255).fmt("isString"),
    dec("width").fmt("isUnsignedFloat"),
    dec("height").fmt("isUnsignedFloat"),
    dec("depth").fmt("isUnsignedFloat"),
    dec("weight").fmt("isUnsignedFloat"),
    boolean("quantity_discount"),
    text("ean13").max(13).fmt("isEan13"),
    text("isbn").max(32).fmt("isIsbn"),
    text("upc").max(12).fmt("isUpc"),
    text("mpn").max(40).fmt("isMpn"),
    boolean("cache_is_pack"),
    boolean("cache_has_attachments"),
    boolean("is_virtual"),
    id("state"),
    id("additional_delivery_times"),
    lang("delivery_in_stock").max(255).fmt("isGenericName"),
    lang("delivery_out_stock").max(255).fmt("isGenericName"),
    text("product_type").fmt("isGenericName"),
    boolean("on_sale"),
    boolean("online_only"),
    price("ecotax"),
    int("minimal_quantity").fmt("isPositiveInt"),
    int("low_stock_threshold").fmt("isInt"),
    boolean("low_stock_alert"),
    price("price").req(),
    price("wholesale_price"),
    text("unity").fmt("isString"),
    price("unit_price"),
    dec("unit_price_ratio"),
    price("additional_shipping_cost"),
    int("customizable").fmt("isUnsignedInt"),
    int("text_fields").fmt("isUnsignedInt"),
    int("uploadable_files").fmt("isUnsignedInt"),
    boolean("active"),
    text("redirect_type").fmt("isString"),
    id("id_type_redirected"),
    boolean("available_for_order"),
    Field::new("available_date", Kind::Date).fmt("isDateFormat"),
    boolean("show_condition"),
    text("condition").fmt("isGenericName"),
    boolean("show_price"),
    boolean("indexed"),
    text("visibility").fmt("isProductVisibility"),
    boolean("advanced_stock_management"),
    date_add(),
    date_upd(),
    int("pack_stock_type").fmt("isUnsignedInt"),
    lang("meta_description").max(512).fmt("isGenericName"),
    lang("meta_keywords").max(255).fmt("isGenericName"),
    lang("meta_title").max(255).fmt("isGenericName"),
    lang("link_rewrite").max(128).fmt("isLinkRewrite"),
    lang("name").max(128).fmt("isCatalogName"),
    lang("description").max(4_194_303).fmt("isCleanHtml"),
    lang("description_short").max(4_194_303).fmt("isCleanHtml"),
    lang("available_now").max(255).fmt("isGenericName"),
    lang("available_later").max(255).fmt("IsGenericName"),
];

static PRODUCT_ASSOCS: &[Assoc] = &[
    assoc("categories", "category", "categories", &[afr("id")], Stored),
    assoc("images", "image", "images", &[af("id")], Stored),
    assoc("combinations", "combination", "combinations", &[afr("id")], Computed),
    assoc("product_option_values", "product_option_value", "product_option_values", &[afr("id")], Computed),
    assoc(
        "product_features",
        "product_feature",
        "product_features",
        &[afr("id"), afl("id_feature_value", "product_feature_values", true)],
        Stored,
    ),
    assoc("tags", "tag", "tags", &[afr("id")], Stored),
    assoc(
        "stock_availables",
        "stock_available",
        "stock_availables",
        &[afr("id"), afr("id_product_attribute")],
        Computed,
    ),
    assoc("attachments", "attachment", "attachments", &[afr("id")], Stored),
    assoc("accessories", "product", "products", &[afl("id", "products", true)], Stored),
    assoc("product_bundle", "product", "products", &[afr("id"), af("id_product_attribute"), af("quantity")], Stored),
];

static STOCK_FIELDS: &[Field] = &[
    int("id"),
    id("id_product").req().link("products"),
    id("id_product_attribute").req().link("combinations"),
    id("id_shop").link("shops"),
    id("id_shop_group"),
    int("quantity").req().fmt("isInt"),
    boolean("depends_on_stock").req(),
    int("out_of_stock").req().fmt("isInt"),
    text("location").max(255).fmt("isString"),
];

static COMBINATION_FIELDS: &[Field] = &[
    int("id"),
    id("id_product").req().link("products"),
    text("ean13").max(13).fmt("isEan13"),
    text("isbn").max(32).fmt("isIsbn"),
    text("upc").max(12).fmt("isUpc"),
    text("mpn").max(40).fmt("isMpn"),
    text("reference").max(64),
    text("supplier_reference").max(64),
    dec("wholesale_price").max(27).fmt("isNegativePrice"),
    dec("price").max(20).fmt("isNegativePrice"),
    dec("ecotax").max(20).fmt("isPrice"),
    dec("weight").fmt("isFloat"),
    dec("unit_price_impact").max(20).fmt("isNegativePrice"),
    int("minimal_quantity").req().fmt("isPositiveInt"),
    int("low_stock_threshold").fmt("isInt"),
    boolean("low_stock_alert"),
    text("default_on").fmt("isBool"),
    Field::new("available_date", Kind::Date).fmt("isDateFormat"),
    lang("available_now").max(255).fmt("isGenericName"),
    lang("available_later").max(255).fmt("IsGenericName"),
];

static COMBINATION_ASSOCS: &[Assoc] = &[
    undeclared("product_option_values", "product_option_value", "product_option_values", &[af("id")], Stored),
    undeclared("images", "image", "images/products", &[af("id")], Stored),
];

static CUSTOMER_FIELDS: &[Field] = &[
    int("id"),
    int("id_default_group").link("groups"),
    id("id_lang").link("languages"),
    Field::new("newsletter_date_add", Kind::DateTime),
    text("ip_registration_newsletter"),
    Field::new("last_passwd_gen", Kind::DateTime).flag(RO_ATTR),
    text("secure_key").fmt("isMd5").flag(RO_ATTR),
    boolean("deleted"),
    text("passwd").req().max(255).fmt("isHashedPassword").flag(SETTER),
    text("lastname").req().max(255).fmt("isCustomerName"),
    text("firstname").req().max(255).fmt("isCustomerName"),
    text("email").req().max(255).fmt("isEmail"),
    id("id_gender"),
    Field::new("birthday", Kind::Date).fmt("isBirthDate"),
    boolean("newsletter"),
    boolean("optin"),
    text("website").fmt("isUrl"),
    text("company").fmt("isGenericName"),
    text("siret").fmt("isGenericName"),
    text("ape").fmt("isApe"),
    dec("outstanding_allow_amount").fmt("isFloat"),
    boolean("show_public_prices"),
    int("id_risk").fmt("isUnsignedInt"),
    int("max_payment_days").fmt("isUnsignedInt"),
    boolean("active"),
    text("note").max(4_194_303),
    boolean("is_guest"),
    id("id_shop"),
    id("id_shop_group"),
    date_add(),
    date_upd(),
    text("reset_password_token").max(40).fmt("isSha1"),
    Field::new("reset_password_validity", Kind::Nullable).fmt("isDateOrNull"),
];

static CUSTOMER_ASSOCS: &[Assoc] = &[undeclared("groups", "group", "groups", &[af("id")], Stored)];

static ADDRESS_FIELDS: &[Field] = &[
    int("id"),
    int("id_customer").fmt("isNullOrUnsignedId").link("customers"),
    int("id_manufacturer").fmt("isNullOrUnsignedId").link("manufacturers"),
    int("id_supplier").fmt("isNullOrUnsignedId").link("suppliers"),
    int("id_warehouse").fmt("isNullOrUnsignedId").link("warehouses"),
    id("id_country").req().link("countries"),
    int("id_state").fmt("isNullOrUnsignedId").link("states"),
    text("alias").req().max(32).fmt("isGenericName"),
    text("company").max(255).fmt("isGenericName"),
    text("lastname").req().max(255).fmt("isName"),
    text("firstname").req().max(255).fmt("isName"),
    text("vat_number").fmt("isGenericName"),
    text("address1").req().max(128).fmt("isAddress"),
    text("address2").max(128).fmt("isAddress"),
    text("postcode").max(12).fmt("isPostCode"),
    text("city").req().max(64).fmt("isCityName"),
    text("other").max(4_194_303).fmt("isMessage"),
    text("phone").max(32).fmt("isPhoneNumber"),
    text("phone_mobile").max(32).fmt("isPhoneNumber"),
    text("dni").max(16).fmt("isDniLite"),
    boolean("deleted"),
    date_add(),
    date_upd(),
];

static CART_FIELDS: &[Field] = &[
    int("id"),
    id("id_address_delivery").link("addresses"),
    id("id_address_invoice").link("addresses"),
    id("id_currency").req().link("currencies"),
    id("id_customer").link("customers"),
    id("id_guest").link("guests"),
    id("id_lang").req().link("languages"),
    id("id_shop_group"),
    id("id_shop"),
    id("id_carrier"),
    boolean("recyclable"),
    boolean("gift"),
    text("gift_message").max(4_194_303).fmt("isCleanHtml"),
    boolean("mobile_theme"),
    text("delivery_option").max(4_194_303),
    text("secure_key").max(32),
    boolean("allow_seperated_package"),
    date_add(),
    date_upd(),
];

static CART_ASSOCS: &[Assoc] = &[Assoc {
    name: "cart_rows",
    node: "cart_row",
    api: None,
    virtual_entity: true,
    fields: &[
        afl("id_product", "products", true),
        afl("id_product_attribute", "combinations", true),
        afl("id_address_delivery", "addresses", true),
        afl("id_customization", "customizations", false),
        afr("quantity"),
    ],
    source: Stored,
    declared: true,
}];

static ORDER_FIELDS: &[Field] = &[
    int("id"),
    id("id_address_delivery").req().link("addresses"),
    id("id_address_invoice").req().link("addresses"),
    id("id_cart").req().link("carts"),
    id("id_currency").req().link("currencies"),
    id("id_lang").req().link("languages"),
    id("id_customer").req().link("customers"),
    id("id_carrier").req().link("carriers"),
    id("current_state").link("order_states").flag(XLINK_ALWAYS | SETTER),
    text("module").req().fmt("isModuleName"),
    int("invoice_number"),
    Field::new("invoice_date", Kind::DateTime),
    int("delivery_number"),
    Field::new("delivery_date", Kind::DateTime),
    Field::new("valid", Kind::Bool),
    date_add(),
    date_upd(),
    text("shipping_number").flag(NOT_FILTERABLE | GETTER | SETTER),
    text("note").max(4_194_303),
    id("id_shop_group"),
    id("id_shop"),
    text("secure_key").fmt("isMd5"),
    text("payment").req().fmt("isGenericName"),
    boolean("recyclable"),
    boolean("gift"),
    text("gift_message").max(4_194_303).fmt("isCleanHtml"),
    boolean("mobile_theme"),
    price("total_discounts"),
    price("total_discounts_tax_incl"),
    price("total_discounts_tax_excl"),
    price("total_paid").req(),
    price("total_paid_tax_incl"),
    price("total_paid_tax_excl"),
    price("total_paid_real").req(),
    price("total_products").req(),
    price("total_products_wt").req(),
    price("total_shipping"),
    price("total_shipping_tax_incl"),
    price("total_shipping_tax_excl"),
    Field::new("carrier_tax_rate", Kind::Dec(3)).fmt("isFloat"),
    price("total_wrapping"),
    price("total_wrapping_tax_incl"),
    price("total_wrapping_tax_excl"),
    id("round_mode"),
    id("round_type"),
    dec("conversion_rate").req().fmt("isFloat"),
    text("reference"),
];

static ORDER_ASSOCS: &[Assoc] = &[Assoc {
    name: "order_rows",
    node: "order_row",
    api: None,
    virtual_entity: true,
    fields: &[
        af("id"),
        afl("product_id", "products", true),
        afr("product_attribute_id"),
        afr("product_quantity"),
        aro("product_name"),
        aro("product_reference"),
        aro("product_ean13"),
        aro("product_isbn"),
        aro("product_upc"),
        aro("product_price"),
        afl("id_customization", "customizations", false),
        aro("unit_price_tax_incl"),
        aro("unit_price_tax_excl"),
    ],
    source: StoredReadOnly,
    declared: true,
}];

static ORDER_HISTORY_FIELDS: &[Field] = &[
    int("id"),
    id("id_employee").link("employees"),
    id("id_order_state").req().link("order_states"),
    id("id_order").req().link("orders"),
    date_add(),
];

/// `OrderCarrier` (8.2.1 `OrderCarrier::$definition`, `webserviceParameters` links `id_order` and `id_carrier`):
/// the carrier row `PaymentModule::validateOrder` adds to an order, holding its tracking number.
static ORDER_CARRIER_FIELDS: &[Field] = &[
    int("id"),
    id("id_order").req().link("orders"),
    id("id_carrier").req().link("carriers"),
    id("id_order_invoice"),
    dec("weight").fmt("isFloat"),
    dec("shipping_cost_tax_excl").fmt("isFloat"),
    dec("shipping_cost_tax_incl").fmt("isFloat"),
    text("tracking_number").fmt("isTrackingNumber"),
    date_add(),
];

static LANGUAGE_FIELDS: &[Field] = &[
    int("id"),
    text("name").req().max(32).fmt("isGenericName"),
    text("iso_code").req().max(2).fmt("isLanguageIsoCode"),
    text("locale").max(5).fmt("isLocale"),
    text("language_code").max(5).fmt("isLanguageCode"),
    boolean("active"),
    boolean("is_rtl"),
    text("date_format_lite").req().max(32).fmt("isPhpDateFormat"),
    text("date_format_full").req().max(32).fmt("isPhpDateFormat"),
];

static CURRENCY_FIELDS: &[Field] = &[
    int("id"),
    lang("names").max(255).fmt("isGenericName"),
    text("name").max(255).fmt("isGenericName"),
    lang("symbol").max(255).fmt("isGenericName"),
    text("iso_code").req().max(3).fmt("isLanguageIsoCode"),
    text("numeric_iso_code").max(3).fmt("isNumericIsoCode"),
    int("precision").fmt("isInt"),
    dec("conversion_rate").req().fmt("isUnsignedFloat"),
    boolean("deleted"),
    boolean("active"),
    boolean("unofficial"),
    boolean("modified"),
    lang("pattern").max(255),
];

static COUNTRY_FIELDS: &[Field] = &[
    int("id"),
    id("id_zone").req().link("zones"),
    id("id_currency").link("currencies"),
    int("call_prefix").fmt("isInt"),
    text("iso_code").req().max(3).fmt("isLanguageIsoCode"),
    boolean("active"),
    boolean("contains_states").req(),
    boolean("need_identification_number").req(),
    boolean("need_zip_code"),
    text("zip_code_format").max(12).fmt("isZipCodeFormat"),
    boolean("display_tax_label").req(),
    lang("name").req().max(64).fmt("isGenericName"),
];

static CARRIER_FIELDS: &[Field] = &[
    int("id"),
    boolean("deleted"),
    boolean("is_module"),
    id("id_tax_rules_group").link("tax_rule_groups"),
    int("id_reference"),
    text("name").req().max(64).fmt("isCarrierName"),
    boolean("active").req(),
    boolean("is_free"),
    text("url").fmt("isAbsoluteUrl"),
    boolean("shipping_handling"),
    boolean("shipping_external"),
    boolean("range_behavior"),
    int("shipping_method").fmt("isUnsignedInt"),
    int("max_width").fmt("isUnsignedInt"),
    int("max_height").fmt("isUnsignedInt"),
    int("max_depth").fmt("isUnsignedInt"),
    dec("max_weight").fmt("isFloat"),
    int("grade").max(1).fmt("isUnsignedInt"),
    text("external_module_name").max(64),
    boolean("need_range"),
    int("position"),
    lang("delay").req().max(512).fmt("isGenericName"),
];

/// `Configuration`: one row per setting (name, value) and shop context (8.2.1 `Configuration::$definition`).
static CONFIGURATION_FIELDS: &[Field] = &[
    int("id"),
    text("value"),
    text("name").req().max(254).fmt("isConfigName"),
    id("id_shop_group").link("shop_groups"),
    id("id_shop").link("shops"),
    date_add(),
    date_upd(),
];

/// `Delivery`: a carrier's price for one zone and range — the only carrier↔zone data the Webservice
/// exposes (a carrier's `carrier_zone` rows are not a resource).
static DELIVERY_FIELDS: &[Field] = &[
    int("id"),
    id("id_carrier").req().link("carriers"),
    id("id_range_price").req().link("price_ranges"),
    id("id_range_weight").req().link("weight_ranges"),
    id("id_zone").req().link("zones"),
    id("id_shop").link("shops"),
    id("id_shop_group").link("shop_groups"),
    price("price").req().fmt("isPrice"),
];

static ORDER_STATE_FIELDS: &[Field] = &[
    int("id"),
    boolean("unremovable"),
    boolean("delivery"),
    boolean("hidden"),
    boolean("send_email"),
    text("module_name").fmt("isModuleName"),
    boolean("invoice"),
    text("color").fmt("isColor"),
    boolean("logable"),
    boolean("shipped"),
    boolean("paid"),
    boolean("pdf_delivery"),
    boolean("pdf_invoice"),
    boolean("deleted"),
    lang("name").req().max(64).fmt("isGenericName"),
    lang("template").max(64).fmt("isTplName"),
];

/// `Category` (8.2.1 `Category::$definition` and `$webserviceParameters`): `nleft`/`nright` are hidden,
/// `level_depth` and `nb_products_recursive` are not writable.
static CATEGORY_FIELDS: &[Field] = &[
    int("id"),
    int("id_parent").fmt("isUnsignedInt").link("categories"),
    int("level_depth").fmt("isUnsignedInt").flag(NOT_WRITABLE),
    int("nb_products_recursive").flag(NOT_FILTERABLE | GETTER | NOT_WRITABLE),
    boolean("active").req(),
    id("id_shop_default"),
    boolean("is_root_category"),
    int("position"),
    date_add(),
    date_upd(),
    lang("name").req().max(128).fmt("isCatalogName"),
    lang("link_rewrite").req().max(128).fmt("isLinkRewrite"),
    lang("description").max(4_194_303).fmt("isCleanHtml"),
    lang("additional_description").max(4_194_303).fmt("isCleanHtml"),
    lang("meta_title").max(255).fmt("isGenericName"),
    lang("meta_description").max(512).fmt("isGenericName"),
    lang("meta_keywords").max(255).fmt("isGenericName"),
];

/// `getChildrenWs` (active children by position) and `getProductsWs` (the `category_product` rows): both
/// computed, and a body carrying them is ignored (no `setWs…` setter exists).
static CATEGORY_ASSOCS: &[Assoc] = &[
    undeclared("categories", "category", "categories", &[af("id")], Computed),
    undeclared("products", "product", "products", &[af("id")], Computed),
];

/// `TaxRulesGroup` (8.2.1): served read-only here.
static TAX_RULE_GROUP_FIELDS: &[Field] = &[
    int("id"),
    text("name").req().max(64).fmt("isGenericName"),
    boolean("active"),
    boolean("deleted"),
    date_add(),
    date_upd(),
];

static OPTION_FIELDS: &[Field] = &[
    int("id"),
    boolean("is_color_group"),
    text("group_type").req().fmt("isGenericName"),
    int("position").fmt("isInt"),
    lang("name").req().max(128).fmt("isGenericName"),
    lang("public_name").req().max(64).fmt("isGenericName"),
];

static OPTION_ASSOCS: &[Assoc] =
    &[assoc("product_option_values", "product_option_value", "product_option_values", &[af("id")], Computed)];

static OPTION_VALUE_FIELDS: &[Field] = &[
    int("id"),
    id("id_attribute_group").req().link("product_options"),
    text("color").max(32).fmt("isColor"),
    int("position").fmt("isInt"),
    lang("name").req().max(128).fmt("isGenericName"),
];

/// Every resource the simulator serves, in alphabetical order as in the `/api/` listing.
pub(crate) static RESOURCES: &[Resource] = &[
    Resource {
        name: "addresses",
        singular: "address",
        class: "Address",
        description: "The Customer, Brand and Customer addresses",
        fields: ADDRESS_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "carriers",
        singular: "carrier",
        class: "Carrier",
        description: "The Carriers",
        fields: CARRIER_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "carts",
        singular: "cart",
        class: "Cart",
        description: "Customer's carts",
        fields: CART_FIELDS,
        assocs: CART_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "categories",
        singular: "category",
        class: "Category",
        description: "The product categories",
        fields: CATEGORY_FIELDS,
        assocs: CATEGORY_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "combinations",
        singular: "combination",
        class: "Combination",
        description: "The product combinations",
        fields: COMBINATION_FIELDS,
        assocs: COMBINATION_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "configurations",
        singular: "configuration",
        class: "Configuration",
        description: "Shop configuration",
        fields: CONFIGURATION_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "countries",
        singular: "country",
        class: "Country",
        description: "The countries",
        fields: COUNTRY_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: false,
    },
    Resource {
        name: "currencies",
        singular: "currency",
        class: "Currency",
        description: "The currencies",
        fields: CURRENCY_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: false,
    },
    Resource {
        name: "customers",
        singular: "customer",
        class: "Customer",
        description: "The e-shop's customers",
        fields: CUSTOMER_FIELDS,
        assocs: CUSTOMER_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "deliveries",
        singular: "delivery",
        class: "Delivery",
        description: "Product delivery",
        fields: DELIVERY_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: false,
    },
    Resource {
        name: "languages",
        singular: "language",
        class: "Language",
        description: "Shop languages",
        fields: LANGUAGE_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: false,
    },
    Resource {
        name: "order_carriers",
        singular: "order_carrier",
        class: "OrderCarrier",
        description: "The Order carriers",
        fields: ORDER_CARRIER_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "order_histories",
        singular: "order_history",
        class: "OrderHistory",
        description: "The Order histories",
        fields: ORDER_HISTORY_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "order_states",
        singular: "order_state",
        class: "OrderState",
        description: "The Order statuses",
        fields: ORDER_STATE_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: false,
    },
    Resource {
        name: "orders",
        singular: "order",
        class: "Order",
        description: "The Customers orders",
        fields: ORDER_FIELDS,
        assocs: ORDER_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "product_option_values",
        singular: "product_option_value",
        class: "ProductAttribute",
        description: "The product options value",
        fields: OPTION_VALUE_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "product_options",
        singular: "product_option",
        class: "AttributeGroup",
        description: "The product options",
        fields: OPTION_FIELDS,
        assocs: OPTION_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "products",
        singular: "product",
        class: "Product",
        description: "The products",
        fields: PRODUCT_FIELDS,
        assocs: PRODUCT_ASSOCS,
        forbidden: &[],
        writable: true,
    },
    Resource {
        name: "stock_availables",
        singular: "stock_available",
        class: "StockAvailable",
        description: "Available quantities",
        fields: STOCK_FIELDS,
        assocs: &[],
        forbidden: &["POST", "DELETE"],
        writable: true,
    },
    Resource {
        name: "tax_rule_groups",
        singular: "tax_rule_group",
        class: "TaxRulesGroup",
        description: "Tax rule groups",
        fields: TAX_RULE_GROUP_FIELDS,
        assocs: &[],
        forbidden: &[],
        writable: false,
    },
];

/// The resource called `name`, if the simulator serves it.
pub(crate) fn resource(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_fields_follow_prestashop_order_and_count() {
        let r = resource("products").expect("products");
        assert_eq!(r.fields.len(), 72);
        assert_eq!(r.fields[0].name, "id");
        assert_eq!(r.fields.last().map(|f| f.name), Some("available_later"));
    }

    #[test]
    fn only_price_is_required_on_products() {
        let r = resource("products").expect("products");
        let required: Vec<_> = r.fields.iter().filter(|f| f.has(REQ)).map(|f| f.name).collect();
        assert_eq!(required, ["price"]);
    }

    #[test]
    fn resources_are_listed_alphabetically() {
        let names: Vec<_> = RESOURCES.iter().map(|r| r.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }
}
