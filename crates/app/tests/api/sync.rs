//! Product sync end to end: a source event reaches every simulated client store through the Webservice.

use std::time::Duration;

use futures::StreamExt;

use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::JobType;
use hub_domain::{EventStatus, Secret};
use prestashop_sim::{Failure, SimConfig, Simulator};

use crate::helpers::*;

/// Two client shops: retail-1 (+30 %) and retail-2 (no markup).
async fn shops() -> (Simulator, Simulator) {
    (Simulator::start(SimConfig::default()).await.unwrap(), Simulator::start(SimConfig::default()).await.unwrap())
}

fn wire(s: &mut Settings, retail1: &Simulator, retail2: &Simulator) {
    for store in &mut s.stores {
        let sim = match store.code.as_str() {
            "retail-1" => retail1,
            "retail-2" => retail2,
            _ => continue,
        };
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.breaker_open_secs = 1;
        store.limits.timeout_ms = 2_000;
    }
}

fn writes(sim: &Simulator) -> usize {
    sim.requests().iter().filter(|r| matches!(r.method.as_str(), "PATCH" | "PUT" | "POST")).count()
}

async fn a_source_change_reaches_every_client(backend: Backend) {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("WHS-0001", "Mug at retail 1", "9.00", 0);
    let p2 = r2.seed_product("WHS-0001", "Mug at retail 2", "9.00", 0);
    let env = Env::new(backend).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;

    let id = new_id();
    let r = app
        .post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&id, "WHS-0001", "10.00", 300, "2026-11-27T09:59:58Z"),
        )
        .await;
    assert_eq!(r.status(), 202);
    eventually(20, "retail-1 shows 13.00 (+30 %), 300 in stock, active", || async {
        r1.product_state(p1) == Some(("13.000000".into(), true, 300))
    })
    .await;
    eventually(20, "retail-2 shows 10.00 and 300", || async {
        r2.product_state(p2) == Some(("10.000000".into(), true, 300))
    })
    .await;

    // Deactivated at the source → deactivated everywhere.
    let off = serde_json::from_str::<serde_json::Value>(&product_event(
        &new_id(),
        "WHS-0001",
        "10.00",
        300,
        "2026-11-27T10:00:30Z",
    ))
    .map(|mut v| {
        v["product"]["active"] = false.into();
        v.to_string()
    })
    .unwrap();
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &off).await.status(), 202);
    eventually(20, "retail-1 inactive", || async { r1.product_state(p1).is_some_and(|s| !s.1) }).await;
    eventually(20, "retail-2 inactive", || async { r2.product_state(p2).is_some_and(|s| !s.1) }).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_change_reaches_every_client_on_sqlite() {
    a_source_change_reaches_every_client(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_change_reaches_every_client_on_mariadb_and_redis() {
    a_source_change_reaches_every_client(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_one_hundred_events_ends_right_with_far_fewer_writes() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("BURST-1", "Burst", "9.00", 0);
    let p2 = r2.seed_product("BURST-1", "Burst", "9.00", 0);
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    r1.clear_requests();
    r2.clear_requests();
    // A burst: the events arrive faster than the client can be written to.
    let bodies: Vec<String> = (0..100)
        .map(|i| {
            serde_json::json!({
                "event_id": new_id(),
                "occurred_at": format!("2026-11-27T10:00:00.{:06}Z", i + 1),
                "product": {"id": 6, "reference": "BURST-1", "name": "Burst", "price": "10.00", "quantity": i,
                            "active": true, "updated_at": "2026-11-27T10:00:00Z"}
            })
            .to_string()
        })
        .collect();
    let statuses: Vec<u16> = futures::stream::iter(bodies.iter())
        .map(|b| {
            let app = &app;
            async move { app.post("/api/sync/product", Some(SOURCE_KEY), b).await.status().as_u16() }
        })
        .buffer_unordered(20)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 202));
    eventually(30, "retail-1 ends at 99", || async { r1.product_state(p1).is_some_and(|s| s.2 == 99) }).await;
    eventually(30, "retail-2 ends at 99", || async { r2.product_state(p2).is_some_and(|s| s.2 == 99) }).await;
    eventually(30, "sync queue drained", || async { app.depth(JobType::SyncProductToStore).await == 0 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(r1.product_state(p1).unwrap().2, 99, "nothing older landed after the newest");
    let (w1, w2) = (writes(&r1), writes(&r2));
    assert!(w1 < 40 && w2 < 40, "100 events coalesce: {w1} and {w2} writes");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_update_never_overwrites_a_newer_one_on_the_clients() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("ORD-1", "Order", "9.00", 0);
    r2.seed_product("ORD-1", "Order", "9.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    let newer = new_id();
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&newer, "ORD-1", "12.00", 50, "2026-11-27T10:00:05Z"),
    )
    .await;
    eventually(20, "newer applied", || async { r1.product_state(p1).is_some_and(|s| s.2 == 50) }).await;
    let older = new_id();
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&older, "ORD-1", "11.00", 99, "2026-11-27T10:00:01Z"),
    )
    .await;
    eventually(20, "older processed", || async { app.status_of(&older).await == Some(EventStatus::Processed) }).await;
    eventually(20, "sync queue drained", || async { app.depth(JobType::SyncProductToStore).await == 0 }).await;
    assert_eq!(r1.product_state(p1), Some(("15.600000".into(), true, 50)));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_down_for_thirty_seconds_catches_up_and_never_holds_the_others_back() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("DOWN-1", "Down", "9.00", 0);
    let p2 = r2.seed_product("DOWN-1", "Down", "9.00", 0);
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            s.worker.max_attempts = 200;
            s.worker.backoff_min_ms = 100;
            s.worker.backoff_max_ms = 1_000;
        })
        .await;
    r2.inject(Failure::status(503).for_duration(Duration::from_secs(30)));
    let started = std::time::Instant::now();
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&new_id(), "DOWN-1", "10.00", 7, "2026-11-27T10:00:00Z"),
    )
    .await;
    eventually(10, "retail-1 updated while retail-2 is down", || async {
        r1.product_state(p1).is_some_and(|s| s.2 == 7)
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r2.product_state(p2).map(|s| s.2), Some(0), "retail-2 still down");
    eventually(60, "retail-2 catches up after recovering", || async {
        r2.product_state(p2) == Some(("10.000000".into(), true, 7))
    })
    .await;
    assert!(started.elapsed() >= Duration::from_secs(29));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_changes_the_synced_fields_and_nothing_else_on_the_client() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("WIPE-1", "Retailer's own name", "9.00", 3);
    r2.seed_product("WIPE-1", "Other", "9.00", 3);
    let row = r1.stock_row(p1, 0).unwrap();
    let strip = |xml: String, fields: &[&str]| {
        xml.lines()
            .filter(|l| !fields.iter().any(|f| l.trim_start().starts_with(&format!("<{f}"))))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let product_before = r1.admin_call("GET", &format!("products/{p1}"), None).1;
    let row_before = r1.admin_call("GET", &format!("stock_availables/{row}"), None).1;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&new_id(), "WIPE-1", "20.00", 8, "2026-11-27T10:00:00Z"),
    )
    .await;
    eventually(20, "synced", || async { r1.product_state(p1) == Some(("26.000000".into(), true, 8)) }).await;
    let product_after = r1.admin_call("GET", &format!("products/{p1}"), None).1;
    let row_after = r1.admin_call("GET", &format!("stock_availables/{row}"), None).1;
    assert!(product_after.contains("Retailer's own name"));
    assert_eq!(strip(product_before, &["price", "date_upd"]), strip(product_after, &["price", "date_upd"]));
    assert_eq!(strip(row_before, &["quantity"]), strip(row_after, &["quantity"]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sku_missing_on_a_client_is_recorded_unlinked_and_not_retried() {
    let (r1, r2) = shops().await;
    r2.seed_product("ONLY-2", "Only on retail 2", "9.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&new_id(), "ONLY-2", "10.00", 4, "2026-11-27T10:00:00Z"),
    )
    .await;
    eventually(20, "retail-1 link recorded as unlinked", || async {
        app.count(
            // Looked up and saved (`data`), and the sync done (lease released): the row alone exists
            // as soon as the sync takes its lease, before the lookup.
            "SELECT COUNT(*) FROM product_links WHERE store = 'retail-1' AND sku = 'ONLY-2' AND status = 'unlinked' \
             AND data IS NOT NULL AND lease_owner IS NULL",
        )
        .await
            == 1
    })
    .await;
    let lookups = || r1.requests().iter().filter(|r| r.resource() == "products").count();
    let before = lookups();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(lookups(), before, "no retry storm for an unknown SKU");
    app.stop().await;
}

/// Adds a combination to a client product (as the shop owner would) and returns its id.
pub(crate) fn seed_combination(sim: &Simulator, product: u64, reference: &str, ean13: &str) -> u64 {
    let body = format!(
        "<prestashop><combination><id_product>{product}</id_product><reference>{reference}</reference>\
         <ean13>{ean13}</ean13><minimal_quantity>1</minimal_quantity></combination></prestashop>"
    );
    let (status, answer) = sim.admin_call("POST", "combinations?output_format=JSON", Some(&body));
    assert_eq!(status, 201, "{answer}");
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    v["combination"]["id"].as_str().map(|s| s.parse().unwrap()).or(v["combination"]["id"].as_u64()).unwrap()
}

fn combination_stock(sim: &Simulator, product: u64, combination: u64) -> i64 {
    let row = sim.stock_row(product, combination).unwrap();
    let (_, body) = sim.admin_call(
        "GET",
        &format!("stock_availables?filter[id]=[{row}]&display=[quantity]&output_format=JSON"),
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["stock_availables"][0]["quantity"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn combinations_are_synced_by_their_own_reference_or_their_ean13() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("TEE", "T-shirt", "9.00", 0);
    let s1 = seed_combination(&r1, p1, "TEE-S", "");
    let m1 = seed_combination(&r1, p1, "", "4006381333931");
    let p2 = r2.seed_product("TEE", "T-shirt", "9.00", 0);
    let s2 = seed_combination(&r2, p2, "tee-s", "");
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    let body = serde_json::json!({
        "event_id": new_id(), "occurred_at": "2026-11-27T10:00:00Z",
        "product": {"id": 1, "reference": "TEE", "name": "T-shirt", "price": "10.00", "quantity": 15, "active": true,
                    "updated_at": "2026-11-27T10:00:00Z",
                    "combinations": [
                        {"id": 11, "reference": "TEE-S", "quantity": 10},
                        {"id": 12, "reference": "", "ean13": "4006381333931", "attributes": {"Size": "M"}, "quantity": 5}
                    ]}
    });
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body.to_string()).await.status(), 202);
    eventually(20, "retail-1 combinations", || async {
        combination_stock(&r1, p1, s1) == 10 && combination_stock(&r1, p1, m1) == 5
    })
    .await;
    eventually(20, "retail-2 combination (case-insensitive reference)", || async {
        combination_stock(&r2, p2, s2) == 10
    })
    .await;
    // The product-level row is the shop's own sum of its combinations.
    assert_eq!(r1.product_state(p1).map(|s| s.2), Some(15));
    app.stop().await;
}

/// Counts `store`'s link of `sku` that is settled (saved, lease released) with `status` and data containing
/// `like` (an SQL LIKE pattern).
async fn settled_links(app: &TestApp, store: &str, sku: &str, status: &str, like: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM product_links WHERE store = '{store}' AND sku = '{sku}' AND status = '{status}' \
         AND data LIKE '{like}' AND lease_owner IS NULL"
    ))
    .await
}

const ADMIN_TOKEN: &str = "admin-token-0123456789";

/// The dashboard's Stores page, logged in with the admin token.
async fn stores_page(app: &TestApp) -> String {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser
        .post(format!("{}/dashboard/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = browser.get(format!("{}/dashboard/stores", app.base)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

async fn post_product(app: &TestApp, sku: &str, price: &str, quantity: i64, updated_at: &str) {
    let body = product_event(&new_id(), sku, price, quantity, updated_at);
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_reference_a_retailer_duplicates_stops_the_writes_and_is_reported_ambiguous_with_both_ids() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("DUP-1", "Dup", "9.00", 0);
    let p2 = r2.seed_product("DUP-1", "Dup", "9.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            s.sync.link_verify_secs = 0;
            s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
        })
        .await;
    post_product(&app, "DUP-1", "10.00", 5, "2026-11-27T10:00:00Z").await;
    eventually(20, "linked and synced", || async { r1.product_state(p1) == Some(("13.000000".into(), true, 5)) }).await;

    // The retailer duplicates the product: the reference now names two products.
    let copy = r1.seed_product("DUP-1", "Dup (copy)", "9.00", 0);
    r1.clear_requests();
    post_product(&app, "DUP-1", "20.00", 6, "2026-11-27T10:01:00Z").await;
    eventually(20, "retail-2 got the change", || async { r2.product_state(p2) == Some(("20.000000".into(), true, 6)) })
        .await;
    let note = format!("%ambiguous: client products {p1}, {copy} share DUP-1%");
    eventually(20, "retail-1's link is ambiguous with both ids", || async {
        settled_links(&app, "retail-1", "DUP-1", "ambiguous", &note).await == 1
    })
    .await;
    assert_eq!(writes(&r1), 0, "nothing written to either product");
    assert_eq!(r1.product_state(p1), Some(("13.000000".into(), true, 5)));
    let stores = stores_page(&app).await;
    assert!(stores.contains(&format!("ambiguous: client products {p1}, {copy} share DUP-1")), "{stores}");

    // The copy is deleted: the reference is unique again and the next change re-links and writes.
    assert_eq!(r1.admin_call("DELETE", &format!("products/{copy}"), None).0, 200);
    post_product(&app, "DUP-1", "30.00", 7, "2026-11-27T10:02:00Z").await;
    eventually(20, "re-linked and written", || async { r1.product_state(p1) == Some(("39.000000".into(), true, 7)) })
        .await;
    eventually(20, "linked again", || async { settled_links(&app, "retail-1", "DUP-1", "linked", "%").await == 1 })
        .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_product_the_retailer_deletes_is_noticed_by_the_next_write_and_left_unlinked() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("GONE-1", "Gone", "9.00", 0);
    r2.seed_product("GONE-1", "Gone", "9.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    // The default verification age: the link is fresh, so only the write can tell the product is gone.
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    post_product(&app, "GONE-1", "10.00", 5, "2026-11-27T10:00:00Z").await;
    eventually(20, "linked and synced", || async { r1.product_state(p1) == Some(("13.000000".into(), true, 5)) }).await;
    assert_eq!(r1.admin_call("DELETE", &format!("products/{p1}"), None).0, 200);
    post_product(&app, "GONE-1", "20.00", 6, "2026-11-27T10:01:00Z").await;
    let note = format!("%client product {p1} was deleted%");
    eventually(20, "retail-1's link is unlinked with the reason", || async {
        settled_links(&app, "retail-1", "GONE-1", "unlinked", &note).await == 1
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ean13_a_retailer_adds_to_a_combination_later_is_matched_at_the_next_verification() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("LATE", "Late", "9.00", 0);
    let c1 = seed_combination(&r1, p1, "", "");
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            s.sync.link_verify_secs = 0;
        })
        .await;
    let event = |quantity: i64, at: &str| {
        serde_json::json!({
            "event_id": new_id(), "occurred_at": at,
            "product": {"id": 1, "reference": "LATE", "name": "Late", "price": "10.00", "quantity": quantity,
                        "active": true, "updated_at": at,
                        "combinations": [{"id": 11, "reference": "", "ean13": "4006381333931", "quantity": quantity}]}
        })
        .to_string()
    };
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &event(7, "2026-11-27T10:00:00Z")).await.status(), 202);
    eventually(20, "linked with the combination unmatched", || async {
        settled_links(&app, "retail-1", "LATE", "linked", "%matched nothing%").await == 1
    })
    .await;
    assert_eq!(combination_stock(&r1, p1, c1), 0);

    let body = format!("<prestashop><combination><id>{c1}</id><ean13>4006381333931</ean13></combination></prestashop>");
    let (status, answer) = r1.admin_call("PATCH", &format!("combinations/{c1}"), Some(&body));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &event(8, "2026-11-27T10:01:00Z")).await.status(), 202);
    eventually(20, "the combination is matched by its new EAN13 and its stock synced", || async {
        combination_stock(&r1, p1, c1) == 8
    })
    .await;
    app.stop().await;
}

/// A combination's (size, color) as indexes into the names its product was seeded with.
type SizeAndColor = (usize, usize);

/// Posts `xml` (the inside of `<singular>`) to `resource` on `sim` and returns the new id.
fn create(sim: &Simulator, resource: &str, singular: &str, xml: &str) -> u64 {
    let body = format!("<prestashop><{singular}>{xml}</{singular}></prestashop>");
    let (status, answer) = sim.admin_call("POST", &format!("{resource}?output_format=JSON"), Some(&body));
    assert_eq!(status, 201, "POST {resource}: {answer}");
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    match &v[singular]["id"] {
        serde_json::Value::String(s) => s.parse().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

/// The demo's t-shirt on `sim` as the demo catalog has it: product `demo_1` whose combinations (Size S/M ×
/// Color White/Black, the names in `sizes` and `colors`) all carry the product's reference and no EAN13,
/// stock 1 each. Returns the product id and the combination ids by (size, color); `twice` seeds (M, Black)
/// a second time (a shop owner's slip).
fn seed_demo_tshirt(
    sim: &Simulator,
    sizes: [&str; 2],
    colors: [&str; 2],
    twice: bool,
) -> (u64, Vec<(SizeAndColor, u64)>) {
    let group = |name: &str| {
        create(
            sim,
            "product_options",
            "product_option",
            &format!(
                "<is_color_group>0</is_color_group><group_type>select</group_type>\
                 <name><language id=\"1\">{name}</language></name><public_name><language id=\"1\">{name}</language></public_name>"
            ),
        )
    };
    let (size, color) = (group("Size"), group("Color"));
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
    let sizes = [value(size, sizes[0]), value(size, sizes[1])];
    let colors = [value(color, colors[0]), value(color, colors[1])];
    let product = sim.seed_product("demo_1", "Hummingbird printed t-shirt", "19.12", 0);
    let mut combinations = Vec::new();
    let mut add = |s: usize, c: usize| {
        let id = create(
            sim,
            "combinations",
            "combination",
            &format!(
                "<id_product>{product}</id_product><reference>demo_1</reference><minimal_quantity>1</minimal_quantity>\
                 <associations><product_option_values><product_option_value><id>{}</id></product_option_value>\
                 <product_option_value><id>{}</id></product_option_value></product_option_values></associations>",
                sizes[s], colors[c]
            ),
        );
        sim.seed_stock(product, id, 1);
        combinations.push(((s, c), id));
    };
    for s in 0..2 {
        for c in 0..2 {
            add(s, c);
        }
    }
    if twice {
        add(1, 1);
    }
    (product, combinations)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_combinations_sharing_the_parent_reference_sync_by_their_attribute_values_and_a_doubled_set_is_not_guessed()
 {
    let (r1, r2) = shops().await;
    // retail-1 names its values in another case and with accents the source lacks: still the same values.
    let (t1, c1) = seed_demo_tshirt(&r1, ["s", "M"], ["Whíte", "BLACK"], false);
    let (t2, c2) = seed_demo_tshirt(&r2, ["S", "M"], ["White", "Black"], true);
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    let (sizes, colors) = (["S", "M"], ["White", "Black"]);
    let mut combinations = Vec::new();
    for (s, size) in sizes.iter().enumerate() {
        for (c, color) in colors.iter().enumerate() {
            combinations.push(serde_json::json!({
                "id": 1 + s * 2 + c, "reference": "demo_1", "ean13": "",
                "attributes": {"Size": size, "Color": color}, "quantity": 10 + s * 2 + c
            }));
        }
    }
    let body = serde_json::json!({
        "event_id": new_id(), "occurred_at": "2026-11-27T10:00:00Z",
        "product": {"id": 1, "reference": "demo_1", "name": "Hummingbird printed t-shirt", "price": "19.12",
                    "quantity": 46, "active": true, "updated_at": "2026-11-27T10:00:00Z", "combinations": combinations}
    });
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body.to_string()).await.status(), 202);
    eventually(20, "every retail-1 combination has its source stock", || async {
        c1.iter().all(|((s, c), id)| combination_stock(&r1, t1, *id) == (10 + s * 2 + c) as i64)
    })
    .await;
    eventually(20, "retail-2's unique combinations synced, the doubled one reported", || async {
        settled_links(&app, "retail-2", "demo_1", "linked", "%combination 4 could be client combinations%").await == 1
    })
    .await;
    for ((s, c), id) in &c2 {
        let expected = if (*s, *c) == (1, 1) { 1 } else { (10 + s * 2 + c) as i64 };
        assert_eq!(combination_stock(&r2, t2, *id), expected, "retail-2 ({s}, {c}) #{id}");
    }
    app.stop().await;
}

/// A retailer's price rule beyond its markup: a floor at its minimum margin, then the price ending, the same
/// engine for every price the sync writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retailers_minimum_margin_and_price_ending_shape_the_price_it_gets() {
    let (r1, r2) = shops().await;
    let p1 = r1.seed_product("WHS-0001", "Mug at retail 1", "9.00", 0);
    let p2 = r2.seed_product("WHS-0001", "Mug at retail 2", "9.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            for store in &mut s.stores {
                match store.code.as_str() {
                    // +30 %, then up to .99.
                    "retail-1" => store.price_ending = Some("0.99".into()),
                    // No markup, but never under a 20 % margin, in whole amounts.
                    "retail-2" => {
                        store.min_margin_percent = Some("20".into());
                        store.price_ending = Some("0.00".into());
                    }
                    _ => {}
                }
            }
        })
        .await;
    post_product(&app, "WHS-0001", "10.10", 5, "2026-11-27T09:59:58Z").await;
    eventually(20, "retail-1 shows 13.99 (10.10 + 30 % = 13.13, up to .99)", || async {
        r1.product_state(p1).is_some_and(|s| s.0 == "13.990000")
    })
    .await;
    eventually(20, "retail-2 shows 13.00 (floor 12.12, up to a whole amount)", || async {
        r2.product_state(p2).is_some_and(|s| s.0 == "13.000000")
    })
    .await;
    app.stop().await;
}

/// Polls 30 s apart and heartbeats 30 s apart: only a wake on the push can make a change arrive in seconds.
fn slow_polls(s: &mut Settings) {
    s.queue.poll_interval_ms = 30_000;
    s.queue.heartbeat_secs = 30;
    s.queue.watchdog_secs = 0;
}

/// Three changes one after another, each given 5 s to reach both clients.
async fn three_changes_arrive_in_seconds(app: &TestApp, r1: &Simulator, p1: u64, r2: &Simulator, p2: u64) {
    for (i, quantity) in [11_i64, 12, 13].into_iter().enumerate() {
        // Idle again: the workers' first polls (at start) and the last change's follow-up look are over.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let at = format!("2026-11-27T10:00:{:02}Z", 10 + i);
        post_product(app, "WAKE-1", "10.00", quantity, &at).await;
        eventually(5, &format!("change {i} on both clients well before the next poll"), || async {
            r1.product_state(p1).is_some_and(|s| s.2 == quantity)
                && r2.product_state(p2).is_some_and(|s| s.2 == quantity)
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_embedded_worker_wakes_on_a_push_not_at_its_next_poll() {
    let (r1, r2) = shops().await;
    let (p1, p2) = (r1.seed_product("WAKE-1", "Wake", "9.00", 0), r2.seed_product("WAKE-1", "Wake", "9.00", 0));
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            slow_polls(s);
        })
        .await;
    three_changes_arrive_in_seconds(&app, &r1, p1, &r2, p2).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_process_wakes_on_another_processs_push_through_redis() {
    let (r1, r2) = shops().await;
    let (p1, p2) = (r1.seed_product("WAKE-1", "Wake", "9.00", 0), r2.seed_product("WAKE-1", "Wake", "9.00", 0));
    let env = Env::new(Backend::MariaDbRedis).await;
    // Separate queue clients, as `hub-api` and `hub-worker`: nothing but Redis carries the push.
    let api = env.spawn_with(Mode::Api, slow_polls).await;
    let worker = env
        .spawn_with(Mode::Worker, |s| {
            wire(s, &r1, &r2);
            slow_polls(s);
        })
        .await;
    three_changes_arrive_in_seconds(&api, &r1, p1, &r2, p2).await;
    worker.stop().await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_of_a_sku_whose_sync_has_not_started_queue_no_second_sync_and_all_arrive() {
    let (r1, r2) = shops().await;
    let (p1, p2) = (r1.seed_product("COAL-1", "Coal", "9.00", 0), r2.seed_product("COAL-1", "Coal", "9.00", 0));
    let env = Env::new(Backend::MariaDbRedis).await;
    // Fan-out runs, syncs wait: no worker takes them yet.
    let fan_out = env.spawn_with(Mode::All, |s| s.worker.jobs = vec!["fan_out_product".into()]).await;
    for quantity in 1..=10_i64 {
        post_product(&fan_out, "COAL-1", "10.00", quantity, &format!("2026-11-27T10:00:{quantity:02}Z")).await;
    }
    eventually(20, "all ten fanned out", || async {
        fan_out.count("SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'").await == 10
    })
    .await;
    assert_eq!(fan_out.depth(JobType::SyncProductToStore).await, 2, "one waiting sync per client, not ten");
    let syncs = env
        .spawn_with(Mode::Worker, |s| {
            wire(s, &r1, &r2);
            s.worker.jobs = vec!["sync_product_to_store".into()];
        })
        .await;
    eventually(20, "both clients at the last change", || async {
        r1.product_state(p1).is_some_and(|s| s.2 == 10) && r2.product_state(p2).is_some_and(|s| s.2 == 10)
    })
    .await;
    // Started syncs no longer cover what comes next: a later change queues and arrives.
    post_product(&fan_out, "COAL-1", "10.00", 42, "2026-11-27T10:01:00Z").await;
    eventually(20, "the next change arrives", || async {
        r1.product_state(p1).is_some_and(|s| s.2 == 42) && r2.product_state(p2).is_some_and(|s| s.2 == 42)
    })
    .await;
    syncs.stop().await;
    fan_out.stop().await;
}

/// The workers' product links gather concurrent leases, saves and releases into one statement each: the
/// lease still goes to exactly one of many concurrent owners, a held lease is refused, an expired one is taken
/// over, a release by another owner is ignored, and every save lands — on SQLite and on MariaDB.
async fn group_committed_links_keep_the_lease_exclusive_and_every_save(backend: Backend) {
    use hub_domain::{
        Sku, StoreCode,
        catalog::{LinkStatus, ProductLink, ProductLinks},
    };
    let env = Env::new(backend).await;
    let db = hub_app::database(&env.settings()).await.unwrap();
    hub_persistence::migrate(&db).await.unwrap();
    let links = std::sync::Arc::new(hub_persistence::SeaOrmProductLinks::with_group_commit(db, 64, 4));
    let store = StoreCode::parse("retail-1").unwrap();
    let sku = |i: usize| Sku::parse(&format!("GC-{i}")).unwrap();
    let ttl = Duration::from_secs(30);

    // 40 owners at once for one pair never created before: exactly one wins.
    let won: Vec<bool> = futures::future::join_all((0..40).map(|i| {
        let (links, store) = (links.clone(), store.clone());
        async move { links.lease(&store, &sku(0), &format!("owner-{i}"), ttl).await.unwrap() }
    }))
    .await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let holder = format!("owner-{}", won.iter().position(|w| *w).unwrap());
    assert!(links.lease(&store, &sku(0), &holder, ttl).await.unwrap(), "the holder renews");
    assert!(!links.lease(&store, &sku(0), "late", ttl).await.unwrap(), "held: refused");
    links.release(&store, &sku(0), "late").await.unwrap();
    assert!(!links.lease(&store, &sku(0), "late", ttl).await.unwrap(), "a stranger's release changes nothing");
    links.release(&store, &sku(0), &holder).await.unwrap();
    assert!(links.lease(&store, &sku(0), "late", Duration::ZERO).await.unwrap(), "released: taken");
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(links.lease(&store, &sku(0), "later", ttl).await.unwrap(), "expired: taken over");

    // 60 pairs leased, saved and released at once, half of them rows that did not exist.
    futures::future::join_all((1..=60).map(|i| {
        let (links, store) = (links.clone(), store.clone());
        async move {
            let owner = format!("run-{i}");
            if i % 2 == 0 {
                assert!(links.lease(&store, &sku(i), &owner, ttl).await.unwrap());
            }
            let link = ProductLink {
                store: store.clone(),
                sku: sku(i),
                status: LinkStatus::Linked,
                client_product_id: Some(i as u64),
                stock_rows: Default::default(),
                unmatched_combinations: vec![],
                applied: Default::default(),
                applied_event_id: Some(format!("event-{i}")),
                note: None,
                verified_at: None,
                publication: None,
            };
            links.save(&link).await.unwrap();
            links.release(&store, &sku(i), &owner).await.unwrap();
        }
    }))
    .await;
    for i in 1..=60 {
        let got = links.get(&store, &sku(i)).await.unwrap().expect("saved");
        assert_eq!((got.client_product_id, got.applied_event_id), (Some(i as u64), Some(format!("event-{i}"))));
        assert!(links.lease(&store, &sku(i), "next", ttl).await.unwrap(), "released after the save");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_committed_links_keep_the_lease_exclusive_and_every_save_on_sqlite() {
    group_committed_links_keep_the_lease_exclusive_and_every_save(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_committed_links_keep_the_lease_exclusive_and_every_save_on_mariadb() {
    group_committed_links_keep_the_lease_exclusive_and_every_save(Backend::MariaDbRedis).await;
}
