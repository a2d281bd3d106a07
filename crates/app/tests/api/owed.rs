//! What the queue loses, the database still owes: syncs lost with an emptied Redis are queued again.

use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::{JobType, Secret};
use prestashop_sim::{SimConfig, Simulator};

use crate::{helpers::*, instances::PrivateRedis};

fn wire(s: &mut Settings, retail1: &Simulator, retail2: &Simulator) {
    for store in &mut s.stores {
        let sim = match store.code.as_str() {
            "retail-1" => retail1,
            "retail-2" => retail2,
            _ => continue,
        };
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.timeout_ms = 2_000;
    }
}

/// Fans out `SKUS` product events with only fan-outs running (their syncs wait in the queue), loses the
/// whole queue with `lose`; lets the owed-sync sweep queue them again, still with only fan-outs running,
/// and loses the queue once more; then checks that every client ends right.
async fn lost_syncs_are_queued_again(env: Env, mut queue: LosableQueue) {
    const SKUS: usize = 20;
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    let ids: Vec<(u64, u64)> = (0..SKUS)
        .map(|i| {
            let sku = format!("OWED-{i:02}");
            (r1.seed_product(&sku, "Owed", "1.00", 0), r2.seed_product(&sku, "Owed", "1.00", 0))
        })
        .collect();
    // First only fan-outs run: every product state is recorded and its syncs wait in Redis.
    let fan_out_only = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            s.worker.jobs = vec!["fan_out_product".into()];
        })
        .await;
    let mut events = Vec::new();
    for i in 0..SKUS {
        let id = new_id();
        let body = product_event(&id, &format!("OWED-{i:02}"), "10.00", 40 + i as i64, "2026-11-27T09:59:58Z");
        assert_eq!(fan_out_only.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
        events.push(id);
    }
    eventually(30, "every event fanned out", || async {
        fan_out_only.count("SELECT COUNT(*) FROM inbox_events WHERE status <> 'processed'").await == 0
    })
    .await;
    assert_eq!(fan_out_only.depth(JobType::SyncProductToStore).await, 2 * SKUS as u64, "the syncs wait in Redis");
    fan_out_only.stop().await;

    // The queue dies and comes back with nothing: every queued sync is gone.
    queue.lose().await;
    // The sweep queues them again from what the database owes — and that queue is lost too.
    let sweep_only = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r2);
            s.worker.jobs = vec!["fan_out_product".into()];
        })
        .await;
    eventually(30, "the owed syncs queued again", || async {
        sweep_only.depth(JobType::SyncProductToStore).await == 2 * SKUS as u64
    })
    .await;
    sweep_only.stop().await;
    queue.lose().await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    assert_eq!(app.depth(JobType::SyncProductToStore).await, 0, "the queue lost them");
    for (i, (p1, p2)) in ids.iter().enumerate() {
        let quantity = 40 + i as i64;
        eventually(60, "retail-1 repaired", || async {
            r1.product_state(*p1) == Some(("13.000000".into(), true, quantity))
        })
        .await;
        eventually(10, "retail-2 repaired", || async {
            r2.product_state(*p2) == Some(("10.000000".into(), true, quantity))
        })
        .await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sync_requeues WHERE attempts >= 2").await,
        2 * SKUS as i64,
        "each pair queued again, and again once that was lost"
    );
    app.stop().await;
}

/// A queue a test can lose whole.
enum LosableQueue {
    /// A private Redis without persistence: restarted empty.
    Redis(PrivateRedis),
    /// The embedded queue's SQLite file, in this folder: deleted.
    File(std::path::PathBuf),
}

impl LosableQueue {
    async fn lose(&mut self) {
        match self {
            LosableQueue::Redis(redis) => redis.restart().await,
            LosableQueue::File(dir) => {
                for file in ["queue.db", "queue.db-wal", "queue.db-shm"] {
                    let _ = std::fs::remove_file(dir.join(file));
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_lost_with_a_redis_restarted_empty_are_queued_again_from_what_the_database_owes() {
    let redis = PrivateRedis::start().await;
    let env = Env::with(Backend::MariaDbRedis, "owed_after_secs = 2\nowed_retry_secs = 2\n", &redis.url()).await;
    lost_syncs_are_queued_again(env, LosableQueue::Redis(redis)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_lost_with_the_embedded_queue_file_are_queued_again_from_what_the_database_owes() {
    let env = Env::with(Backend::Sqlite, "owed_after_secs = 2\nowed_retry_secs = 2\n", &redis_url()).await;
    let dir = env.dir.clone();
    lost_syncs_are_queued_again(env, LosableQueue::File(dir)).await;
}
