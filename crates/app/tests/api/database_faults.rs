//! The database failing under the hub: MariaDB killed (SIGKILL) and started again while jobs are in flight,
//! a row locked past the server's lock wait, and five processes migrating one fresh database at once.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::StreamExt;
use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::{Secret, Sku, StorageError, StoreCode, catalog::ProductLinks};
use hub_migration::MigratorTrait;
use hub_persistence::SeaOrmProductLinks;
use prestashop_sim::{SimConfig, Simulator};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    instances::{PrivateMariaDb, free_port},
};

/// Products synced in the wave that meets the restarts.
const SKUS: usize = 120;
/// Orders replicated in that wave, all of the one product the source sells for them.
const ORDERS: u64 = 10;
/// The source's stock of that product before the orders.
const ORDERED_STOCK: i64 = 100;
/// Kills and restarts of MariaDB during the wave.
const RESTARTS: usize = 3;

fn sku(i: usize) -> String {
    format!("DBF-{i:04}")
}

/// The wholesaler (with the connector, for orders) and two retailers, all selling `DBF-ORDER` and the
/// retailers every `DBF-nnnn`; the retailers' product ids, by SKU index.
struct Shops {
    source: Simulator,
    source_ordered: u64,
    retail1: Simulator,
    retail2: Simulator,
    retail1_ids: Vec<u64>,
    retail2_ids: Vec<u64>,
}

async fn shops() -> Shops {
    let source =
        Simulator::start(SimConfig { connector_key: Some(SOURCE_KEY.into()), ..SimConfig::default() }).await.unwrap();
    let source_ordered = source.seed_product("DBF-ORDER", "Ordered mug", "10.00", ORDERED_STOCK);
    let (retail1, retail2) =
        (Simulator::start(SimConfig::default()).await.unwrap(), Simulator::start(SimConfig::default()).await.unwrap());
    let mut ids = [Vec::new(), Vec::new()];
    for (shop, ids) in [&retail1, &retail2].into_iter().zip(&mut ids) {
        shop.seed_product("DBF-ORDER", "Ordered mug", "13.00", 0);
        *ids = (0..SKUS).map(|i| shop.seed_product(&sku(i), "Plate", "1.00", 0)).collect();
    }
    let [retail1_ids, retail2_ids] = ids;
    Shops { source, source_ordered, retail1, retail2, retail1_ids, retail2_ids }
}

fn wire(s: &mut Settings, shops: &Shops) {
    for store in &mut s.stores {
        let sim = match store.code.as_str() {
            "wholesaler" => &shops.source,
            "retail-1" => &shops.retail1,
            "retail-2" => &shops.retail2,
            _ => continue,
        };
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.breaker_open_secs = 1;
        store.limits.timeout_ms = 2_000;
    }
    // Retries outlast a restart and a lease its holder could not give back (15 s).
    s.worker.max_attempts = 60;
    s.worker.backoff_min_ms = 100;
    s.worker.backoff_max_ms = 1_000;
}

/// A source product event for `sku` (source product `id`).
fn product(id: u64, sku: &str, quantity: i64) -> String {
    json!({
        "event_id": new_id(),
        "occurred_at": "2026-11-27T10:00:00.000001Z",
        "product": {"id": id, "reference": sku, "name": "Plate", "price": "10.00", "quantity": quantity,
                    "active": true, "updated_at": "2026-11-27T10:00:00Z"}
    })
    .to_string()
}

/// Retailer order `order_id`: one `DBF-ORDER`.
fn order(order_id: u64) -> String {
    let mut o = order_event(&new_id());
    o["order"]["id"] = order_id.into();
    o["order"]["lines"] = json!([{"reference": "DBF-ORDER", "quantity": 1, "unit_price_tax_incl": "15.60"}]);
    o["order"]["valid"] = true.into();
    o.to_string()
}

fn source_orders(sim: &Simulator) -> usize {
    let (_, body) = sim.admin_call("GET", "orders?display=[id]&output_format=JSON", None);
    serde_json::from_str::<Value>(&body).ok().and_then(|v| v["orders"].as_array().map(Vec::len)).unwrap_or(0)
}

/// One number, or `None` while the database cannot answer (it is being restarted).
async fn count(db: &DatabaseConnection, sql: &str) -> Option<i64> {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

/// What ended failed: the jobs kept for an operator and the inbox rows marked failed.
async fn failures(db: &DatabaseConnection) -> Option<Vec<String>> {
    let sql = "SELECT CONCAT(job, ' ', subject, ': ', error) FROM failed_jobs \
               UNION ALL SELECT CONCAT('event ', event_id, ': ', COALESCE(last_error, '')) FROM inbox_events \
               WHERE status = 'failed'";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.ok()?;
    Some(rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_syncs_in_flight_when_mariadb_is_killed_and_restarted_all_apply_and_none_fails() {
    let mut mariadb = PrivateMariaDb::start().await;
    let shops = shops().await;
    let env = Env::on_mariadb(&mariadb.url(), "", &redis_url()).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &shops)).await;

    // The hub learns the ordered product first, so that each order's stock echo has a source state to send.
    let ordered = product(shops.source_ordered, "DBF-ORDER", ORDERED_STOCK);
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &ordered).await.status(), 202);
    let ordered_stock = |shop: &Simulator| {
        let (_, body) =
            shop.admin_call("GET", "products?filter[reference]=[DBF-ORDER]&display=[id]&output_format=JSON", None);
        let id = serde_json::from_str::<Value>(&body).unwrap()["products"][0]["id"].as_u64().unwrap();
        shop.product_state(id).map(|s| s.2)
    };
    eventually(30, "the retailers stock the ordered product", || async {
        ordered_stock(&shops.retail1) == Some(ORDERED_STOCK) && ordered_stock(&shops.retail2) == Some(ORDERED_STOCK)
    })
    .await;

    // The wave: a sync per product and retailer, and the orders.
    let bodies: Vec<(&str, &str, String)> = (0..SKUS)
        .map(|i| ("/api/sync/product", SOURCE_KEY, product(1_000 + i as u64, &sku(i), i as i64 + 1)))
        .chain((1..=ORDERS).map(|id| ("/api/sync/order", CLIENT_KEY, order(id))))
        .collect();
    let statuses: Vec<u16> = futures::stream::iter(&bodies)
        .map(|(path, key, body)| {
            let app = &app;
            async move { app.post(path, Some(key), body).await.status().as_u16() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 202), "every event accepted: {statuses:?}");
    let events = 1 + bodies.len() as i64;

    // Kill MariaDB while the workers are busy, several times: each kill cuts off the statements in flight.
    let processed = "SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'";
    for _ in 0..RESTARTS {
        let before = count(&app.db, processed).await.unwrap_or(0);
        eventually(60, "the workers move on", || async {
            count(&app.db, processed).await.is_some_and(|n| n >= (before + 5).min(events))
        })
        .await;
        mariadb.kill();
        tokio::time::sleep(Duration::from_secs(1)).await;
        mariadb.start_again().await;
    }

    let applied = || async {
        let synced = |shop: &Simulator, ids: &[u64], price: &str| {
            ids.iter().enumerate().all(|(i, id)| shop.product_state(*id) == Some((price.into(), true, i as i64 + 1)))
        };
        let left = ORDERED_STOCK - ORDERS as i64;
        count(&app.db, processed).await == Some(events)
            && source_orders(&shops.source) as u64 == ORDERS
            && synced(&shops.retail1, &shops.retail1_ids, "13.000000")
            && synced(&shops.retail2, &shops.retail2_ids, "10.000000")
            && ordered_stock(&shops.retail1) == Some(left)
            && ordered_stock(&shops.retail2) == Some(left)
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while !applied().await {
        let failed = failures(&app.db).await.unwrap_or_default();
        assert!(failed.is_empty(), "jobs failed for good across the restarts: {failed:#?}");
        assert!(Instant::now() < deadline, "not everything applied within 180 s after the restarts");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(failures(&app.db).await, Some(Vec::new()), "nothing failed");
    assert_eq!(source_orders(&shops.source) as u64, ORDERS, "each order exactly once on the source");
    // The restarts did meet jobs: runs that found the database gone were retried (runs are recorded within
    // a second).
    eventually(10, "runs retried after a database error are recorded", || async {
        let retried = "SELECT COUNT(*) FROM job_runs WHERE outcome = 'retrying' AND error LIKE 'database unavailable%'";
        count(&app.db, retried).await.is_some_and(|n| n > 0)
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_locked_past_the_servers_lock_wait_reads_as_unavailable() {
    let env = Env::new(Backend::MariaDbRedis).await;
    let url = env.settings().database.url.expose().to_owned();
    // One connection, so the session's lock wait applies to every statement of the adapter.
    let db = hub_persistence::connect(&url, 1).await.unwrap();
    hub_persistence::migrate(&db).await.unwrap();
    db.execute_unprepared("SET SESSION innodb_lock_wait_timeout = 1").await.unwrap();
    let links = SeaOrmProductLinks::new(db.clone());
    let (store, sku) = (StoreCode::parse("retail-1").unwrap(), Sku::parse("LOCKED-1").unwrap());
    assert!(links.lease(&store, &sku, "first", Duration::from_secs(15)).await.unwrap());

    let holder = hub_persistence::connect(&url, 1).await.unwrap();
    let held = holder.begin().await.unwrap();
    held.execute_unprepared("SELECT * FROM product_links WHERE store = 'retail-1' AND sku = 'LOCKED-1' FOR UPDATE")
        .await
        .unwrap();
    let e = links.lease(&store, &sku, "first", Duration::from_secs(15)).await.expect_err("the row is locked");

    assert!(matches!(e, StorageError::Unavailable(_)), "{e:?}");
    held.rollback().await.unwrap();
}

/// Starts five `hub-api` processes at once on a fresh database of `backend` (each with `vars` set as well);
/// asserts each answers `/health` and none exited, and that every migration is recorded once.
async fn five_processes_on_a_fresh_database_all_come_up_and_migrate_it_once(backend: Backend, vars: &[(&str, String)]) {
    let env = Env::new(backend).await;
    let config = env.config_file();
    let ports: Vec<u16> = (0..5).map(|_| free_port()).collect();
    let mut hubs: Vec<(KillOnDrop, std::path::PathBuf)> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let log = env.dir.join(format!("hub-api-{i}.log"));
            let child = Command::new(binary("hub-api"))
                .env("HUB_CONFIG", &config)
                .env("HUB_SERVER__LISTEN", format!("127.0.0.1:{port}"))
                .env("RUST_LOG", "warn")
                .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start hub-api: {e} (run `cargo build --bins` first)"));
            (KillOnDrop(child), log)
        })
        .collect();

    let http = reqwest::Client::new();
    for (i, ((hub, log), port)) in hubs.iter_mut().zip(&ports).enumerate() {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = hub.try_wait().unwrap() {
                panic!("hub-api #{i} exited with {status}: {}", std::fs::read_to_string(&*log).unwrap_or_default());
            }
            let health = http.get(format!("http://127.0.0.1:{port}/health")).send().await;
            if health.is_ok_and(|r| r.status() == 200) {
                break;
            }
            assert!(Instant::now() < deadline, "hub-api #{i} not healthy within 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for (i, (hub, log)) in hubs.iter_mut().enumerate() {
        assert!(hub.try_wait().unwrap().is_none(), "hub-api #{i} exited: {}", std::fs::read_to_string(&*log).unwrap());
    }

    let db = sea_orm::Database::connect(env.settings().database.url.expose()).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .unwrap();
    let applied: Vec<String> = rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
    let known: Vec<String> = hub_migration::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(applied, known, "every migration recorded once");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM inbox_events").await, Some(0), "the schema answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_processes_started_together_on_a_fresh_mariadb_database_all_come_up_and_migrate_it_once() {
    five_processes_on_a_fresh_database_all_come_up_and_migrate_it_once(Backend::MariaDbRedis, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_processes_started_together_on_a_fresh_sqlite_file_all_come_up_and_migrate_it_once() {
    // The queue on Redis: this is about the database file (apalis-sqlite sets its own file up apart).
    let queue = unique("q");
    let vars = [
        ("HUB_QUEUE__BACKEND", "redis".to_owned()),
        ("HUB_QUEUE__URL", redis_url()),
        ("HUB_QUEUE__NAMES__FAN_OUT_PRODUCT", format!("{queue}:fan-out")),
        ("HUB_QUEUE__NAMES__REPLICATE_ORDER", format!("{queue}:replicate")),
        ("HUB_QUEUE__NAMES__SYNC_PRODUCT_TO_STORE", format!("{queue}:sync")),
    ];
    five_processes_on_a_fresh_database_all_come_up_and_migrate_it_once(Backend::Sqlite, &vars).await;
}
