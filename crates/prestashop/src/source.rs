//! The wholesaler's shop for order replication: resolving an order against its catalog, its B2B
//! customer per retailer, the delivery address and cart, the order through `POST /api/orders` with the
//! total its `fulfillment_connector` computes (docs/decisions/0004), and its stock afterwards.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use hub_domain::{
    CombinationCandidate, CombinationData, CombinationIdentity, CombinationMatch, GatewayError, Money, OrderData,
    OrderLine, ProductData, Secret, Sku, StoreCode, match_combination,
    replication::{OrderPlan, Refusal, SourceCarrier, SourceError, SourceLine, SourceOrder, SourceShop},
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::{
    WebserviceClient,
    attributes::{AttributeNames, language_value, value_ids},
    check::ConnectorCheck,
    filterable, int, num, text,
    xml::{self, Node},
};

/// How orders are placed on the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceOrderSettings {
    /// Language of carts and orders.
    pub language_id: u64,
    /// Source store: the carrier of every replicated order, set as the cart's `delivery_option`; none: the
    /// shop's default carrier (`PS_CARRIER_DEFAULT`) when it is valid and serves the delivery zone, else
    /// the first valid carrier by position that serves it.
    pub carrier_id: Option<u64>,
    /// Client store: the retailer's carrier id (as sent with its orders) → the source carrier that
    /// delivers them, e.g. `carrier_map = { "2" = 3 }`; a carrier not mapped falls back as above.
    pub carrier_map: BTreeMap<String, u64>,
    /// E-mail of the B2B customer that orders for a retailer; `{store}` is the retailer's code.
    pub customer_email: String,
    /// Customer group of that customer.
    pub customer_group_id: u64,
}

impl Default for SourceOrderSettings {
    fn default() -> Self {
        Self {
            language_id: 1,
            carrier_id: None,
            carrier_map: BTreeMap::new(),
            customer_email: "{store}@retailers.fulfillment-hub.example".into(),
            customer_group_id: 3,
        }
    }
}

/// [`SourceShop`] on the source store's Webservice and connector.
#[derive(Debug, Clone)]
pub struct WebserviceSourceShop {
    client: Arc<WebserviceClient>,
    connector_key: Secret,
    connector_secret: Option<Secret>,
    settings: SourceOrderSettings,
    /// Per client store: the retailer's carrier id → the source carrier.
    carrier_maps: HashMap<StoreCode, BTreeMap<u64, u64>>,
}

/// A source combination as order resolution reads it.
struct SourceCombination {
    id: u64,
    product_id: u64,
    reference: Option<String>,
    ean13: Option<String>,
    value_ids: Vec<u64>,
}

impl WebserviceSourceShop {
    /// `connector_key` and `connector_secret` are the source store's `api_key` and `signing_secret`: the
    /// connector authenticates the hub with the same shared secrets it uses to call the hub.
    pub fn new(
        client: Arc<WebserviceClient>,
        connector_key: Secret,
        connector_secret: Option<Secret>,
        settings: SourceOrderSettings,
    ) -> Self {
        Self { client, connector_key, connector_secret, settings, carrier_maps: HashMap::new() }
    }

    /// Maps, per client store, the retailer's carrier ids to source carriers (its `[stores.orders]
    /// carrier_map`).
    #[must_use]
    pub fn with_carrier_maps(mut self, maps: HashMap<StoreCode, BTreeMap<u64, u64>>) -> Self {
        self.carrier_maps = maps;
        self
    }

    async fn list(&self, resource: &str, query: Vec<(&str, String)>) -> Result<Vec<Value>, SourceError> {
        Ok(self.client.list_rows(resource, query).await?)
    }

    /// Creates the delivery (and invoice) address of `order` for the retailer's customer, named `alias`.
    async fn create_address(
        &self,
        customer_id: u64,
        order: &OrderData,
        plan: &OrderPlan,
        alias: String,
    ) -> Result<u64, SourceError> {
        let a = &order.delivery_address;
        let mut fields = vec![
            Node::Field("id_customer", customer_id.to_string()),
            Node::Field("id_country", plan.country_id.to_string()),
            Node::Field("alias", alias),
            Node::Field("lastname", a.lastname.clone()),
            Node::Field("firstname", a.firstname.clone()),
            Node::Field("address1", a.address1.clone()),
            Node::Field("city", a.city.clone()),
        ];
        for (name, value) in
            [("company", &a.company), ("address2", &a.address2), ("postcode", &a.postcode), ("phone", &a.phone)]
        {
            if !value.trim().is_empty() {
                fields.push(Node::Field(name, value.clone()));
            }
        }
        match self.post("addresses", xml::document("address", fields)).await {
            Err(SourceError::Gateway(GatewayError::Permanent(m))) => Err(refused("missing_address_field", m)),
            other => other,
        }
    }

    /// Creates the cart of the plan's lines, delivered and invoiced to `address_id`.
    async fn post_cart(&self, customer_id: u64, address_id: u64, plan: &OrderPlan) -> Result<u64, SourceError> {
        let address = address_id.to_string();
        let rows = plan
            .lines
            .iter()
            .map(|l| {
                Node::Group(
                    "cart_row",
                    vec![
                        Node::Field("id_product", l.product_id.to_string()),
                        Node::Field("id_product_attribute", l.combination_id.to_string()),
                        Node::Field("id_address_delivery", address.clone()),
                        Node::Field("quantity", l.quantity.to_string()),
                    ],
                )
            })
            .collect();
        let mut cart = vec![
            Node::Field("id_address_delivery", address.clone()),
            Node::Field("id_address_invoice", address.clone()),
            Node::Field("id_currency", plan.currency_id.to_string()),
            Node::Field("id_customer", customer_id.to_string()),
            Node::Field("id_lang", self.settings.language_id.to_string()),
        ];
        // The order takes its carrier from `delivery_option`, not `id_carrier` (FACTS.md §5.3).
        if let Some(carrier) = &plan.carrier {
            let carrier = carrier.id;
            cart.push(Node::Field("id_carrier", carrier.to_string()));
            cart.push(Node::Field("delivery_option", format!(r#"{{"{address}":"{carrier},"}}"#)));
        }
        cart.push(Node::Group("associations", vec![Node::Group("cart_rows", rows)]));
        self.post("carts", xml::document("cart", cart)).await
    }

    /// The first order whose `filter` is `id` (`filter[id]`, `filter[id_cart]`).
    async fn order_where(&self, filter: &'static str, id: u64) -> Result<Option<SourceOrder>, SourceError> {
        let found = self
            .list(
                "orders",
                vec![
                    (filter, format!("[{id}]")),
                    (
                        "display",
                        "[id,id_carrier,reference,current_state,valid,total_paid_tax_incl,total_shipping_tax_incl]"
                            .into(),
                    ),
                    ("sort", "[id_ASC]".into()),
                ],
            )
            .await?;
        let Some(o) = found.first() else { return Ok(None) };
        let money = |v: &Value| Money::parse(v.as_str().unwrap_or("0")).unwrap_or(Money::ZERO);
        Ok(Some(SourceOrder {
            id: num(&o["id"]),
            reference: o["reference"].as_str().unwrap_or_default().to_owned(),
            state: o["current_state"].as_str().map(str::to_owned).unwrap_or_else(|| o["current_state"].to_string()),
            valid: int(&o["valid"]) == 1,
            total_paid_tax_incl: money(&o["total_paid_tax_incl"]),
            carrier: self.carrier_name(num(&o["id_carrier"])).await?,
            shipping_tax_incl: money(&o["total_shipping_tax_incl"]),
        }))
    }

    async fn post(&self, resource: &str, body: String) -> Result<u64, SourceError> {
        let a = self.client.send(Method::POST, resource, &[("output_format", "JSON".into())], Some(body)).await?;
        let v: Value = serde_json::from_str(&a.body)
            .map_err(|e| GatewayError::Retryable(format!("unreadable JSON from the source: {e}")))?;
        let single = resource.trim_end_matches('s');
        let single = if resource == "addresses" { "address" } else { single };
        let id = num(&v[single]["id"]);
        if id == 0 {
            return Err(GatewayError::Permanent(format!("POST {resource}: no id in the answer")).into());
        }
        Ok(id)
    }

    /// The product named by `sku`, or by a combination's own reference: (product id, combination id, the
    /// product's reference).
    async fn resolve_reference(&self, sku: &Sku) -> Result<(u64, u64, Sku), SourceError> {
        if let Some(product) = self.product_by_reference(sku).await? {
            return Ok((product, 0, sku.clone()));
        }
        let combinations = self
            .list("combinations", vec![("filter[reference]", filterable(sku)?), ("display", "[id,id_product]".into())])
            .await?;
        match combinations.as_slice() {
            [c] => {
                let product = num(&c["id_product"]);
                Ok((product, num(&c["id"]), self.reference_of(product).await?.unwrap_or_else(|| sku.clone())))
            }
            [] => Err(refused("unknown_sku", format!("{sku} is not in the source's catalog"))),
            many => Err(refused("ambiguous_sku", format!("{sku} names {} combinations on the source", many.len()))),
        }
    }

    /// The one product whose reference is `sku`; refuses a reference several products share.
    async fn product_by_reference(&self, sku: &Sku) -> Result<Option<u64>, SourceError> {
        let products = self
            .list("products", vec![("filter[reference]", filterable(sku)?), ("display", "[id,reference]".into())])
            .await?;
        match products.as_slice() {
            [p] => Ok(Some(num(&p["id"]))),
            [] => Ok(None),
            many => Err(refused("ambiguous_sku", format!("{sku} names {} products on the source", many.len()))),
        }
    }

    async fn reference_of(&self, product: u64) -> Result<Option<Sku>, SourceError> {
        let owner = self
            .list("products", vec![("filter[id]", format!("[{product}]")), ("display", "[id,reference]".into())])
            .await?;
        Ok(owner.first().and_then(|p| p["reference"].as_str()).and_then(|r| Sku::parse(r).ok()))
    }

    /// Combinations by a filter, with their attribute value ids (`display=full` keeps the associations and
    /// the empty fields, FACTS.md §2.2).
    async fn combinations_where(&self, field: &str, value: String) -> Result<Vec<SourceCombination>, SourceError> {
        let found = self
            .list("combinations", vec![(field, value), ("display", "full".into()), ("sort", "[id_ASC]".into())])
            .await?;
        Ok(found
            .iter()
            .map(|c| SourceCombination {
                id: num(&c["id"]),
                product_id: num(&c["id_product"]),
                reference: text(&c["reference"]),
                ean13: text(&c["ean13"]),
                value_ids: value_ids(c),
            })
            .collect())
    }

    /// The names of the source's attribute values and groups, read on first use.
    async fn attribute_names<'a>(
        &self,
        cache: &'a mut Option<AttributeNames>,
    ) -> Result<&'a AttributeNames, SourceError> {
        if cache.is_none() {
            *cache = Some(AttributeNames::read(&self.client, self.settings.language_id).await?);
        }
        Ok(cache.get_or_insert_with(AttributeNames::default))
    }

    /// Resolves an order line to the source: a line with a combination to the source combination the
    /// shared rule finds (own reference when unique on the source, else EAN13 when unique, else the
    /// product's attribute set); a line without one to the product or combination its reference names. A
    /// product with combinations is never ordered as the parent alone.
    async fn resolve_line(
        &self,
        line: &OrderLine,
        names: &mut Option<AttributeNames>,
    ) -> Result<SourceLine, SourceError> {
        let sku = &line.reference;
        let resolved = |product_id: u64, combination_id: u64, product_sku: Sku| SourceLine {
            sku: sku.clone(),
            product_sku,
            product_id,
            combination_id,
            quantity: line.quantity,
        };
        let Some(wanted) = &line.combination else {
            let (product, combination, product_sku) = self.resolve_reference(sku).await?;
            if combination == 0
                && !self
                    .list(
                        "combinations",
                        vec![
                            ("filter[id_product]", format!("[{product}]")),
                            ("display", "[id]".into()),
                            ("limit", "1".into()),
                        ],
                    )
                    .await?
                    .is_empty()
            {
                return Err(refused(
                    "combination_not_matched",
                    format!("{sku}: source product {product} has combinations and the line names none of them"),
                ));
            }
            return Ok(resolved(product, combination, product_sku));
        };
        // Globally unique own reference, then EAN13 (the shared rule's first two steps, across the shop).
        for (field, value) in [
            ("filter[reference]", wanted.reference.as_ref().map(filterable).transpose()?),
            (
                "filter[ean13]",
                wanted.ean13.as_ref().filter(|e| e.chars().all(|c| c.is_ascii_digit())).map(|e| format!("[{e}]")),
            ),
        ] {
            let Some(value) = value else { continue };
            if let [c] = self.combinations_where(field, value).await?.as_slice() {
                let product_sku = self.reference_of(c.product_id).await?.unwrap_or_else(|| sku.clone());
                return Ok(resolved(c.product_id, c.id, product_sku));
            }
        }
        let product_sku = line.product_reference.clone().unwrap_or_else(|| sku.clone());
        let product = self
            .product_by_reference(&product_sku)
            .await?
            .ok_or_else(|| refused("unknown_sku", format!("{product_sku} is not in the source's catalog")))?;
        let combinations = self.combinations_where("filter[id_product]", format!("[{product}]")).await?;
        let names = self.attribute_names(names).await?;
        let candidates: Vec<CombinationCandidate> = combinations
            .iter()
            .map(|c| CombinationCandidate {
                id: c.id,
                reference: c.reference.clone(),
                ean13: c.ean13.clone(),
                attributes: names.of(&c.value_ids),
            })
            .collect();
        let identity = CombinationIdentity {
            reference: wanted.reference.as_ref().map(Sku::as_str),
            ean13: wanted.ean13.as_deref(),
            attributes: &wanted.attributes,
        };
        let described = || {
            let attrs: Vec<String> = wanted.attributes.iter().map(|(g, v)| format!("{g}={v}")).collect();
            format!("{sku} ({})", attrs.join(", "))
        };
        match match_combination(identity, &candidates) {
            CombinationMatch::Found(id) => Ok(resolved(product, id, product_sku)),
            CombinationMatch::Ambiguous(ids) => Err(refused(
                "ambiguous_combination",
                format!("{}: source product {product} has combinations {ids:?} with these attributes", described()),
            )),
            CombinationMatch::NotFound => Err(refused(
                "combination_not_matched",
                format!(
                    "{}: none of source product {product}'s {} combination(s) matches",
                    described(),
                    candidates.len()
                ),
            )),
        }
    }

    /// The carrier of a retailer's order: the retailer's carrier mapped for it, else `[stores.orders]
    /// carrier_id` of the source, else `PS_CARRIER_DEFAULT` when it is active, not deleted and serves the
    /// delivery zone, else the first such carrier by position.
    ///
    /// What the 8.2.1 Webservice exposes, and what this relies on: `configurations` (name/value, filterable
    /// by name) for `PS_CARRIER_DEFAULT`; `carriers` with `active`, `deleted`, `position`, `is_free`, but
    /// **no zone association** (`Carrier::$webserviceParameters` lists only `deleted`, `is_module` and
    /// `id_tax_rules_group`; the `carrier_zone` table is not a resource). The zones a paying carrier
    /// serves are read from `deliveries` (one price row per carrier, zone and range); a free carrier has no
    /// price rows (the back office deletes them for a free carrier), so it is taken as serving every zone.
    async fn carrier_for(
        &self,
        retailer: &StoreCode,
        order: &OrderData,
        zone: u64,
    ) -> Result<SourceCarrier, SourceError> {
        let carriers = self
            .list(
                "carriers",
                vec![
                    ("filter[active]", "[1]".into()),
                    ("filter[deleted]", "[0]".into()),
                    ("display", "[id,name,is_free,position]".into()),
                    ("sort", "[position_ASC,id_ASC]".into()),
                ],
            )
            .await?;
        let valid = |id: u64| {
            carriers
                .iter()
                .find(|c| num(&c["id"]) == id)
                .map(|c| SourceCarrier { id, name: c["name"].as_str().unwrap_or_default().to_owned() })
        };
        let mapped =
            order.carrier_id.and_then(|theirs| self.carrier_maps.get(retailer).and_then(|m| m.get(&theirs)).copied());
        for (why, chosen) in [("carrier_map", mapped), ("carrier_id", self.settings.carrier_id)] {
            if let Some(id) = chosen {
                return valid(id).ok_or_else(|| {
                    refused("no_carrier", format!("{why} names source carrier {id}, which is inactive or deleted"))
                });
            }
        }
        let default = self
            .list(
                "configurations",
                vec![("filter[name]", "[PS_CARRIER_DEFAULT]".into()), ("display", "[id,name,value]".into())],
            )
            .await?
            .first()
            .map(|c| num(&c["value"]))
            .unwrap_or_default();
        let ordered = std::iter::once(default).chain(carriers.iter().map(|c| num(&c["id"])));
        for id in ordered {
            let Some(found) = carriers.iter().find(|c| num(&c["id"]) == id) else { continue };
            let serves = int(&found["is_free"]) == 1
                || !self
                    .list(
                        "deliveries",
                        vec![
                            ("filter[id_carrier]", format!("[{id}]")),
                            ("filter[id_zone]", format!("[{zone}]")),
                            ("display", "[id]".into()),
                            ("limit", "1".into()),
                        ],
                    )
                    .await?
                    .is_empty();
            if serves {
                return valid(id).ok_or_else(|| refused("no_carrier", format!("carrier {id} vanished")));
            }
        }
        Err(refused("no_carrier", format!("no active carrier of the source serves zone {zone}")))
    }

    async fn carrier_name(&self, id: u64) -> Result<Option<SourceCarrier>, SourceError> {
        if id == 0 {
            return Ok(None);
        }
        let found =
            self.list("carriers", vec![("filter[id]", format!("[{id}]")), ("display", "[id,name]".into())]).await?;
        Ok(Some(SourceCarrier {
            id,
            name: found.first().and_then(|c| c["name"].as_str()).unwrap_or_default().to_owned(),
        }))
    }

    fn signature(&self, message: &str) -> Option<String> {
        let secret = self.connector_secret.as_ref()?;
        let t = chrono::Utc::now().timestamp();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).ok()?;
        mac.update(format!("{t}.{message}").as_bytes());
        Some(format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes())))
    }

    /// Asks the connector's `carttotal` controller, signed with the hub's key and secret as an order would
    /// be, for cart `0`: the module answers `invalid_id_cart` only after the key and signature passed, and
    /// reads no cart. For `hub stores check`; nothing secret is in what it returns.
    pub async fn check_connector(&self) -> ConnectorCheck {
        let mut headers = vec![("X-API-KEY", self.connector_key.expose().to_owned())];
        if let Some(sig) = self.signature("id_cart=0") {
            headers.push(("X-Hub-Signature", sig));
        }
        let started = std::time::Instant::now();
        match self.client.probe_connector("carttotal", &[("id_cart", "0".into())], headers).await {
            Ok(a) => ConnectorCheck::from_answer(a.status.as_u16(), &a.body, started.elapsed().as_millis() as u64),
            Err(e) => ConnectorCheck::Unreachable(e.to_string()),
        }
    }

    /// The source's own total for the cart, from its connector; `Err(Some(order))` when already ordered.
    async fn cart_total(&self, cart_id: u64) -> Result<Result<CartTotal, u64>, SourceError> {
        let query = format!("id_cart={cart_id}");
        let mut headers = vec![("X-API-KEY", self.connector_key.expose().to_owned())];
        if let Some(sig) = self.signature(&query) {
            headers.push(("X-Hub-Signature", sig));
        }
        let answer = self.client.send_to_connector("carttotal", &[("id_cart", cart_id.to_string())], headers).await;
        match answer {
            Ok(a) => {
                let t: CartTotal = serde_json::from_str(&a.body).map_err(|e| {
                    GatewayError::Permanent(format!(
                        "source connector: unreadable cart total ({e}); is fulfillment_connector installed?"
                    ))
                })?;
                Ok(Ok(t))
            }
            Err(GatewayError::Permanent(m)) if m.contains(" 409") => {
                let ordered = self.order_for_cart(cart_id).await?.map(|o| o.id).unwrap_or_default();
                Ok(Err(ordered))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct CartTotal {
    total_paid_tax_incl: String,
    #[serde(default)]
    total_products_tax_excl: Option<String>,
    #[serde(default)]
    total_products_tax_incl: Option<String>,
}

fn refused(code: &'static str, detail: String) -> SourceError {
    SourceError::Refused(Refusal { code, detail })
}

#[async_trait]
impl SourceShop for WebserviceSourceShop {
    async fn plan(&self, retailer: &StoreCode, order: &OrderData) -> Result<OrderPlan, SourceError> {
        let mut names = None;
        let mut lines = Vec::with_capacity(order.lines.len());
        for l in &order.lines {
            lines.push(self.resolve_line(l, &mut names).await?);
        }
        let currencies = self
            .list(
                "currencies",
                vec![("filter[iso_code]", format!("[{}]", order.currency)), ("display", "[id,iso_code]".into())],
            )
            .await?;
        let currency_id = currencies.first().map(|c| num(&c["id"])).ok_or_else(|| {
            refused("currency_not_available", format!("the source has no {} currency", order.currency))
        })?;
        let address = &order.delivery_address;
        let countries = self
            .list(
                "countries",
                vec![
                    ("filter[iso_code]", format!("[{}]", address.country)),
                    ("display", "[id,id_zone,iso_code,need_zip_code]".into()),
                ],
            )
            .await?;
        let country = countries.first().ok_or_else(|| {
            refused("country_not_available", format!("the source does not ship to {}", address.country))
        })?;
        if int(&country["need_zip_code"]) == 1 && address.postcode.trim().is_empty() {
            return Err(refused("missing_address_field", format!("postcode: {} requires one", address.country)));
        }
        let carrier = self.carrier_for(retailer, order, num(&country["id_zone"])).await?;
        Ok(OrderPlan { lines, currency_id, country_id: num(&country["id"]), carrier: Some(carrier) })
    }

    async fn customer_for(&self, retailer: &StoreCode) -> Result<u64, SourceError> {
        let email = self.settings.customer_email.replace("{store}", retailer.as_str());
        let found = self
            .list("customers", vec![("filter[email]", format!("[{email}]")), ("display", "[id,email]".into())])
            .await?;
        if let Some(c) = found.first() {
            return Ok(num(&c["id"]));
        }
        // Nobody logs in with it: a long random password.
        let passwd: String =
            (0..24).map(|_| char::from(b'a' + rand::random_range(0..26u8))).collect::<String>() + "#9Z";
        let group = self.settings.customer_group_id.to_string();
        let body = xml::document(
            "customer",
            vec![
                Node::Field("id_default_group", group.clone()),
                Node::Field("id_lang", self.settings.language_id.to_string()),
                Node::Field("passwd", passwd),
                // PrestaShop's name validator refuses digits and most punctuation: the code goes in company.
                Node::Field("lastname", "Retailer".into()),
                Node::Field("firstname", "Dropship".into()),
                Node::Field("email", email),
                Node::Field("company", format!("Retailer {retailer}")),
                Node::Field("active", "1".into()),
                Node::Field("newsletter", "0".into()),
                Node::Field("optin", "0".into()),
                Node::Group(
                    "associations",
                    vec![Node::Group("groups", vec![Node::Group("group", vec![Node::Field("id", group)])])],
                ),
            ],
        );
        self.post("customers", body).await
    }

    async fn create_cart(&self, customer_id: u64, order: &OrderData, plan: &OrderPlan) -> Result<u64, SourceError> {
        // A retry after a lost answer (or a crash) finds the address and the cart it created before, by the
        // retailer's customer and the order's own alias, instead of leaving them orphaned on the source.
        let alias = address_alias(order);
        let existing = self
            .list(
                "addresses",
                vec![
                    ("filter[id_customer]", format!("[{customer_id}]")),
                    ("filter[alias]", format!("[{alias}]")),
                    ("filter[deleted]", "[0]".into()),
                    ("display", "[id]".into()),
                    ("sort", "[id_ASC]".into()),
                ],
            )
            .await?;
        let address_id = match existing.first() {
            Some(found) => num(&found["id"]),
            None => self.create_address(customer_id, order, plan, alias).await?,
        };
        let carts = self
            .list(
                "carts",
                vec![
                    ("filter[id_customer]", format!("[{customer_id}]")),
                    ("filter[id_address_delivery]", format!("[{address_id}]")),
                    ("display", "[id]".into()),
                    ("sort", "[id_ASC]".into()),
                ],
            )
            .await?;
        if let Some(found) = carts.first() {
            return Ok(num(&found["id"]));
        }
        self.post_cart(customer_id, address_id, plan).await
    }

    async fn order_for_cart(&self, cart_id: u64) -> Result<Option<SourceOrder>, SourceError> {
        self.order_where("filter[id_cart]", cart_id).await
    }

    async fn order(&self, order_id: u64) -> Result<Option<SourceOrder>, SourceError> {
        self.order_where("filter[id]", order_id).await
    }

    async fn set_state(&self, order_id: u64, state: u64) -> Result<(), SourceError> {
        let body =
            xml::object("order_history", &[("id_order", order_id.to_string()), ("id_order_state", state.to_string())]);
        self.client.send(Method::POST, "order_histories", &[], Some(body)).await?;
        Ok(())
    }

    async fn order_cart(
        &self,
        cart_id: u64,
        customer_id: u64,
        _order: &OrderData,
        plan: &OrderPlan,
    ) -> Result<SourceOrder, SourceError> {
        let total = match self.cart_total(cart_id).await? {
            Ok(t) => t,
            Err(_already) => {
                return self.order_for_cart(cart_id).await?.ok_or_else(|| {
                    GatewayError::Retryable(format!("cart {cart_id} is ordered but its order is not readable yet"))
                        .into()
                });
            }
        };
        let carts = self
            .list(
                "carts",
                vec![("filter[id]", format!("[{cart_id}]")), ("display", "[id,id_address_delivery,id_carrier]".into())],
            )
            .await?;
        let cart = carts.first().ok_or_else(|| GatewayError::Retryable(format!("cart {cart_id} not readable")))?;
        let address = num(&cart["id_address_delivery"]).to_string();
        // `id_carrier` is required on POST but ignored: the cart's `delivery_option` decides (FACTS.md §5.3).
        let carrier = plan.carrier.as_ref().map_or_else(|| num(&cart["id_carrier"]), |c| c.id);
        let products_excl = total.total_products_tax_excl.clone().unwrap_or_else(|| total.total_paid_tax_incl.clone());
        let products_incl = total.total_products_tax_incl.clone().unwrap_or_else(|| total.total_paid_tax_incl.clone());
        let body = xml::object(
            "order",
            &[
                ("id_address_delivery", address.clone()),
                ("id_address_invoice", address),
                ("id_cart", cart_id.to_string()),
                ("id_currency", plan.currency_id.to_string()),
                ("id_lang", self.settings.language_id.to_string()),
                ("id_customer", customer_id.to_string()),
                ("id_carrier", carrier.to_string()),
                ("module", "fulfillment_connector".into()),
                ("payment", "Fulfillment Hub".into()),
                ("total_paid", total.total_paid_tax_incl.clone()),
                ("total_paid_real", total.total_paid_tax_incl.clone()),
                ("total_products", products_excl),
                ("total_products_wt", products_incl),
                ("conversion_rate", "1".into()),
            ],
        );
        match self.client.send(Method::POST, "orders", &[], Some(body)).await {
            Ok(_) => {}
            // PrestaShop refuses a second order for one cart (a 500), and an answer can be lost after the
            // order was made: whatever the failure, the cart's own order, when it has one, is the answer.
            Err(GatewayError::Retryable(m)) => {
                if self.order_for_cart(cart_id).await?.is_none() {
                    return Err(GatewayError::Retryable(m).into());
                }
            }
            Err(e) => return Err(e.into()),
        }
        let created = self
            .order_for_cart(cart_id)
            .await?
            .ok_or_else(|| GatewayError::Retryable(format!("the order of cart {cart_id} is not readable yet")))?;
        // An order in "Payment error" is returned as it is: the use case refuses it as `payment_error`.
        Ok(created)
    }

    async fn stock(&self, product_id: u64) -> Result<Vec<(u64, i64)>, SourceError> {
        let found = self
            .list(
                "stock_availables",
                vec![
                    ("filter[id_product]", format!("[{product_id}]")),
                    ("display", "[id_product_attribute,quantity]".into()),
                ],
            )
            .await?;
        Ok(found.iter().map(|r| (num(&r["id_product_attribute"]), int(&r["quantity"]))).collect())
    }

    async fn product(&self, product_id: u64) -> Result<Option<ProductData>, SourceError> {
        let found = self
            .list(
                "products",
                vec![("filter[id]", format!("[{product_id}]")), ("display", "[id,reference,price,active,name]".into())],
            )
            .await?;
        let Some(p) = found.first() else { return Ok(None) };
        let Some(sku) = text(&p["reference"]).and_then(|r| Sku::parse(&r).ok()) else { return Ok(None) };
        let stock = self.stock(product_id).await?;
        let quantity_of = |comb: u64| stock.iter().find(|(c, _)| *c == comb).map_or(0, |(_, q)| *q);
        let combinations = self.combinations_where("filter[id_product]", format!("[{product_id}]")).await?;
        let mut names = None;
        let combinations = if combinations.is_empty() {
            Vec::new()
        } else {
            let names = self.attribute_names(&mut names).await?;
            combinations
                .iter()
                .map(|c| {
                    CombinationData::new(
                        c.id,
                        c.reference.as_deref().and_then(|r| Sku::parse(r).ok()),
                        c.ean13.clone(),
                        names.of(&c.value_ids),
                        quantity_of(c.id),
                    )
                })
                .collect()
        };
        let price = Money::parse(p["price"].as_str().unwrap_or("0"))
            .map_err(|e| GatewayError::Permanent(format!("source product {product_id} price: {}", e.message)))?;
        let mut name = language_value(&p["name"], self.settings.language_id);
        name = name.chars().take(255).collect();
        // The shop's `date_upd` is in its own time zone, which the hub cannot tell: the state read here
        // carries the oldest time, so that any event the connector sends afterwards supersedes it.
        let updated_at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        ProductData::new(product_id, sku, name, price, quantity_of(0), int(&p["active"]) == 1, updated_at, combinations)
            .map(Some)
            .map_err(|e| GatewayError::Permanent(format!("source product {product_id}: {}", e.message)).into())
    }
}

/// The alias of the address the hub creates for a retailer's order: unique per retailer customer (the
/// order id), readable by the wholesaler (the reference), at most 32 characters (PrestaShop's limit), and
/// free of the characters a Webservice filter cannot match exactly.
fn address_alias(order: &OrderData) -> String {
    let reference: String =
        order.reference.chars().map(|c| if matches!(c, '[' | ']' | '|' | '%') { '-' } else { c }).take(12).collect();
    format!("Order {reference} {}", order.client_order_id)
}
