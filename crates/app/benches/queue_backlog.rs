//! Drain rate against the backlog (decision 6): a `hub-worker` (in process, default worker settings) drains
//! `SyncProductToStore` jobs for an inactive client — the real handler, which has nothing to do — so the figure
//! is the queue's own cost per job. Measured on Redis (a private `redis-server` started here, no persistence)
//! and on SQLite (a temporary directory), with 10,000 jobs queued (three times) and with 1,000,000 (once,
//! over more windows), as the median and range of the rates over windows of 2,000 jobs after a warm-up; the
//! machine is shared, so single windows are noisy. The queue has been used before (a worker ran two jobs
//! and stopped), as a real one has. Bounded: each phase has a deadline, a run does not wait for the rest of
//! the backlog, and everything it created is deleted at the end. `cargo bench -p hub-app --bench
//! queue_backlog`.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use hub_app::{Application, Mode, RunningApp, Settings};
use hub_domain::{JobQueue, Sku, StoreCode, SyncRequest};
use hub_queue::ApalisJobQueue;
use sea_orm::{ConnectionTrait, Statement};

/// Jobs run before the first window opens.
const WARM_UP: u64 = 1_000;
/// Jobs per measured window.
const WINDOW: u64 = 2_000;
/// The longest any phase may take (queueing a million jobs into SQLite, one transaction each, is the longest).
const DEADLINE: Duration = Duration::from_secs(1_800);

/// A directory and a Redis server of this run's own, removed when dropped (even when a phase fails).
struct Scratch {
    dir: PathBuf,
    redis: Option<Child>,
    redis_port: u16,
}

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("hub-bench-backlog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let redis_port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
        let redis = Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", redis_port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "private Redis did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { dir, redis: Some(redis), redis_port }
    }

    fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.redis_port)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(mut r) = self.redis.take() {
            let _ = r.kill();
            let _ = r.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Redis,
    Sqlite,
}

fn settings(scratch: &Scratch, backend: Backend, run: &str) -> Settings {
    let dir = scratch.dir.join(run);
    std::fs::create_dir_all(&dir).expect("run directory");
    let queue = match backend {
        Backend::Redis => format!(
            "backend = \"redis\"\nurl = \"{}\"\n[queue.names]\nfan_out_product = \"{run}:fan-out\"\nreplicate_order = \"{run}:replicate\"\nsync_product_to_store = \"{run}:sync\"",
            scratch.redis_url()
        ),
        Backend::Sqlite => format!("backend = \"sqlite\"\nurl = \"sqlite://{}/queue.db\"", dir.display()),
    };
    let toml = format!(
        r#"
[database]
url = "sqlite://{}/hub.db?mode=rwc"
[log]
level = "warn"
[queue]
{queue}
[[stores]]
code = "wholesaler"
role = "source"
api_key = "bench-source-key-0123456789"
[[stores]]
code = "retail-off"
role = "client"
active = false
api_key = "bench-client-key-0123456789"
"#,
        dir.display()
    );
    Settings::from_figment(Figment::new().merge(Toml::string(&toml))).expect("settings")
}

fn idle_syncs(from: u64, n: u64) -> Vec<SyncRequest> {
    let store = StoreCode::parse("retail-off").expect("store code");
    (from..from + n)
        .map(|i| SyncRequest { store: store.clone(), sku: Sku::parse(&format!("B-{i}")).expect("sku") })
        .collect()
}

/// Reads how many jobs the storage has recorded done: a set's size on Redis, the rows of one status (through
/// their partial index) on SQLite — cheap at any backlog.
enum DoneCounter {
    Redis(redis::aio::MultiplexedConnection, String),
    Sqlite(sea_orm::DatabaseConnection),
}

impl DoneCounter {
    async fn new(settings: &Settings) -> Self {
        if settings.queue.url.starts_with("redis") {
            let client = redis::Client::open(settings.queue.url.as_str()).expect("redis url");
            let conn = client.get_multiplexed_async_connection().await.expect("redis");
            Self::Redis(conn, format!("{}:done", settings.queue.names.sync_product_to_store))
        } else {
            Self::Sqlite(sea_orm::Database::connect(settings.queue.url.as_str()).await.expect("queue file"))
        }
    }

    async fn done(&mut self) -> u64 {
        match self {
            Self::Redis(conn, set) => redis::cmd("SCARD").arg(&*set).query_async(conn).await.expect("SCARD"),
            Self::Sqlite(db) => {
                let row = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        "SELECT COUNT(*) FROM Jobs WHERE status = 'Done' AND done_at IS NOT NULL",
                    ))
                    .await
                    .expect("count")
                    .expect("a row");
                row.try_get_by_index::<i64>(0).expect("count").max(0) as u64
            }
        }
    }

    /// Waits until at least `n` jobs are done; returns when.
    async fn wait_for(&mut self, n: u64, what: &str) -> Instant {
        let started = Instant::now();
        loop {
            if self.done().await >= n {
                return Instant::now();
            }
            assert!(started.elapsed() < DEADLINE, "{what}: fewer than {n} jobs done after {DEADLINE:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn worker(settings: &Settings) -> RunningApp {
    Application::build(settings.clone(), Mode::Worker).await.expect("worker starts").spawn()
}

/// Queues `backlog` jobs in a queue used before, starts a worker, and returns the push rate and the drain
/// rate of each of `windows` windows, in jobs per second.
async fn measure(scratch: &Scratch, backend: Backend, backlog: u64, windows: u64, run: &str) -> (f64, Vec<f64>) {
    let mut settings = settings(scratch, backend, run);
    // A push waits for the storage; under a million-job load on two shared cores, give it time.
    settings.queue.push_timeout_ms = 30_000;
    let queue = ApalisJobQueue::connect(settings.queue.clone()).await.expect("queue");
    let mut counter = DoneCounter::new(&settings).await;
    queue.enqueue_syncs(&idle_syncs(0, 2)).await.expect("push");
    let earlier = worker(&settings).await;
    counter.wait_for(2, "the queue's first jobs").await;
    earlier.stop().await;

    let pushed = Instant::now();
    let mut n = 0;
    while n < backlog {
        let chunk = (backlog - n).min(1_000);
        queue.enqueue_syncs(&idle_syncs(2 + n, chunk)).await.expect("push");
        n += chunk;
        assert!(pushed.elapsed() < DEADLINE, "pushing {backlog} jobs took longer than {DEADLINE:?}");
    }
    let push_rate = backlog as f64 / pushed.elapsed().as_secs_f64();

    let app = worker(&settings).await;
    let mut from = counter.wait_for(2 + WARM_UP, "warm-up").await;
    let mut rates = Vec::new();
    for w in 1..=windows {
        let to = counter.wait_for(2 + WARM_UP + w * WINDOW, "window").await;
        rates.push(WINDOW as f64 / (to - from).as_secs_f64());
        from = to;
    }
    app.stop().await;
    (push_rate, rates)
}

fn median(rates: &mut [f64]) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let scratch = Scratch::new();
    rt.block_on(async {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("{cores} cores; drain rates over windows of {WINDOW} jobs after {WARM_UP}: median (min–max)");
        println!("backend | jobs queued | queued at (jobs/s) | drained at (jobs/s) | per job (median)");
        for backend in [Backend::Redis, Backend::Sqlite] {
            for (backlog, runs, windows) in [(10_000, 3, 4), (1_000_000, 1, 12)] {
                let (mut pushes, mut rates) = (Vec::new(), Vec::new());
                for r in 0..runs {
                    let run = format!("{}-{backlog}-{r}", format!("{backend:?}").to_lowercase());
                    let (push, drained) = measure(&scratch, backend, backlog, windows, &run).await;
                    pushes.push(push);
                    rates.extend(drained);
                }
                let (low, high) =
                    (rates.iter().copied().fold(f64::MAX, f64::min), rates.iter().copied().fold(0.0, f64::max));
                let mid = median(&mut rates);
                println!(
                    "{backend:?} | {backlog} | {:.0} | {mid:.0} ({low:.0}–{high:.0}) | {:.0} µs",
                    median(&mut pushes),
                    1_000_000.0 / mid
                );
            }
        }
    });
    drop(rt);
    drop(scratch);
}
