//! Many instances: `hub-api` and `hub-worker` processes side by side on one MariaDB and one Redis, a worker
//! killed with SIGKILL in the middle of the load, and a worker stopped with SIGTERM with jobs in flight.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

use futures::StreamExt;
use hub_domain::EventStatus;
use prestashop_sim::{SimConfig, Simulator};
use redis::aio::ConnectionManager;
use serde_json::{Value, json};

use crate::helpers::*;

/// SKUs that get many product events (in shuffled order), versions per SKU.
const CHURN_SKUS: usize = 245;
const VERSIONS: usize = 8;
/// SKUs the orders buy; one product event each, before the orders.
const ORDER_SKUS: usize = 40;
const ORDERS: usize = 200;
/// The source's stock of every order SKU before the orders.
const ORDER_STOCK: i64 = 500;
/// retail-2 holds this many units back (`stock_buffer`); retail-1 adds 30 % to the price.
const BUFFER: i64 = 2;

fn churn_sku(i: usize) -> String {
    format!("SC-{i:03}")
}

fn order_sku(i: usize) -> String {
    format!("SO-{i:02}")
}

/// Version `v` of churn SKU `i`: price in cents (a multiple of 10, so +30 % is whole cents) and quantity.
fn churn_version(i: usize, v: usize) -> (i64, i64) {
    let cents = 500 + ((i * 37 + v * 110) % 2000) as i64 / 10 * 10;
    (cents, 10 + (i % 25) as i64 + 7 * v as i64)
}

fn order_sku_price(i: usize) -> i64 {
    800 + (i as i64 % 10) * 100
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A price as the simulated shop shows it.
fn shop_price(cents: i64) -> String {
    format!("{}.{:02}0000", cents / 100, cents % 100)
}

fn product_body(event_id: &str, source_id: u64, sku: &str, cents: i64, quantity: i64, updated_at: &str) -> String {
    json!({
        "event_id": event_id,
        "occurred_at": updated_at,
        "product": {
            "id": source_id, "reference": sku, "name": "Scale product", "price": money(cents),
            "quantity": quantity, "active": true, "updated_at": updated_at
        }
    })
    .to_string()
}

/// The lines of order `k`: one or two order SKUs (index, quantity).
fn order_lines(k: usize) -> Vec<(usize, i64)> {
    let a = k % ORDER_SKUS;
    let mut lines = vec![(a, 1 + (k % 3) as i64)];
    if k.is_multiple_of(3) {
        lines.push(((a + 1 + k % 7) % ORDER_SKUS, 1));
    }
    lines
}

fn order_reference(k: usize) -> String {
    format!("SCALE{k:04}")
}

fn order_body(k: usize) -> String {
    let mut o = order_event(&new_id());
    o["order"]["id"] = (1000 + k).into();
    o["order"]["reference"] = order_reference(k).into();
    o["order"]["valid"] = true.into();
    o["order"]["lines"] = order_lines(k)
        .into_iter()
        .map(|(i, q)| json!({"reference": order_sku(i), "quantity": q, "unit_price_tax_incl": "12.00"}))
        .collect::<Vec<_>>()
        .into();
    o.to_string()
}

/// The client store that places order `k`, with its key.
fn order_client(k: usize) -> (&'static str, &'static str) {
    if k.is_multiple_of(2) { ("retail-1", CLIENT_KEY) } else { ("retail-2", CLIENT2_KEY) }
}

/// A tiny deterministic shuffle (no `rand` among the dev-dependencies).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Every shop's products by reference: `(price, product-level quantity)`, read as the shop owner would.
fn catalog(sim: &Simulator) -> BTreeMap<String, (String, i64)> {
    let (_, products) =
        sim.admin_call("GET", "products?display=[id,reference,price]&limit=0,5000&output_format=JSON", None);
    let (_, stock) = sim.admin_call(
        "GET",
        "stock_availables?display=[id_product,id_product_attribute,quantity]&limit=0,5000&output_format=JSON",
        None,
    );
    let products: Value = serde_json::from_str(&products).unwrap();
    let stock: Value = serde_json::from_str(&stock).unwrap();
    let text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let quantities: BTreeMap<String, i64> = stock["stock_availables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| text(&r["id_product_attribute"]) == "0")
        .map(|r| (text(&r["id_product"]), text(&r["quantity"]).parse().unwrap()))
        .collect();
    products["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let id = text(&p["id"]);
            (text(&p["reference"]), (text(&p["price"]), quantities.get(&id).copied().unwrap_or(i64::MIN)))
        })
        .collect()
}

/// How many source orders each client order reference became (the source address alias is
/// `Order <client reference>`).
fn source_orders_by_reference(source: &Simulator) -> BTreeMap<String, usize> {
    let (_, orders) =
        source.admin_call("GET", "orders?display=[id,id_address_delivery]&limit=0,5000&output_format=JSON", None);
    let (_, addresses) = source.admin_call("GET", "addresses?display=[id,alias]&limit=0,5000&output_format=JSON", None);
    let orders: Value = serde_json::from_str(&orders).unwrap_or_default();
    let addresses: Value = serde_json::from_str(&addresses).unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let alias: BTreeMap<String, String> = addresses["addresses"]
        .as_array()
        .map(|a| a.iter().map(|a| (text(&a["id"]), text(&a["alias"]))).collect())
        .unwrap_or_default();
    let mut counts = BTreeMap::new();
    for o in orders["orders"].as_array().cloned().unwrap_or_default() {
        let a = alias.get(&text(&o["id_address_delivery"])).cloned().unwrap_or_default();
        // The hub names the address `Order {reference} {client order id}`.
        let reference = a.split_whitespace().nth(1).unwrap_or_default().to_owned();
        *counts.entry(reference).or_insert(0) += 1;
    }
    counts
}

/// The test's configuration, shared by every process: the shops wired in, retail-2's stock buffer, no
/// rate cap (this is about instances, not about a slow shop), a short breaker pause.
fn scaled_toml(env: &Env, shops: &[(&str, &Simulator)], extra: &[(&str, &str)]) -> String {
    let mut toml = env.toml.clone();
    for (code, sim) in shops {
        let marker = format!("code = \"{code}\"\n");
        let mut add = format!(
            "webservice = {{ url = \"{}\", key = \"{}\" }}\nlimits = {{ concurrency = 8, rate_per_sec = 0.0, timeout_ms = 5000, breaker_failures = 5, breaker_open_secs = 1 }}\n",
            sim.base_url(),
            sim.key()
        );
        if *code == "retail-2" {
            add.push_str(&format!("stock_buffer = {BUFFER}\n"));
        }
        toml = toml.replacen(&marker, &format!("{marker}{add}"), 1);
    }
    for (from, to) in extra {
        assert!(toml.contains(from), "`{from}` in the test configuration");
        toml = toml.replace(from, to);
    }
    toml
}

/// Two distinct free ports (both held while choosing).
fn free_ports() -> [u16; 2] {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    [a.local_addr().unwrap().port(), b.local_addr().unwrap().port()]
}

async fn redis() -> ConnectionManager {
    ConnectionManager::new(redis::Client::open(redis_url()).unwrap()).await.unwrap()
}

/// The apalis-redis keys of one queue.
struct QueueKeys {
    queue: String,
}

impl QueueKeys {
    fn inflight(&self, worker: &str) -> String {
        format!("{}:inflight:{worker}", self.queue)
    }

    fn meta(&self, task: &str) -> String {
        format!("{}:meta:{task}", self.queue)
    }

    fn data(&self) -> String {
        format!("{}:data", self.queue)
    }

    fn active(&self) -> String {
        format!("{}:active", self.queue)
    }

    fn scheduled(&self) -> String {
        format!("{}:scheduled", self.queue)
    }
}

/// The job types of a worker process `id`: (queue keys, the apalis worker name).
fn worker_queues(env: &Env, id: &str) -> Vec<(QueueKeys, String)> {
    let names = env.settings().queue.names;
    vec![
        (QueueKeys { queue: names.fan_out_product }, format!("{id}-fan-out")),
        (QueueKeys { queue: names.replicate_order }, format!("{id}-orders")),
        (QueueKeys { queue: names.sync_product_to_store }, format!("{id}-sync")),
    ]
}

async fn smembers(r: &mut ConnectionManager, key: &str) -> BTreeSet<String> {
    redis::cmd("SMEMBERS").arg(key).query_async(r).await.unwrap()
}

async fn exists(r: &mut ConnectionManager, key: &str) -> bool {
    redis::cmd("EXISTS").arg(key).query_async::<i64>(r).await.unwrap() == 1
}

async fn task_status(r: &mut ConnectionManager, keys: &QueueKeys, task: &str) -> Option<String> {
    redis::cmd("HGET").arg(keys.meta(task)).arg("status").query_async(r).await.unwrap()
}

/// The event id a fan-out or order job carries.
async fn task_event_id(r: &mut ConnectionManager, keys: &QueueKeys, task: &str) -> Option<String> {
    let raw: Option<Vec<u8>> = redis::cmd("HGET").arg(keys.data()).arg(task).query_async(r).await.unwrap();
    let v: Value = serde_json::from_slice(&raw?).ok()?;
    v["event_id"].as_str().map(str::to_owned)
}

async fn wait_healthy(http: &reqwest::Client, base: &str) {
    eventually(30, &format!("{base} answers /health"), || async {
        http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success())
    })
    .await;
}

async fn post(http: &reqwest::Client, url: &str, key: &str, body: &str) -> u16 {
    http.post(url)
        .header("Content-Type", "application/json")
        .header("X-API-KEY", key)
        .body(body.to_owned())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_apis_and_three_workers_apply_every_event_and_create_every_order_once_through_a_sigkill() {
    let started = Instant::now();
    let source =
        Simulator::start(SimConfig { connector_key: Some(SOURCE_KEY.into()), ..SimConfig::default() }).await.unwrap();
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    // The source holds the latest version of every churn SKU (the events describe its history).
    let mut source_ids = BTreeMap::new();
    for i in 0..CHURN_SKUS {
        let (cents, q) = churn_version(i, VERSIONS - 1);
        source_ids.insert(churn_sku(i), source.seed_product(&churn_sku(i), "Scale product", &money(cents), q));
    }
    for i in 0..ORDER_SKUS {
        let id = source.seed_product(&order_sku(i), "Scale product", &money(order_sku_price(i)), ORDER_STOCK);
        source_ids.insert(order_sku(i), id);
    }
    for r in [&r1, &r2] {
        for sku in source_ids.keys() {
            r.seed_product(sku, "Retail product", "1.00", 0);
        }
    }

    let env = Env::new(Backend::MariaDbRedis).await;
    // Heartbeat 1 s: a worker silent for 3 s is dead and its jobs go back to the queue. The sweeper's
    // stale-queued pass is left at 600 s, so what brings the killed worker's jobs back is the queue itself.
    let toml = scaled_toml(
        &env,
        &[("wholesaler", &source), ("retail-1", &r1), ("retail-2", &r2)],
        &[
            ("missed_heartbeats = 2", "missed_heartbeats = 3"),
            ("backoff_max_ms = 500", "backoff_max_ms = 2000\nmax_attempts = 25"),
        ],
    );
    let env = Env { toml, ..env };
    // The test's own view of the database; it also applies the migrations before five processes start.
    let db = hub_app::database(&env.settings()).await.unwrap();
    let api_ports = free_ports();
    let mut apis: Vec<KillOnDrop> = api_ports
        .iter()
        .enumerate()
        .map(|(n, port)| {
            env.process_with_env(
                "hub-api",
                &format!("scale-api-{n}"),
                &[("HUB_SERVER__LISTEN", format!("127.0.0.1:{port}"))],
            )
        })
        .collect();
    let mut workers: Vec<KillOnDrop> =
        (1..=3).map(|n| env.process_with_env("hub-worker", &format!("scale-worker-{n}"), &[])).collect();
    let count = |sql: &'static str| count_in(&db, sql);
    let http = reqwest::Client::new();
    let bases: Vec<String> = api_ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    for base in &bases {
        wait_healthy(&http, base).await;
    }
    for api in &mut apis {
        assert!(api.try_wait().unwrap().is_none(), "both hub-api processes are up (not some other server)");
    }

    // The hub learns the order SKUs first: the stock echo after an order builds on the known state.
    let initial: Vec<String> = (0..ORDER_SKUS)
        .map(|i| {
            let sku = order_sku(i);
            product_body(&new_id(), source_ids[&sku], &sku, order_sku_price(i), ORDER_STOCK, "2026-11-27T09:00:00Z")
        })
        .collect();
    let statuses: Vec<u16> = futures::stream::iter(initial.iter().enumerate())
        .map(|(n, body)| {
            let (http, url) = (&http, format!("{}/api/sync/product", bases[n % 2]));
            async move { post(http, &url, SOURCE_KEY, body).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    eventually(60, "the order SKUs' first events processed", || async {
        count("SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'").await == ORDER_SKUS as i64
    })
    .await;

    // 1,960 churn events in shuffled order (so older versions often arrive after newer ones) and 200 orders,
    // spread over both APIs, concurrently.
    let mut churn: Vec<(usize, usize)> = (0..CHURN_SKUS).flat_map(|i| (0..VERSIONS).map(move |v| (i, v))).collect();
    shuffle(&mut churn, 0x9E37_79B9_7F4A_7C15);
    let mut requests: Vec<(&'static str, &'static str, String)> = Vec::new();
    let per_order = churn.len() / ORDERS;
    let mut orders = 0..ORDERS;
    for (n, (i, v)) in churn.iter().enumerate() {
        let sku = churn_sku(*i);
        let (cents, q) = churn_version(*i, *v);
        let updated_at = format!("2026-11-27T10:{:02}:00Z", v);
        requests.push(("product", SOURCE_KEY, product_body(&new_id(), source_ids[&sku], &sku, cents, q, &updated_at)));
        if n.is_multiple_of(per_order)
            && let Some(k) = orders.next()
        {
            requests.push(("order", order_client(k).1, order_body(k)));
        }
    }
    for k in orders {
        requests.push(("order", order_client(k).1, order_body(k)));
    }
    let total_events = (ORDER_SKUS + requests.len()) as i64;
    assert_eq!(total_events, (ORDER_SKUS + CHURN_SKUS * VERSIONS + ORDERS) as i64);
    assert_eq!(CHURN_SKUS * VERSIONS + ORDER_SKUS, 2_000, "2,000 product events");

    let posting = async {
        futures::stream::iter(requests.iter().enumerate())
            .map(|(n, (kind, key, body))| {
                let (http, url) = (&http, format!("{}/api/sync/{kind}", bases[n % 2]));
                async move { post(http, &url, key, body).await }
            })
            .buffer_unordered(24)
            .collect::<Vec<u16>>()
            .await
    };
    let victim = worker_queues(&env, "scale-worker-3");
    let killing = async {
        eventually(120, "a third of the events processed", || async {
            count("SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'").await >= total_events / 3
        })
        .await;
        workers[2].kill().expect("SIGKILL");
        workers[2].wait().unwrap();
        let at_kill = count("SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'").await;
        // What the dead worker held: its per-worker in-flight sets stay in Redis until another worker
        // notices the missed heartbeats.
        let mut r = redis().await;
        let mut held = Vec::new();
        for (keys, worker) in &victim {
            held.push(smembers(&mut r, &keys.inflight(worker)).await);
        }
        (at_kill, held)
    };
    let (statuses, (at_kill, held)) = tokio::join!(posting, killing);
    let refused: Vec<_> = statuses.iter().filter(|s| **s != 202).collect();
    assert!(refused.is_empty(), "every webhook accepted: {} refused ({refused:?})", refused.len());
    assert!(at_kill < total_events, "killed mid-way ({at_kill}/{total_events} processed)");
    let held_count: usize = held.iter().map(BTreeSet::len).sum();
    assert!(held_count > 0, "the killed worker had jobs in flight");
    eprintln!(
        "killed scale-worker-3 at {at_kill}/{total_events} events processed, holding {:?} jobs (fan-out, orders, sync), {:.1} s in",
        held.iter().map(BTreeSet::len).collect::<Vec<_>>(),
        started.elapsed().as_secs_f64()
    );

    // Every accepted event is processed, none failed, none left behind.
    eventually(120, "every event processed", || async {
        count("SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'").await == total_events
    })
    .await;
    assert_eq!(count("SELECT COUNT(*) FROM inbox_events").await, total_events);
    assert_eq!(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'failed'").await, 0);

    // The dead worker's jobs came back: its in-flight sets were handed to the queue and every job it held
    // ran to completion on the survivors.
    let mut r = redis().await;
    for ((keys, worker), tasks) in victim.iter().zip(&held) {
        eventually(60, &format!("{worker}'s in-flight jobs handed back"), || {
            let (mut r, key) = (r.clone(), keys.inflight(worker));
            async move { !exists(&mut r, &key).await }
        })
        .await;
        for task in tasks {
            eventually(60, &format!("{worker}'s job {task} done"), || {
                let mut r = r.clone();
                async move { task_status(&mut r, keys, task).await.as_deref() == Some("Done") }
            })
            .await;
            if let Some(event) = task_event_id(&mut r, keys, task).await {
                assert_eq!(
                    hub_status(&db, &event).await,
                    Some(EventStatus::Processed),
                    "event {event} of a job the killed worker held"
                );
            }
        }
    }

    // Each client order became exactly one source order.
    let by_reference = source_orders_by_reference(&source);
    let twice: Vec<_> = by_reference.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "client orders created more than once on the source: {twice:?}");
    let expected: BTreeSet<String> = (0..ORDERS).map(order_reference).collect();
    assert_eq!(by_reference.keys().cloned().collect::<BTreeSet<_>>(), expected, "every order on the source");
    assert_eq!(
        count("SELECT COUNT(*) FROM order_links WHERE status = 'created'").await,
        ORDERS as i64,
        "every order link created"
    );
    assert_eq!(
        count("SELECT COUNT(DISTINCT source_order_id) FROM order_links").await,
        ORDERS as i64,
        "one source order per client order"
    );

    // The source reserved exactly the ordered stock; every client shows the source's latest state with its
    // own rules (retail-1 +30 %, retail-2 holds 2 units back).
    let mut ordered = vec![0i64; ORDER_SKUS];
    for k in 0..ORDERS {
        for (i, q) in order_lines(k) {
            ordered[i] += q;
        }
    }
    let at_source = catalog(&source);
    for (i, q) in ordered.iter().enumerate() {
        assert_eq!(at_source[&order_sku(i)].1, ORDER_STOCK - q, "source stock of {}", order_sku(i));
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (c1, c2) = (catalog(&r1), catalog(&r2));
        let mut diffs = Vec::new();
        for (sku, (price, quantity)) in &at_source {
            let cents = price.replace('.', "")[..price.len() - 5].parse::<i64>().unwrap();
            let want1 = (shop_price(cents * 13 / 10), *quantity);
            let want2 = (shop_price(cents), (*quantity - BUFFER).max(0));
            if c1.get(sku) != Some(&want1) {
                diffs.push(format!("retail-1 {sku}: {:?}, want {want1:?}", c1.get(sku)));
            }
            if c2.get(sku) != Some(&want2) {
                diffs.push(format!("retail-2 {sku}: {:?}, want {want2:?}", c2.get(sku)));
            }
        }
        if diffs.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "clients never matched the source: {} differences, e.g. {:?}",
            diffs.len(),
            &diffs[..diffs.len().min(5)]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("multi-instance test done in {:.1} s", started.elapsed().as_secs_f64());
}

/// The first column of the first row of `sql`, read in the hub's database.
async fn count_in(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn hub_status(db: &sea_orm::DatabaseConnection, event: &str) -> Option<EventStatus> {
    use hub_domain::{EventId, ingest::Inbox};
    hub_persistence::SeaOrmInbox::new(db.clone()).load(&EventId::parse(event).ok()?).await.unwrap().map(|e| e.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_worker_finish_or_hand_back_its_jobs_in_flight_and_nothing_is_lost() {
    const SKUS: usize = 40;
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    let mut ids: Vec<(String, u64, u64)> = Vec::new();
    for i in 0..SKUS {
        let sku = format!("TERM-{i:02}");
        let (a, b) = (r1.seed_product(&sku, "Term", "1.00", 0), r2.seed_product(&sku, "Term", "1.00", 0));
        ids.push((sku, a, b));
    }
    let env = Env::new(Backend::MariaDbRedis).await;
    let toml = scaled_toml(&env, &[("retail-1", &r1), ("retail-2", &r2)], &[]);
    let env = Env { toml, ..env };
    let db = hub_app::database(&env.settings()).await.unwrap();
    let [port, _] = free_ports();
    let _api = env.process_with_env("hub-api", "term-api", &[("HUB_SERVER__LISTEN", format!("127.0.0.1:{port}"))]);
    let (http, url) = (reqwest::Client::new(), format!("http://127.0.0.1:{port}/api/sync/product"));
    wait_healthy(&http, &format!("http://127.0.0.1:{port}")).await;

    // Slow shops: every sync is several calls of 400 ms, so SIGTERM finds jobs mid-call.
    r1.set_latency(Duration::from_millis(400));
    r2.set_latency(Duration::from_millis(400));
    let mut first = env.process_with_env("hub-worker", "term-worker-a", &[]);
    for (n, (sku, _, _)) in ids.iter().enumerate() {
        let body =
            product_body(&new_id(), 100 + n as u64, sku, 1000 + 10 * n as i64, 50 + n as i64, "2026-11-27T10:00:00Z");
        assert_eq!(post(&http, &url, SOURCE_KEY, &body).await, 202);
    }
    let queues = worker_queues(&env, "term-worker-a");
    let (sync_keys, sync_worker) = &queues[2];
    let mut r = redis().await;
    eventually(60, "the first worker is mid-way through the syncs", || async {
        r1.requests().iter().chain(r2.requests().iter()).any(|q| q.method == "PATCH")
    })
    .await;
    let in_flight = smembers(&mut r, &sync_keys.inflight(sync_worker)).await;
    assert!(!in_flight.is_empty(), "sync jobs in flight at SIGTERM");
    send_signal(&first, "TERM");
    let signalled = Instant::now();
    let exit = loop {
        if let Some(s) = first.try_wait().unwrap() {
            break s;
        }
        assert!(signalled.elapsed() < Duration::from_secs(20), "the worker did not stop within 20 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "clean exit after SIGTERM, got {exit:?}");
    eprintln!(
        "worker stopped {:.1} s after SIGTERM with {} sync jobs held",
        signalled.elapsed().as_secs_f64(),
        in_flight.len()
    );

    // Each job it held either finished (acknowledged done) or went back to the queue; none is stranded in
    // its in-flight set.
    let active: Vec<String> =
        redis::cmd("LRANGE").arg(sync_keys.active()).arg(0).arg(-1).query_async(&mut r).await.unwrap();
    let scheduled: Vec<String> =
        redis::cmd("ZRANGE").arg(sync_keys.scheduled()).arg(0).arg(-1).query_async(&mut r).await.unwrap();
    let (mut finished, mut handed_back) = (0, 0);
    for task in &in_flight {
        if task_status(&mut r, sync_keys, task).await.as_deref() == Some("Done") {
            finished += 1;
        } else {
            assert!(active.contains(task) || scheduled.contains(task), "job {task} neither finished nor queued again");
            handed_back += 1;
        }
    }
    let stranded = smembers(&mut r, &sync_keys.inflight(sync_worker)).await;
    assert!(stranded.is_empty(), "jobs left in the stopped worker's in-flight set: {stranded:?}");
    eprintln!("of the jobs held at SIGTERM: {finished} finished, {handed_back} handed back");
    assert!(finished > 0, "jobs in flight at SIGTERM ran to completion");

    // Another worker takes over: every event and every sync is applied, none lost.
    r1.set_latency(Duration::ZERO);
    r2.set_latency(Duration::ZERO);
    let _second = env.process_with_env("hub-worker", "term-worker-b", &[]);
    eventually(60, "every event processed", || async {
        count_in(&db, "SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'").await == SKUS as i64
    })
    .await;
    eventually(60, "every client shows every product", || async {
        ids.iter().enumerate().all(|(n, (_, a, b))| {
            let cents = 1000 + 10 * n as i64;
            r1.product_state(*a) == Some((shop_price(cents * 13 / 10), true, 50 + n as i64))
                && r2.product_state(*b) == Some((shop_price(cents), true, 50 + n as i64 - BUFFER))
        })
    })
    .await;
}
