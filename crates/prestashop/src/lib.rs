//! The PrestaShop Webservice adapter: [`WebserviceGateway`] implements the domain's [`StoreGateway`] over
//! one [`WebserviceClient`] per store. Reads use `display=[…]` lists in JSON (they keep falsy fields);
//! writes send XML, with PATCH on 8.0+ and GET-modify-PUT of the whole object before — never a minimal PUT.

mod attributes;
pub mod catalog;
pub mod check;
pub mod client;
pub mod client_orders;
pub mod publishing;
mod retailer_orders;
pub mod source;
pub mod xml;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
pub use catalog::WebserviceCatalog;
pub use check::{ConnectorCheck, Permission, StoreCheck};
pub use client::{Circuit, StoreLimits, WebserviceClient};
pub use client_orders::WebserviceClientOrders;
use hub_domain::{
    GatewayError, Money, Secret, Sku, StoreCode,
    catalog::{Lookup, RemoteCombination, RemoteProduct, RemoteStockRow, StoreGateway},
};
pub use publishing::WebserviceSheets;
use reqwest::Method;
use serde_json::Value;
pub use source::{SourceOrderSettings, WebserviceSourceShop};

use crate::attributes::{AttributeNames, value_ids};

/// How to reach one store's Webservice.
#[derive(Debug, Clone)]
pub struct WebserviceTarget {
    /// The store.
    pub store: StoreCode,
    /// Shop base URL.
    pub url: String,
    /// Webservice key.
    pub key: Secret,
    /// Its limits.
    pub limits: StoreLimits,
    /// The language whose attribute names its combinations are matched by (the shop's `id_lang`).
    pub language_id: u64,
}

/// [`StoreGateway`] over the stores' Webservices.
#[derive(Debug, Clone)]
pub struct WebserviceGateway {
    clients: Arc<HashMap<StoreCode, Arc<WebserviceClient>>>,
    languages: Arc<HashMap<StoreCode, u64>>,
    /// Per store: its attribute names, read once and kept [`NAMES_TTL`].
    names: Arc<Mutex<HashMap<StoreCode, CachedNames>>>,
    /// Per store: what publishing reads of it (languages, taxes, categories, attributes).
    shops: Arc<publishing::ShopCache>,
}

/// A store's attribute names and when they were read.
#[derive(Debug, Clone)]
struct CachedNames {
    read_at: Instant,
    names: Arc<AttributeNames>,
}

/// How long a store's attribute names are reused: two calls per store per period, not per product.
const NAMES_TTL: Duration = Duration::from_secs(300);

/// How soon names are read again when a combination uses a value they do not know (created since).
const NAMES_MISS_RETRY: Duration = Duration::from_secs(10);

/// Installs the TLS crypto provider reqwest needs (once per process; later calls do nothing).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl WebserviceGateway {
    /// One pooled HTTP client (keep-alive) shared by every store's [`WebserviceClient`].
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(targets: Vec<WebserviceTarget>) -> Result<Self, String> {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("fulfillment-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        let languages = targets.iter().map(|t| (t.store.clone(), t.language_id)).collect();
        let clients = targets
            .into_iter()
            .map(|t| {
                let c = WebserviceClient::new(t.store.as_str(), &t.url, t.key, http.clone(), t.limits);
                (t.store, Arc::new(c))
            })
            .collect();
        Ok(Self {
            clients: Arc::new(clients),
            languages: Arc::new(languages),
            names: Arc::default(),
            shops: Arc::default(),
        })
    }

    /// The client of `store`.
    ///
    /// # Errors
    /// [`GatewayError::Permanent`] when the store has no Webservice configured.
    pub fn client(&self, store: &StoreCode) -> Result<&Arc<WebserviceClient>, GatewayError> {
        self.clients
            .get(store)
            .ok_or_else(|| GatewayError::Permanent(format!("store {store} has no [stores.webservice] configured")))
    }

    /// Reports every store's calls to `telemetry`.
    #[must_use]
    pub fn report_to(self, telemetry: Arc<hub_domain::operations::Telemetry>) -> Self {
        for client in self.clients.values() {
            client.report_to(telemetry.clone());
        }
        self
    }

    /// Every store's circuit state.
    pub fn circuits(&self) -> Vec<(StoreCode, Circuit)> {
        self.clients.iter().map(|(s, c)| (s.clone(), c.circuit())).collect()
    }
}

fn json(body: &str) -> Result<Value, GatewayError> {
    serde_json::from_str(body).map_err(|e| GatewayError::Retryable(format!("unreadable JSON from the store: {e}")))
}

impl WebserviceClient {
    /// `GET /api/{resource}` with `query` in JSON: the list's rows.
    pub(crate) async fn list_rows(
        &self,
        resource: &str,
        query: Vec<(&str, String)>,
    ) -> Result<Vec<Value>, GatewayError> {
        let mut q = query;
        q.push(("output_format", "JSON".into()));
        let a = self.send(reqwest::Method::GET, resource, &q, None).await?;
        Ok(rows(&json(&a.body)?, resource).to_vec())
    }
}

impl WebserviceClient {
    /// The combinations of `product_id` in full (`display=full`: the associations are only output in full),
    /// in id order.
    pub(crate) async fn combination_rows(&self, product_id: u64) -> Result<Vec<Value>, GatewayError> {
        self.list_rows(
            "combinations",
            vec![
                ("filter[id_product]", format!("[{product_id}]")),
                ("display", "full".into()),
                ("sort", "[id_ASC]".into()),
            ],
        )
        .await
    }
}

/// A list answer's rows: `{"products":[…]}`, or the bare `[]` PrestaShop sends for an empty list.
pub(crate) fn rows<'a>(v: &'a Value, resource: &str) -> &'a [Value] {
    match v {
        Value::Object(m) => m.get(resource).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default(),
        _ => &[],
    }
}

pub(crate) fn num(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap_or_default(),
        Value::String(s) => s.trim().parse().unwrap_or_default(),
        _ => 0,
    }
}

pub(crate) fn int(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or_default(),
        Value::String(s) => s.trim().parse().unwrap_or_default(),
        _ => 0,
    }
}

pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A filter value PrestaShop can express: `[`, `]`, `|` and `%` have meanings in `filter[...]`.
pub(crate) fn filterable(sku: &Sku) -> Result<String, GatewayError> {
    let s = sku.as_str();
    if s.contains(['[', ']', '|', '%']) {
        return Err(GatewayError::Permanent(format!(
            "reference `{s}` holds [ ] | or %, which the Webservice filter cannot match exactly"
        )));
    }
    Ok(format!("[{s}]"))
}

impl WebserviceGateway {
    async fn stock_rows(&self, c: &WebserviceClient, product_id: u64) -> Result<Vec<RemoteStockRow>, GatewayError> {
        let a = c
            .send(
                Method::GET,
                "stock_availables",
                &[
                    ("filter[id_product]", format!("[{product_id}]")),
                    ("display", "[id,id_product_attribute,quantity]".into()),
                    ("sort", "[id_ASC]".into()),
                    ("output_format", "JSON".into()),
                ],
                None,
            )
            .await?;
        let v = json(&a.body)?;
        Ok(rows(&v, "stock_availables")
            .iter()
            .map(|r| RemoteStockRow {
                id: num(&r["id"]),
                combination_id: num(&r["id_product_attribute"]),
                quantity: int(&r["quantity"]),
            })
            .collect())
    }

    /// The combinations of `product_id` with their attribute values (`display=full`: the associations are
    /// only output in full).
    async fn combinations(
        &self,
        store: &StoreCode,
        c: &WebserviceClient,
        product_id: u64,
    ) -> Result<Vec<RemoteCombination>, GatewayError> {
        let found = c.combination_rows(product_id).await?;
        let ids: Vec<Vec<u64>> = found.iter().map(value_ids).collect();
        let all: Vec<u64> = ids.iter().flatten().copied().collect();
        let names = if all.is_empty() { Arc::default() } else { self.attribute_names(store, c, &all).await? };
        Ok(found
            .iter()
            .zip(&ids)
            .map(|(r, values)| RemoteCombination {
                id: num(&r["id"]),
                reference: text(&r["reference"]),
                ean13: text(&r["ean13"]),
                attributes: names.of(values),
            })
            .collect())
    }

    /// `store`'s attribute names: the cached ones while fresh and knowing `wanted`, else read again.
    async fn attribute_names(
        &self,
        store: &StoreCode,
        c: &WebserviceClient,
        wanted: &[u64],
    ) -> Result<Arc<AttributeNames>, GatewayError> {
        let cached = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(store).cloned();
        if let Some(cached) = cached {
            let age = cached.read_at.elapsed();
            if age < NAMES_TTL && (age < NAMES_MISS_RETRY || cached.names.knows(wanted)) {
                return Ok(cached.names);
            }
        }
        let lang = self.languages.get(store).copied().unwrap_or(1);
        let names = Arc::new(AttributeNames::read(c, lang).await?);
        self.names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(store.clone(), CachedNames { read_at: Instant::now(), names: names.clone() });
        Ok(names)
    }

    /// Forgets `store`'s attribute names, so the next read learns values created since.
    pub(crate) fn forget_attribute_names(&self, store: &StoreCode) {
        self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(store);
    }

    /// Learns the shop's version when no answer told it yet (a worker restarted on cached links).
    async fn know_version(&self, c: &WebserviceClient) -> Result<(), GatewayError> {
        if !c.version_known() {
            c.send(Method::GET, "", &[], None).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl StoreGateway for WebserviceGateway {
    async fn find_by_reference(&self, store: &StoreCode, sku: &Sku) -> Result<Lookup, GatewayError> {
        let c = self.client(store)?;
        let a = c
            .send(
                Method::GET,
                "products",
                &[
                    ("filter[reference]", filterable(sku)?),
                    // In full: the product's stock rows (their ids) come with it, so a simple product needs no
                    // second call (the associations are only output in full).
                    ("display", "full".into()),
                    ("sort", "[id_ASC]".into()),
                    ("output_format", "JSON".into()),
                ],
                None,
            )
            .await?;
        let v = json(&a.body)?;
        let found = rows(&v, "products");
        match found {
            [] => Ok(Lookup::NotFound),
            [p] => {
                let id = num(&p["id"]);
                let price = Money::parse(p["price"].as_str().unwrap_or("0")).map_err(|e| {
                    GatewayError::Permanent(format!("store {store}: product {id} price: {}", e.message))
                })?;
                let active = int(&p["active"]) == 1;
                let listed: Vec<RemoteStockRow> = p["associations"]["stock_availables"]
                    .as_array()
                    .map(|rows| {
                        rows.iter()
                            .map(|r| RemoteStockRow {
                                id: num(&r["id"]),
                                combination_id: num(&r["id_product_attribute"]),
                                quantity: 0,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if listed.len() == 1 && listed[0].combination_id == 0 {
                    // A simple product: its one row is written at the first sync whatever it holds, which costs
                    // no more than reading it would.
                    return Ok(Lookup::Found(RemoteProduct {
                        id,
                        price,
                        active,
                        stock: listed,
                        stock_read: false,
                        combinations: Vec::new(),
                    }));
                }
                let stock = self.stock_rows(c, id).await?;
                let combinations = if stock.iter().any(|r| r.combination_id != 0) {
                    self.combinations(store, c, id).await?
                } else {
                    Vec::new()
                };
                Ok(Lookup::Found(RemoteProduct { id, price, active, stock, stock_read: true, combinations }))
            }
            many => Ok(Lookup::Ambiguous(many.iter().map(|p| num(&p["id"])).collect())),
        }
    }

    async fn set_stock(
        &self,
        store: &StoreCode,
        _product_id: u64,
        row: &RemoteStockRow,
        quantity: i64,
    ) -> Result<(), GatewayError> {
        let c = self.client(store)?;
        self.know_version(c).await?;
        let path = format!("stock_availables/{}", row.id);
        if c.supports_patch() {
            let body =
                xml::object("stock_available", &[("id", row.id.to_string()), ("quantity", quantity.to_string())]);
            c.send(Method::PATCH, &path, &[], Some(body)).await?;
        } else {
            let full = c.send(Method::GET, &path, &[], None).await?;
            let body = xml::rewrite_for_put(&full.body, "stock_available", &[("quantity", quantity.to_string())], &[])
                .map_err(GatewayError::Retryable)?;
            c.send(Method::PUT, &path, &[], Some(body)).await?;
        }
        Ok(())
    }

    async fn set_price_and_active(
        &self,
        store: &StoreCode,
        product_id: u64,
        price: &Money,
        active: bool,
    ) -> Result<(), GatewayError> {
        let c = self.client(store)?;
        self.know_version(c).await?;
        let path = format!("products/{product_id}");
        let price = format!("{:.6}", price.as_decimal());
        let active = if active { "1" } else { "0" }.to_owned();
        if c.supports_patch() {
            let body = xml::object("product", &[("id", product_id.to_string()), ("price", price), ("active", active)]);
            c.send(Method::PATCH, &path, &[], Some(body)).await?;
        } else {
            let full = c.send(Method::GET, &path, &[], None).await?;
            let body = xml::rewrite_for_put(
                &full.body,
                "product",
                &[("price", price), ("active", active)],
                &["manufacturer_name", "quantity"],
            )
            .map_err(GatewayError::Retryable)?;
            c.send(Method::PUT, &path, &[], Some(body)).await?;
        }
        Ok(())
    }
}
