//! Ingest → applied on the clients, against simulated shops, MariaDB + Redis (TEST_MYSQL_URL, TEST_REDIS_URL),
//! with the API and the workers as separate queue clients (as `hub-api` and `hub-worker`). Run by `make bench`.
//!
//! Per scenario (clients, shop latency):
//! - **end to end**: `SKUS × ROUNDS` product events posted at full speed (64 in flight) while the workers run;
//!   done when every client shows every SKU's last quantity;
//! - **drain**: the workers stopped, as many events again accepted, then workers started: the time until every
//!   client shows the last quantities (the figure the original design's drain is compared with);
//! - **single changes**: 100 changes one at a time, each timed from the webhook to every client showing it.
//!
//! Besides the rates: Webservice calls per event per client, the sync and fan-out jobs run, and the database
//! writes (MariaDB's `Com_insert + Com_update + Com_delete`) and redo-log fsyncs per job, from the server's
//! global counters (the bench is alone on the server).
//!
//! `HUB_BENCH_SCENARIOS="1x0,10x0,2x50"` (clients x latency ms) picks the scenarios; `HUB_BENCH_SKUS`,
//! `HUB_BENCH_ROUNDS` the load.

use std::time::{Duration, Instant};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use futures::StreamExt;
use hub_app::{Application, Mode, Settings, settings::WebserviceSettings};
use hub_domain::Secret;
use prestashop_sim::{SimConfig, Simulator};
use sea_orm::{ConnectionTrait, DatabaseConnection};

const SOURCE_KEY: &str = "bench-source-key-0123456789";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn settings(db: &str, run: &str, clients: &[Simulator]) -> Settings {
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut toml = format!(
        r#"
[server]
listen = "127.0.0.1:0"
[database]
url = "{db}"
[queue]
backend = "redis"
url = "{redis}"
[queue.names]
fan_out_product = "{run}:fan-out"
replicate_order = "{run}:replicate"
sync_product_to_store = "{run}:sync"
[worker]
concurrency = 64
[reconcile]
schedule = false
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

/// MariaDB's global write and fsync counters.
async fn db_counters(admin: &DatabaseConnection) -> (u64, u64) {
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert', 'Com_update', 'Com_delete', 'Innodb_data_fsyncs')",
        ))
        .await
        .expect("status");
    let (mut writes, mut fsyncs) = (0, 0);
    for row in rows {
        let name: String = row.try_get_by_index(0).expect("name");
        let value: String = row.try_get_by_index(1).expect("value");
        let v: u64 = value.parse().unwrap_or(0);
        if name == "Innodb_data_fsyncs" {
            fsyncs += v;
        } else {
            writes += v;
        }
    }
    (writes, fsyncs)
}

/// Jobs of `queue` run to the end (apalis keeps each acknowledged job in the queue's done set).
async fn done_jobs(redis: &mut redis::aio::MultiplexedConnection, queue: &str) -> u64 {
    redis::cmd("SCARD").arg(format!("{queue}:done")).query_async(redis).await.unwrap_or(0)
}

struct Counters {
    at: Instant,
    calls: usize,
    writes: usize,
    db_writes: u64,
    fsyncs: u64,
    syncs: u64,
    fan_outs: u64,
}

struct Scenario<'a> {
    run: String,
    sims: &'a [Simulator],
    ids: &'a [Vec<u64>],
    admin: &'a DatabaseConnection,
    redis: redis::aio::MultiplexedConnection,
    http: reqwest::Client,
    url: String,
    latency_ms: u64,
}

impl Scenario<'_> {
    async fn counters(&mut self) -> Counters {
        let (db_writes, fsyncs) = db_counters(self.admin).await;
        let sync_queue = format!("{}:sync", self.run);
        let fan_out_queue = format!("{}:fan-out", self.run);
        Counters {
            at: Instant::now(),
            calls: self.sims.iter().map(|s| s.requests().len()).sum(),
            writes: self.sims.iter().map(|s| s.requests().iter().filter(|r| r.method != "GET").count()).sum(),
            db_writes,
            fsyncs,
            syncs: done_jobs(&mut self.redis, &sync_queue).await,
            fan_outs: done_jobs(&mut self.redis, &fan_out_queue).await,
        }
    }

    async fn post(&self, body: String) {
        let r = self
            .http
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("X-API-KEY", SOURCE_KEY)
            .body(body)
            .send()
            .await;
        assert_eq!(r.map(|r| r.status().as_u16()).unwrap_or(0), 202);
    }

    /// Posts rounds `first..first + rounds` of one event per SKU, 64 in flight.
    async fn post_rounds(&self, first: usize, rounds: usize) {
        let skus = self.ids[0].len();
        futures::stream::iter((first * skus..(first + rounds) * skus).map(|i| {
            let (round, sku) = (i / skus, i % skus);
            self.post(event(&format!("{}-t-{i}", self.run), &format!("B-{sku}"), (round + 1) as i64, i as u64))
        }))
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    }

    /// Waits until every client shows `quantity` for every SKU. Each look goes through the simulator's
    /// Webservice, on the same cores as the hub: a product seen there is not looked at again.
    async fn wait_for_quantity(&self, quantity: i64) {
        let started = Instant::now();
        let mut left: Vec<(&Simulator, u64)> =
            self.sims.iter().zip(self.ids).flat_map(|(sim, ids)| ids.iter().map(move |id| (sim, *id))).collect();
        left.reverse();
        while let Some((sim, id)) = left.last() {
            if sim.product_state(*id).is_some_and(|s| s.2 == quantity) {
                left.pop();
                continue;
            }
            assert!(started.elapsed() < Duration::from_secs(900), "did not converge");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn report(&self, phase: &str, events: usize, a: &Counters, b: &Counters, extra: &str) {
        let secs = (b.at - a.at).as_secs_f64();
        let clients = self.sims.len();
        let (calls, writes) = (b.calls - a.calls, b.writes - a.writes);
        let (syncs, fan_outs) = (b.syncs - a.syncs, b.fan_outs - a.fan_outs);
        let jobs = (syncs + fan_outs).max(1) as f64;
        println!(
            "{clients:>2} clients, {:>2} ms | {phase:<10} | {events} events in {secs:.2} s = {:.0} events/s{extra} | \
             {calls} Webservice calls ({writes} writes) = {:.2} per event per client | {fan_outs} fan-out + {syncs} sync jobs | \
             {:.2} database writes and {:.2} fsyncs per job ({:.2} writes per event)",
            self.latency_ms,
            events as f64 / secs,
            calls as f64 / (events * clients) as f64,
            (b.db_writes - a.db_writes) as f64 / jobs,
            (b.fsyncs - a.fsyncs) as f64 / jobs,
            (b.db_writes - a.db_writes) as f64 / events as f64,
        );
    }
}

async fn run(clients: usize, latency_ms: u64) {
    let base = std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let redis_url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let run = format!("bench{}x{clients}x{latency_ms}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{base}/mysql")).await.expect("MariaDB");
    admin.execute_unprepared(&format!("CREATE DATABASE `{run}`")).await.expect("create database");
    let skus = env_or("HUB_BENCH_SKUS", 1_000);
    let rounds = env_or("HUB_BENCH_ROUNDS", 10);
    let mut sims = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..clients {
        let sim = Simulator::start(SimConfig::default()).await.expect("sim");
        ids.push((0..skus).map(|k| sim.seed_product(&format!("B-{k}"), "Bench", "9.00", 0)).collect::<Vec<u64>>());
        sim.set_latency(Duration::from_millis(latency_ms));
        sims.push(sim);
    }
    let settings = settings(&format!("{base}/{run}"), &run, &sims);
    let api = Application::build(settings.clone(), Mode::Api).await.expect("hub-api").spawn();
    let worker = Application::build(settings.clone(), Mode::Worker).await.expect("hub-worker").spawn();
    let redis = redis::Client::open(redis_url.as_str()).expect("redis").get_multiplexed_async_connection().await;
    let mut s = Scenario {
        url: format!("http://127.0.0.1:{}/api/sync/product", api.port.expect("port")),
        run: run.clone(),
        sims: &sims,
        ids: &ids,
        admin: &admin,
        redis: redis.expect("redis"),
        http: reqwest::Client::builder().pool_max_idle_per_host(128).tcp_nodelay(true).build().expect("client"),
        latency_ms,
    };
    for sim in &sims {
        sim.clear_requests();
    }
    let events = skus * rounds;

    // End to end: the workers apply while the events arrive.
    let a = s.counters().await;
    s.post_rounds(0, rounds).await;
    let ingested = a.at.elapsed();
    s.wait_for_quantity(rounds as i64).await;
    let b = s.counters().await;
    s.report("end to end", events, &a, &b, &format!(" (accepted in {:.2} s)", ingested.as_secs_f64()));

    // Drain: as many events again accepted while no worker runs, then the workers start.
    worker.stop().await;
    s.post_rounds(rounds, rounds).await;
    let a = s.counters().await;
    let worker = Application::build(settings.clone(), Mode::Worker).await.expect("hub-worker").spawn();
    s.wait_for_quantity(2 * rounds as i64).await;
    let b = s.counters().await;
    s.report("drain", events, &a, &b, "");

    // Single changes, one at a time.
    let mut lat = Vec::new();
    for i in 0..100usize {
        let sku = i % skus;
        let quantity = 1_000 + i as i64;
        let sent = Instant::now();
        s.post(event(&format!("{run}-l-{i}"), &format!("B-{sku}"), quantity, 500_000 + i as u64)).await;
        loop {
            if sims.iter().zip(&ids).all(|(sim, ids)| sim.product_state(ids[sku]).is_some_and(|st| st.2 == quantity)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        lat.push(sent.elapsed());
        // Idle between changes, as a quiet shop is.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{clients:>2} clients, {latency_ms:>2} ms | single     | webhook → every client updated, 100 changes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(lat[49]),
        ms(lat[98]),
        ms(lat[99])
    );
    worker.stop().await;
    api.stop().await;
    let mut c = s.redis.clone();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{run}:*")).query_async(&mut c).await.unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: Result<u64, _> = redis::cmd("DEL").arg(chunk).query_async(&mut c).await;
    }
    let _ = admin.execute_unprepared(&format!("DROP DATABASE `{run}`")).await;
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let scenarios = std::env::var("HUB_BENCH_SCENARIOS").unwrap_or_else(|_| "1x0,10x0,2x50".into());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        for s in scenarios.split(',') {
            let (clients, latency) = s.split_once('x').expect("clients x latency");
            run(clients.trim().parse().expect("clients"), latency.trim().parse().expect("latency")).await;
        }
    });
}
