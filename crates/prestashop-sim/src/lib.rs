//! A PrestaShop 8.2.1 Webservice simulator for tests and demos.
//!
//! It serves `/api/` over HTTP the way a real shop does wherever a client touches it — authentication and
//! key permissions, XML and JSON output with PrestaShop's quirks, error codes, `display`/`filter`/`sort`/
//! `limit`, PUT as a full replace and PATCH, stock rows that follow products and combinations, and orders
//! created through `validateOrder` semantics (including the state-8 "Payment error" trap) — and adds test
//! controls: latency, injected failures and a request log. Beside `/api/` it serves the `carttotal` front
//! controller of the hub's `fulfillment_connector` module when [`SimConfig::connector_key`] is set. See the
//! crate's README for what it does not do.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use prestashop_sim::{Failure, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await?;
//! let url = format!("{}/api/products", sim.base_url());
//! sim.inject(Failure::status(503).on_resource("orders").times(1));
//! # let _ = url;
//! sim.stop().await;
//! # Ok(())
//! # }
//! ```

mod connector;
mod control;
mod error;
mod images;
mod orders;
mod query;
mod render;
mod schema;
mod server;
mod store;
mod util;
mod validate;
mod write;
mod ws;
mod xmlin;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use serde::Serialize;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{connector::Connector, control::Control, server::Shared, ws::Webservice};

/// The main key of a [`SimConfig::default`] simulator.
pub const DEFAULT_KEY: &str = "SIMKEY0123456789ABCDEFGHIJKLMNOP";

/// What one key may do on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permission {
    /// Resource name, e.g. `products`.
    pub resource: String,
    /// Methods allowed, e.g. `["GET", "HEAD"]`.
    pub methods: Vec<String>,
}

/// An extra Webservice key with its own permissions (the main key may do everything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeySpec {
    /// The key; PrestaShop keys are 32 characters, any other length is refused with code 18.
    pub key: String,
    /// An inactive key is refused like an unknown one (codes 20 and 21).
    pub active: bool,
    /// Resources and methods the key may use: a missing resource gives 401/26, a missing method 405/25.
    pub permissions: Vec<Permission>,
}

impl KeySpec {
    /// An active key with no permission yet.
    pub fn new(key: impl Into<String>) -> Self {
        Self { key: key.into(), active: true, permissions: Vec::new() }
    }

    /// Allows `methods` on `resource`.
    #[must_use]
    pub fn allow(mut self, resource: impl Into<String>, methods: &[&str]) -> Self {
        self.permissions.push(Permission {
            resource: resource.into(),
            methods: methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
        });
        self
    }

    /// Marks the key inactive.
    #[must_use]
    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The main key: every resource, every method.
    pub key: String,
    /// Extra keys with per-resource, per-method permissions.
    pub keys: Vec<KeySpec>,
    /// Delay added before each answer.
    pub latency: Duration,
    /// The `X-API-KEY` the `fulfillment_connector` module's `carttotal` front controller expects (compared
    /// in constant time); `None`: the controller answers the shop's 404 page, as on a shop without it.
    pub connector_key: Option<String>,
    /// The module's signing secret: when set, `carttotal` also requires `X-Hub-Signature: t=<unix>,v1=<hex
    /// HMAC-SHA256(secret, "<t>.id_cart=<N>")>` within ±300 s.
    pub connector_secret: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            key: DEFAULT_KEY.to_owned(),
            keys: Vec::new(),
            latency: Duration::ZERO,
            connector_key: None,
            connector_secret: None,
        }
    }
}

/// What an injected failure does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailureKind {
    /// Answer with this status and a small HTML body (429 and 503 carry `Retry-After: 1`); the request is
    /// not processed.
    Status(u16),
    /// Never answer: the connection stays open until the client gives up or the simulator stops; the
    /// request is not processed.
    Timeout,
    /// Close the connection without answering; the request is not processed.
    Drop,
    /// Process the request (state changes happen), then close the connection without answering — the
    /// "it worked but the answer was lost" case.
    ProcessThenDrop,
}

/// A failure to inject into matching requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Only requests on this resource (e.g. `orders`, or `carttotal` for the connector's front controller,
    /// see [`RecordedRequest::resource`]); `None`: any.
    pub resource: Option<String>,
    /// Only requests with this method (any case); `None`: any.
    pub method: Option<String>,
    /// What happens.
    pub kind: FailureKind,
    /// Fail this many matching requests, then stop; `None`: no limit.
    pub count: Option<usize>,
    /// Fail for this long after injection; `None`: until cleared.
    pub duration: Option<Duration>,
}

impl Failure {
    /// A failure of `kind` on every request until cleared.
    pub fn new(kind: FailureKind) -> Self {
        Self { resource: None, method: None, kind, count: None, duration: None }
    }

    /// Answer with `status`.
    pub fn status(status: u16) -> Self {
        Self::new(FailureKind::Status(status))
    }

    /// Only on `resource`.
    #[must_use]
    pub fn on_resource(mut self, resource: &str) -> Self {
        self.resource = Some(resource.to_owned());
        self
    }

    /// Only for `method`.
    #[must_use]
    pub fn on_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: usize) -> Self {
        self.count = Some(n);
        self
    }

    /// Only during `d` from now.
    #[must_use]
    pub fn for_duration(mut self, d: Duration) -> Self {
        self.duration = Some(d);
        self
    }
}

/// The `X-Hub-Signature` header value the hub sends to the `fulfillment_connector` module's `carttotal`
/// controller for `id_cart` at unix time `unix_time`: `t=<unix_time>,v1=<hex HMAC-SHA256(secret,
/// "<unix_time>.id_cart=<id_cart>")>` (for tests of clients; the simulator accepts ±300 s).
pub fn connector_signature(secret: &str, unix_time: i64, id_cart: u64) -> String {
    connector::sign(secret, unix_time, &id_cart.to_string())
}

/// [`connector_signature`] over an `id_cart` query value as sent, valid or not (`0`, `abc`): the module
/// checks the signature over what it received before it reads the id.
pub fn connector_signature_of(secret: &str, unix_time: i64, id_cart: &str) -> String {
    connector::sign(secret, unix_time, id_cart)
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`…
    pub method: String,
    /// The path, e.g. `/api/products/6`.
    pub path: String,
    /// The raw (still URL-encoded) query string, without `?`.
    pub query: String,
    /// Request headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// The request body as text.
    pub body: String,
    /// The status answered; 0 when no answer was sent (timeout, dropped connection) or none yet.
    pub status: u16,
}

impl RecordedRequest {
    /// The resource named by the path (`products` for `/api/products/6`), `""` for `/api/`; for a module
    /// front controller, the controller (`carttotal` for `/module/fulfillment_connector/carttotal` and
    /// `/index.php?fc=module&module=fulfillment_connector&controller=carttotal`). Injected failures match
    /// [`Failure::resource`] against this value.
    pub fn resource(&self) -> &str {
        connector::resource_of(&self.path, &self.query)
    }

    /// A decoded query parameter, e.g. `query_param("filter[reference]")`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        util::parse_query(&self.query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// One mail the shop sent (`Mail::Send`), as PrestaShop's `mail` log table keeps it with `PS_LOG_EMAILS`,
/// plus the tracking variables of its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentMail {
    /// The template: `payment`, `shipped`, `order_canceled`, `order_conf`, `in_transit`…
    pub template: String,
    /// The customer's e-mail.
    pub recipient: String,
    /// The order the mail is about.
    pub id_order: u64,
    /// `{followup}`: the carrier's `url` with `@` replaced by the shipping number (`""` when the carrier has
    /// no url, and in `order_conf`).
    pub followup: String,
    /// `{shipping_number}`: the order carrier's tracking number (`""` when none).
    pub shipping_number: String,
    /// When it was sent, `YYYY-MM-DD HH:MM:SS`.
    pub date: String,
}

/// An order placed with [`Simulator::place_order`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlacedOrder {
    /// The order's id.
    pub id: u64,
    /// Its 9-letter reference.
    pub reference: String,
    /// The e-mail of the customer who placed it.
    pub customer_email: String,
}

/// A running simulator.
pub struct Simulator {
    addr: SocketAddr,
    key: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Simulator {
    /// Starts a fresh shop on `127.0.0.1:0`, served on the current tokio runtime.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts a fresh shop on `addr`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn bind(addr: SocketAddr, config: SimConfig) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let shared = Arc::new(Shared {
            ws: Webservice::new(config.key.clone(), config.keys, base),
            control: Control::new(config.latency),
            connector: Connector { key: config.connector_key, secret: config.connector_secret },
        });
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), rx));
        Ok(Simulator { addr, key: config.key, shared, shutdown: tx, task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`; the Webservice is at `{base_url}/api/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The main key.
    pub fn key(&self) -> String {
        self.key.clone()
    }

    /// Every request received since start or the last [`clear_requests`](Self::clear_requests).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.control.requests()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        self.shared.control.clear_requests();
    }

    /// Sets the delay added before each answer.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.control.set_latency(latency);
    }

    /// Adds a failure; the first matching active failure applies to a request.
    pub fn inject(&self, failure: Failure) {
        self.shared.control.inject(failure);
    }

    /// Removes every injected failure.
    pub fn clear_failures(&self) {
        self.shared.control.clear_failures();
    }

    /// The shop owner's own access, for test set-up and checks: runs one Webservice request in process
    /// with the main key (same code path as over HTTP, without latency, failures or the request log).
    /// `path_and_query` is like `products/6?display=full`. Returns the status and the body.
    pub fn admin_call(&self, method: &str, path_and_query: &str, body: Option<&str>) -> (u16, String) {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let path = format!("/api/{}", path.trim_start_matches('/'));
        let query =
            if query.is_empty() { format!("ws_key={}", self.key) } else { format!("ws_key={}&{query}", self.key) };
        let req = ws::Incoming {
            method,
            path: &path,
            query: &query,
            headers: &[],
            body: body.unwrap_or_default().as_bytes(),
        };
        let answer = self.shared.ws.handle(&req);
        (answer.status, String::from_utf8_lossy(&answer.body).into_owned())
    }

    /// Creates a simple product the way a shop owner would (POST, then its stock row by PATCH) and
    /// returns its id: tax group 1, category 2, one-language name `name`, the given reference, price
    /// (tax excluded, e.g. `"9.00"`) and stock.
    ///
    /// # Panics
    /// When the shop refuses it (a bug in the caller's values).
    pub fn seed_product(&self, reference: &str, name: &str, price: &str, quantity: i64) -> u64 {
        let body = format!(
            "<prestashop><product><id_category_default>2</id_category_default><id_tax_rules_group>1</id_tax_rules_group>\
             <reference>{reference}</reference><price>{price}</price><active>1</active><state>1</state>\
             <available_for_order>1</available_for_order><show_price>1</show_price><visibility>both</visibility>\
             <name><language id=\"1\">{name}</language></name>\
             <description><language id=\"1\">{name}, described by the shop</language></description>\
             <weight>0.5</weight></product></prestashop>"
        );
        let id = self.admin_create("product", &body);
        self.seed_stock(id, 0, quantity);
        id
    }

    /// POSTs `body` to the resource of `singular` (`product` → `products`) and returns the new id.
    fn admin_create(&self, singular: &str, body: &str) -> u64 {
        let resource = schema::RESOURCES.iter().find(|r| r.singular == singular).map_or(singular, |r| r.name);
        let (status, answer) = self.admin_call("POST", &format!("{resource}?output_format=JSON"), Some(body));
        assert_eq!(status, 201, "creating a {singular}: {answer}");
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        match &v[singular]["id"] {
            serde_json::Value::String(s) => s.parse().unwrap_or_default(),
            other => other.as_u64().unwrap_or_default(),
        }
    }

    /// Places an order at this shop as a front-office checkout would: a new customer (with a valid e-mail),
    /// a delivery address in France, a cart of `lines` (product reference or combination reference,
    /// quantity; a product with combinations gets its default one), then `PaymentModule::validateOrder`
    /// with the amount of the cart in state `state` (e.g. 2 "Payment accepted") — the same code path as
    /// `POST /api/orders`: stock taken unless the state is 6 or 8, an `order_carriers` row with the cart's
    /// carrier (`PS_CARRIER_DEFAULT`), the state's mail and `order_conf` in [`mails`](Self::mails). The
    /// payment module is `ps_checkpayment` for state 1, `ps_cashondelivery` for 13 and `ps_wirepayment`
    /// otherwise.
    ///
    /// # Panics
    /// When a reference matches no product or combination, or `state` is not an order state.
    pub fn place_order(&self, lines: &[(&str, u32)], state: u64) -> PlacedOrder {
        assert!(store::ORDER_STATES.iter().any(|s| s.id == state), "place_order: no order state {state}");
        let items: Vec<(i64, i64, u32)> = {
            let store = self.shared.ws.store();
            lines
                .iter()
                .map(|&(reference, qty)| {
                    let combo = store.rows_where("combinations", |c| c.get("reference") == reference).next();
                    if let Some(c) = combo {
                        return (c.int("id_product"), c.int("id"), qty);
                    }
                    let product = store
                        .rows_where("products", |p| p.get("reference") == reference)
                        .next()
                        .unwrap_or_else(|| panic!("place_order: no product or combination with reference {reference}"));
                    let id = product.int("id");
                    (id, store.default_combination(id), qty)
                })
                .collect()
        };
        let email = format!("shopper.{}@example.com", &util::token()[..12]);
        let customer = self.admin_create(
            "customer",
            &format!(
                "<prestashop><customer><lastname>Shopper</lastname><firstname>Jane</firstname>\
                 <email>{email}</email><passwd>shopper-password</passwd><active>1</active>\
                 <id_default_group>3</id_default_group></customer></prestashop>"
            ),
        );
        let address = self.admin_create(
            "address",
            &format!(
                "<prestashop><address><id_customer>{customer}</id_customer><id_country>8</id_country>\
                 <alias>Home</alias><lastname>Shopper</lastname><firstname>Jane</firstname>\
                 <address1>12 rue de la Paix</address1><postcode>75002</postcode><city>Paris</city>\
                 </address></prestashop>"
            ),
        );
        let rows: String = items
            .iter()
            .map(|(p, a, q)| {
                format!(
                    "<cart_row><id_product>{p}</id_product><id_product_attribute>{a}</id_product_attribute>\
                     <id_address_delivery>{address}</id_address_delivery><quantity>{q}</quantity></cart_row>"
                )
            })
            .collect();
        let cart = self.admin_create(
            "cart",
            &format!(
                "<prestashop><cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>{customer}</id_customer>\
                 <id_address_delivery>{address}</id_address_delivery><id_address_invoice>{address}</id_address_invoice>\
                 <associations><cart_rows>{rows}</cart_rows></associations></cart></prestashop>"
            ),
        );
        let mut store = self.shared.ws.store();
        let cart_rec = store.get("carts", cart).cloned().expect("the cart just created");
        let totals = orders::cart_totals(&store, &cart_rec);
        let (module, payment) = match state {
            1 => ("ps_checkpayment", "Payments by check"),
            13 => ("ps_cashondelivery", "Cash on delivery (COD)"),
            _ => ("ps_wirepayment", "Bank wire"),
        };
        let key = cart_rec.get("secure_key").to_owned();
        let paid =
            orders::Payment { cart_id: cart, state, paid: totals.order_total(), module, payment, secure_key: &key };
        let id = orders::validate_order_in_state(&mut store, &paid)
            .unwrap_or_else(|e| panic!("place_order: validateOrder refused the cart: {e:?}"));
        let reference = store.get("orders", id).map(|o| o.get("reference").to_owned()).unwrap_or_default();
        PlacedOrder { id, reference, customer_email: email }
    }

    /// The `current_state` of an order.
    pub fn order_state(&self, order: u64) -> Option<u64> {
        self.shared.ws.store().get("orders", order).map(|o| o.int("current_state").max(0) as u64)
    }

    /// The tracking number of the order's carrier (`order_carriers.tracking_number`), `None` when the order
    /// has no carrier row.
    pub fn tracking_number(&self, order: u64) -> Option<String> {
        let store = self.shared.ws.store();
        store.order_carrier_of(order as i64).map(|oc| oc.get("tracking_number").to_owned())
    }

    /// Every mail the shop sent since start or the last [`clear_mails`](Self::clear_mails), in order: the
    /// state mails of `validateOrder`, `setCurrentState` (PUT/PATCH of an order's `current_state`) and
    /// `POST order_histories?sendemail=1`, `order_conf`, and `in_transit` (`PUT order_carriers?sendemail=1`).
    pub fn mails(&self) -> Vec<SentMail> {
        self.shared.ws.store().mails.clone()
    }

    /// Forgets the sent mails.
    pub fn clear_mails(&self) {
        self.shared.ws.store().mails.clear();
    }

    /// Sets the stock row of `product` / `combination` (0: the product level) to `quantity` by PATCH.
    ///
    /// # Panics
    /// When the row does not exist.
    pub fn seed_stock(&self, product: u64, combination: u64, quantity: i64) {
        let row = self.stock_row(product, combination).expect("a stock row for that product and combination");
        let body = format!(
            "<prestashop><stock_available><id>{row}</id><quantity>{quantity}</quantity></stock_available></prestashop>"
        );
        let (status, answer) = self.admin_call("PATCH", &format!("stock_availables/{row}"), Some(&body));
        assert_eq!(status, 200, "seed_stock: {answer}");
    }

    /// The `stock_availables` id of `product` / `combination`.
    pub fn stock_row(&self, product: u64, combination: u64) -> Option<u64> {
        let q = format!(
            "stock_availables?filter[id_product]=[{product}]&filter[id_product_attribute]=[{combination}]&display=[id]&output_format=JSON"
        );
        let (_, answer) = self.admin_call("GET", &q, None);
        let v: serde_json::Value = serde_json::from_str(&answer).ok()?;
        v["stock_availables"][0]["id"].as_u64()
    }

    /// A product's `(price, active, product-level quantity)` as the shop has them now.
    pub fn product_state(&self, product: u64) -> Option<(String, bool, i64)> {
        let (_, answer) = self.admin_call(
            "GET",
            &format!("products?filter[id]=[{product}]&display=[price,active]&output_format=JSON"),
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&answer).ok()?;
        let p = &v["products"][0];
        let row = self.stock_row(product, 0)?;
        let (_, stock) = self.admin_call(
            "GET",
            &format!("stock_availables?filter[id]=[{row}]&display=[quantity]&output_format=JSON"),
            None,
        );
        let s: serde_json::Value = serde_json::from_str(&stock).ok()?;
        let quantity = s["stock_availables"][0]["quantity"].as_str()?.parse().ok()?;
        Some((p["price"].as_str()?.to_owned(), p["active"].as_str()? == "1", quantity))
    }

    /// Adds a language to the shop as the back office's `Language::add` does, and returns its id (2 for the
    /// first one added): an active `languages` row (`fr` gets the values of PrestaShop's French row —
    /// locale `fr-FR`, language code `fr`, dates `d/m/Y`; another code `xx` gets locale `xx-XX`, language
    /// code `xx` and dates `Y-m-d`), then, as `Language::loadUpdateSQL`, every language field of every record
    /// the shop holds gets the default language's (1) value in the new language. From then on every answer
    /// lists both languages (`<language id="2">`, JSON `[{"id":"1","value":…},{"id":"2","value":…}]`), and
    /// writes follow PrestaShop's rules for the languages a body leaves out (see the README).
    pub fn add_language(&self, iso_code: &str, name: &str) -> u64 {
        self.shared.ws.store().add_language(iso_code, name)
    }

    /// Adds an image to `product` as an upload to `POST /api/images/products/{id}` does (the product's next
    /// image, its cover when it is the first) and returns the image's id; `GET
    /// /api/images/products/{product}/{id}` then serves `file` as it is (a real shop stores GD's JPEG
    /// re-encoding of it).
    ///
    /// # Panics
    /// When the product does not exist or `file` is not a JPEG, PNG, GIF or WebP image.
    pub fn seed_image(&self, product: u64, file: &[u8]) -> u64 {
        let added = images::add(&mut self.shared.ws.store(), product, file);
        added.unwrap_or_else(|e| panic!("seed_image: the shop refused the image: {e:?}")).0
    }

    /// Sets the shop configuration `name` (e.g. `PS_CARRIER_DEFAULT`) to `value`, as the back office would.
    ///
    /// # Panics
    /// When the setting does not exist in the simulated shop.
    pub fn set_configuration(&self, name: &str, value: &str) {
        let (_, found) = self.admin_call(
            "GET",
            &format!("configurations?filter[name]=[{name}]&display=[id]&output_format=JSON"),
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&found).unwrap_or_default();
        let id = v["configurations"][0]["id"].as_u64().expect("a configuration of that name");
        let body =
            format!("<prestashop><configuration><id>{id}</id><value>{value}</value></configuration></prestashop>");
        let (status, answer) = self.admin_call("PATCH", &format!("configurations/{id}"), Some(&body));
        assert_eq!(status, 200, "set_configuration: {answer}");
    }

    /// A JSON dump of the shop's tables, for debugging (tests should read state through `/api/`).
    pub fn state_snapshot(&self) -> serde_json::Value {
        self.shared.ws.store().snapshot()
    }

    /// Stops serving and closes every connection.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str) -> serde_json::Value {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// A shop with product `MUG` (0.5 kg, 13.00) in stock 10 and an order of 3 mugs in state 2.
    async fn shop_with_order() -> (Simulator, PlacedOrder) {
        let sim = Simulator::start(SimConfig::default()).await.expect("start");
        sim.seed_product("MUG", "Mug", "13.00", 10);
        let order = sim.place_order(&[("MUG", 3)], 2);
        (sim, order)
    }

    fn order_carrier(sim: &Simulator, order: u64) -> serde_json::Value {
        let (status, body) = sim.admin_call(
            "GET",
            &format!("order_carriers?filter[id_order]=[{order}]&display=full&output_format=JSON"),
            None,
        );
        assert_eq!(status, 200, "{body}");
        json(&body)["order_carriers"][0].clone()
    }

    fn set_tracking(sim: &Simulator, order: u64, number: &str, query: &str) -> (u16, String) {
        let id = order_carrier(sim, order)["id"].as_u64().expect("an order carrier");
        let body = format!(
            "<prestashop><order_carrier><id>{id}</id><tracking_number>{number}</tracking_number></order_carrier></prestashop>"
        );
        sim.admin_call("PATCH", &format!("order_carriers/{id}{query}"), Some(&body))
    }

    fn set_carrier_url(sim: &Simulator, carrier: u64, url: &str) -> (u16, String) {
        let body = format!("<prestashop><carrier><id>{carrier}</id><url>{url}</url></carrier></prestashop>");
        sim.admin_call("PATCH", &format!("carriers/{carrier}"), Some(&body))
    }

    fn history(sim: &Simulator, order: u64, state: u64, query: &str) -> u16 {
        let body = format!(
            "<prestashop><order_history><id_order>{order}</id_order><id_order_state>{state}</id_order_state></order_history></prestashop>"
        );
        sim.admin_call("POST", &format!("order_histories{query}"), Some(&body)).0
    }

    fn templates(sim: &Simulator) -> Vec<String> {
        sim.mails().into_iter().map(|m| m.template).collect()
    }

    #[tokio::test]
    async fn the_home_page_answers_200_and_an_unknown_page_404_as_a_shop_does() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Simulator::start(SimConfig::default()).await.expect("start");
        let get = |path: &str| {
            let url = format!("{}{path}", sim.base_url());
            async move { reqwest::get(url).await.map(|r| r.status().as_u16()).unwrap_or(0) }
        };
        assert_eq!(get("/").await, 200);
        assert_eq!(get("/index.php").await, 200);
        assert_eq!(get("/index.php?fc=module&module=nope&controller=x").await, 404, "a module the shop lacks");
        assert_eq!(get("/api/").await, 401, "the Webservice still wants its key");
    }

    #[tokio::test]
    async fn order_carriers_schema_lists_the_fields_of_ordercarrier_definition() {
        let sim = Simulator::start(SimConfig::default()).await.expect("start");
        let (_, blank) = sim.admin_call("GET", "order_carriers?schema=blank", None);
        let names: Vec<&str> = blank
            .lines()
            .filter_map(|l| l.trim().strip_prefix('<'))
            .filter_map(|l| l.split(['>', ' ']).next())
            .filter(|n| !n.starts_with(['?', '/']) && *n != "prestashop" && *n != "order_carrier")
            .collect();
        assert_eq!(
            names,
            [
                "id",
                "id_order",
                "id_carrier",
                "id_order_invoice",
                "weight",
                "shipping_cost_tax_excl",
                "shipping_cost_tax_incl",
                "tracking_number",
                "date_add"
            ]
        );
        let (_, synopsis) = sim.admin_call("GET", "order_carriers?schema=synopsis", None);
        assert!(synopsis.contains("<id_order required=\"true\" format=\"isUnsignedId\">"), "{synopsis}");
        assert!(synopsis.contains("<tracking_number format=\"isTrackingNumber\">"), "{synopsis}");
        let (_, root) = sim.admin_call("GET", "", None);
        assert!(root.contains("<order_carriers xlink:href="), "{root}");
    }

    #[tokio::test]
    async fn place_order_takes_stock_and_adds_the_order_carrier_row_and_mails() {
        let (sim, order) = shop_with_order().await;
        assert_eq!(sim.order_state(order.id), Some(2));
        assert_eq!(sim.product_state(1).map(|p| p.2), Some(7));
        assert_eq!(order.reference.len(), 9);
        assert_eq!(sim.tracking_number(order.id).as_deref(), Some(""));
        let oc = order_carrier(&sim, order.id);
        assert_eq!(oc["id_carrier"], "1");
        assert_eq!(oc["weight"], "1.500000");
        assert_eq!(oc["shipping_cost_tax_incl"], "0.000000");
        assert_eq!(oc["id_order_invoice"], "1");
        // `validateOrder`: the state's mail through `addWithemail`, then `order_conf`.
        let mails = sim.mails();
        assert_eq!(templates(&sim), ["payment", "order_conf"]);
        assert!(mails.iter().all(|m| m.recipient == order.customer_email && m.id_order == order.id));
        assert_eq!(sim.order_state(999), None);
        assert_eq!(sim.tracking_number(999), None);
    }

    #[tokio::test]
    async fn place_order_in_a_non_logable_state_still_takes_stock_and_cancel_gives_it_back() {
        let sim = Simulator::start(SimConfig::default()).await.expect("start");
        sim.seed_product("MUG", "Mug", "13.00", 10);
        let order = sim.place_order(&[("MUG", 4)], 10);
        assert_eq!(sim.product_state(1).map(|p| p.2), Some(6));
        assert_eq!(templates(&sim), ["bankwire", "order_conf"]);
        assert_eq!(history(&sim, order.id, 6, ""), 201);
        assert_eq!(sim.product_state(1).map(|p| p.2), Some(10));
    }

    #[tokio::test]
    async fn order_histories_sends_the_state_mail_only_with_sendemail() {
        let (sim, order) = shop_with_order().await;
        sim.clear_mails();
        assert_eq!(history(&sim, order.id, 3, ""), 201);
        assert_eq!(sim.order_state(order.id), Some(3));
        assert!(sim.mails().is_empty());
        assert_eq!(history(&sim, order.id, 4, "?sendemail=0"), 201);
        assert!(sim.mails().is_empty());
        assert_eq!(history(&sim, order.id, 5, "?sendemail=1"), 201);
        // "Delivered" has send_email = 0 in the install data: no mail.
        assert!(sim.mails().is_empty());
        assert_eq!(history(&sim, order.id, 4, "?sendemail=1"), 201);
        let mails = sim.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!((mails[0].template.as_str(), mails[0].followup.as_str()), ("shipped", ""));
    }

    #[tokio::test]
    async fn a_shipped_mail_carries_the_followup_url_with_the_tracking_number() {
        let (sim, order) = shop_with_order().await;
        assert_eq!(set_carrier_url(&sim, 1, "https://track.example.com/?n=@&amp;lang=en").0, 200);
        let (status, body) = set_tracking(&sim, order.id, "1Z999AA10123456784", "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(sim.tracking_number(order.id).as_deref(), Some("1Z999AA10123456784"));
        sim.clear_mails();
        assert_eq!(history(&sim, order.id, 4, "?sendemail=1"), 201);
        assert_eq!(
            sim.mails(),
            [SentMail {
                template: "shipped".into(),
                recipient: order.customer_email.clone(),
                id_order: order.id,
                followup: "https://track.example.com/?n=1Z999AA10123456784&lang=en".into(),
                shipping_number: "1Z999AA10123456784".into(),
                date: sim.mails()[0].date.clone(),
            }]
        );
    }

    #[tokio::test]
    async fn order_carriers_sendemail_sends_in_transit_when_the_carrier_has_a_url() {
        let (sim, order) = shop_with_order().await;
        sim.clear_mails();
        assert_eq!(set_tracking(&sim, order.id, "AB-1", "?sendemail=1").0, 200);
        assert!(sim.mails().is_empty(), "no url, no in_transit mail");
        set_carrier_url(&sim, 1, "http://t.example/@");
        assert_eq!(set_tracking(&sim, order.id, "AB-2", "?sendemail=1").0, 200);
        let mails = sim.mails();
        assert_eq!(mails.len(), 1);
        assert_eq!(
            (mails[0].template.as_str(), mails[0].followup.as_str(), mails[0].shipping_number.as_str()),
            ("in_transit", "http://t.example/AB-2", "AB-2")
        );
        assert_eq!(set_tracking(&sim, order.id, "AB-3", "").0, 200);
        assert_eq!(sim.mails().len(), 1);
        let (status, body) = set_tracking(&sim, order.id, "bad&lt;number&gt;", "");
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("OrderCarrier-&gt;tracking_number"), "{body}");
    }

    #[tokio::test]
    async fn order_shipping_number_is_the_order_carriers_tracking_number_both_ways() {
        let (sim, order) = shop_with_order().await;
        set_tracking(&sim, order.id, "TRK-1", "");
        let (_, full) = sim.admin_call("GET", &format!("orders/{}", order.id), None);
        assert!(full.contains("<shipping_number notFilterable=\"true\"><![CDATA[TRK-1]]></shipping_number>"), "{full}");
        let (_, listed) = sim.admin_call(
            "GET",
            &format!("orders?filter[id]=[{}]&display=[id,shipping_number]&output_format=JSON", order.id),
            None,
        );
        assert_eq!(json(&listed)["orders"][0]["shipping_number"], "TRK-1");
        let body = format!(
            "<prestashop><order><id>{}</id><shipping_number>TRK-2</shipping_number></order></prestashop>",
            order.id
        );
        let (status, answer) = sim.admin_call("PATCH", &format!("orders/{}", order.id), Some(&body));
        assert_eq!(status, 200, "{answer}");
        assert!(answer.contains("<![CDATA[TRK-2]]></shipping_number>"), "{answer}");
        assert_eq!(sim.tracking_number(order.id).as_deref(), Some("TRK-2"));
        let bad = body.replace("TRK-2", "bad&lt;x&gt;");
        let (status, answer) = sim.admin_call("PATCH", &format!("orders/{}", order.id), Some(&bad));
        assert_eq!((status, answer.as_str()), (500, ""));
        assert_eq!(sim.tracking_number(order.id).as_deref(), Some("TRK-2"));
        let (status, _) = sim.admin_call("GET", "orders?filter[shipping_number]=[TRK-2]", None);
        assert_eq!(status, 500);
    }

    #[tokio::test]
    async fn put_of_an_order_current_state_sends_the_mail_and_restocks_on_cancel() {
        let (sim, order) = shop_with_order().await;
        sim.clear_mails();
        let body =
            format!("<prestashop><order><id>{}</id><current_state>6</current_state></order></prestashop>", order.id);
        let (status, answer) = sim.admin_call("PATCH", &format!("orders/{}", order.id), Some(&body));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(sim.order_state(order.id), Some(6));
        assert_eq!(sim.product_state(1).map(|p| p.2), Some(10));
        assert_eq!(templates(&sim), ["order_canceled"]);
        // The same state again: `setCurrentState` returns early, no history and no mail.
        sim.admin_call("PATCH", &format!("orders/{}", order.id), Some(&body));
        assert_eq!(sim.mails().len(), 1);
    }

    #[tokio::test]
    async fn carriers_url_is_writable_and_validated_as_an_absolute_url() {
        let sim = Simulator::start(SimConfig::default()).await.expect("start");
        let (_, before) = sim.admin_call("GET", "carriers?display=[id,url]&output_format=JSON", None);
        assert_eq!(before, r#"{"carriers":[{"id":1,"url":""},{"id":2,"url":""}]}"#);
        let (status, body) = set_carrier_url(&sim, 2, "ftp://track.example/@");
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("Carrier-&gt;url"), "{body}");
        assert_eq!(set_carrier_url(&sim, 2, "//track.example/?id=@").0, 200);
        let (_, after) = sim.admin_call("GET", "carriers/2?display=[url]&output_format=JSON", None);
        assert_eq!(json(&after)["carriers"][0]["url"], "//track.example/?id=@");
        let post = "<prestashop><carrier><name>Colissimo</name><active>1</active><url>https://c.example/@</url>\
                    <delay><language id=\"1\">2 days</language></delay></carrier></prestashop>";
        let id = sim.admin_create("carrier", post);
        let (_, added) = sim.admin_call("GET", &format!("carriers/{id}?output_format=JSON"), None);
        let added = json(&added);
        assert_eq!(
            (added["carrier"]["id_reference"].as_str(), added["carrier"]["position"].as_str()),
            (Some("3"), Some("3"))
        );
    }
}
