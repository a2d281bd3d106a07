//! The shop's state: one table of records per resource, the seed data a fresh shop holds (one language,
//! EUR, a few countries, two carriers, the default order states), how a written value is stored (the
//! database's view of `NULL` and loose strings), and the getters and computed associations PrestaShop
//! evaluates when it renders an object.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::{
    schema::{self, AssocSource, Field, Kind, Resource},
    util,
};

/// A field's value: SQL `NULL`, a string, or one string per language id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    Text(String),
    Lang(BTreeMap<u32, String>),
}

impl Value {
    pub(crate) fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    /// The scalar value as a string (`NULL` and language values give `""`).
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Text(s) => s,
            _ => "",
        }
    }
}

/// One association entry: its sub-fields in order.
pub(crate) type Row = Vec<(&'static str, String)>;

/// One object: its fields by name and its stored associations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    pub fields: BTreeMap<&'static str, Value>,
    pub assocs: BTreeMap<&'static str, Vec<Row>>,
}

impl Record {
    /// The scalar value of `name`, `""` when absent or `NULL`.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", Value::as_str)
    }

    /// The scalar value of `name` cast to an integer as PHP does.
    pub(crate) fn int(&self, name: &str) -> i64 {
        util::php_int(self.get(name))
    }

    pub(crate) fn set(&mut self, name: &'static str, v: impl Into<String>) {
        self.fields.insert(name, Value::Text(v.into()));
    }

    /// The value of a language field in `lang`.
    pub(crate) fn lang(&self, name: &str, lang: u32) -> &str {
        match self.fields.get(name) {
            Some(Value::Lang(m)) => m.get(&lang).map_or("", String::as_str),
            Some(Value::Text(s)) => s,
            _ => "",
        }
    }
}

/// All the records of one resource.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub next_id: u64,
    pub rows: BTreeMap<u64, Record>,
}

/// One of the default order states, as `install/data/xml/order_state.xml` and
/// `install/langs/en/data/order_state.xml` of 8.2.1 define it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderState {
    pub id: u64,
    pub name: &'static str,
    /// `osl.template`: the mail `OrderHistory::sendEmail` sends (`""`: none).
    pub template: &'static str,
    pub color: &'static str,
    pub module_name: &'static str,
    /// Creates the invoice.
    pub invoice: bool,
    /// `OrderHistory::sendEmail` sends the template.
    pub send_email: bool,
    /// Counts as a valid sale.
    pub logable: bool,
    pub delivery: bool,
    pub shipped: bool,
    pub paid: bool,
    pub pdf_delivery: bool,
    pub pdf_invoice: bool,
}

/// Flags in the order of the install file: invoice, send_email, logable, delivery, shipped, paid,
/// pdf_delivery, pdf_invoice.
const fn os(
    id: u64,
    name: &'static str,
    template: &'static str,
    color: &'static str,
    module_name: &'static str,
    f: [u8; 8],
) -> OrderState {
    OrderState {
        id,
        name,
        template,
        color,
        module_name,
        invoice: f[0] == 1,
        send_email: f[1] == 1,
        logable: f[2] == 1,
        delivery: f[3] == 1,
        shipped: f[4] == 1,
        paid: f[5] == 1,
        pdf_delivery: f[6] == 1,
        pdf_invoice: f[7] == 1,
    }
}

/// The order states of a default 8.2.1 install (flags: invoice, send_email, logable, delivery, shipped,
/// paid, pdf_delivery, pdf_invoice).
pub(crate) const ORDER_STATES: &[OrderState] = &[
    os(1, "Awaiting check payment", "cheque", "#34209E", "ps_checkpayment", [0, 1, 0, 0, 0, 0, 0, 0]),
    os(2, "Payment accepted", "payment", "#3498D8", "", [1, 1, 1, 0, 0, 1, 0, 1]),
    os(3, "Processing in progress", "preparation", "#3498D8", "", [1, 1, 1, 1, 0, 1, 0, 0]),
    os(4, "Shipped", "shipped", "#01B887", "", [1, 1, 1, 1, 1, 1, 0, 0]),
    os(5, "Delivered", "", "#01B887", "", [1, 0, 1, 1, 1, 1, 0, 0]),
    os(6, "Canceled", "order_canceled", "#2C3E50", "", [0, 1, 0, 0, 0, 0, 0, 0]),
    os(7, "Refunded", "refund", "#01B887", "", [1, 1, 0, 0, 0, 0, 0, 0]),
    os(8, "Payment error", "payment_error", "#E74C3C", "", [0, 1, 0, 0, 0, 0, 0, 0]),
    os(9, "On backorder (paid)", "outofstock", "#3498D8", "", [1, 1, 0, 0, 0, 1, 0, 0]),
    os(10, "Awaiting bank wire payment", "bankwire", "#34209E", "ps_wirepayment", [0, 1, 0, 0, 0, 0, 0, 0]),
    os(11, "Remote payment accepted", "payment", "#3498D8", "", [1, 1, 1, 0, 0, 1, 0, 0]),
    os(12, "On backorder (not paid)", "outofstock", "#34209E", "", [0, 1, 0, 0, 0, 0, 0, 0]),
    os(
        13,
        "Awaiting Cash On Delivery validation",
        "cashondelivery",
        "#34209E",
        "ps_cashondelivery",
        [0, 0, 0, 0, 0, 0, 0, 0],
    ),
];

/// `PS_OS_CANCELED`.
pub(crate) const STATE_CANCELED: u64 = 6;
/// `PS_OS_ERROR`.
pub(crate) const STATE_ERROR: u64 = 8;
/// `PS_OS_WS_PAYMENT`.
pub(crate) const STATE_WS_PAYMENT: u64 = 11;

/// Payment modules installed and active in the simulated shop; `fulfillment_connector` is the hub's module
/// (a `PaymentModule`, see `docs/decisions/0004-order-totals-from-the-source-connector.md`).
pub(crate) const PAYMENT_MODULES: &[&str] =
    &["ps_wirepayment", "ps_checkpayment", "ps_cashondelivery", "fulfillment_connector"];

/// The tax rate (percent) of a tax rules group, whatever the address (see README).
pub(crate) fn tax_rate(id_tax_rules_group: i64) -> rust_decimal::Decimal {
    use rust_decimal::Decimal;
    match id_tax_rules_group {
        1 => Decimal::new(20, 0),
        2 => Decimal::new(10, 0),
        3 => Decimal::new(55, 1),
        4 => Decimal::new(21, 1),
        _ => Decimal::ZERO,
    }
}

/// A carrier's shipping price, tax excluded, whatever the cart (see README).
pub(crate) fn shipping_price(id_carrier: i64) -> rust_decimal::Decimal {
    match id_carrier {
        2 => rust_decimal::Decimal::new(7, 0),
        _ => rust_decimal::Decimal::ZERO,
    }
}

/// The whole shop.
#[derive(Debug)]
pub(crate) struct Store {
    pub tables: BTreeMap<&'static str, Table>,
    /// Active language ids.
    pub languages: Vec<u32>,
    /// Carts already turned into an order.
    pub ordered_carts: BTreeSet<u64>,
    pub next_invoice: u64,
    pub next_order_detail: u64,
    /// Every mail `Mail::Send` sent, in order (PrestaShop's `mail` log table with `PS_LOG_EMAILS`).
    pub mails: Vec<crate::SentMail>,
    /// Product images uploaded through `/api/images/products/{id}`: image id → (product, bytes as sent).
    pub image_files: BTreeMap<u64, (u64, Vec<u8>)>,
}

impl Store {
    /// A fresh shop: reference data only, no catalog, no customers.
    pub(crate) fn seeded() -> Self {
        let mut s = Self {
            tables: schema::RESOURCES.iter().map(|r| (r.name, Table { next_id: 1, rows: BTreeMap::new() })).collect(),
            languages: vec![1],
            ordered_carts: BTreeSet::new(),
            next_invoice: 1,
            next_order_detail: 1,
            mails: Vec::new(),
            image_files: BTreeMap::new(),
        };
        s.seed_reference_data();
        s
    }

    fn seed_reference_data(&mut self) {
        self.seed(
            "languages",
            1,
            &[
                ("name", "English (English)"),
                ("iso_code", "en"),
                ("locale", "en-US"),
                ("language_code", "en-us"),
                ("active", "1"),
                ("is_rtl", "0"),
                ("date_format_lite", "m/d/Y"),
                ("date_format_full", "m/d/Y H:i:s"),
            ],
        );
        self.seed(
            "currencies",
            1,
            &[
                ("names", "Euro"),
                ("name", "Euro"),
                ("symbol", "€"),
                ("iso_code", "EUR"),
                ("numeric_iso_code", "978"),
                ("precision", "2"),
                ("conversion_rate", "1.000000"),
                ("deleted", "0"),
                ("active", "1"),
                ("unofficial", "0"),
                ("modified", "0"),
                ("pattern", ""),
            ],
        );
        let countries: &[(u64, &str, &str, &str, &str)] = &[
            (1, "DE", "Germany", "49", "NNNNN"),
            (3, "BE", "Belgium", "32", "NNNN"),
            (6, "ES", "Spain", "34", "NNNNN"),
            (8, "FR", "France", "33", "NNNNN"),
            (10, "IT", "Italy", "39", "NNNNN"),
            (12, "LU", "Luxemburg", "352", "NNNN"),
            (13, "NL", "Netherlands", "31", "NNNN LL"),
            (15, "PT", "Portugal", "351", "NNNN-NNN"),
            (17, "GB", "United Kingdom", "44", ""),
            (21, "US", "United States", "1", "NNNNN"),
        ];
        for &(id, iso, name, prefix, zip) in countries {
            let zone = match iso {
                "US" => "2",
                "GB" => "7",
                _ => "1",
            };
            self.seed(
                "countries",
                id,
                &[
                    ("id_zone", zone),
                    ("id_currency", "0"),
                    ("call_prefix", prefix),
                    ("iso_code", iso),
                    ("active", "1"),
                    ("contains_states", if iso == "US" || iso == "IT" { "1" } else { "0" }),
                    ("need_identification_number", "0"),
                    ("need_zip_code", if zip.is_empty() { "0" } else { "1" }),
                    ("zip_code_format", zip),
                    ("display_tax_label", "1"),
                    ("name", name),
                ],
            );
        }
        let carriers: &[(u64, &str, &str, &str, &str)] = &[
            (1, "Click and collect", "1", "Pick up in-store", "0"),
            (2, "My carrier", "0", "Delivery next day!", "2"),
        ];
        for &(id, name, free, delay, position) in carriers {
            let id_s = id.to_string();
            self.seed(
                "carriers",
                id,
                &[
                    ("deleted", "0"),
                    ("is_module", "0"),
                    ("id_tax_rules_group", "1"),
                    ("id_reference", &id_s),
                    ("name", name),
                    ("active", "1"),
                    ("is_free", free),
                    ("url", ""),
                    ("shipping_handling", "0"),
                    ("shipping_external", "0"),
                    ("range_behavior", "0"),
                    ("shipping_method", if free == "1" { "0" } else { "2" }),
                    ("max_width", "0"),
                    ("max_height", "0"),
                    ("max_depth", "0"),
                    ("max_weight", "0.000000"),
                    ("grade", "0"),
                    ("external_module_name", ""),
                    ("need_range", if free == "1" { "0" } else { "1" }),
                    ("position", position),
                    ("delay", delay),
                ],
            );
        }
        let now = util::now();
        // The category tree of an 8.2.1 install with demo data (as captured: categories_full_json): Root 1
        // and Home 2 (the shop's root category) from the installer, the demo tree under Home.
        let categories: &[(u64, &str, &str, &str, &str, &str, &str)] = &[
            (1, "0", "0", "0", "Root", "root", ""),
            (2, "1", "1", "0", "Home", "home", ""),
            (
                3,
                "2",
                "2",
                "0",
                "Clothes",
                "clothes",
                "<p>Discover our favorites fashionable discoveries, a selection of cool items to integrate in your wardrobe. Compose a unique style with personality which matches your own.</p>",
            ),
            (
                4,
                "3",
                "3",
                "0",
                "Men",
                "men",
                "<p>T-shirts, sweaters, hoodies and men's accessories. From basics to original creations, for every style. </p>",
            ),
            (
                5,
                "3",
                "3",
                "1",
                "Women",
                "women",
                "<p>T-shirts, sweaters, hoodies and women's accessories. From basics to original creations, for every style. </p>",
            ),
            (
                6,
                "2",
                "2",
                "1",
                "Accessories",
                "accessories",
                "<p>Items and accessories for your desk, kitchen or living room. Make your house a home with our eye-catching designs. </p>",
            ),
            (
                7,
                "6",
                "3",
                "0",
                "Stationery",
                "stationery",
                "<p>Notebooks, agendas, office accessories and more. Everything you need to combine the pleasant and the useful, either at work or at home. </p>",
            ),
            (
                8,
                "6",
                "3",
                "1",
                "Home Accessories",
                "home-accessories",
                "<p>Details matter! Liven up your interior with our selection of home accessories. </p>",
            ),
            (
                9,
                "2",
                "2",
                "2",
                "Art",
                "art",
                "<p>Framed poster and vector images, all you need to give personality to your walls or bring your creative projects to life.</p>",
            ),
        ];
        for &(id, parent, depth, position, name, rewrite, description) in categories {
            self.seed(
                "categories",
                id,
                &[
                    ("id_parent", parent),
                    ("level_depth", depth),
                    ("active", "1"),
                    ("id_shop_default", "1"),
                    ("is_root_category", if id == 2 { "1" } else { "0" }),
                    ("position", position),
                    ("date_add", &now),
                    ("date_upd", &now),
                    ("name", name),
                    ("link_rewrite", rewrite),
                    ("description", description),
                    ("additional_description", ""),
                    ("meta_title", ""),
                    ("meta_description", ""),
                    ("meta_keywords", ""),
                ],
            );
        }
        // The tax rule groups of a French 8.2.1 install (as captured: tax_rule_groups_full).
        let groups = [
            "FR Taux standard (20%)",
            "FR Taux réduit (10%)",
            "FR Taux réduit (5.5%)",
            "FR Taux super réduit (2.1%)",
            "EU VAT For Virtual Products",
        ];
        for (i, name) in groups.into_iter().enumerate() {
            self.seed(
                "tax_rule_groups",
                i as u64 + 1,
                &[("name", name), ("active", "1"), ("deleted", "0"), ("date_add", &now), ("date_upd", &now)],
            );
        }
        // Demo data (install fixtures `delivery.xml`, `carrier_zone.xml`): "My carrier" has prices for
        // Europe (zone 1) and North America (zone 2), not for Europe non-EU (zone 7, GB here). Carrier 1 is
        // free, so it has no price rows. The sim's price is flat per carrier (see `shipping_price`).
        for (id, zone) in [(1u64, "1"), (2, "2")] {
            self.seed(
                "deliveries",
                id,
                &[
                    ("id_carrier", "2"),
                    ("id_range_price", "0"),
                    ("id_range_weight", "1"),
                    ("id_zone", zone),
                    ("id_shop", "0"),
                    ("id_shop_group", "0"),
                    ("price", "7.000000"),
                ],
            );
        }
        // PS_CARRIER_DEFAULT: 1, as the captured 8.2.1 demo behaved — an order whose cart named no
        // delivery option got carrier 1 although carrier 2 served its address (post_order_ok,
        // post_order_carrier2), and `Cart::getDeliveryOption` picks PS_CARRIER_DEFAULT first.
        self.seed(
            "configurations",
            1,
            &[("name", "PS_CARRIER_DEFAULT"), ("value", "1"), ("date_add", &now), ("date_upd", &now)],
        );
        for st in ORDER_STATES {
            let b = |x: bool| if x { "1" } else { "0" };
            self.seed(
                "order_states",
                st.id,
                &[
                    ("unremovable", "1"),
                    ("delivery", b(st.delivery)),
                    ("hidden", "0"),
                    ("send_email", b(st.send_email)),
                    ("module_name", st.module_name),
                    ("invoice", b(st.invoice)),
                    ("color", st.color),
                    ("logable", b(st.logable)),
                    ("shipped", b(st.shipped)),
                    ("paid", b(st.paid)),
                    ("pdf_delivery", b(st.pdf_delivery)),
                    ("pdf_invoice", b(st.pdf_invoice)),
                    ("deleted", "0"),
                    ("name", st.name),
                    ("template", st.template),
                ],
            );
        }
    }

    fn seed(&mut self, resource: &'static str, id: u64, values: &[(&'static str, &str)]) {
        let Some(res) = schema::resource(resource) else { return };
        let mut rec = Record::default();
        rec.set("id", id.to_string());
        for &(name, v) in values {
            if let Some(f) = res.field(name) {
                let value = if f.is_lang() {
                    Value::Lang(self.languages.iter().map(|&l| (l, v.to_owned())).collect())
                } else {
                    Value::text(v)
                };
                rec.fields.insert(f.name, value);
            }
        }
        let rec = self.normalise(res, &rec);
        let table = self.table_mut(resource);
        table.next_id = table.next_id.max(id + 1);
        table.rows.insert(id, rec);
    }

    /// `PS_LANG_DEFAULT`: the first language.
    pub(crate) fn default_language(&self) -> u32 {
        self.languages.first().copied().unwrap_or(1)
    }

    /// `Language::add`: a new active language row (the captured values of PrestaShop's French row for `fr`;
    /// for another code, locale `xx-XX`, language code `xx` and ISO dates), then `loadUpdateSQL`: every
    /// language field of every record gets the default language's value in the new language.
    pub(crate) fn add_language(&mut self, iso_code: &str, name: &str) -> u64 {
        let id = self.next_id("languages");
        let iso = iso_code.to_ascii_lowercase();
        let (locale, code, lite, full) = match iso.as_str() {
            "en" => ("en-US".to_owned(), "en-us".to_owned(), "m/d/Y", "m/d/Y H:i:s"),
            "fr" => ("fr-FR".to_owned(), "fr".to_owned(), "d/m/Y", "d/m/Y H:i:s"),
            _ => (format!("{iso}-{}", iso.to_ascii_uppercase()), iso.clone(), "Y-m-d", "Y-m-d H:i:s"),
        };
        self.seed(
            "languages",
            id,
            &[
                ("name", name),
                ("iso_code", &iso),
                ("locale", &locale),
                ("language_code", &code),
                ("active", "1"),
                ("is_rtl", "0"),
                ("date_format_lite", lite),
                ("date_format_full", full),
            ],
        );
        let default = self.default_language();
        let lang = u32::try_from(id).unwrap_or(u32::MAX);
        for table in self.tables.values_mut() {
            for rec in table.rows.values_mut() {
                for v in rec.fields.values_mut() {
                    if let Value::Lang(m) = v {
                        let copy = m.get(&default).cloned().unwrap_or_default();
                        m.entry(lang).or_insert(copy);
                    }
                }
            }
        }
        self.languages.push(lang);
        id
    }

    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub(crate) fn table_mut(&mut self, name: &'static str) -> &mut Table {
        self.tables.entry(name).or_default()
    }

    pub(crate) fn get(&self, resource: &str, id: u64) -> Option<&Record> {
        self.table(resource).and_then(|t| t.rows.get(&id))
    }

    pub(crate) fn get_mut(&mut self, resource: &'static str, id: u64) -> Option<&mut Record> {
        self.table_mut(resource).rows.get_mut(&id)
    }

    /// Reserves the next id of `resource`.
    pub(crate) fn next_id(&mut self, resource: &'static str) -> u64 {
        let t = self.table_mut(resource);
        let id = t.next_id.max(1);
        t.next_id = id + 1;
        id
    }

    /// Stores `rec` under `id`, as the database would keep it.
    pub(crate) fn put(&mut self, res: &'static Resource, id: u64, rec: &Record) {
        let mut stored = self.normalise(res, rec);
        stored.set("id", id.to_string());
        self.table_mut(res.name).rows.insert(id, stored);
    }

    /// The record as the database stores it: `NULL` and loose strings become what the column holds.
    pub(crate) fn normalise(&self, res: &Resource, rec: &Record) -> Record {
        let mut out = Record { fields: BTreeMap::new(), assocs: rec.assocs.clone() };
        for f in res.fields {
            let v = rec.fields.get(f.name).cloned().unwrap_or(Value::Null);
            out.fields.insert(f.name, self.normalise_value(f, v));
        }
        for a in res.assocs {
            if a.source == AssocSource::Computed {
                out.assocs.remove(a.name);
            }
        }
        out
    }

    fn normalise_value(&self, f: &Field, v: Value) -> Value {
        match f.kind {
            Kind::Lang => {
                let mut m: BTreeMap<u32, String> = self.languages.iter().map(|&l| (l, String::new())).collect();
                match v {
                    // `ObjectModel::formatFields`: a language without a value (PHP `empty`) gets the default
                    // language's value when the field is required, else "".
                    Value::Lang(given) => {
                        let fallback = given.get(&self.default_language()).cloned().unwrap_or_default();
                        for (l, slot) in &mut m {
                            match given.get(l) {
                                Some(v) if !util::php_empty(v) => slot.clone_from(v),
                                _ if f.has(schema::REQ) => slot.clone_from(&fallback),
                                _ => {}
                            }
                        }
                    }
                    Value::Text(s) => m.values_mut().for_each(|x| x.clone_from(&s)),
                    Value::Null => {}
                }
                Value::Lang(m)
            }
            Kind::Nullable => match v {
                Value::Text(s) if !s.is_empty() => Value::Text(s),
                _ => Value::Null,
            },
            _ => {
                let s = match v {
                    Value::Text(s) => s,
                    _ => String::new(),
                };
                Value::Text(match f.kind {
                    Kind::Int => util::php_int(&s).to_string(),
                    Kind::Bool => i64::from(util::php_int(&s) != 0 || s.trim() == "true").to_string(),
                    Kind::Dec(places) => util::fixed(util::php_decimal(&s), places),
                    Kind::Date if s.is_empty() => "0000-00-00".to_owned(),
                    Kind::DateTime if s.is_empty() => "0000-00-00 00:00:00".to_owned(),
                    _ => s,
                })
            }
        }
    }

    /// The value a getter field shows for `rec` (an in-memory object or a stored one).
    pub(crate) fn getter(&self, res: &Resource, f: &Field, rec: &Record) -> Value {
        let id = rec.int("id");
        match (res.name, f.name) {
            ("products", "id_default_image") => Value::text(
                rec.assocs
                    .get("images")
                    .and_then(|v| v.first())
                    .map(|r| row_get(r, "id").to_owned())
                    .unwrap_or_default(),
            ),
            ("products", "id_default_combination") => Value::text(self.default_combination(id).to_string()),
            // `getWsPositionInCategory`: the product's `category_product` position in its default category,
            // "" when it is not in it (captured: a default category that does not exist).
            ("products", "position_in_category") => {
                let cat = rec.int("id_category_default").to_string();
                let row = rec.assocs.get("categories").into_iter().flatten().find(|r| row_get(r, "id") == cat);
                Value::text(row.map(|r| row_get(r, "position")).unwrap_or_default())
            }
            ("products", "manufacturer_name") => Value::text(""),
            // `getWsNbProductsRecursive`: the distinct products of the category and of its active
            // descendants, or -1 when there are none.
            ("categories", "nb_products_recursive") => {
                let n = self.category_products_recursive(id);
                Value::text(if n == 0 { "-1".to_owned() } else { n.to_string() })
            }
            ("products", "type") => Value::text(match (rec.get("product_type"), rec.get("is_virtual")) {
                ("virtual", _) | (_, "1") => "virtual",
                ("pack", _) => "pack",
                _ => "simple",
            }),
            // `Order::getWsShippingNumber`: the tracking number of the order's `order_carrier` row, NULL without one.
            ("orders", "shipping_number") => {
                self.order_carrier_of(id).map_or(Value::Null, |oc| Value::text(oc.get("tracking_number")))
            }
            _ => rec.fields.get(f.name).cloned().unwrap_or(Value::Null),
        }
    }

    /// `Order::getIdOrderCarrier`: the first `order_carrier` row of an order.
    pub(crate) fn order_carrier_of(&self, id_order: i64) -> Option<&Record> {
        if id_order <= 0 {
            return None;
        }
        self.rows_where("order_carriers", move |r| r.int("id_order") == id_order).next()
    }

    /// `Product::getDefaultAttribute`: the product's combination marked `default_on`, else its first one
    /// (a combination posted without `default_on` is not marked, as captured), or 0.
    pub(crate) fn default_combination(&self, id_product: i64) -> i64 {
        let mut combos = self.rows_where("combinations", move |c| c.int("id_product") == id_product);
        let first = combos.next().map(|c| c.int("id"));
        self.rows_where("combinations", move |c| c.int("id_product") == id_product && c.get("default_on") == "1")
            .map(|c| c.int("id"))
            .next()
            .or(first)
            .unwrap_or(0)
    }

    /// The rows of an association of `rec`, stored or computed.
    pub(crate) fn assoc_rows(&self, res: &Resource, name: &str, rec: &Record) -> Vec<Row> {
        let id = rec.int("id");
        match (res.name, name) {
            // `getWsCategories` joins `category` and `category_shop`: a category that does not exist is not
            // shown, though its `category_product` row was written (captured).
            ("products", "categories") => rec
                .assocs
                .get("categories")
                .into_iter()
                .flatten()
                .filter(|r| self.get("categories", util::php_int(row_get(r, "id")).max(0) as u64).is_some())
                .cloned()
                .collect(),
            // `getWsProductOptionValues` joins `attribute_shop`: a value that does not exist is not shown
            // (captured), while the product's list, read without that join, names it.
            ("combinations", "product_option_values") => rec
                .assocs
                .get("product_option_values")
                .into_iter()
                .flatten()
                .filter(|r| self.get("product_option_values", util::php_int(row_get(r, "id")).max(0) as u64).is_some())
                .cloned()
                .collect(),
            ("products", "stock_availables") => self
                .rows_where("stock_availables", |r| r.int("id_product") == id && id > 0)
                .map(|r| {
                    vec![
                        ("id", r.get("id").to_owned()),
                        ("id_product_attribute", r.get("id_product_attribute").to_owned()),
                    ]
                })
                .collect(),
            ("products", "combinations") => self
                .rows_where("combinations", |r| r.int("id_product") == id && id > 0)
                .map(|r| vec![("id", r.get("id").to_owned())])
                .collect(),
            ("products", "product_option_values") => {
                let mut ids: Vec<i64> = Vec::new();
                let values = self
                    .rows_where("combinations", |r| r.int("id_product") == id && id > 0)
                    .flat_map(|c| c.assocs.get("product_option_values").cloned().unwrap_or_default())
                    .map(|row| util::php_int(row_get(&row, "id")));
                for v in values {
                    if !ids.contains(&v) {
                        ids.push(v);
                    }
                }
                ids.into_iter().map(|v| vec![("id", v.to_string())]).collect()
            }
            // `getChildrenWs`: the active children, by position.
            ("categories", "categories") => {
                let mut kids: Vec<&Record> = self
                    .rows_where("categories", |r| r.int("id_parent") == id && id > 0 && r.get("active") == "1")
                    .collect();
                kids.sort_by_key(|r| (r.int("position"), r.int("id")));
                kids.into_iter().map(|r| vec![("id", r.get("id").to_owned())]).collect()
            }
            // `getProductsWs`: the `category_product` rows, i.e. the products whose `categories` name it.
            ("categories", "products") => self
                .rows_where("products", |p| id > 0 && in_category(p, id))
                .map(|r| vec![("id", r.get("id").to_owned())])
                .collect(),
            ("product_options", "product_option_values") => self
                .rows_where("product_option_values", |r| r.int("id_attribute_group") == id && id > 0)
                .map(|r| vec![("id", r.get("id").to_owned())])
                .collect(),
            _ => rec.assocs.get(name).cloned().unwrap_or_default(),
        }
    }

    /// The number of distinct products in category `id` or in one of its active descendants.
    pub(crate) fn category_products_recursive(&self, id: i64) -> usize {
        if id <= 0 {
            return 0;
        }
        let mut tree = vec![id];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            let kids: Vec<i64> = self
                .rows_where("categories", |r| r.int("id_parent") == parent && r.get("active") == "1")
                .map(|r| r.int("id"))
                .filter(|k| !tree.contains(k))
                .collect();
            tree.extend(kids);
            i += 1;
        }
        self.rows_where("products", |p| tree.iter().any(|&c| in_category(p, c))).count()
    }

    /// The records of `resource` matching `pred`, by id.
    pub(crate) fn rows_where<'a>(
        &'a self,
        resource: &str,
        pred: impl Fn(&Record) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Record> + 'a {
        self.table(resource).into_iter().flat_map(|t| t.rows.values()).filter(move |r| pred(r))
    }

    /// The stock row of a product or combination in shop 1.
    pub(crate) fn stock_row_id(&self, id_product: i64, id_attr: i64) -> Option<u64> {
        self.rows_where("stock_availables", |r| {
            r.int("id_product") == id_product && r.int("id_product_attribute") == id_attr
        })
        .map(|r| r.int("id") as u64)
        .next()
    }

    /// Creates the stock row of a product (`id_attr` 0) or combination, as `StockAvailable::setQuantity`
    /// does the first time.
    pub(crate) fn create_stock_row(&mut self, id_product: i64, id_attr: i64) -> u64 {
        if let Some(id) = self.stock_row_id(id_product, id_attr) {
            return id;
        }
        let Some(res) = schema::resource("stock_availables") else { return 0 };
        let id = self.next_id("stock_availables");
        let mut rec = Record::default();
        for (k, v) in [
            ("id_product", id_product.to_string()),
            ("id_product_attribute", id_attr.to_string()),
            ("id_shop", "1".to_owned()),
            ("id_shop_group", "0".to_owned()),
            ("quantity", "0".to_owned()),
            ("depends_on_stock", "0".to_owned()),
            ("out_of_stock", "2".to_owned()),
            ("location", String::new()),
        ] {
            if let Some(f) = res.field(k) {
                rec.set(f.name, v);
            }
        }
        self.put(res, id, &rec);
        id
    }

    /// Sets the product-level row (attr 0) to the sum of the product's combination rows, when it has any.
    pub(crate) fn resync_product_stock(&mut self, id_product: i64) {
        let combos: Vec<i64> =
            self.rows_where("combinations", |c| c.int("id_product") == id_product).map(|c| c.int("id")).collect();
        if combos.is_empty() {
            return;
        }
        let sum: i64 = self
            .rows_where("stock_availables", |r| {
                r.int("id_product") == id_product && combos.contains(&r.int("id_product_attribute"))
            })
            .map(|r| r.int("quantity"))
            .sum();
        let row = self.create_stock_row(id_product, 0);
        if let Some(r) = self.get_mut("stock_availables", row) {
            r.set("quantity", sum.to_string());
        }
    }

    /// `StockAvailable::updateQuantity`: adds `delta` to a row and keeps the product row in step.
    pub(crate) fn add_stock(&mut self, id_product: i64, id_attr: i64, delta: i64) {
        let row = self.create_stock_row(id_product, id_attr);
        if let Some(r) = self.get_mut("stock_availables", row) {
            let q = r.int("quantity") + delta;
            r.set("quantity", q.to_string());
        }
        if id_attr != 0 {
            self.resync_product_stock(id_product);
        }
    }

    /// A JSON dump of every table, for debugging.
    pub(crate) fn snapshot(&self) -> serde_json::Value {
        let mut tables = serde_json::Map::new();
        for (name, t) in &self.tables {
            let rows: Vec<serde_json::Value> = t
                .rows
                .values()
                .map(|r| {
                    let mut o = serde_json::Map::new();
                    for (k, v) in &r.fields {
                        let jv = match v {
                            Value::Null => serde_json::Value::Null,
                            Value::Text(s) => json!(s),
                            Value::Lang(m) => {
                                json!(m.iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>())
                            }
                        };
                        o.insert((*k).to_owned(), jv);
                    }
                    for (k, rows) in &r.assocs {
                        let list: Vec<serde_json::Value> =
                            rows.iter().map(|row| json!(row.iter().cloned().collect::<BTreeMap<_, _>>())).collect();
                        o.insert(format!("associations.{k}"), json!(list));
                    }
                    serde_json::Value::Object(o)
                })
                .collect();
            tables.insert((*name).to_owned(), json!(rows));
        }
        json!({ "tables": tables, "ordered_carts": self.ordered_carts })
    }
}

/// The value of sub-field `name` in an association row.
/// Whether product `p` is in category `id` (its `categories` association, PrestaShop's `category_product`).
fn in_category(p: &Record, id: i64) -> bool {
    p.assocs.get("categories").is_some_and(|rows| rows.iter().any(|r| util::php_int(row_get(r, "id")) == id))
}

pub(crate) fn row_get<'a>(row: &'a Row, name: &str) -> &'a str {
    row.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_shop_holds_reference_data_and_no_catalog() {
        let s = Store::seeded();
        assert_eq!(s.table("languages").map(|t| t.rows.len()), Some(1));
        assert_eq!(s.get("currencies", 1).map(|c| c.get("iso_code")), Some("EUR"));
        assert_eq!(s.get("countries", 8).map(|c| c.get("iso_code")), Some("FR"));
        assert_eq!(s.get("carriers", 2).map(|c| c.lang("delay", 1)), Some("Delivery next day!"));
        assert_eq!(s.table("products").map(|t| t.rows.len()), Some(0));
        assert_eq!(s.get("order_states", 8).map(|c| c.lang("name", 1)), Some("Payment error"));
        // install/data/xml/order_state.xml: "Delivered" and "Awaiting COD validation" send no mail.
        let mails: Vec<u64> =
            s.rows_where("order_states", |r| r.get("send_email") == "1").map(|r| r.int("id") as u64).collect();
        assert_eq!(mails, [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(s.get("order_states", 10).map(|c| c.get("module_name")), Some("ps_wirepayment"));
    }

    #[test]
    fn null_values_are_stored_as_the_column_default() {
        let s = Store::seeded();
        let res = schema::resource("products").expect("products");
        let mut rec = Record::default();
        rec.set("price", "10");
        rec.fields.insert("new", Value::Null);
        let stored = s.normalise(res, &rec);
        assert_eq!(stored.get("price"), "10.000000");
        assert_eq!(stored.get("minimal_quantity"), "0");
        assert_eq!(stored.get("available_date"), "0000-00-00");
        assert_eq!(stored.fields.get("new"), Some(&Value::Null));
        assert_eq!(stored.lang("name", 1), "");
    }

    #[test]
    fn combination_rows_sum_into_the_product_row() {
        let mut s = Store::seeded();
        let res = schema::resource("combinations").expect("combinations");
        s.create_stock_row(1, 0);
        for cid in [1u64, 2] {
            let mut c = Record::default();
            c.set("id_product", "1");
            s.put(res, cid, &c);
            s.create_stock_row(1, cid as i64);
        }
        s.add_stock(1, 1, 5);
        s.add_stock(1, 2, 7);
        let row = s.stock_row_id(1, 0).and_then(|id| s.get("stock_availables", id)).map(|r| r.int("quantity"));
        assert_eq!(row, Some(12));
    }
}
