//! Open-loop latency of the ingest path: product webhooks sent at a fixed rate to a running hub-api
//! (`HUB_BENCH_URL`, `HUB_BENCH_RATE` per second, `HUB_BENCH_SECS`), reporting p50/p90/p99/max of the
//! time to the 202. Run by `make bench` (bench/run.sh), which starts the hub on MariaDB + Redis.

use std::time::{Duration, Instant};

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = std::env::var("HUB_BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:18181".into());
    let key = std::env::var("HUB_BENCH_KEY").unwrap_or_else(|_| "bench-source-key-0123456789".into());
    let rate: u64 = std::env::var("HUB_BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let secs: u64 = std::env::var("HUB_BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    rt.block_on(async move {
        let client = reqwest::Client::builder().pool_max_idle_per_host(512).tcp_nodelay(true).build().expect("client");
        let run = std::process::id();
        let total = rate * secs;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Duration, u16)>();
        let start = Instant::now();
        for i in 0..total {
            // Open loop: request i leaves at i/rate whatever happened to the others.
            let at = start + Duration::from_nanos(i * 1_000_000_000 / rate);
            tokio::time::sleep_until(at.into()).await;
            let (client, tx, url, key) = (client.clone(), tx.clone(), url.clone(), key.clone());
            tokio::spawn(async move {
                let body = format!(
                    r#"{{"event_id":"lat-{run}-{i}","occurred_at":"2026-11-27T10:00:00.{:06}Z","product":{{"id":{},"reference":"LAT-{}","name":"Bench","price":"10.00","quantity":{},"active":true,"updated_at":"2026-11-27T09:59:58Z"}}}}"#,
                    i % 1_000_000,
                    i % 500 + 1,
                    i % 500,
                    i % 300
                );
                let sent = Instant::now();
                let status = client
                    .post(format!("{url}/api/sync/product"))
                    .header("Content-Type", "application/json")
                    .header("X-API-KEY", key)
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                let _ = tx.send((sent.elapsed(), status));
            });
        }
        drop(tx);
        let mut lat = Vec::with_capacity(total as usize);
        let mut bad = 0;
        while let Some((d, s)) = rx.recv().await {
            if s != 202 {
                bad += 1;
            }
            lat.push(d);
        }
        lat.sort();
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
        println!(
            "rate {rate}/s for {secs} s: {} requests, {bad} not 202; latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
            lat.len(),
            pct(0.50),
            pct(0.90),
            pct(0.99),
            lat.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default()
        );
    });
}
