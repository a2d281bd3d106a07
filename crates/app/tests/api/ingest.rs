//! Webhook ingestion: accepted once, queued once, fanned out; refused with the right JSON error otherwise.

use hmac::{Hmac, Mac};
use hub_app::Mode;
use hub_domain::EventStatus;
use hub_domain::JobType;
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::*;

async fn accepted_once_queued_once_and_fanned_out(backend: Backend) {
    let env = Env::new(backend).await;
    let api = env.spawn(Mode::Api).await;
    let id = new_id();
    let body = product_event(&id, "WHS-0001", "10.00", 300, "2026-11-27T09:59:58Z");

    let first = api.post("/api/sync/product", Some(SOURCE_KEY), &body).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "queued");
    assert_eq!(first["event_id"], id.as_str());

    let again = api.post("/api/sync/product", Some(SOURCE_KEY), &body).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap()["status"], "duplicate");

    assert_eq!(api.count("SELECT COUNT(*) FROM inbox_events").await, 1, "stored once");
    // Marking it queued happens in the background (it only spares the sweeper work).
    eventually(5, "marked queued", || async { api.status_of(&id).await == Some(EventStatus::Queued) }).await;
    assert_eq!(api.depth(JobType::FanOutProduct).await, 1, "queued once");

    // A worker fans it out: one SyncProductToStore per active client (retail-1, retail-2; retail-signed is inactive).
    // Only fan-out workers here: the sync to stores has its own tests.
    let worker = env.spawn_with(Mode::Worker, |s| s.worker.jobs = vec!["fan_out_product".into()]).await;
    eventually(20, "event processed", || async { api.status_of(&id).await == Some(EventStatus::Processed) }).await;
    assert_eq!(api.depth(JobType::SyncProductToStore).await, 2);
    assert_eq!(api.depth(JobType::FanOutProduct).await, 0);
    assert_eq!(api.count("SELECT COUNT(*) FROM product_states WHERE sku = 'WHS-0001'").await, 1);
    worker.stop().await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_event_is_stored_once_queued_once_and_fanned_out_on_sqlite() {
    accepted_once_queued_once_and_fanned_out(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_event_is_stored_once_queued_once_and_fanned_out_on_mariadb_and_redis() {
    accepted_once_queued_once_and_fanned_out(Backend::MariaDbRedis).await;
}

async fn an_order_event_from_a_client_is_stored_and_queued(backend: Backend) {
    let env = Env::new(backend).await;
    let api = env.spawn(Mode::Api).await;
    let id = new_id();
    let r = api.post("/api/sync/order", Some(CLIENT_KEY), &order_event(&id).to_string()).await;
    assert_eq!(r.status(), 202);
    eventually(5, "marked queued", || async { api.status_of(&id).await == Some(EventStatus::Queued) }).await;
    assert_eq!(api.depth(JobType::ReplicateOrder).await, 1);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_event_is_stored_and_queued_on_both_backends() {
    an_order_event_from_a_client_is_stored_and_queued(Backend::Sqlite).await;
    an_order_event_from_a_client_is_stored_and_queued(Backend::MariaDbRedis).await;
}

async fn assert_error(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status(), status);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    body
}

fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_roles_and_signatures_are_enforced() {
    let env = Env::new(Backend::Sqlite).await;
    let api = env.spawn(Mode::Api).await;
    let product = product_event(&new_id(), "WHS-0001", "10.00", 1, "2026-11-27T09:59:58Z");

    assert_error(api.post("/api/sync/product", None, &product).await, 401, "unauthorized").await;
    assert_error(api.post("/api/sync/product", Some("not-a-key-0123456789"), &product).await, 401, "unauthorized")
        .await;
    assert_error(
        api.post("/api/sync/product", Some(&SOURCE_KEY[..SOURCE_KEY.len() - 1]), &product).await,
        401,
        "unauthorized",
    )
    .await;
    // A retailer must never change the catalog for every other retailer.
    assert_error(api.post("/api/sync/product", Some(CLIENT_KEY), &product).await, 403, "forbidden").await;
    // The source does not post orders.
    let order = order_event(&new_id()).to_string();
    assert_error(api.post("/api/sync/order", Some(SOURCE_KEY), &order).await, 403, "forbidden").await;

    // A store with a signing secret: no signature, a wrong one, a stale one → 401; a good one → 202.
    let now = chrono::Utc::now().timestamp();
    let send = |sig: Option<String>| {
        let mut req = api
            .http
            .post(format!("{}/api/sync/order", api.base))
            .header("Content-Type", "application/json")
            .header("X-API-KEY", SIGNED_CLIENT_KEY);
        if let Some(s) = sig {
            req = req.header("X-Hub-Signature", s);
        }
        req.body(order.clone()).send()
    };
    assert_error(send(None).await.unwrap(), 401, "unauthorized").await;
    assert_error(send(Some(sign("wrong-secret-0123456789", now, &order))).await.unwrap(), 401, "unauthorized").await;
    assert_error(send(Some(sign(SIGNING_SECRET, now, &format!("{order} ")))).await.unwrap(), 401, "unauthorized").await;
    let stale =
        assert_error(send(Some(sign(SIGNING_SECRET, now - 360, &order))).await.unwrap(), 401, "unauthorized").await;
    assert!(stale["error"]["message"].as_str().unwrap().contains("stale"));
    assert_error(send(Some(sign(SIGNING_SECRET, now + 360, &order))).await.unwrap(), 401, "unauthorized").await;
    assert_eq!(api.count("SELECT COUNT(*) FROM inbox_events").await, 0, "nothing refused was stored");
    assert_eq!(send(Some(sign(SIGNING_SECRET, now - 30, &order))).await.unwrap().status(), 202);

    // No error or log line carries a key.
    let body = api.post("/api/sync/product", Some(CLIENT_KEY), &product).await.text().await.unwrap();
    assert!(!body.contains(CLIENT_KEY) && !body.contains(SOURCE_KEY));
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_payloads_get_field_level_errors_and_store_nothing() {
    let env = Env::new(Backend::Sqlite).await;
    let api = env.spawn(Mode::Api).await;
    let mut product: Value =
        serde_json::from_str(&product_event(&new_id(), "WHS-0001", "10.00", 1, "2026-11-27T09:59:58Z")).unwrap();

    let mut no_reference = product.clone();
    no_reference["product"].as_object_mut().unwrap().remove("reference");
    let e = assert_error(
        api.post("/api/sync/product", Some(SOURCE_KEY), &no_reference.to_string()).await,
        422,
        "invalid_payload",
    )
    .await;
    assert!(e["error"]["message"].as_str().unwrap().contains("reference"), "{e}");

    let mut empty_reference = product.clone();
    empty_reference["product"]["reference"] = "  ".into();
    let e = assert_error(
        api.post("/api/sync/product", Some(SOURCE_KEY), &empty_reference.to_string()).await,
        422,
        "invalid_payload",
    )
    .await;
    assert!(e["error"]["fields"]["product.reference"].is_array(), "{e}");

    product["product"]["price"] = "abc".into();
    let e = assert_error(
        api.post("/api/sync/product", Some(SOURCE_KEY), &product.to_string()).await,
        422,
        "invalid_payload",
    )
    .await;
    assert!(e["error"]["fields"]["product.price"][0].as_str().unwrap().contains("abc"), "{e}");

    let mut order = order_event(&new_id());
    order["order"]["lines"][0]["quantity"] = (-2).into();
    let e =
        assert_error(api.post("/api/sync/order", Some(CLIENT_KEY), &order.to_string()).await, 422, "invalid_payload")
            .await;
    assert!(e["error"]["fields"]["order.lines[0].quantity"].is_array(), "{e}");

    let mut no_city = order_event(&new_id());
    no_city["order"]["delivery_address"]["city"] = "".into();
    let e =
        assert_error(api.post("/api/sync/order", Some(CLIENT_KEY), &no_city.to_string()).await, 422, "invalid_payload")
            .await;
    assert!(e["error"]["fields"]["order.delivery_address.city"].is_array(), "{e}");

    let mut wrong_type = order_event(&new_id());
    wrong_type["order"]["lines"][0]["quantity"] = "two".into();
    let e = assert_error(
        api.post("/api/sync/order", Some(CLIENT_KEY), &wrong_type.to_string()).await,
        422,
        "invalid_payload",
    )
    .await;
    assert!(e["error"]["fields"]["order.lines[0].quantity"].is_array(), "{e}");

    let huge = format!(r#"{{"event_id":"{}","pad":"{}"}}"#, new_id(), "x".repeat(2 * 1024 * 1024));
    assert_error(api.post("/api/sync/product", Some(SOURCE_KEY), &huge).await, 413, "payload_too_large").await;

    let text = api
        .http
        .post(format!("{}/api/sync/product", api.base))
        .header("Content-Type", "text/plain")
        .header("X-API-KEY", SOURCE_KEY)
        .body(product_event(&new_id(), "WHS-0001", "10.00", 1, "2026-11-27T09:59:58Z"))
        .send()
        .await
        .unwrap();
    assert_error(text, 415, "unsupported_media_type").await;

    for garbage in ["", "{", "null", "[]", "42", "\"x\"", "{\"event_id\":1}", "{\"product\":{}}", "\u{0}\u{1}"] {
        let r = api.post("/api/sync/product", Some(SOURCE_KEY), garbage).await;
        assert_error(r, 422, "invalid_payload").await;
    }
    assert_eq!(api.count("SELECT COUNT(*) FROM inbox_events").await, 0, "nothing invalid was stored");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_input_makes_the_api_answer_500() {
    let env = Env::new(Backend::Sqlite).await;
    let api = env.spawn(Mode::Api).await;
    let base: Value =
        serde_json::from_str(&product_event(&new_id(), "WHS-0001", "10.00", 1, "2026-11-27T09:59:58Z")).unwrap();
    // Replace each leaf with values of every other JSON type: never a 5xx.
    let replacements = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(""),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!("9".repeat(400)),
    ];
    let paths: Vec<Vec<&str>> = vec![
        vec!["event_id"],
        vec!["occurred_at"],
        vec!["sequence"],
        vec!["product", "id"],
        vec!["product", "reference"],
        vec!["product", "name"],
        vec!["product", "price"],
        vec!["product", "quantity"],
        vec!["product", "active"],
        vec!["product", "updated_at"],
        vec!["product", "combinations"],
    ];
    for path in &paths {
        for r in &replacements {
            let mut v = base.clone();
            let mut cur = &mut v;
            for p in &path[..path.len() - 1] {
                cur = &mut cur[*p];
            }
            cur[path[path.len() - 1]] = r.clone();
            if let Some(id) = v.get_mut("event_id").filter(|i| i.is_string() && path[0] != "event_id") {
                *id = new_id().into();
            }
            let resp = api.post("/api/sync/product", Some(SOURCE_KEY), &v.to_string()).await;
            assert!(resp.status().as_u16() < 500, "{path:?} = {r} answered {}", resp.status());
        }
    }
    for path in ["/", "/api", "/api/sync", "/api/sync/product/x", "/nope"] {
        let r = api.http.get(format!("{}{path}", api.base)).send().await.unwrap();
        assert!(r.status().as_u16() < 500, "GET {path}");
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_state_never_overwrites_a_newer_one() {
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env.spawn(Mode::All).await;
    let newer = new_id();
    let older = new_id();
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&newer, "WHS-ORD", "12.00", 5, "2026-11-27T10:00:05Z"),
    )
    .await;
    eventually(20, "newer processed", || async { app.status_of(&newer).await == Some(EventStatus::Processed) }).await;
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&older, "WHS-ORD", "11.00", 9, "2026-11-27T10:00:01Z"),
    )
    .await;
    eventually(20, "older processed", || async { app.status_of(&older).await == Some(EventStatus::Processed) }).await;
    let kept =
        app.count(&format!("SELECT COUNT(*) FROM product_states WHERE sku = 'WHS-ORD' AND event_id = '{newer}'")).await;
    assert_eq!(kept, 1, "the newer state is kept");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_far_ahead_of_the_hubs_clock_is_refused_and_cannot_freeze_a_product() {
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn(Mode::All).await;
    let frozen = product_event(&new_id(), "WHS-FUTURE", "99.00", 1, "9999-12-31T23:59:59Z");
    let e = assert_error(app.post("/api/sync/product", Some(SOURCE_KEY), &frozen).await, 422, "invalid_payload").await;
    assert!(e["error"]["fields"]["product.updated_at"].is_array(), "{e}");
    let mut early: Value =
        serde_json::from_str(&product_event(&new_id(), "WHS-FUTURE", "99.00", 1, "2026-11-27T10:00:00Z")).unwrap();
    early["occurred_at"] = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339().into();
    let e =
        assert_error(app.post("/api/sync/product", Some(SOURCE_KEY), &early.to_string()).await, 422, "invalid_payload")
            .await;
    assert!(e["error"]["fields"]["occurred_at"].is_array(), "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbox_events").await, 0, "nothing from the future was stored");
    // A real change of the SKU still goes through.
    let real = new_id();
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&real, "WHS-FUTURE", "12.00", 5, "2026-11-27T10:00:05Z"),
    )
    .await;
    eventually(20, "real change processed", || async { app.status_of(&real).await == Some(EventStatus::Processed) })
        .await;
    let kept = app
        .count(&format!("SELECT COUNT(*) FROM product_states WHERE sku = 'WHS-FUTURE' AND event_id = '{real}'"))
        .await;
    assert_eq!(kept, 1, "the real change is the known state");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer() {
    let env = Env::new(Backend::MariaDbRedis).await;
    let api = env.spawn(Mode::Api).await;
    let h = api.http.get(format!("{}/health", api.base)).send().await.unwrap();
    assert_eq!(h.status(), 200);
    let r: Value = api.http.get(format!("{}/ready", api.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["checks"]["database"], "ok");
    assert_eq!(r["checks"]["queue"], "ok");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_gets_a_json_405_that_keeps_the_allow_header() {
    let env = Env::new(Backend::Sqlite).await;
    let api = env.spawn(Mode::Api).await;
    let cases = [
        (reqwest::Method::GET, "/api/sync/product", "POST"),
        (reqwest::Method::PUT, "/api/sync/order", "POST"),
        (reqwest::Method::DELETE, "/api/sync/product", "POST"),
        (reqwest::Method::POST, "/health", "GET"),
        (reqwest::Method::DELETE, "/health", "GET"),
    ];
    for (method, path, allowed) in cases {
        let r = api.http.request(method.clone(), format!("{}{path}", api.base)).send().await.unwrap();
        let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(allow.as_deref(), Some(allowed), "{method} {path} keeps its Allow header");
        let e = assert_error(r, 405, "method_not_allowed").await;
        assert!(e["error"]["message"].as_str().unwrap().contains(allowed), "{method} {path}: {e}");
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_over_the_limits_get_a_json_431() {
    let env = Env::new(Backend::Sqlite).await;
    let api = env.spawn(Mode::Api).await;
    let health = |headers: Vec<(String, String)>| {
        let mut req = api.http.get(format!("{}/health", api.base));
        for (name, value) in headers {
            req = req.header(name, value);
        }
        req.send()
    };
    // One header of 100 KB; one of 9 KiB; three of 6 KiB each (each under the per-header limit, 18 KiB together).
    let too_big = [
        vec![("X-Padding".to_owned(), "a".repeat(100 * 1000))],
        vec![("X-Padding".to_owned(), "a".repeat(9 * 1024))],
        (0..3).map(|i| (format!("X-Padding-{i}"), "a".repeat(6 * 1024))).collect(),
    ];
    for headers in too_big {
        let sizes: Vec<usize> = headers.iter().map(|(_, v)| v.len()).collect();
        let e = assert_error(health(headers).await.unwrap(), 431, "request_header_fields_too_large").await;
        assert!(!e["error"]["message"].as_str().unwrap().contains("aaaa"), "{sizes:?}: the header is not echoed");
    }
    // Under both limits: answered as usual.
    let fine = vec![("X-Padding".to_owned(), "a".repeat(4 * 1024)), ("X-Other".to_owned(), "b".repeat(4 * 1024))];
    assert_eq!(health(fine).await.unwrap().status(), 200);
    let product = product_event(&new_id(), "WHS-0001", "10.00", 1, "2026-11-27T09:59:58Z");
    let r = api
        .http
        .post(format!("{}/api/sync/product", api.base))
        .header("Content-Type", "application/json")
        .header("X-API-KEY", SOURCE_KEY)
        .header("X-Padding", "a".repeat(20 * 1024))
        .body(product)
        .send()
        .await
        .unwrap();
    assert_error(r, 431, "request_header_fields_too_large").await;
    assert_eq!(api.count("SELECT COUNT(*) FROM inbox_events").await, 0, "nothing was stored");
    api.stop().await;
}
