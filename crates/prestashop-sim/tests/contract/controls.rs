//! The test controls: latency, injected failures and the request log.

use std::time::{Duration, Instant};

use prestashop_sim::{Failure, FailureKind};

use crate::support::{HUB_KEY, Shop, client};

async fn get_status(shop: &Shop, path: &str) -> Result<u16, reqwest::Error> {
    shop.http.get(shop.url(path)).basic_auth(HUB_KEY, Some("")).send().await.map(|r| r.status().as_u16())
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let shop = Shop::new().await;
    shop.sim.set_latency(Duration::from_millis(150));
    let t = Instant::now();
    assert_eq!(get_status(&shop, "/api/languages").await.ok(), Some(200));
    assert!(t.elapsed() >= Duration::from_millis(150));
    shop.sim.set_latency(Duration::ZERO);
    let t = Instant::now();
    assert_eq!(get_status(&shop, "/api/languages").await.ok(), Some(200));
    assert!(t.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn a_counted_status_failure_hits_only_matching_requests() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::status(503).on_resource("products").on_method("GET").times(2));
    assert_eq!(get_status(&shop, "/api/languages").await.ok(), Some(200));
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(503));
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(503));
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(200));
}

#[tokio::test]
async fn a_429_carries_retry_after() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::status(429).times(1));
    let r = shop.get("/api/products").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn an_injected_failure_does_not_touch_the_shop() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::status(500).on_method("POST").times(1));
    let failed =
        shop.send("POST", "/api/products", "<prestashop><product><price>1</price></product></prestashop>").await;
    assert_eq!(failed.status, 500);
    assert_eq!(shop.get("/api/products?output_format=JSON").await.body, "[]");
}

#[tokio::test]
async fn a_timeout_failure_never_answers() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::new(FailureKind::Timeout).times(1));
    let r = shop
        .http
        .get(shop.url("/api/products"))
        .basic_auth(HUB_KEY, Some(""))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(r.as_ref().is_err_and(reqwest::Error::is_timeout), "{r:?}");
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(200));
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::new(FailureKind::Drop).on_resource("orders").times(1));
    let r = get_status(&shop, "/api/orders").await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(get_status(&shop, "/api/orders").await.ok(), Some(200));
}

#[tokio::test]
async fn process_then_drop_changes_the_shop_but_loses_the_answer() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::new(FailureKind::ProcessThenDrop).on_method("POST").times(1));
    let lost = shop
        .http
        .post(shop.url("/api/products"))
        .basic_auth(HUB_KEY, Some(""))
        .body("<prestashop><product><price>1</price><name><language id=\"1\">Widget</language></name></product></prestashop>")
        .send()
        .await;
    assert!(lost.is_err());
    let r = shop.get("/api/products?output_format=JSON").await;
    assert_eq!(r.body, r#"{"products":[{"id":1}]}"#);
}

#[tokio::test]
async fn a_timed_failure_expires() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::status(502).for_duration(Duration::from_millis(200)));
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(502));
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(200));
}

#[tokio::test]
async fn clearing_failures_restores_service() {
    let shop = Shop::new().await;
    shop.sim.inject(Failure::status(503));
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(503));
    shop.sim.clear_failures();
    assert_eq!(get_status(&shop, "/api/products").await.ok(), Some(200));
}

#[tokio::test]
async fn the_request_log_records_method_path_query_status_and_body() {
    let shop = Shop::new().await;
    shop.send(
        "POST",
        "/api/products?output_format=JSON",
        "<prestashop><product><price>4</price><name><language id=\"1\">Widget</language></name></product></prestashop>",
    )
    .await;
    shop.get("/api/products?filter[reference]=[X]").await;
    shop.sim.inject(Failure::new(FailureKind::Drop).times(1));
    let _ = get_status(&shop, "/api/products/1").await;
    let log = shop.sim.requests();
    assert_eq!(log.len(), 3);
    assert_eq!((log[0].method.as_str(), log[0].path.as_str(), log[0].status), ("POST", "/api/products", 201));
    assert_eq!(log[0].query, "output_format=JSON");
    assert!(log[0].body.contains("<price>4</price>"));
    assert_eq!(log[1].query_param("filter[reference]").as_deref(), Some("[X]"));
    assert_eq!(log[1].resource(), "products");
    assert_eq!(log[2].status, 0);
    assert!(log[0].headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("authorization") && v.starts_with("Basic ")));
    shop.sim.clear_requests();
    assert!(shop.sim.requests().is_empty());
}

#[tokio::test]
async fn stopping_closes_the_port() {
    let shop = Shop::new().await;
    let url = shop.url("/api/");
    shop.sim.stop().await;
    let r = client().get(url).timeout(Duration::from_secs(2)).send().await;
    assert!(r.is_err());
}

#[tokio::test]
async fn the_state_snapshot_shows_the_tables() {
    let shop = Shop::new().await;
    shop.create("products", "product", "<price>4</price><name><language id=\"1\">Widget</language></name>").await;
    let snap = shop.sim.state_snapshot();
    assert_eq!(snap["tables"]["products"][0]["price"], "4.000000");
    assert_eq!(snap["tables"]["stock_availables"].as_array().map(Vec::len), Some(1));
}
