//! Nothing accepted is lost: a Redis outage, a worker killed with SIGKILL.

use std::{process::Command, time::Duration};

use futures::StreamExt;
use hub_app::Mode;
use hub_domain::EventStatus;

use crate::{
    helpers::*,
    instances::{PrivateRedis, free_port},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_the_api_answers_503_and_the_sweeper_queues_the_stored_event_once_it_is_back() {
    let mut redis = PrivateRedis::start().await;
    let env = Env::with(Backend::MariaDbRedis, "", &redis.url()).await;
    let app = env.spawn(Mode::All).await;

    let before = new_id();
    let r = app
        .post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&before, "WHS-R1", "10.00", 1, "2026-11-27T09:59:58Z"),
        )
        .await;
    assert_eq!(r.status(), 202);
    eventually(20, "first event processed", || async { app.status_of(&before).await == Some(EventStatus::Processed) })
        .await;

    redis.kill();
    let during = new_id();
    let r = app
        .post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&during, "WHS-R2", "10.00", 1, "2026-11-27T09:59:58Z"),
        )
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some(), "503 carries Retry-After");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(app.status_of(&during).await, Some(EventStatus::Received), "stored though not queued");
    let ready = app.http.get(format!("{}/ready", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    // The sender retries later: the hub answers duplicate, and the event is safe.
    let again = app
        .post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&during, "WHS-R2", "10.00", 1, "2026-11-27T09:59:58Z"),
        )
        .await;
    assert_eq!(again.status(), 202);

    redis.start_again().await;
    eventually(60, "event stored during the outage processed", || async {
        app.status_of(&during).await == Some(EventStatus::Processed)
    })
    .await;
    app.stop().await;
}

async fn a_killed_worker_loses_nothing(backend: Backend) {
    let env = Env::new(backend).await;
    let api = env.spawn(Mode::Api).await;
    const N: usize = 1500;
    let ids: Vec<String> = (0..N).map(|_| new_id()).collect();
    let posted = futures::stream::iter(ids.iter().enumerate())
        .map(|(i, id)| {
            let body = product_event(id, &format!("KILL-{i}"), "10.00", i as i64, "2026-11-27T09:59:58Z");
            let api = &api;
            async move { api.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status().as_u16() }
        })
        .buffer_unordered(16)
        .collect::<Vec<u16>>()
        .await;
    assert!(posted.iter().all(|s| *s == 202), "{:?}", posted.iter().filter(|s| **s != 202).collect::<Vec<_>>());

    let processed = || api.count("SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'");
    let mut worker = env.process("hub-worker", "kill-test-worker");
    eventually(60, "the worker started on the batch", || async { processed().await >= 20 }).await;
    worker.kill().expect("SIGKILL");
    worker.wait().unwrap();
    let at_kill = processed().await;
    assert!((at_kill as usize) < N, "the worker was killed mid-batch ({at_kill}/{N} done)");

    let mut restarted = env.process("hub-worker", "kill-test-worker");
    eventually(120, "every accepted event processed after the restart", || async { processed().await as usize == N })
        .await;
    assert_eq!(api.count("SELECT COUNT(*) FROM product_states WHERE sku LIKE 'KILL-%'").await as usize, N);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_nothing_on_mariadb_and_redis() {
    a_killed_worker_loses_nothing(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_nothing_on_sqlite() {
    a_killed_worker_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_hub_gracefully() {
    let env = Env::new(Backend::Sqlite).await;
    let port = free_port();
    let toml = env.toml.replace("listen = \"127.0.0.1:0\"", &format!("listen = \"127.0.0.1:{port}\""));
    let config = env.dir.join("sigterm.toml");
    std::fs::write(&config, toml).unwrap();
    let mut hub = Command::new(binary("hub")).env("HUB_CONFIG", &config).env("RUST_LOG", "warn").spawn().unwrap();
    let http = reqwest::Client::new();
    eventually(20, "hub up", || async { http.get(format!("http://127.0.0.1:{port}/health")).send().await.is_ok() })
        .await;
    let status = Command::new("kill").args(["-TERM", &hub.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = hub.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "the hub did not stop within 15 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "clean exit, got {exit:?}");
}
