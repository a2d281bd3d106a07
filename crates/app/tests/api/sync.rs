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
