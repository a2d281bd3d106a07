//! Reconciliation end to end: a client changed behind the hub's back and a source stock write that fired no
//! webhook are repaired by a reconcile run, against simulated shops; untouched products are not rewritten.

use std::process::Command;

use hub_app::{
    Mode,
    reconcile::{NoProgress, ReconcileRequest, Reconciler},
};
use hub_domain::JobType;
use prestashop_sim::{SimConfig, Simulator};

use crate::helpers::*;

/// The wholesaler's shop, and two retailers: retail-1 (+30 %) and retail-2 (no markup).
struct Shops {
    source: Simulator,
    r1: Simulator,
    r2: Simulator,
}

async fn shops() -> Shops {
    let start = || async { Simulator::start(SimConfig::default()).await.unwrap() };
    Shops { source: start().await, r1: start().await, r2: start().await }
}

/// `toml` with a `[stores.webservice]` table appended to the block of each store in `shops`.
pub(crate) fn with_webservices(toml: &str, shops: &[(&str, &Simulator)]) -> String {
    let mut blocks: Vec<String> = toml.split("[[stores]]").map(str::to_owned).collect();
    for block in blocks.iter_mut().skip(1) {
        for (code, sim) in shops {
            if block.contains(&format!("code = \"{code}\"\n")) {
                block.push_str(&format!(
                    "[stores.webservice]\nurl = \"{}\"\nkey = \"{}\"\n[stores.limits]\ntimeout_ms = 5000\nbreaker_open_secs = 1\n",
                    sim.base_url(),
                    sim.key()
                ));
            }
        }
    }
    blocks.join("[[stores]]")
}

fn writes(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| matches!(r.method.as_str(), "PATCH" | "PUT" | "POST"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn patch_price(sim: &Simulator, product: u64, price: &str) {
    let body = format!("<prestashop><product><id>{product}</id><price>{price}</price></product></prestashop>");
    let (status, answer) = sim.admin_call("PATCH", &format!("products/{product}"), Some(&body));
    assert_eq!(status, 200, "{answer}");
}

/// Three products on every shop, synced the normal way (webhooks).
struct Synced {
    env: Env,
    app: TestApp,
    /// Product ids per SKU index on r1 and r2.
    r1: [u64; 3],
    r2: [u64; 3],
    source: [u64; 3],
}

const SKUS: [&str; 3] = ["WHS-0001", "WHS-0002", "WHS-0003"];
const PRICES: [&str; 3] = ["10.00", "20.00", "30.00"];
const STOCK: [i64; 3] = [300, 50, 7];

async fn synced(shops: &Shops, backend: Backend) -> Synced {
    let seed = |sim: &Simulator| -> [u64; 3] { [0, 1, 2].map(|i| sim.seed_product(SKUS[i], "Mug", "9.00", 0)) };
    let source = [0, 1, 2].map(|i| shops.source.seed_product(SKUS[i], "Mug", PRICES[i], STOCK[i]));
    let (r1, r2) = (seed(&shops.r1), seed(&shops.r2));
    let mut env = Env::new(backend).await;
    env.toml =
        with_webservices(&env.toml, &[("wholesaler", &shops.source), ("retail-1", &shops.r1), ("retail-2", &shops.r2)]);
    let app = env.spawn(Mode::All).await;
    for i in 0..3 {
        let body = product_event(&new_id(), SKUS[i], PRICES[i], STOCK[i], "2026-11-27T09:59:58Z");
        assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    }
    for i in 0..3 {
        let p1 = format!("{:.6}", PRICES[i].parse::<f64>().unwrap() * 1.3);
        eventually(30, "retail-1 synced", || async {
            shops.r1.product_state(r1[i]) == Some((p1.clone(), true, STOCK[i]))
        })
        .await;
        let p2 = format!("{}0000", PRICES[i]);
        eventually(30, "retail-2 synced", || async {
            shops.r2.product_state(r2[i]) == Some((p2.clone(), true, STOCK[i]))
        })
        .await;
    }
    eventually(30, "sync queue drained", || async { app.depth(JobType::SyncProductToStore).await == 0 }).await;
    Synced { env, app, r1, r2, source }
}

async fn reconcile_repairs_what_changed_behind_the_hubs_back(backend: Backend) {
    let shops = shops().await;
    let s = synced(&shops, backend).await;
    // Behind the hub's back: retail-1's owner sets WHS-0001's stock to 5 and WHS-0002's price to 99; an ERP
    // sets the source's WHS-0002 stock to 40 through the Webservice (no webhook: no actionUpdateQuantity).
    shops.r1.seed_stock(s.r1[0], 0, 5);
    patch_price(&shops.r1, s.r1[1], "99.000000");
    shops.source.seed_stock(s.source[1], 0, 40);
    shops.r1.clear_requests();
    shops.r2.clear_requests();

    let reconciler = Reconciler::connect(&s.env.settings()).await.unwrap();
    let report = reconciler.run_once(&ReconcileRequest::default(), &NoProgress).await.unwrap();
    assert_eq!(report.source_products, 3);
    assert_eq!(report.states_updated, 1, "WHS-0002's stock at the source: {report:?}");
    assert_eq!(report.clients_checked, 2);
    // retail-1: WHS-0001 (stock), WHS-0002 (price, and the source's new stock); retail-2: WHS-0002 (stock).
    assert_eq!((report.drifted, report.syncs_queued), (3, 3), "{report:?}");
    assert!(report.failed_clients.is_empty());

    eventually(30, "retail-1 WHS-0001 back at 300", || async {
        shops.r1.product_state(s.r1[0]) == Some(("13.000000".into(), true, 300))
    })
    .await;
    eventually(30, "retail-1 WHS-0002 at 26.00 and 40", || async {
        shops.r1.product_state(s.r1[1]) == Some(("26.000000".into(), true, 40))
    })
    .await;
    eventually(30, "retail-2 WHS-0002 at 40", || async {
        shops.r2.product_state(s.r2[1]) == Some(("20.000000".into(), true, 40))
    })
    .await;
    eventually(30, "sync queue drained", || async { s.app.depth(JobType::SyncProductToStore).await == 0 }).await;
    // Exactly the drifted fields were written: retail-1 one stock row, one price, one stock row; retail-2 one.
    let (w1, w2) = (writes(&shops.r1), writes(&shops.r2));
    let r1_row0 = shops.r1.stock_row(s.r1[0], 0).unwrap();
    let r1_row1 = shops.r1.stock_row(s.r1[1], 0).unwrap();
    let r2_row1 = shops.r2.stock_row(s.r2[1], 0).unwrap();
    let mut want1 = vec![
        format!("PATCH /api/stock_availables/{r1_row0}"),
        format!("PATCH /api/products/{}", s.r1[1]),
        format!("PATCH /api/stock_availables/{r1_row1}"),
    ];
    want1.sort();
    let mut got1 = w1.clone();
    got1.sort();
    assert_eq!(got1, want1, "retail-1 writes");
    assert_eq!(w2, vec![format!("PATCH /api/stock_availables/{r2_row1}")], "retail-2 writes");
    // The untouched product is as it was everywhere.
    assert_eq!(shops.r1.product_state(s.r1[2]), Some(("39.000000".into(), true, 7)));
    assert_eq!(shops.r2.product_state(s.r2[2]), Some(("30.000000".into(), true, 7)));

    // A second run finds nothing to do.
    let again = reconciler.run_once(&ReconcileRequest::default(), &NoProgress).await.unwrap();
    assert_eq!((again.states_updated, again.drifted, again.to_link, again.syncs_queued), (0, 0, 0, 0), "{again:?}");
    s.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_repairs_what_changed_behind_the_hubs_back_on_sqlite() {
    reconcile_repairs_what_changed_behind_the_hubs_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_repairs_what_changed_behind_the_hubs_back_on_mariadb_and_redis() {
    reconcile_repairs_what_changed_behind_the_hubs_back(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_run_reads_only_the_source_products_changed_since() {
    let shops = shops().await;
    let s = synced(&shops, Backend::Sqlite).await;
    shops.source.clear_requests();
    let reconciler = Reconciler::connect(&s.env.settings()).await.unwrap();
    let far = hub_app::reconcile::request(Some("2999-01-01 00:00:00"), None).unwrap();
    let report = reconciler.run_once(&far, &NoProgress).await.unwrap();
    assert_eq!(report.source_products, 0);
    let list = shops.source.requests().into_iter().find(|r| r.path == "/api/products").expect("a products list");
    assert_eq!(list.query_param("date").as_deref(), Some("1"));
    assert_eq!(list.query_param("filter[date_upd]").as_deref(), Some("[2999-01-01 00:00:00,9999-12-31 23:59:59]"));
    assert_eq!(list.query_param("sort").as_deref(), Some("[id_ASC]"));
    assert_eq!(list.status, 200);
    s.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_reconciliation_is_refused_while_one_holds_the_lease() {
    let shops = shops().await;
    let s = synced(&shops, Backend::MariaDbRedis).await;
    let a = Reconciler::connect(&s.env.settings()).await.unwrap();
    // A slow source keeps the first run going while the second one asks.
    shops.source.set_latency(std::time::Duration::from_millis(700));
    let first = tokio::spawn(async move { a.run_once(&ReconcileRequest::default(), &NoProgress).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut other = s.env.settings();
    other.worker.id = Some("another-worker".into());
    let b = Reconciler::connect(&other).await.unwrap();
    let second = b.run_once(&ReconcileRequest::default(), &NoProgress).await;
    assert!(matches!(second, Err(hub_app::reconcile::RunError::Busy(_))), "{second:?}");
    assert!(first.await.unwrap().is_ok());
    // Once the first ended, the lease is free again.
    shops.source.set_latency(std::time::Duration::ZERO);
    assert!(b.run_once(&ReconcileRequest::default(), &NoProgress).await.is_ok());
    s.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_reconcile_command_repairs_one_client() {
    let shops = shops().await;
    let s = synced(&shops, Backend::Sqlite).await;
    shops.r2.seed_stock(s.r2[2], 0, 1);
    shops.r1.seed_stock(s.r1[2], 0, 1);
    shops.r1.clear_requests();
    shops.r2.clear_requests();
    let stdout = hub_reconcile(&s.env, "retail-2");
    assert!(stdout.contains("1 client(s) checked") && stdout.contains("1 drifted"), "{stdout}");
    eventually(30, "retail-2 WHS-0003 back at 7", || async {
        shops.r2.product_state(s.r2[2]) == Some(("30.000000".into(), true, 7))
    })
    .await;
    eventually(30, "sync queue drained", || async { s.app.depth(JobType::SyncProductToStore).await == 0 }).await;
    assert!(writes(&shops.r1).is_empty(), "retail-1 was not asked for: {:?}", writes(&shops.r1));
    assert_eq!(shops.r1.product_state(s.r1[2]).map(|p| p.2), Some(1));
    s.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_checks_links_the_clients_catalog_contradicts_and_writes_nothing_to_an_ambiguous_one() {
    let shops = shops().await;
    let s = synced(&shops, Backend::Sqlite).await;
    // Behind the hub's back: retail-2 duplicates its WHS-0001 (same reference) and lets WHS-0003 drift.
    let copy = shops.r2.seed_product("WHS-0001", "Mug (copy)", "1.00", 0);
    shops.r2.seed_stock(s.r2[2], 0, 1);
    shops.r2.clear_requests();
    let stdout = hub_reconcile(&s.env, "retail-2");
    assert!(stdout.contains("1 drifted") && stdout.contains("1 links to check"), "{stdout}");
    eventually(30, "WHS-0001 recorded ambiguous on retail-2", || async {
        let (_, report) = crate::skus::sku(&s.app, "WHS-0001", Some(SOURCE_KEY)).await;
        report["clients"].as_array().unwrap().iter().any(|c| {
            c["store"] == "retail-2"
                && c["status"] == "ambiguous"
                && c["note"].as_str().is_some_and(|n| n.contains(&s.r2[0].to_string()) && n.contains(&copy.to_string()))
        })
    })
    .await;
    eventually(30, "retail-2 WHS-0003 back at 7", || async {
        shops.r2.product_state(s.r2[2]) == Some(("30.000000".into(), true, 7))
    })
    .await;
    eventually(30, "sync queue drained", || async { s.app.depth(JobType::SyncProductToStore).await == 0 }).await;
    let written: Vec<String> = writes(&shops.r2)
        .into_iter()
        .filter(|w| w.contains(&format!("/{}", s.r2[0])) || w.contains(&format!("/{copy}")))
        .collect();
    assert!(written.is_empty(), "nothing written to either product with WHS-0001: {written:?}");
    s.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_reconciliation_repairs_a_client_on_its_own() {
    let shops = shops().await;
    let source = shops.source.seed_product("SCHED-0001", "Mug", "10.00", 12);
    let r1 = shops.r1.seed_product("SCHED-0001", "Mug", "9.00", 0);
    let mut env = Env::new(Backend::Sqlite).await;
    env.toml = with_webservices(&env.toml, &[("wholesaler", &shops.source), ("retail-1", &shops.r1)])
        + "\n[reconcile]\ninterval_secs = 2\nfirst_run_delay_secs = 1\n";
    let app = env.spawn(Mode::All).await;
    // No webhook at all: the schedule alone learns the source product and brings retail-1 in line…
    eventually(60, "retail-1 shows the source's stock with its markup", || async {
        shops.r1.product_state(r1) == Some(("13.000000".into(), true, 12))
    })
    .await;
    // …and repairs it again when its owner changes the stock behind the hub's back, and when the source's
    // stock is written through the Webservice (which fires no hook).
    shops.r1.seed_stock(r1, 0, 1);
    eventually(60, "retail-1 repaired", || async { shops.r1.product_state(r1).is_some_and(|s| s.2 == 12) }).await;
    shops.source.seed_stock(source, 0, 4);
    eventually(60, "the source's new stock reached retail-1", || async {
        shops.r1.product_state(r1).is_some_and(|s| s.2 == 4)
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_schedule_repairs_a_source_stock_write_that_fired_no_webhook() {
    let shops = shops().await;
    let source = shops.source.seed_product("HOOKLESS-0001", "Mug", "10.00", 12);
    let r1 = shops.r1.seed_product("HOOKLESS-0001", "Mug", "9.00", 0);
    let mut env = Env::new(Backend::Sqlite).await;
    // The default schedule, only sooner: nothing but the incremental pass's interval is set.
    env.toml = with_webservices(&env.toml, &[("wholesaler", &shops.source), ("retail-1", &shops.r1)])
        + "\n[reconcile]\nincremental_secs = 1\nfirst_run_delay_secs = 1\n";
    let app = env.spawn(Mode::All).await;
    eventually(60, "retail-1 shows the source's stock with its markup", || async {
        shops.r1.product_state(r1) == Some(("13.000000".into(), true, 12))
    })
    .await;
    // A Webservice write of the source's stock row (an ERP's): no hook, no webhook, no `date_upd` moved.
    shops.source.seed_stock(source, 0, 4);
    eventually(30, "the source's new stock reached retail-1", || async {
        shops.r1.product_state(r1).is_some_and(|s| s.2 == 4)
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_two_source_products_share_is_applied_for_neither_and_reported_with_their_ids() {
    let shops = shops().await;
    let first = shops.source.seed_product("TWICE-0001", "Mug", "10.00", 12);
    let second = shops.source.seed_product("TWICE-0001", "Cup", "20.00", 3);
    shops.source.seed_product("ONCE-0001", "Plate", "5.00", 8);
    let r1 = shops.r1.seed_product("TWICE-0001", "Mug", "9.00", 0);
    let mut env = Env::new(Backend::Sqlite).await;
    env.toml = with_webservices(&env.toml, &[("wholesaler", &shops.source), ("retail-1", &shops.r1)]);
    let app = env.spawn(Mode::All).await;
    let stdout = hub_reconcile(&env, "retail-1");
    assert!(stdout.contains(&format!("ambiguous source reference TWICE-0001: products {first}, {second}")), "{stdout}");
    assert!(stdout.contains("1 states updated"), "only ONCE-0001 is learnt: {stdout}");
    assert!(stdout.contains("Webservice calls (retail-1 "), "the cost per store: {stdout}");
    eventually(30, "sync queue drained", || async { app.depth(JobType::SyncProductToStore).await == 0 }).await;
    assert!(writes(&shops.r1).is_empty(), "neither product reached retail-1: {:?}", writes(&shops.r1));
    assert_eq!(shops.r1.product_state(r1), Some(("9.000000".into(), true, 0)));
    app.stop().await;
}

/// Places an order on a simulated shop through its Webservice, as its checkout would: customer, address
/// (Spain), cart of `quantity` × product `product`, then the order — paid a wrong total, so it lands in
/// "Payment error" (valid 0) until [`accept_payment`]. Returns the order id.
fn place_unpaid_order(sim: &Simulator, product: u64, quantity: u32) -> u64 {
    let n = unique("c");
    let created = |resource: &str, body: String| -> u64 {
        let (status, answer) = sim.admin_call("POST", &format!("{resource}?output_format=JSON"), Some(&body));
        assert_eq!(status, 201, "POST {resource}: {answer}");
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let single = if resource == "addresses" { "address" } else { resource.trim_end_matches('s') };
        v[single]["id"].as_str().and_then(|s| s.parse().ok()).or_else(|| v[single]["id"].as_u64()).unwrap()
    };
    let customer = created(
        "customers",
        format!(
            "<prestashop><customer><passwd>x12345678</passwd><lastname>Garcia</lastname><firstname>Ana</firstname>\
             <email>{n}@example.com</email></customer></prestashop>"
        ),
    );
    let address = created(
        "addresses",
        format!(
            "<prestashop><address><id_customer>{customer}</id_customer><id_country>6</id_country><alias>Home</alias>\
             <lastname>Garcia</lastname><firstname>Ana</firstname><address1>Calle Mayor 1</address1>\
             <postcode>28013</postcode><city>Madrid</city><phone>+34600000000</phone></address></prestashop>"
        ),
    );
    let cart = created(
        "carts",
        format!(
            "<prestashop><cart><id_address_delivery>{address}</id_address_delivery><id_address_invoice>{address}</id_address_invoice>\
             <id_currency>1</id_currency><id_customer>{customer}</id_customer><id_lang>1</id_lang><associations><cart_rows>\
             <cart_row><id_product>{product}</id_product><id_product_attribute>0</id_product_attribute>\
             <id_address_delivery>{address}</id_address_delivery><quantity>{quantity}</quantity></cart_row>\
             </cart_rows></associations></cart></prestashop>"
        ),
    );
    created(
        "orders",
        format!(
            "<prestashop><order><id_address_delivery>{address}</id_address_delivery><id_address_invoice>{address}</id_address_invoice>\
             <id_cart>{cart}</id_cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>{customer}</id_customer>\
             <id_carrier>1</id_carrier><module>ps_wirepayment</module><payment>Bank wire</payment><total_paid>0.01</total_paid>\
             <total_paid_real>0.01</total_paid_real><total_products>0.01</total_products><total_products_wt>0.01</total_products_wt>\
             <conversion_rate>1</conversion_rate></order></prestashop>"
        ),
    )
}

/// The shop owner accepts the payment of `order` (state 2, "Payment accepted"): it becomes valid.
fn accept_payment(sim: &Simulator, order: u64) {
    let body = format!(
        "<prestashop><order_history><id_order>{order}</id_order><id_order_state>2</id_order_state></order_history></prestashop>"
    );
    let (status, answer) = sim.admin_call("POST", "order_histories", Some(&body));
    assert_eq!(status, 201, "{answer}");
}

/// An order of a simulated shop: id, `valid`, and its rows as (reference, quantity).
type ShopOrder = (u64, String, Vec<(String, String)>);

/// The orders of a simulated shop.
fn orders_of(sim: &Simulator) -> Vec<ShopOrder> {
    let (_, body) = sim.admin_call("GET", "orders?display=full&sort=[id_ASC]&output_format=JSON", None);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["orders"]
        .as_array()
        .map(|orders| {
            orders
                .iter()
                .map(|o| {
                    let rows = o["associations"]["order_rows"]
                        .as_array()
                        .map(|rows| {
                            rows.iter()
                                .map(|r| {
                                    let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                                    (text("product_reference"), text("product_quantity"))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (o["id"].as_u64().unwrap_or_default(), o["valid"].as_str().unwrap_or_default().to_owned(), rows)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `hub reconcile --store STORE` as an operator runs it; its output (it must succeed).
pub(crate) fn hub_reconcile(env: &Env, store: &str) -> String {
    let out = Command::new(binary("hub"))
        .args(["reconcile", "--store", store])
        .env("HUB_CONFIG", env.config_file())
        .env("HUB_WORKER__ID", "reconcile-cli")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run `cargo build --bins` first");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "hub reconcile failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

async fn an_order_whose_webhook_never_arrived_is_replicated_once_by_hub_reconcile(backend: Backend) {
    let source =
        Simulator::start(SimConfig { connector_key: Some(SOURCE_KEY.into()), ..SimConfig::default() }).await.unwrap();
    source.seed_product("WHS-0001", "Mug", "10.00", 50);
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let mug = r1.seed_product("WHS-0001", "Mug", "13.00", 20);
    let mut env = Env::new(backend).await;
    env.toml = with_webservices(&env.toml, &[("wholesaler", &source), ("retail-1", &r1)]);
    let app = env.spawn(Mode::All).await;

    // Two orders at retail-1 and no webhook at all (the connector was off): one paid, one not yet.
    let paid = place_unpaid_order(&r1, mug, 2);
    accept_payment(&r1, paid);
    let unpaid = place_unpaid_order(&r1, mug, 1);
    assert_eq!(orders_of(&r1).iter().map(|o| (o.0, o.1.as_str())).collect::<Vec<_>>(), [(paid, "1"), (unpaid, "0")]);

    let first = hub_reconcile(&env, "retail-1");
    assert!(first.contains("orders: 2 listed, 0 already linked, 1 replicated now"), "{first}");
    eventually(30, "the paid order is on the source", || async { !orders_of(&source).is_empty() }).await;
    eventually(30, "replication done", || async { app.depth(hub_domain::JobType::ReplicateOrder).await == 0 }).await;
    let on_source = orders_of(&source);
    assert_eq!(on_source.len(), 1, "{on_source:?}");
    assert_eq!((on_source[0].1.as_str(), on_source[0].2.clone()), ("1", vec![("WHS-0001".into(), "2".into())]));
    let event = format!("reconcile-order-retail-1-{paid}");
    eventually(30, "its event processed", || async {
        app.status_of(&event).await == Some(hub_domain::EventStatus::Processed)
    })
    .await;
    // The watermark is the paid order's date_upd, and the next run lists from there.
    let (_, body) = r1.admin_call("GET", &format!("orders/{paid}?output_format=JSON"), None);
    let date_upd =
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["order"]["date_upd"].as_str().unwrap().to_owned();
    let marks = app
        .count(&format!("SELECT COUNT(*) FROM order_watermarks WHERE store = 'retail-1' AND date_upd = '{date_upd}'"))
        .await;
    assert_eq!(marks, 1, "watermark at {date_upd}");

    // Again: nothing new; and a late webhook of the same order creates nothing either.
    r1.clear_requests();
    let second = hub_reconcile(&env, "retail-1");
    assert!(second.contains("orders: 2 listed, 1 already linked, 0 replicated now"), "{second}");
    let listed = r1.requests().into_iter().find(|r| r.path == "/api/orders").expect("an orders list");
    assert_eq!(listed.query_param("filter[date_upd]"), Some(format!("[{date_upd},9999-12-31 23:59:59]")));
    assert_eq!(
        listed.query_param("filter[valid]"),
        None,
        "invalid orders are listed too: a cancellation makes one invalid"
    );
    let late = new_id();
    let mut webhook = order_event(&late);
    webhook["order"]["id"] = paid.into();
    webhook["order"]["valid"] = true.into();
    webhook["order"]["lines"] =
        serde_json::json!([{"reference": "WHS-0001", "quantity": 2, "unit_price_tax_incl": "15.60"}]);
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &webhook.to_string()).await.status(), 202);
    eventually(30, "the late webhook processed", || async {
        app.status_of(&late).await == Some(hub_domain::EventStatus::Processed)
    })
    .await;
    assert_eq!(orders_of(&source).len(), 1, "still one order on the source");

    // A webhook and a reconciliation of the same new order at the same moment: one source order.
    let both = place_unpaid_order(&r1, mug, 1);
    accept_payment(&r1, both);
    let webhook_id = new_id();
    let mut webhook = order_event(&webhook_id);
    webhook["order"]["id"] = both.into();
    webhook["order"]["valid"] = true.into();
    webhook["order"]["lines"] =
        serde_json::json!([{"reference": "WHS-0001", "quantity": 1, "unit_price_tax_incl": "15.60"}]);
    let cli_env = env.config_file();
    let cli = tokio::task::spawn_blocking(move || {
        Command::new(binary("hub"))
            .args(["reconcile", "--store", "retail-1"])
            .env("HUB_CONFIG", cli_env)
            .env("HUB_WORKER__ID", "reconcile-cli-race")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run `cargo build --bins` first")
    });
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &webhook.to_string()).await.status(), 202);
    let cli = cli.await.unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    for event in [webhook_id.clone(), format!("reconcile-order-retail-1-{both}")] {
        eventually(30, "both events processed", || async {
            // The reconciliation may have found the link the webhook made first, and queued nothing.
            app.status_of(&event).await.is_none_or(|s| s == hub_domain::EventStatus::Processed)
        })
        .await;
    }
    eventually(30, "replication done", || async { app.depth(hub_domain::JobType::ReplicateOrder).await == 0 }).await;
    assert_eq!(orders_of(&source).len(), 2, "one source order for the webhook and the reconciliation");

    // The unpaid order is paid at last: the next run replicates it, once.
    accept_payment(&r1, unpaid);
    let third = hub_reconcile(&env, "retail-1");
    assert!(third.contains("1 replicated now"), "{third}");
    eventually(30, "the third order is on the source", || async { orders_of(&source).len() == 3 }).await;
    eventually(30, "replication done", || async { app.depth(hub_domain::JobType::ReplicateOrder).await == 0 }).await;
    assert_eq!(orders_of(&source).len(), 3);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_webhook_never_arrived_is_replicated_once_by_hub_reconcile_on_mariadb_and_redis() {
    an_order_whose_webhook_never_arrived_is_replicated_once_by_hub_reconcile(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_webhook_never_arrived_is_replicated_once_by_hub_reconcile_on_sqlite() {
    an_order_whose_webhook_never_arrived_is_replicated_once_by_hub_reconcile(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciliation_alone_syncs_demo_combinations_by_their_attribute_values() {
    use crate::orders::{combination_stock, seed_tshirt};
    let source = Simulator::start(SimConfig::default()).await.unwrap();
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    // Both shops have the demo t-shirt, every combination with the parent's reference and no EAN13; on the
    // retailer another product's combination came first (other ids). The hub never heard of it (no webhook).
    let (source_product, on_source) = seed_tshirt(&source);
    let other = r1.seed_product("OTHER-1", "Other", "1.00", 0);
    crate::sync::seed_combination(&r1, other, "OTHER-1-A", "");
    let (r1_product, r1_combinations) = seed_tshirt(&r1);
    assert_ne!(
        on_source.iter().map(|c| c.1).collect::<Vec<_>>(),
        r1_combinations.iter().map(|c| c.1).collect::<Vec<_>>()
    );
    for (i, (_, combination)) in on_source.iter().enumerate() {
        source.seed_stock(source_product, *combination, 20 + i as i64);
    }
    let mut env = Env::new(Backend::Sqlite).await;
    env.toml = with_webservices(&env.toml, &[("wholesaler", &source), ("retail-1", &r1)]);
    let app = env.spawn(Mode::All).await;

    let out = hub_reconcile(&env, "retail-1");
    assert!(out.contains("1 to link"), "{out}");
    for (key, source_combination) in &on_source {
        let r1_combination = r1_combinations.iter().find(|(k, _)| k == key).unwrap().1;
        let want = combination_stock(&source, source_product, *source_combination);
        eventually(30, "the retailer's combination shows the source's stock", || async {
            combination_stock(&r1, r1_product, r1_combination) == want
        })
        .await;
    }
    app.stop().await;
}
