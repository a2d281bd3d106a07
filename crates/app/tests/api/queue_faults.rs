//! Nothing accepted is lost under real faults of the queue's own making (issue 12): a backlog larger than
//! any limit of the storage.

use hub_app::Mode;
use hub_domain::{JobQueue, JobType, Sku, StoreCode, SyncRequest};
use hub_queue::ApalisJobQueue;

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
