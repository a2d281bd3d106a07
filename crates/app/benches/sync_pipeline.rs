//! Ingest → applied on the clients, against simulated shops: events per second, Webservice calls per
//! applied change, store calls per second, and the time from webhook to client updated (p50/p99), at 0 ms
//! and 50 ms of shop latency. MariaDB + Redis (TEST_MYSQL_URL, TEST_REDIS_URL). Run by `make bench`.

use std::time::{Duration, Instant};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use futures::StreamExt;
use hub_app::{Application, Mode, Settings, settings::WebserviceSettings};
use hub_domain::Secret;
use prestashop_sim::{SimConfig, Simulator};

const SOURCE_KEY: &str = "bench-source-key-0123456789";

fn settings(db: &str, run: &str, clients: &[&Simulator]) -> Settings {
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let heartbeat = std::env::var("HUB_BENCH_HEARTBEAT_SECS").unwrap_or_else(|_| "1".into());
    let mut toml = format!(
        r#"
[server]
listen = "127.0.0.1:0"
[database]
url = "{db}"
[queue]
backend = "redis"
url = "{redis}"
poll_interval_ms = 10
heartbeat_secs = {heartbeat}
[queue.names]
fan_out_product = "{run}:fan-out"
replicate_order = "{run}:replicate"
sync_product_to_store = "{run}:sync"
[worker]
concurrency = 64
[log]
level = "warn"
[[stores]]
code = "wholesaler"
role = "source"
api_key = "{SOURCE_KEY}"
"#
    );
    for i in 0..clients.len() {
        toml.push_str(&format!(
            "[[stores]]\ncode = \"retail-{i}\"\nrole = \"client\"\napi_key = \"bench-client-{i}-key-0123456789\"\nmarkup_percent = \"30\"\n"
        ));
    }
    let mut s = Settings::from_figment(Figment::new().merge(Toml::string(&toml))).expect("settings");
    for (store, sim) in s.stores.iter_mut().skip(1).zip(clients) {
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.concurrency = 32;
        store.limits.rate_per_sec = 0.0;
    }
    s
}

fn event(id: &str, sku: &str, quantity: i64, micros: u64) -> String {
    format!(
        r#"{{"event_id":"{id}","occurred_at":"2026-11-27T10:00:00.{micros:06}Z","product":{{"id":1,"reference":"{sku}","name":"Bench","price":"10.00","quantity":{quantity},"active":true,"updated_at":"2026-11-27T10:00:00Z"}}}}"#
    )
}

async fn run(latency_ms: u64) {
    let base = std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let run = format!("bench{}x{latency_ms}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{base}/mysql")).await.expect("MariaDB");
    use sea_orm::ConnectionTrait;
    admin.execute_unprepared(&format!("CREATE DATABASE `{run}`")).await.expect("create database");
    const SKUS: usize = 200;
    const CLIENTS: usize = 2;
    let mut sims = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..CLIENTS {
        let sim = Simulator::start(SimConfig::default()).await.expect("sim");
        ids.push((0..SKUS).map(|k| sim.seed_product(&format!("B-{k}"), "Bench", "9.00", 0)).collect::<Vec<u64>>());
        sim.set_latency(Duration::from_millis(latency_ms));
        sims.push(sim);
    }
    let refs: Vec<&Simulator> = sims.iter().collect();
    let app =
        Application::build(settings(&format!("{base}/{run}"), &run, &refs), Mode::All).await.expect("hub").spawn();
    let url = format!("http://127.0.0.1:{}/api/sync/product", app.port.expect("port"));
    let http = reqwest::Client::new();
    let post = |body: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http
                .post(url)
                .header("Content-Type", "application/json")
                .header("X-API-KEY", SOURCE_KEY)
                .body(body)
                .send()
                .await;
            assert_eq!(r.map(|r| r.status().as_u16()).unwrap_or(0), 202);
        }
    };
    for s in &sims {
        s.clear_requests();
    }

    // Throughput: 10 events per SKU, at full speed; done when every client shows every SKU's last quantity.
    const ROUNDS: usize = 10;
    let total = SKUS * ROUNDS;
    let started = Instant::now();
    futures::stream::iter((0..total).map(|i| {
        let (round, sku) = (i / SKUS, i % SKUS);
        post(event(&format!("{run}-t-{i}"), &format!("B-{sku}"), (round + 1) as i64, i as u64))
    }))
    .buffer_unordered(32)
    .collect::<Vec<()>>()
    .await;
    let ingested = started.elapsed();
    loop {
        let done = sims
            .iter()
            .zip(&ids)
            .all(|(sim, ids)| ids.iter().all(|id| sim.product_state(*id).is_some_and(|s| s.2 == ROUNDS as i64)));
        if done {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "throughput phase did not converge");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let applied = started.elapsed();
    let calls: usize = sims.iter().map(|s| s.requests().len()).sum();
    let writes: usize = sims.iter().map(|s| s.requests().iter().filter(|r| r.method != "GET").count()).sum();
    println!(
        "latency {latency_ms:>2} ms | {total} events for {SKUS} SKUs x {CLIENTS} clients: ingested in {:.2} s, all applied in {:.2} s \
         = {:.0} events/s end to end | {calls} Webservice calls ({writes} writes) = {:.2} calls per event per client, {:.0} store calls/s",
        ingested.as_secs_f64(),
        applied.as_secs_f64(),
        total as f64 / applied.as_secs_f64(),
        calls as f64 / (total * CLIENTS) as f64,
        calls as f64 / applied.as_secs_f64()
    );

    // Latency: one change at a time, time from the webhook to every client showing it.
    let mut lat = Vec::new();
    for i in 0..100usize {
        let sku = i % SKUS;
        let quantity = 1_000 + i as i64;
        let sent = Instant::now();
        post(event(&format!("{run}-l-{i}"), &format!("B-{sku}"), quantity, 500_000 + i as u64)).await;
        loop {
            if sims.iter().zip(&ids).all(|(sim, ids)| sim.product_state(ids[sku]).is_some_and(|s| s.2 == quantity)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lat.push(sent.elapsed());
    }
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "latency {latency_ms:>2} ms | webhook → every client updated, 100 changes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(lat[49]),
        ms(lat[98]),
        ms(lat[99])
    );
    app.stop().await;
    let _ = admin.execute_unprepared(&format!("DROP DATABASE `{run}`")).await;
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        for latency in [0, 50] {
            run(latency).await;
        }
    });
}
