//! The wholesaler's shop for order replication: resolving an order against its catalog, its B2B
//! customer per retailer, the delivery address and cart, the order through `POST /api/orders` with the
//! total its `fulfillment_connector` computes (docs/decisions/0004), and its stock afterwards.

use std::sync::Arc;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use hub_domain::{
    GatewayError, Money, OrderData, Secret, Sku, StoreCode,
    replication::{OrderPlan, Refusal, SourceError, SourceLine, SourceOrder, SourceShop},
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::{
    WebserviceClient,
    check::ConnectorCheck,
    filterable, int, num, rows,
    xml::{self, Node},
};

/// How orders are placed on the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceOrderSettings {
    /// Language of carts and orders.
    pub language_id: u64,
    /// Carrier, set as the cart's `delivery_option`; none: the shop's first valid carrier.
    pub carrier_id: Option<u64>,
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
        Self { client, connector_key, connector_secret, settings }
    }

    async fn list(&self, resource: &str, query: Vec<(&str, String)>) -> Result<Vec<Value>, SourceError> {
        let mut q = query;
        q.push(("output_format", "JSON".into()));
        let a = self.client.send(Method::GET, resource, &q, None).await?;
        let v: Value = serde_json::from_str(&a.body)
            .map_err(|e| GatewayError::Retryable(format!("unreadable JSON from the source: {e}")))?;
        Ok(rows(&v, resource).to_vec())
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
        if let Some(carrier) = self.settings.carrier_id {
            cart.push(Node::Field("id_carrier", carrier.to_string()));
            cart.push(Node::Field("delivery_option", format!(r#"{{"{address}":"{carrier},"}}"#)));
        }
        cart.push(Node::Group("associations", vec![Node::Group("cart_rows", rows)]));
        self.post("carts", xml::document("cart", cart)).await
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

    async fn resolve_line(&self, sku: &Sku) -> Result<(u64, u64, Sku), SourceError> {
        let products = self
            .list("products", vec![("filter[reference]", filterable(sku)?), ("display", "[id,reference]".into())])
            .await?;
        match products.as_slice() {
            [p] => return Ok((num(&p["id"]), 0, sku.clone())),
            [] => {}
            many => {
                return Err(refused("ambiguous_sku", format!("{sku} names {} products on the source", many.len())));
            }
        }
        let combinations = self
            .list("combinations", vec![("filter[reference]", filterable(sku)?), ("display", "[id,id_product]".into())])
            .await?;
        match combinations.as_slice() {
            [c] => {
                let product = num(&c["id_product"]);
                let owner = self
                    .list(
                        "products",
                        vec![("filter[id]", format!("[{product}]")), ("display", "[id,reference]".into())],
                    )
                    .await?;
                let product_sku = owner
                    .first()
                    .and_then(|p| p["reference"].as_str())
                    .and_then(|r| Sku::parse(r).ok())
                    .unwrap_or_else(|| sku.clone());
                Ok((product, num(&c["id"]), product_sku))
            }
            [] => Err(refused("unknown_sku", format!("{sku} is not in the source's catalog"))),
            many => Err(refused("ambiguous_sku", format!("{sku} names {} combinations on the source", many.len()))),
        }
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
    async fn plan(&self, order: &OrderData) -> Result<OrderPlan, SourceError> {
        let mut lines = Vec::with_capacity(order.lines.len());
        for l in &order.lines {
            let (product_id, combination_id, product_sku) = self.resolve_line(&l.reference).await?;
            lines.push(SourceLine {
                sku: l.reference.clone(),
                product_sku,
                product_id,
                combination_id,
                quantity: l.quantity,
            });
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
                    ("display", "[id,iso_code,need_zip_code]".into()),
                ],
            )
            .await?;
        let country = countries.first().ok_or_else(|| {
            refused("country_not_available", format!("the source does not ship to {}", address.country))
        })?;
        if int(&country["need_zip_code"]) == 1 && address.postcode.trim().is_empty() {
            return Err(refused("missing_address_field", format!("postcode: {} requires one", address.country)));
        }
        Ok(OrderPlan { lines, currency_id, country_id: num(&country["id"]) })
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
        let found = self
            .list(
                "orders",
                vec![
                    ("filter[id_cart]", format!("[{cart_id}]")),
                    ("display", "[id,reference,current_state,valid,total_paid_tax_incl]".into()),
                    ("sort", "[id_ASC]".into()),
                ],
            )
            .await?;
        Ok(found.first().map(|o| SourceOrder {
            id: num(&o["id"]),
            reference: o["reference"].as_str().unwrap_or_default().to_owned(),
            state: o["current_state"].as_str().map(str::to_owned).unwrap_or_else(|| o["current_state"].to_string()),
            valid: int(&o["valid"]) == 1,
            total_paid_tax_incl: Money::parse(o["total_paid_tax_incl"].as_str().unwrap_or("0")).unwrap_or(Money::ZERO),
        }))
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
        let carrier = self.settings.carrier_id.unwrap_or_else(|| num(&cart["id_carrier"]).max(1));
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
        if created.state == "8" || !created.valid {
            return Err(refused(
                "payment_error",
                format!(
                    "source order {} is in state {} (totals differ from the source's cart)",
                    created.id, created.state
                ),
            ));
        }
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
}

/// The alias of the address the hub creates for a retailer's order: unique per retailer customer (the
/// order id), readable by the wholesaler (the reference), at most 32 characters (PrestaShop's limit), and
/// free of the characters a Webservice filter cannot match exactly.
fn address_alias(order: &OrderData) -> String {
    let reference: String =
        order.reference.chars().map(|c| if matches!(c, '[' | ']' | '|' | '%') { '-' } else { c }).take(12).collect();
    format!("Order {reference} {}", order.client_order_id)
}
