//! Nothing accepted is lost under real faults of the queue's own making (issue 12): a backlog larger than
//! any limit of the storage, a job that fails for good while the database is down, a payload that is not a
//! job.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use hub_app::Mode;
use hub_domain::{JobQueue, JobType, Sku, StoreCode, SyncRequest};
use hub_queue::ApalisJobQueue;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

use crate::helpers::*;

/// More than any limit known in the storages: apalis-redis moved every due job in one Lua `unpack`, which
/// stops at about 8,000; apalis-sqlite's statements scanned the whole table once its statistics were stale.
const BURST: usize = 50_000;

/// Sync jobs for `retail-signed`, an inactive client: each is a real `SyncProductToStore` that has nothing
/// to do, so the run measures the queue and nothing else.
fn idle_syncs(from: usize, n: usize) -> Vec<SyncRequest> {
    (from..from + n)
        .map(|i| SyncRequest {
            store: StoreCode::parse("retail-signed").unwrap(),
            sku: Sku::parse(&format!("BURST-{i}")).unwrap(),
        })
        .collect()
}

async fn sync_runs(app: &TestApp) -> i64 {
    app.count("SELECT CAST(COALESCE(SUM(runs), 0) AS SIGNED) FROM job_minutes WHERE job = 'sync_product_to_store'")
        .await
}

async fn a_burst_queued_before_any_worker_starts_drains_completely(backend: Backend) {
    let env = Env::new(backend).await;
    let queue = ApalisJobQueue::connect(env.settings().queue).await.unwrap();
    // A queue in use before: a worker ran two jobs and stopped (SQLite keeps statistics of the queue's table
    // from when it was that small).
    queue.enqueue_syncs(&idle_syncs(0, 2)).await.unwrap();
    let earlier = env.spawn(Mode::Worker).await;
    eventually(30, "the first two jobs have run", || async { sync_runs(&earlier).await == 2 }).await;
    earlier.stop().await;

    for chunk in 0..BURST / 500 {
        queue.enqueue_syncs(&idle_syncs(2 + chunk * 500, 500)).await.unwrap();
    }
    assert_eq!(queue.depth(JobType::SyncProductToStore).await.unwrap(), BURST as u64, "the whole burst is queued");

    let app = env.spawn(Mode::Worker).await;
    eventually(300, "every job of the burst has run", || async { sync_runs(&app).await == 2 + BURST as i64 }).await;
    assert_eq!(app.depth(JobType::SyncProductToStore).await, 0, "nothing is left in the queue");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_50000_jobs_queued_before_any_worker_starts_drains_completely_on_redis() {
    a_burst_queued_before_any_worker_starts_drains_completely(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_50000_jobs_queued_before_any_worker_starts_drains_completely_on_sqlite() {
    a_burst_queued_before_any_worker_starts_drains_completely(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_queue_wedged_by_an_older_hub_drains_once_its_workers_are_upgraded() {
    let env = Env::new(Backend::MariaDbRedis).await;
    let settings = env.settings();
    let queue = settings.queue.names.sync_product_to_store.clone();
    let mut r =
        redis::aio::ConnectionManager::new(redis::Client::open(settings.queue.url.as_str()).unwrap()).await.unwrap();
    // What apalis-redis's own push left behind: every job in the scheduled set, due now, more than its fetch
    // can move to the ready list in one go.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    const WEDGED: usize = 10_000;
    for chunk in 0..WEDGED / 1_000 {
        let mut pipe = redis::pipe();
        for i in chunk * 1_000..(chunk + 1) * 1_000 {
            let id = format!("01KWEDGED{i:017}");
            let job = serde_json::json!({"store": "retail-signed", "sku": format!("WEDGED-{i}")}).to_string();
            pipe.cmd("HSET").arg(format!("{queue}:data")).arg(&id).arg(job);
            pipe.cmd("HSET")
                .arg(format!("{queue}:meta:{id}"))
                .arg("attempts")
                .arg(0)
                .arg("max_attempts")
                .arg(1)
                .arg("status")
                .arg("Pending")
                .arg("idempotency_key")
                .arg("");
            pipe.cmd("ZADD").arg(format!("{queue}:scheduled")).arg(now).arg(&id);
        }
        pipe.query_async::<()>(&mut r).await.unwrap();
    }

    let app = env.spawn(Mode::Worker).await;
    eventually(300, "every wedged job has run", || async { sync_runs(&app).await == WEDGED as i64 }).await;
    assert_eq!(app.depth(JobType::SyncProductToStore).await, 0, "nothing is left in the queue");
    app.stop().await;
}

/// A job pushed into the storage as raw bytes, beside the hub's own push: `id` must be a ULID (apalis-sqlite
/// reads ids as ULIDs).
async fn push_raw(env: &Env, id: &str, raw: &[u8]) {
    let settings = env.settings();
    let queue = settings.queue.names.sync_product_to_store.clone();
    if settings.queue.url.starts_with("redis") {
        // What apalis-redis writes for a job ready to run: its data, its metadata, its id on the ready list.
        let mut r = redis::aio::ConnectionManager::new(redis::Client::open(settings.queue.url.as_str()).unwrap())
            .await
            .unwrap();
        redis::pipe()
            .cmd("HSET")
            .arg(format!("{queue}:data"))
            .arg(id)
            .arg(raw)
            .cmd("HSET")
            .arg(format!("{queue}:meta:{id}"))
            .arg("attempts")
            .arg(0)
            .arg("max_attempts")
            .arg(1)
            .arg("status")
            .arg("Pending")
            .cmd("RPUSH")
            .arg(format!("{queue}:active"))
            .arg(id)
            .query_async::<()>(&mut r)
            .await
            .unwrap();
    } else {
        // The storage creates its tables on connect.
        ApalisJobQueue::connect(settings.queue.clone()).await.unwrap();
        let db = sea_orm::Database::connect(settings.queue.url.as_str()).await.unwrap();
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts, run_at, priority, metadata) \
             VALUES (?, ?, ?, 'Pending', 0, 1, strftime('%s', 'now'), 0, '{}')",
            vec![raw.to_vec().into(), id.into(), queue.into()],
        ))
        .await
        .unwrap();
    }
}

/// The storage's own record of a job's state.
async fn job_status(env: &Env, id: &str) -> Option<String> {
    let settings = env.settings();
    let queue = settings.queue.names.sync_product_to_store.clone();
    if settings.queue.url.starts_with("redis") {
        let mut r = redis::aio::ConnectionManager::new(redis::Client::open(settings.queue.url.as_str()).unwrap())
            .await
            .unwrap();
        redis::cmd("HGET").arg(format!("{queue}:meta:{id}")).arg("status").query_async(&mut r).await.unwrap()
    } else {
        let db = sea_orm::Database::connect(settings.queue.url.as_str()).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT status FROM Jobs WHERE id = ?",
                vec![id.into()],
            ))
            .await
            .unwrap()?;
        row.try_get_by_index::<String>(0).ok()
    }
}

async fn failed_job(db: &DatabaseConnection, subject: &str) -> Option<(String, String, String)> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT job, payload, error FROM failed_jobs WHERE subject = ? AND status = 'failed'",
            vec![subject.into()],
        ))
        .await
        .unwrap()?;
    Some((row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap()))
}

async fn an_undecodable_payload_is_kept_as_a_failed_job_with_its_error_and_the_next_job_runs(backend: Backend) {
    let env = Env::new(backend).await;
    let (not_json, wrong_shape, good) =
        ("01KBADBYTES000000000000001", "01KBADSHAPE000000000000002", "01KG00DJ0B0000000000000003");
    push_raw(&env, not_json, b"\xff\xfe{not json").await;
    push_raw(&env, wrong_shape, br#"{"store":42,"sku":"RAW-1"}"#).await;
    push_raw(&env, good, br#"{"store":"retail-signed","sku":"RAW-2"}"#).await;

    let app = env.spawn(Mode::Worker).await;
    eventually(60, "the job queued after them has run", || async {
        job_status(&env, good).await.as_deref() == Some("Done")
    })
    .await;
    eventually(60, "both undecodable payloads are kept as failed jobs", || async {
        failed_job(&app.db, &format!("task {not_json}")).await.is_some()
            && failed_job(&app.db, &format!("task {wrong_shape}")).await.is_some()
    })
    .await;

    let (job, payload, error) = failed_job(&app.db, &format!("task {wrong_shape}")).await.unwrap();
    assert_eq!(job, "sync_product_to_store");
    assert_eq!(payload, r#"{"store":42,"sku":"RAW-1"}"#, "the raw payload is kept as it was queued");
    assert!(error.starts_with("undecodable payload: invalid type: integer `42`"), "the decode error: {error}");
    let (_, payload, error) = failed_job(&app.db, &format!("task {not_json}")).await.unwrap();
    assert_eq!(payload, "\u{fffd}\u{fffd}{not json", "bytes that are not text are kept as lossy text");
    assert!(error.starts_with("undecodable payload: expected value"), "the decode error: {error}");
    for id in [not_json, wrong_shape] {
        assert_eq!(job_status(&env, id).await.as_deref(), Some("Killed"), "the storage keeps {id} as dead");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_payload_is_kept_as_a_failed_job_with_its_error_and_the_next_job_runs_on_redis() {
    an_undecodable_payload_is_kept_as_a_failed_job_with_its_error_and_the_next_job_runs(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_payload_is_kept_as_a_failed_job_with_its_error_and_the_next_job_runs_on_sqlite() {
    an_undecodable_payload_is_kept_as_a_failed_job_with_its_error_and_the_next_job_runs(Backend::Sqlite).await;
}

/// A MariaDB server of this test's own (its data in a temporary directory), so stopping it disturbs no other
/// test.
struct PrivateMariaDb {
    dir: PathBuf,
    port: u16,
    server: Option<Child>,
}

impl PrivateMariaDb {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(unique("hub-mariadb-"));
        let installed = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--auth-root-authentication-method=normal", "--skip-test-db"])
            .arg(format!("--datadir={}", dir.join("data").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("mariadb-install-db on PATH");
        assert!(installed.success(), "mariadb-install-db");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut me = Self { dir, port, server: None };
        me.resume();
        me
    }

    /// Starts the server on its data (again).
    fn resume(&mut self) {
        let child = Command::new("mariadbd")
            .args(["--no-defaults", "--bind-address=127.0.0.1", "--user=root", "--innodb-buffer-pool-size=32M"])
            .arg(format!("--datadir={}", self.dir.join("data").display()))
            .arg(format!("--port={}", self.port))
            .arg(format!("--socket={}", self.dir.join("s").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd on PATH");
        self.server = Some(child);
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("private MariaDB did not start");
    }

    /// Kills the server, as a crash or a lost host would.
    fn kill(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `hub_jobs_total{job="sync_product_to_store",outcome="failed"}` of a worker process.
async fn syncs_failed_for_good(http: &reqwest::Client, base: &str) -> f64 {
    let Ok(r) = http.get(format!("{base}/metrics")).send().await else { return 0.0 };
    r.text()
        .await
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.starts_with("hub_jobs_total{")
                && l.contains(r#"job="sync_product_to_store""#)
                && l.contains(r#"outcome="failed""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_for_good_while_the_database_is_down_is_kept_as_failed_once_it_is_back() {
    let mut mariadb = PrivateMariaDb::start();
    let admin = sea_orm::Database::connect(mariadb.url("mysql")).await.unwrap();
    admin.execute_unprepared("CREATE DATABASE hub").await.unwrap();
    drop(admin);
    let env = Env::new(Backend::MariaDbRedis).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let _worker = env.process_with_env(
        "hub-worker",
        &unique("db-down-"),
        &[
            ("HUB_DATABASE__URL", mariadb.url("hub")),
            ("HUB_WORKER__LISTEN", format!("127.0.0.1:{port}")),
            ("HUB_WORKER__MAX_ATTEMPTS", "2".into()),
        ],
    );
    eventually(30, "the worker is up (and has migrated its database)", || async {
        http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success())
    })
    .await;

    // The database goes away; a sync arrives, fails at every attempt (it cannot take its lease) and is given
    // up, while its failure cannot be written either.
    mariadb.kill();
    let queue = ApalisJobQueue::connect(env.settings().queue).await.unwrap();
    let request = SyncRequest { store: StoreCode::parse("retail-1").unwrap(), sku: Sku::parse("WHS-DOWN").unwrap() };
    queue.enqueue_syncs(&[request]).await.unwrap();
    eventually(60, "the sync has failed for good", || async { syncs_failed_for_good(&http, &base).await >= 1.0 }).await;
    // Longer than the pool waits for a connection (5 s): the worker's first try to keep the job fails.
    tokio::time::sleep(Duration::from_secs(10)).await;

    mariadb.resume();
    let db = sea_orm::Database::connect(mariadb.url("hub")).await.unwrap();
    eventually(90, "the failed sync is kept for an operator once the database is back", || async {
        failed_job(&db, "retail-1/WHS-DOWN").await.is_some()
    })
    .await;
    let (job, payload, error) = failed_job(&db, "retail-1/WHS-DOWN").await.unwrap();
    assert_eq!(job, "sync_product_to_store");
    assert!(payload.contains(r#""store":"retail-1""#) && payload.contains(r#""sku":"WHS-DOWN""#), "{payload}");
    assert!(error.contains("database unavailable"), "the last error: {error}");
}

const WATCHDOG_SECS: u64 = 3;

/// The watchdog of the embedded queue (seen on a real shop, docs/real-shops.md: workers that stopped polling
/// and heart-beating without failing). Here every worker's heartbeat is held back by another connection that
/// keeps the queue file's write lock for 6 s; the watchdog (3 s) drops the silent workers and starts them
/// again, and once the lock is gone they register anew and the queue runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_worker_that_stops_heart_beating_is_started_again_and_its_queue_runs() {
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| s.queue.watchdog_secs = WATCHDOG_SECS).await;
    let settings = env.settings();
    let queue = sea_orm::Database::connect(settings.queue.url.as_str()).await.unwrap();
    let worker = format!("{}-fan-out", settings.worker.name());
    let started = |db: DatabaseConnection, id: String| async move {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT started_at FROM Workers WHERE id = ?",
                vec![id.into()],
            ))
            .await
            .unwrap()?;
        row.try_get_by_index::<i64>(0).ok()
    };
    let mut first = None;
    for _ in 0..50 {
        first = started(queue.clone(), worker.clone()).await;
        if first.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = first.expect("the fan-out worker registered");

    let held = queue.begin().await.unwrap();
    held.execute_unprepared("UPDATE Workers SET last_seen = last_seen").await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    held.commit().await.unwrap();

    eventually(30, "the silent worker was started again (registered anew)", || {
        let (db, id) = (queue.clone(), worker.clone());
        async move { started(db, id).await.is_some_and(|t| t > first) }
    })
    .await;
    let event = new_id();
    let r = app
        .post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&event, "WATCHDOG-1", "1.00", 1, "2026-11-27T09:00:00Z"),
        )
        .await;
    assert_eq!(r.status(), 202);
    eventually(30, "the restarted workers run the queue", || async {
        app.status_of(&event).await == Some(hub_domain::EventStatus::Processed)
    })
    .await;
    app.stop().await;
}

/// The embedded workers' silent wedge itself, with the watchdog off: another connection takes the queue file's
/// write lock for 100–300 ms, lets go for 0–200 ms, again and again for 30 s, so the workers' fetches are slow
/// and their heartbeats come due in the middle of them. With apalis' own interval strategy every worker stopped
/// heart-beating and polling for good within 35 s of this (reproduced by hand on the same binary); with the
/// hub's re-armed tick each keeps beating, and the queue runs afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_workers_keep_beating_and_polling_through_a_busy_queue_file_without_the_watchdog() {
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            s.queue.watchdog_secs = 0;
            s.queue.heartbeat_secs = 1;
            s.queue.poll_interval_ms = 50;
        })
        .await;
    let settings = env.settings();
    let queue = sea_orm::Database::connect(settings.queue.url.as_str()).await.unwrap();
    let ages = |db: DatabaseConnection| async move {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT id, strftime('%s','now') - last_seen FROM Workers",
                vec![],
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<i64>(1).unwrap()))
            .collect::<Vec<_>>()
    };
    eventually(10, "the fan-out and sync workers registered", || {
        let db = queue.clone();
        async move { ages(db).await.len() >= 2 }
    })
    .await;

    let until = std::time::Instant::now() + Duration::from_secs(30);
    let mut i: u64 = 0;
    let mut worst = 0;
    while std::time::Instant::now() < until {
        i += 1;
        let held = queue.begin().await.unwrap();
        held.execute_unprepared("UPDATE Workers SET last_seen = last_seen").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100 + (i * 37) % 200)).await;
        held.rollback().await.unwrap();
        tokio::time::sleep(Duration::from_millis((i * 53) % 200)).await;
        if i.is_multiple_of(10) {
            worst = worst.max(ages(queue.clone()).await.iter().map(|(_, age)| *age).max().unwrap_or(0));
        }
    }
    // A wedged worker never beats again: give the others a moment, then every one must be fresh.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = ages(queue.clone()).await;
    assert!(after.iter().all(|(_, age)| *age <= 3), "a worker stopped heart-beating: {after:?}");
    let event = new_id();
    let r = app
        .post(
            "/api/sync/product",
            Some(SOURCE_KEY),
            &product_event(&event, "BUSY-1", "1.00", 1, "2026-11-27T09:00:00Z"),
        )
        .await;
    assert_eq!(r.status(), 202);
    eventually(10, "the queue runs", || async {
        app.status_of(&event).await == Some(hub_domain::EventStatus::Processed)
    })
    .await;
    eprintln!("worst heartbeat age during the contention: {worst} s");
    app.stop().await;
}
