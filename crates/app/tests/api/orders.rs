//! Order replication end to end: a retailer's order becomes exactly one valid order on the simulated
//! wholesaler, whose stock then reaches every retailer.

use std::time::Duration;

use futures::StreamExt;
use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::{EventStatus, Secret};
use prestashop_sim::{Failure, FailureKind, SimConfig, Simulator};
use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) struct Network {
    pub(crate) source: Simulator,
    pub(crate) r1: Simulator,
    pub(crate) r2: Simulator,
    /// Source product ids of WHS-0001 and WHS-0002.
    pub(crate) products: (u64, u64),
}

pub(crate) async fn network() -> Network {
    let source =
        Simulator::start(SimConfig { connector_key: Some(SOURCE_KEY.into()), ..SimConfig::default() }).await.unwrap();
    let a = source.seed_product("WHS-0001", "Mug", "10.00", 50);
    let b = source.seed_product("WHS-0002", "Plate", "5.00", 30);
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    for r in [&r1, &r2] {
        r.seed_product("WHS-0001", "Mug", "13.00", 0);
        r.seed_product("WHS-0002", "Plate", "6.50", 0);
    }
    Network { source, r1, r2, products: (a, b) }
}

pub(crate) fn wire(s: &mut Settings, n: &Network) {
    for store in &mut s.stores {
        let sim = match store.code.as_str() {
            "wholesaler" => &n.source,
            "retail-1" => &n.r1,
            "retail-2" => &n.r2,
            _ => continue,
        };
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.breaker_open_secs = 1;
        store.limits.timeout_ms = 2_000;
    }
}

pub(crate) fn order(event_id: &str, order_id: u64, lines: Value) -> String {
    let mut o = order_event(event_id);
    o["order"]["id"] = order_id.into();
    o["order"]["lines"] = lines;
    o["order"]["valid"] = true.into();
    o.to_string()
}

pub(crate) fn two_skus() -> Value {
    json!([
        {"reference": "WHS-0001", "quantity": 2, "unit_price_tax_incl": "15.60"},
        {"reference": "WHS-0002", "quantity": 1, "unit_price_tax_incl": "7.80"}
    ])
}

/// The source's orders, as its owner sees them.
pub(crate) fn source_orders(sim: &Simulator) -> Vec<Value> {
    let (_, body) = sim.admin_call(
        "GET",
        "orders?display=[id,id_cart,current_state,valid,total_paid_tax_incl]&sort=[id_ASC]&output_format=JSON",
        None,
    );
    serde_json::from_str::<Value>(&body).ok().and_then(|v| v["orders"].as_array().cloned()).unwrap_or_default()
}

fn order_rows(sim: &Simulator, id: u64) -> Vec<(String, String)> {
    let (_, body) = sim.admin_call("GET", &format!("orders/{id}?output_format=JSON"), None);
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    v["order"]["associations"]["order_rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r["product_reference"].as_str().unwrap_or_default().to_owned(),
                        r["product_quantity"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn stock(sim: &Simulator, product: u64) -> i64 {
    sim.product_state(product).map(|s| s.2).unwrap_or(-1)
}

pub(crate) fn id_of(sim: &Simulator, reference: &str) -> u64 {
    let (_, body) = sim.admin_call(
        "GET",
        &format!("products?filter[reference]=[{reference}]&display=[id]&output_format=JSON"),
        None,
    );
    serde_json::from_str::<Value>(&body).unwrap()["products"][0]["id"].as_u64().unwrap()
}

async fn an_order_becomes_one_valid_source_order_and_its_stock_reaches_every_client(backend: Backend) {
    let n = network().await;
    let env = Env::new(backend).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    // The hub learns the catalog from the source first.
    for (sku, q) in [("WHS-0001", 50), ("WHS-0002", 30)] {
        let price = if sku == "WHS-0001" { "10.00" } else { "5.00" };
        app.post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&new_id(), sku, price, q, "2026-11-27T09:00:00Z"),
        )
        .await;
    }
    let (c1, c2) = (id_of(&n.r1, "WHS-0001"), id_of(&n.r1, "WHS-0002"));
    eventually(20, "clients start at 50 and 30", || async { stock(&n.r1, c1) == 50 && stock(&n.r1, c2) == 30 }).await;

    let event = new_id();
    let r = app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 42, two_skus())).await;
    assert_eq!(r.status(), 202);
    eventually(30, "order processed", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;

    let orders = source_orders(&n.source);
    assert_eq!(orders.len(), 1, "exactly one order on the source: {orders:?}");
    let o = &orders[0];
    assert_eq!(o["current_state"], "11", "accepted (remote payment accepted)");
    assert_eq!(o["valid"], "1");
    // 2 × 10.00 + 1 × 5.00, 20 % tax, free carrier: the source's own total.
    assert_eq!(o["total_paid_tax_incl"], "30.000000");
    let mut rows = order_rows(&n.source, o["id"].as_u64().unwrap());
    rows.sort();
    assert_eq!(rows, vec![("WHS-0001".into(), "2".into()), ("WHS-0002".into(), "1".into())]);
    assert_eq!(
        (stock(&n.source, n.products.0), stock(&n.source, n.products.1)),
        (48, 29),
        "stock reserved on the source"
    );

    eventually(20, "every client shows the source's new stock", || async {
        let r2 = (id_of(&n.r2, "WHS-0001"), id_of(&n.r2, "WHS-0002"));
        stock(&n.r1, c1) == 48 && stock(&n.r1, c2) == 29 && stock(&n.r2, r2.0) == 48 && stock(&n.r2, r2.1) == 29
    })
    .await;

    let link: Value = app
        .http
        .get(format!("{}/api/orders/retail-1/42", app.base))
        .header("X-API-KEY", CLIENT_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(link["status"], "created");
    assert_eq!(link["source_order_id"], o["id"]);
    let other = app
        .http
        .get(format!("{}/api/orders/retail-1/42", app.base))
        .header("X-API-KEY", CLIENT2_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403, "a retailer reads only its own orders");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_becomes_one_valid_source_order_on_sqlite() {
    an_order_becomes_one_valid_source_order_and_its_stock_reaches_every_client(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_becomes_one_valid_source_order_on_mariadb_and_redis() {
    an_order_becomes_one_valid_source_order_and_its_stock_reaches_every_client(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_order_delivered_five_times_at_once_makes_one_source_order() {
    let n = network().await;
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let same = new_id();
    // Five deliveries of one webhook, and five more events for the same order (its state changes).
    let bodies: Vec<String> =
        (0..5).map(|_| order(&same, 7, two_skus())).chain((0..5).map(|_| order(&new_id(), 7, two_skus()))).collect();
    let statuses: Vec<u16> = futures::stream::iter(bodies.iter())
        .map(|b| {
            let app = &app;
            async move { app.post("/api/sync/order", Some(CLIENT_KEY), b).await.status().as_u16() }
        })
        .buffer_unordered(10)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 202));
    eventually(30, "every event processed", || async {
        app.count("SELECT COUNT(*) FROM inbox_events WHERE kind = 'order' AND status <> 'processed'").await == 0
    })
    .await;
    assert_eq!(source_orders(&n.source).len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_after_the_remote_create_leaves_one_source_order() {
    let n = network().await;
    let env = Env::new(Backend::MariaDbRedis).await;
    // Wire the shops into the file the worker processes read.
    let mut settings = env.settings();
    wire(&mut settings, &n);
    let shops: Vec<(String, String)> =
        settings.stores.iter().filter_map(|s| s.webservice.as_ref().map(|w| (s.code.clone(), w.url.clone()))).collect();
    let mut toml = env.toml.clone();
    for (code, url) in &shops {
        let marker = format!("code = \"{code}\"\n");
        let sim_key = n.source.key();
        toml = toml.replacen(&marker, &format!("{marker}webservice = {{ url = \"{url}\", key = \"{sim_key}\" }}\n"), 1);
    }
    toml = toml
        .replace("backoff_min_ms = 50", "backoff_min_ms = 4000")
        .replace("backoff_max_ms = 500", "backoff_max_ms = 8000");
    let env = Env { toml, ..env };
    let api = env.spawn(Mode::Api).await;
    // The order is created, then the answer is lost, and so is the answer of the look for the cart's order
    // that follows: the worker backs off for seconds before it looks again.
    n.source.inject(Failure::new(FailureKind::ProcessThenDrop).on_resource("orders").on_method("POST").times(1));
    n.source.inject(Failure::new(FailureKind::Drop).on_resource("orders").on_method("GET").times(1));
    let event = new_id();
    assert_eq!(api.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 99, two_skus())).await.status(), 202);
    let mut worker = env.process("hub-worker", "order-kill-worker");
    eventually(30, "the order exists on the source", || async { source_orders(&n.source).len() == 1 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_ne!(api.status_of(&event).await, Some(EventStatus::Processed), "killed before the local commit");
    worker.kill().unwrap();
    worker.wait().unwrap();
    let mut restarted = env.process("hub-worker", "order-kill-worker");
    eventually(60, "processed after the restart", || async {
        api.status_of(&event).await == Some(EventStatus::Processed)
    })
    .await;
    assert_eq!(source_orders(&n.source).len(), 1, "still exactly one order");
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    api.stop().await;
}

async fn refused(mut body: Value, reason: &str) {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    n.source.clear_requests();
    let event = new_id();
    body["event_id"] = event.clone().into();
    body["order"]["valid"] = true.into();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &body.to_string()).await.status(), 202);
    eventually(20, "order failed", || async { app.status_of(&event).await == Some(EventStatus::Failed) }).await;
    let id = body["order"]["id"].as_u64().unwrap();
    let link: Value = app
        .http
        .get(format!("{}/api/orders/retail-1/{id}", app.base))
        .header("X-API-KEY", SOURCE_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(link["status"], "failed");
    assert!(link["error"].as_str().unwrap().starts_with(reason), "{link}");
    let writes = n.source.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes, 0, "nothing created on the source");
    assert!(source_orders(&n.source).is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_sku_fails_the_order_with_its_reason_and_creates_nothing() {
    let mut o = order_event("x");
    o["order"]["id"] = 501.into();
    o["order"]["lines"] = json!([{"reference": "NOT-SOLD-HERE", "quantity": 1, "unit_price_tax_incl": "1.00"}]);
    refused(o, "unknown_sku").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_currency_the_source_lacks_fails_the_order_and_creates_nothing() {
    let mut o = order_event("x");
    o["order"]["id"] = 502.into();
    o["order"]["currency"] = "USD".into();
    refused(o, "currency_not_available").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_address_field_fails_the_order_and_creates_nothing() {
    let mut o = order_event("x");
    o["order"]["id"] = 503.into();
    o["order"]["delivery_address"]["postcode"] = "".into();
    refused(o, "missing_address_field").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_down_for_a_while_gets_the_order_once_it_is_back() {
    let n = network().await;
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &n);
            s.worker.max_attempts = 100;
            s.worker.backoff_min_ms = 100;
            s.worker.backoff_max_ms = 1_000;
        })
        .await;
    n.source.inject(Failure::status(503).for_duration(Duration::from_secs(8)));
    let event = new_id();
    app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 77, two_skus())).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(source_orders(&n.source).is_empty(), "nothing while the source is down");
    eventually(40, "created once the source is back", || async {
        app.status_of(&event).await == Some(EventStatus::Processed)
    })
    .await;
    assert_eq!(source_orders(&n.source).len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_not_yet_valid_waits_and_is_forwarded_once_valid() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let mut unpaid: Value = serde_json::from_str(&order(&new_id(), 88, two_skus())).unwrap();
    unpaid["order"]["valid"] = false.into();
    let first = unpaid["event_id"].as_str().unwrap().to_owned();
    app.post("/api/sync/order", Some(CLIENT_KEY), &unpaid.to_string()).await;
    eventually(20, "first event processed", || async { app.status_of(&first).await == Some(EventStatus::Processed) })
        .await;
    assert!(source_orders(&n.source).is_empty(), "not forwarded while unpaid");
    let paid = new_id();
    app.post("/api/sync/order", Some(CLIENT_KEY), &order(&paid, 88, two_skus())).await;
    eventually(20, "forwarded once paid", || async { source_orders(&n.source).len() == 1 }).await;
    app.stop().await;
}

/// How many rows of `resource` the source holds (its owner's view).
fn source_count(sim: &Simulator, resource: &str) -> usize {
    let (_, body) = sim.admin_call("GET", &format!("{resource}?display=[id]&output_format=JSON"), None);
    serde_json::from_str::<Value>(&body).ok().and_then(|v| v[resource].as_array().map(Vec::len)).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_while_creating_the_address_and_the_cart_leave_no_orphan_on_the_source() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let (addresses, carts) = (source_count(&n.source, "addresses"), source_count(&n.source, "carts"));
    // Each is created, then its answer is lost: the retry must find it rather than create another.
    n.source.inject(Failure::new(FailureKind::ProcessThenDrop).on_resource("addresses").on_method("POST").times(1));
    n.source.inject(Failure::new(FailureKind::ProcessThenDrop).on_resource("carts").on_method("POST").times(1));
    let event = new_id();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 4242, two_skus())).await.status(), 202);
    eventually(60, "order replicated", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;
    assert_eq!(source_orders(&n.source).len(), 1, "one order");
    assert_eq!(source_count(&n.source, "addresses"), addresses + 1, "one address, none orphaned");
    assert_eq!(source_count(&n.source, "carts"), carts + 1, "one cart, none orphaned");
    app.stop().await;
}

/// Posts `xml` (the inside of `<singular>`) to `resource` on `sim` and returns the new id.
fn create(sim: &Simulator, resource: &str, singular: &str, xml: &str) -> u64 {
    let body = format!("<prestashop><{singular}>{xml}</{singular}></prestashop>");
    let (status, answer) = sim.admin_call("POST", &format!("{resource}?output_format=JSON"), Some(&body));
    assert_eq!(status, 201, "POST {resource}: {answer}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    match &v[singular]["id"] {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

/// A t-shirt's attribute values: (size, color).
pub(crate) type SizeAndColor = (&'static str, &'static str);

/// The demo's t-shirt on `sim`: product `demo_1` whose four combinations (Size S/M × Color White/Black)
/// all carry the product's reference, as in the real demo catalog, 10 in stock each. Returns the product
/// id and the combination ids by (size, color).
pub(crate) fn seed_tshirt(sim: &Simulator) -> (u64, Vec<(SizeAndColor, u64)>) {
    let group = |name: &str, kind: &str| {
        create(
            sim,
            "product_options",
            "product_option",
            &format!(
                "<is_color_group>0</is_color_group><group_type>{kind}</group_type>\
                 <name><language id=\"1\">{name}</language></name><public_name><language id=\"1\">{name}</language></public_name>"
            ),
        )
    };
    let (size, color) = (group("Size", "select"), group("Color", "color"));
    let value = |group: u64, name: &str| {
        create(
            sim,
            "product_option_values",
            "product_option_value",
            &format!(
                "<id_attribute_group>{group}</id_attribute_group><name><language id=\"1\">{name}</language></name>"
            ),
        )
    };
    let values = [("S", value(size, "S")), ("M", value(size, "M"))];
    let colors = [("White", value(color, "White")), ("Black", value(color, "Black"))];
    let product = sim.seed_product("demo_1", "Hummingbird printed t-shirt", "19.12", 0);
    let mut combinations = Vec::new();
    for (s, sv) in values {
        for (c, cv) in colors {
            let id = create(
                sim,
                "combinations",
                "combination",
                &format!(
                    "<id_product>{product}</id_product><reference>demo_1</reference><minimal_quantity>1</minimal_quantity>\
                     <associations><product_option_values><product_option_value><id>{sv}</id></product_option_value>\
                     <product_option_value><id>{cv}</id></product_option_value></product_option_values></associations>"
                ),
            );
            sim.seed_stock(product, id, 10);
            combinations.push(((s, c), id));
        }
    }
    (product, combinations)
}

/// The source order's rows as (product id, combination id, quantity).
fn order_row_ids(sim: &Simulator, id: u64) -> Vec<(u64, u64, u64)> {
    let (_, body) = sim.admin_call("GET", &format!("orders/{id}?output_format=JSON"), None);
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    let n = |v: &Value| v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default();
    v["order"]["associations"]["order_rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| (n(&r["product_id"]), n(&r["product_attribute_id"]), n(&r["product_quantity"])))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn combination_stock(sim: &Simulator, product: u64, combination: u64) -> i64 {
    let row = sim.stock_row(product, combination).unwrap();
    let (_, body) = sim.admin_call(
        "GET",
        &format!("stock_availables?filter[id]=[{row}]&display=[quantity]&output_format=JSON"),
        None,
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    v["stock_availables"][0]["quantity"].as_str().unwrap().parse().unwrap()
}

pub(crate) async fn order_link(app: &TestApp, id: u64) -> Value {
    app.http
        .get(format!("{}/api/orders/retail-1/{id}", app.base))
        .header("X-API-KEY", CLIENT_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combination_line_becomes_that_combination_on_the_source_and_takes_its_stock() {
    let n = network().await;
    let (product, combinations) = seed_tshirt(&n.source);
    let m_black = combinations.iter().find(|(k, _)| *k == ("M", "Black")).unwrap().1;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    // The retailer's combination has no reference of its own and names its attributes in its own case and
    // accents: matched by the product's reference plus the attribute set.
    let lines = json!([{
        "reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1", "product_reference": "demo_1",
        "combination": {"id": 3, "reference": null, "ean13": null, "attributes": {"size": "M", "Color": "BLACK"}}
    }]);
    let event = new_id();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 61, lines)).await.status(), 202);
    eventually(30, "order processed", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;
    let orders = source_orders(&n.source);
    assert_eq!(orders.len(), 1, "{orders:?}");
    let id = orders[0]["id"].as_u64().unwrap();
    assert_eq!(order_row_ids(&n.source, id), vec![(product, m_black, 1)], "the combination, not the parent alone");
    assert_eq!(combination_stock(&n.source, product, m_black), 9, "that combination's stock moved");
    for (k, other) in combinations.iter().filter(|(_, c)| *c != m_black) {
        assert_eq!(combination_stock(&n.source, product, *other), 10, "{k:?} untouched");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_combination_line_matching_no_source_combination_fails_the_order_with_its_reason() {
    let n = network().await;
    seed_tshirt(&n.source);
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let cases = [
        (
            71,
            json!([{"reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1",
                    "combination": {"id": 9, "attributes": {"Size": "XXL", "Color": "Black"}}}]),
        ),
        // An old connector (no combination data) ordering a product that has combinations.
        (72, json!([{"reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1"}])),
    ];
    for (id, lines) in cases {
        let event = new_id();
        assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, id, lines)).await.status(), 202);
        eventually(20, "order failed", || async { app.status_of(&event).await == Some(EventStatus::Failed) }).await;
        let link = order_link(&app, id).await;
        assert_eq!(link["status"], "failed");
        assert!(link["error"].as_str().unwrap().starts_with("combination_not_matched: demo_1"), "{link}");
    }
    assert!(source_orders(&n.source).is_empty(), "never the parent alone");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_carrier_setting_the_order_goes_out_with_the_shops_default_carrier_and_shows_its_shipping() {
    let n = network().await;
    // The wholesaler made "My carrier" (7.00 + 20 % tax, serves Europe) its default carrier.
    n.source.set_configuration("PS_CARRIER_DEFAULT", "2");
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let event = new_id();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 81, two_skus())).await.status(), 202);
    eventually(30, "order processed", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;
    let orders = source_orders(&n.source);
    assert_eq!(orders.len(), 1);
    // 25.00 + 20 % tax = 30.00 of products, 8.40 of shipping.
    assert_eq!(orders[0]["total_paid_tax_incl"], "38.400000");
    let link = order_link(&app, 81).await;
    assert_eq!((&link["carrier_id"], &link["carrier_name"]), (&json!(2), &json!("My carrier")), "{link}");
    assert_eq!(link["shipping_tax_incl"], "8.40", "{link}");
    assert_eq!(link["source_order_id"], orders[0]["id"]);
    assert!(link["source_reference"].as_str().is_some_and(|r| !r.is_empty()), "{link}");
    // Delivered to GB (zone 7), which "My carrier" does not serve: the first valid carrier that does.
    let mut gb: Value = serde_json::from_str(&order(&new_id(), 82, two_skus())).unwrap();
    gb["order"]["delivery_address"]["country"] = "GB".into();
    gb["order"]["delivery_address"]["postcode"] = "SW1A 1AA".into();
    let event = gb["event_id"].as_str().unwrap().to_owned();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &gb.to_string()).await.status(), 202);
    eventually(30, "order processed", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;
    let link = order_link(&app, 82).await;
    assert_eq!((&link["carrier_id"], &link["shipping_tax_incl"]), (&json!(1), &json!("0.00")), "{link}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retailers_carrier_mapped_for_its_store_picks_the_source_carrier() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &n);
            let retail = s.stores.iter_mut().find(|st| st.code == "retail-1").unwrap();
            retail.orders.carrier_map = [("5".to_owned(), 2)].into_iter().collect();
        })
        .await;
    let mut body: Value = serde_json::from_str(&order(&new_id(), 91, two_skus())).unwrap();
    body["order"]["carrier_id"] = 5.into();
    let event = body["event_id"].as_str().unwrap().to_owned();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &body.to_string()).await.status(), 202);
    eventually(30, "order processed", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;
    let link = order_link(&app, 91).await;
    assert_eq!((&link["carrier_id"], &link["carrier_name"]), (&json!(2), &json!("My carrier")), "{link}");
    assert_eq!(source_orders(&n.source)[0]["total_paid_tax_incl"], "38.400000");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_an_order_took_reaches_the_retailers_even_for_a_sku_the_hub_never_saw() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    // No product event first: the hub knows nothing of WHS-0001 and WHS-0002.
    let event = new_id();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 95, two_skus())).await.status(), 202);
    eventually(30, "order processed", || async { app.status_of(&event).await == Some(EventStatus::Processed) }).await;
    assert_eq!((stock(&n.source, n.products.0), stock(&n.source, n.products.1)), (48, 29));
    eventually(20, "every client shows the source's new stock", || async {
        let (r1, r2) = (
            (id_of(&n.r1, "WHS-0001"), id_of(&n.r1, "WHS-0002")),
            (id_of(&n.r2, "WHS-0001"), id_of(&n.r2, "WHS-0002")),
        );
        stock(&n.r1, r1.0) == 48 && stock(&n.r1, r1.1) == 29 && stock(&n.r2, r2.0) == 48 && stock(&n.r2, r2.1) == 29
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_orders_page_shows_each_orders_state_reason_source_order_carrier_and_shipping() {
    let n = network().await;
    n.source.set_configuration("PS_CARRIER_DEFAULT", "2");
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &n);
            s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
        })
        .await;
    let (created, failed) = (new_id(), new_id());
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&created, 111, two_skus())).await.status(), 202);
    let unknown = json!([{"reference": "NOT-SOLD-HERE", "quantity": 1, "unit_price_tax_incl": "1.00"}]);
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&failed, 112, unknown)).await.status(), 202);
    eventually(30, "both handled", || async {
        app.status_of(&created).await == Some(EventStatus::Processed)
            && app.status_of(&failed).await == Some(EventStatus::Failed)
    })
    .await;
    let source_order = source_orders(&n.source)[0]["id"].as_u64().unwrap();

    let page = dashboard_page(&app, ADMIN_TOKEN, "/dashboard/orders").await;
    let row =
        |id: &str| page.split("<tr>").find(|r| r.contains(&format!("<td>{id}</td>"))).unwrap_or_default().to_owned();
    let ok = row("111");
    assert!(ok.contains(&format!("<td>{source_order} (")), "source order id and reference: {ok}");
    assert!(ok.contains("My carrier (#2)") && ok.contains("<td>8.40</td>") && ok.contains(">created<"), "{ok}");
    let bad = row("112");
    assert!(bad.contains(">failed<") && bad.contains("unknown_sku: NOT-SOLD-HERE"), "the reason is shown: {bad}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_source_combinations_with_the_ordered_attribute_set_fail_the_order_as_ambiguous() {
    let n = network().await;
    let (product, combinations) = seed_tshirt(&n.source);
    // A second "M, Black" on the source: same attribute values as an existing combination.
    let (_, body) = n.source.admin_call(
        "GET",
        &format!(
            "combinations/{}?output_format=JSON",
            combinations.iter().find(|(k, _)| *k == ("M", "Black")).unwrap().1
        ),
        None,
    );
    let values: Vec<String> =
        serde_json::from_str::<Value>(&body).unwrap()["combination"]["associations"]["product_option_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| format!("<product_option_value><id>{}</id></product_option_value>", v["id"].as_str().unwrap()))
            .collect();
    create(
        &n.source,
        "combinations",
        "combination",
        &format!(
            "<id_product>{product}</id_product><minimal_quantity>1</minimal_quantity>\
             <associations><product_option_values>{}</product_option_values></associations>",
            values.join("")
        ),
    );
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let lines = json!([{"reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1",
                        "combination": {"id": 3, "attributes": {"Size": "M", "Color": "Black"}}}]);
    let event = new_id();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &order(&event, 75, lines)).await.status(), 202);
    eventually(20, "order failed", || async { app.status_of(&event).await == Some(EventStatus::Failed) }).await;
    let link = order_link(&app, 75).await;
    assert!(link["error"].as_str().unwrap().starts_with("ambiguous_combination: demo_1"), "{link}");
    assert!(source_orders(&n.source).is_empty(), "never guessed");
    app.stop().await;
}
