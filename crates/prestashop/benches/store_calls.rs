//! Store calls per second through the workers' Webservice client (`WebserviceGateway::set_stock`: keep-alive,
//! one pooled connection per slot, the concurrency cap, the breaker) against a local stub shop that answers
//! every PATCH at once. The stub is a bare HTTP/1.1 keep-alive responder on its own thread, so the figure is
//! the hub's side of the call.
//!
//! `cargo bench -p hub-prestashop --bench store_calls` (`HUB_BENCH_CALLS`, `HUB_BENCH_CONCURRENCY`).

#![allow(clippy::unwrap_used)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use hub_domain::{
    Secret, StoreCode,
    catalog::{RemoteStockRow, StoreGateway},
};
use hub_prestashop::{StoreLimits, WebserviceGateway, WebserviceTarget};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

const BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><prestashop><stock_available/></prestashop>\n";

fn answer() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nPSWS-Version: 8.2.1\r\nContent-Type: text/xml;charset=utf-8\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
}

/// A shop that answers 200 to anything, keeping connections alive.
fn stub() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = TcpListener::from_std(listener).unwrap();
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                socket.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut read = BufReader::new(read);
                    loop {
                        let mut length = 0_usize;
                        loop {
                            let mut line = String::new();
                            if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; length];
                        if read.read_exact(&mut body).await.is_err()
                            || write.write_all(answer().as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
    });
    addr
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let calls = env("HUB_BENCH_CALLS", 100_000);
    let concurrency = env("HUB_BENCH_CONCURRENCY", 64);
    let addr = stub();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let store = StoreCode::parse("retail-1").unwrap();
        let limits = StoreLimits { concurrency, rate_per_sec: 0.0, ..StoreLimits::default() };
        let gateway = Arc::new(
            WebserviceGateway::new(vec![WebserviceTarget {
                store: store.clone(),
                url: format!("http://{addr}"),
                key: Secret::new("BENCHKEYBENCHKEYBENCHKEYBENCHKEY"),
                limits,
                language_id: 1,
            }])
            .unwrap(),
        );
        let row = RemoteStockRow { id: 1, combination_id: 0, quantity: 0 };
        // Warm-up: connections opened, PATCH support learnt.
        for _ in 0..concurrency {
            gateway.set_stock(&store, 1, &row, 1).await.unwrap();
        }
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(calls);
        let mut tasks = tokio::task::JoinSet::new();
        let per_task = calls / concurrency;
        for _ in 0..concurrency {
            let (gateway, store, row) = (gateway.clone(), store.clone(), row.clone());
            tasks.spawn(async move {
                let mut l = Vec::with_capacity(per_task);
                for i in 0..per_task {
                    let t = Instant::now();
                    gateway.set_stock(&store, 1, &row, i as i64).await.unwrap();
                    l.push(t.elapsed());
                }
                l
            });
        }
        while let Some(l) = tasks.join_next().await {
            latencies.extend(l.unwrap());
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let q = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        let done = latencies.len();
        println!(
            "store calls: {done} PATCH stock_availables in {:.2} s = {:.0} calls/s (concurrency {concurrency}); \
             latency p50 {:?} p99 {:?} max {:?}",
            elapsed.as_secs_f64(),
            done as f64 / elapsed.as_secs_f64(),
            q(0.5),
            q(0.99),
            latencies.last().copied().unwrap_or(Duration::ZERO),
        );
    });
}
