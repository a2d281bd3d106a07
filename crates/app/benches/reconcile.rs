//! A full reconciliation of a 10,000-product catalog (every 20th product with 3 combinations) against two
//! client shops holding the same catalog, 1 % of each client's stock and 0.4 % of its prices changed behind
//! the hub's back: wall time, products per second, Webservice calls, syncs queued, and the time until the
//! workers have repaired every drifted product. MariaDB + Redis (TEST_MYSQL_URL, TEST_REDIS_URL); the
//! catalog size from HUB_BENCH_PRODUCTS. Run by `make bench`.

use std::time::{Duration, Instant};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use hub_app::{
    Application, Mode, Settings,
    reconcile::{NoProgress, ReconcileRequest, Reconciler},
    settings::WebserviceSettings,
};
use hub_domain::Secret;
use prestashop_sim::{SimConfig, Simulator};

const CLIENTS: usize = 2;
const COMBINATIONS_EVERY: usize = 20;
const STOCK_DRIFT_EVERY: usize = 100;
const PRICE_DRIFT_EVERY: usize = 250;

fn settings(db: &str, run: &str, source: &Simulator, clients: &[Simulator]) -> Settings {
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut toml = format!(
        r#"
[database]
url = "{db}"
[queue]
backend = "redis"
url = "{redis}"
poll_interval_ms = 10
heartbeat_secs = 1
push_timeout_ms = 10000
[queue.names]
fan_out_product = "{run}:fan-out"
replicate_order = "{run}:replicate"
sync_product_to_store = "{run}:sync"
[worker]
concurrency = 32
[log]
level = "warn"
[reconcile]
page_size = 100
[[stores]]
code = "wholesaler"
role = "source"
api_key = "bench-source-key-0123456789"
"#
    );
    for i in 0..clients.len() {
        toml.push_str(&format!(
            "[[stores]]\ncode = \"retail-{i}\"\nrole = \"client\"\napi_key = \"bench-client-{i}-key-0123456789\"\nmarkup_percent = \"30\"\n"
        ));
    }
    let mut s = Settings::from_figment(Figment::new().merge(Toml::string(&toml))).expect("settings");
    let sims = std::iter::once(source).chain(clients.iter());
    for (store, sim) in s.stores.iter_mut().zip(sims) {
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.concurrency = 8;
        store.limits.rate_per_sec = 0.0;
    }
    s
}

/// Seeds `n` products (prices from the index), every 20th with three combinations S/M/L; returns the
/// product ids.
fn seed(sim: &Simulator, n: usize, price: impl Fn(usize) -> String, stock: i64) -> Vec<u64> {
    (0..n)
        .map(|k| {
            let id = sim.seed_product(&format!("R-{k:05}"), "Bench", &price(k), stock);
            if k % COMBINATIONS_EVERY == 0 {
                for size in ["S", "M", "L"] {
                    let body = format!(
                        "<prestashop><combination><id_product>{id}</id_product><minimal_quantity>1</minimal_quantity>\
                         <reference>R-{k:05}-{size}</reference></combination></prestashop>"
                    );
                    let (status, answer) = sim.admin_call("POST", "combinations?output_format=JSON", Some(&body));
                    assert_eq!(status, 201, "{answer}");
                    let v: serde_json::Value = serde_json::from_str(&answer).expect("json");
                    let cid = v["combination"]["id"]
                        .as_u64()
                        .or_else(|| v["combination"]["id"].as_str().and_then(|s| s.parse().ok()))
                        .expect("combination id");
                    sim.seed_stock(id, cid, stock);
                }
            }
            id
        })
        .collect()
}

fn calls(sims: &[&Simulator]) -> (usize, usize) {
    let all: Vec<_> = sims.iter().flat_map(|s| s.requests()).collect();
    let writes = all.iter().filter(|r| r.method != "GET").count();
    (all.len() - writes, writes)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = std::env::var("HUB_BENCH_PRODUCTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let base = std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let run = format!("benchrec{}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{base}/mysql")).await.expect("MariaDB");
    use sea_orm::ConnectionTrait;
    admin.execute_unprepared(&format!("CREATE DATABASE `{run}`")).await.expect("create database");

    let seeding = Instant::now();
    let source = Simulator::start(SimConfig::default()).await.expect("sim");
    seed(&source, n, |k| format!("{}.{:02}", 5 + k % 50, k % 100), 100);
    let mut clients = Vec::new();
    let mut client_ids = Vec::new();
    for _ in 0..CLIENTS {
        let sim = Simulator::start(SimConfig::default()).await.expect("sim");
        client_ids.push(seed(&sim, n, |_| "1.00".into(), 0));
        clients.push(sim);
    }
    println!("seeded 3 shops of {n} products in {:.1} s", seeding.elapsed().as_secs_f64());

    let settings = settings(&format!("{base}/{run}"), &run, &source, &clients);
    let app = Application::build(settings.clone(), Mode::Worker).await.expect("workers").spawn();
    let reconciler = Reconciler::connect(&settings).await.expect("reconciler");
    let sims: Vec<&Simulator> = std::iter::once(&source).chain(clients.iter()).collect();
    let queue = hub_queue::ApalisJobQueue::connect(settings.queue.clone()).await.expect("queue");
    let drained = || async {
        loop {
            if queue.depth(hub_domain::JobType::SyncProductToStore).await.unwrap_or(1) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    // First run: the hub knows nothing; it learns the catalog, and its syncs link and set every product.
    let started = Instant::now();
    let first = reconciler.run_once(&ReconcileRequest::default(), &NoProgress).await.expect("first run");
    let first_secs = started.elapsed().as_secs_f64();
    drained().await;
    // Depth 0 means taken, not finished: let the last cold syncs land before drifting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "cold run: {first_secs:.1} s ({} states learnt, {} syncs queued); clients set up after {:.1} s",
        first.states_updated,
        first.syncs_queued,
        started.elapsed().as_secs_f64()
    );

    // Drift behind the hub's back.
    let mut drifted: Vec<(usize, u64)> = Vec::new();
    for (c, (sim, ids)) in clients.iter().zip(&client_ids).enumerate() {
        for (k, id) in ids.iter().enumerate() {
            if k % STOCK_DRIFT_EVERY == 7 {
                sim.seed_stock(*id, 0, 1);
                drifted.push((c, *id));
            } else if k % PRICE_DRIFT_EVERY == 3 {
                let body = format!("<prestashop><product><id>{id}</id><price>0.50</price></product></prestashop>");
                assert_eq!(sim.admin_call("PATCH", &format!("products/{id}"), Some(&body)).0, 200);
                drifted.push((c, *id));
            }
        }
    }
    for s in &sims {
        s.clear_requests();
    }

    // The measured run: a full reconciliation of a catalog the hub knows, with drift on both clients.
    let started = Instant::now();
    let report = reconciler.run_once(&ReconcileRequest::default(), &NoProgress).await.expect("run");
    let secs = started.elapsed().as_secs_f64();
    let (reads, _) = calls(&sims);
    assert_eq!(report.drifted, drifted.len() as u64, "{report:?}");
    // Repaired: every drifted product shows the source's stock (100) and not the price set behind the back.
    loop {
        let left = drifted
            .iter()
            .filter(|(c, id)| !clients[*c].product_state(*id).is_some_and(|p| p.2 == 100 && p.0 != "0.500000"))
            .count();
        if left == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "{left} products not repaired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let repaired = started.elapsed().as_secs_f64();
    let (_, writes) = calls(&sims);
    println!(
        "full reconcile of {n} products x {CLIENTS} clients: {secs:.2} s, {:.0} source products/s, {:.0} products compared/s, \
         {reads} Webservice reads, {} drifted, {} syncs queued; repaired ({writes} writes) after {repaired:.2} s",
        n as f64 / secs,
        (report.source_products + report.client_products) as f64 / secs,
        report.drifted,
        report.syncs_queued,
    );
    app.stop().await;
    let _ = admin.execute_unprepared(&format!("DROP DATABASE `{run}`")).await;
}
