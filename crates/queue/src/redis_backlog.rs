//! The Redis queue's backlog, beside apalis-redis's own keys (decision 6).
//!
//! apalis-redis 1.0 puts every job it is given into `<queue>:scheduled`, a sorted set, and each fetch moves
//! *all* due ids from there to the ready list `<queue>:active` with one Lua `unpack`, which fails above about
//! 8,000 ids: a backlog that large wedged every worker for good. And each job a worker locks costs an `LREM`
//! over the ready list, so a long ready list makes every job cost time in proportion to the backlog.
//!
//! So a job ready to run is written here exactly as apalis-redis writes one (its data hash entry and its
//! metadata hash) but never enters the scheduled set: its id goes onto the ready list when that list is
//! shorter than [`READY_LIST_CAP`] and nothing waits in the backlog before it, else onto `<queue>:backlog`, a
//! list of ours. Every worker process tops the ready list up from the backlog, and moves ids that fell due in
//! the scheduled set (retries apalis-redis itself schedules, jobs queued by an older hub) to the backlog, in
//! chunks of at most [`CHUNK`]. Both scripts are atomic, so any number of APIs and workers may run them.

use std::time::Duration;

use apalis_redis::{Config, ConnectionManager};
use redis::Script;
use serde::Serialize;
use tokio::sync::watch;

use crate::backend::single;

/// Most ids on a queue's ready list. Each lock costs an `LREM` over the list, so its length bounds the cost of
/// a job; it only needs to hold what the workers fetch between two top-ups (a poll interval).
pub(crate) const READY_LIST_CAP: usize = 1_000;

/// Most ids one script call moves (below Lua's `unpack` limit, and a bounded pause of Redis).
pub(crate) const CHUNK: usize = 1_000;

/// The backlog list of a queue.
pub(crate) fn backlog_list(config: &Config) -> String {
    format!("{}:backlog", config.queue.as_ref())
}

/// Writes each job as apalis-redis's `batch_push.lua` does (data, then metadata: `attempts`, `max_attempts`,
/// `status`, `idempotency_key` and the task's own metadata), then queues its id on the ready list or the
/// backlog, and announces the push on the queue's channel (`crate::wake`: the workers of other processes wake
/// at once). A job given a pending key is left out while that key exists — a job for the same thing waits and
/// has not started yet, so it will read what this one would (coalescing, [`push_coalesced`]) — and sets the
/// key (expiring after ARGV[2] s) when it is queued. KEYS: data hash, ready list, signal list, metadata
/// prefix, backlog list, push channel. ARGV: the ready list's cap, the pending keys' lifetime (s), then six
/// values per job: id, data, attempts, max attempts, metadata JSON, pending key ("" for none). Returns {ids put
/// on the ready list, ids put on the backlog, jobs left out}.
const PUSH_SCRIPT: &str = r#"
local cap = tonumber(ARGV[1])
local ready, backlogged, coalesced = 0, 0, 0
for i = 3, #ARGV, 6 do
  local id = ARGV[i]
  local pending = ARGV[i + 5]
  if pending ~= "" and not redis.call("set", pending, id, "NX", "EX", ARGV[2]) then
    coalesced = coalesced + 1
  elseif redis.call("hsetnx", KEYS[1], id, ARGV[i + 1]) == 1 then
    local meta = {"attempts", tonumber(ARGV[i + 2]), "max_attempts", tonumber(ARGV[i + 3]), "status", "Pending",
                  "idempotency_key", ""}
    local ok, decoded = pcall(cjson.decode, ARGV[i + 4])
    if ok and type(decoded) == "table" then
      for k, v in pairs(decoded) do
        if type(v) == "table" then
          v = cjson.encode(v)
        end
        table.insert(meta, k)
        table.insert(meta, tostring(v))
      end
    end
    redis.call("hset", KEYS[4] .. ":" .. id, unpack(meta))
    if redis.call("llen", KEYS[5]) == 0 and redis.call("llen", KEYS[2]) < cap then
      redis.call("rpush", KEYS[2], id)
      ready = ready + 1
    else
      redis.call("rpush", KEYS[5], id)
      backlogged = backlogged + 1
    end
  end
end
if ready > 0 then
  redis.call("del", KEYS[3])
  redis.call("lpush", KEYS[3], 1)
end
if ready + backlogged > 0 then
  redis.call("publish", KEYS[6], ready + backlogged)
end
return {ready, backlogged, coalesced}
"#;

/// Moves up to a chunk of due ids from the scheduled set to the backlog's tail, then tops the ready list up
/// from the backlog's head, a chunk at most. KEYS: ready list, backlog list, scheduled set, signal list.
/// ARGV: now (seconds, apalis-redis's clock), the ready list's cap, the chunk. Returns {ids taken from the
/// scheduled set, ids put on the ready list, ids left in the backlog}.
const FEED_SCRIPT: &str = r#"
local chunk = tonumber(ARGV[3])
local due = redis.call("zrangebyscore", KEYS[3], 0, ARGV[1], "LIMIT", 0, chunk)
for _, id in ipairs(due) do
  redis.call("zrem", KEYS[3], id)
  redis.call("rpush", KEYS[2], id)
end
local room = math.min(tonumber(ARGV[2]) - redis.call("llen", KEYS[1]), chunk)
local fed = 0
if room > 0 then
  local ids = redis.call("lrange", KEYS[2], 0, room - 1)
  if #ids > 0 then
    redis.call("ltrim", KEYS[2], #ids, -1)
    for _, id in ipairs(ids) do
      redis.call("rpush", KEYS[1], id)
    end
    fed = #ids
    redis.call("del", KEYS[4])
    redis.call("lpush", KEYS[4], 1)
  end
end
return {#due, fed, redis.call("llen", KEYS[2])}
"#;

/// Queues `jobs` (JSON, as apalis-redis's `JsonCodec` writes them) on the queue of `config`, in chunks.
///
/// # Errors
/// When Redis cannot be reached or refuses the script.
pub(crate) async fn push<T: Serialize>(
    conn: &mut ConnectionManager,
    config: &Config,
    jobs: &[T],
) -> Result<(), redis::RedisError> {
    push_coalesced(conn, config, jobs, |_| None).await.map(|_| ())
}

/// How long a pending key outlives its job at most: a job that waits longer in a backlog lets one more job for
/// the same thing in, which coalesces all the same.
pub(crate) const PENDING_KEY_SECS: u64 = 600;

/// Like [`push`], leaving out each job whose `pending_key` names a job of the same queue that waits and has
/// not started (the worker deletes the key when it starts it, *before* it reads anything). Returns how many
/// were left out.
///
/// # Errors
/// When Redis cannot be reached or refuses the script.
pub(crate) async fn push_coalesced<T: Serialize>(
    conn: &mut ConnectionManager,
    config: &Config,
    jobs: &[T],
    pending_key: impl Fn(&T) -> Option<String>,
) -> Result<u64, redis::RedisError> {
    let script = Script::new(PUSH_SCRIPT);
    let mut coalesced = 0;
    for chunk in jobs.chunks(CHUNK) {
        let mut call = script.prepare_invoke();
        call.key(config.job_data_hash())
            .key(config.active_jobs_list())
            .key(config.signal_list())
            .key(config.job_meta_hash())
            .key(backlog_list(config))
            .key(crate::wake::channel(config.queue.as_ref()))
            .arg(READY_LIST_CAP)
            .arg(PENDING_KEY_SECS);
        for job in chunk {
            // Read as apalis-redis's `push_tasks` reads a task.
            let task = single(job);
            let data = serde_json::to_vec(task.args).map_err(|e| redis::RedisError::from(std::io::Error::other(e)))?;
            let meta = serde_json::to_string(task.metadata())
                .map_err(|e| redis::RedisError::from(std::io::Error::other(e)))?;
            call.arg(ulid::Ulid::generate().to_string())
                .arg(data)
                .arg(task.attempt())
                .arg(task.max_attempts().unwrap_or(1))
                .arg(meta)
                .arg(pending_key(job).unwrap_or_default());
        }
        coalesced += call.invoke_async::<(u64, u64, u64)>(conn).await?.2;
    }
    Ok(coalesced)
}

/// What one feed did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fed {
    /// Ids taken from the scheduled set.
    pub(crate) from_scheduled: u64,
    /// Ids put on the ready list.
    pub(crate) to_ready: u64,
    /// Ids left in the backlog.
    pub(crate) backlog: u64,
}

/// One feed of the ready list of `config`'s queue.
///
/// # Errors
/// When Redis cannot be reached or refuses the script.
pub(crate) async fn feed(conn: &mut ConnectionManager, config: &Config) -> Result<Fed, redis::RedisError> {
    // apalis-redis scores scheduled jobs in seconds since the epoch.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (from_scheduled, to_ready, backlog): (u64, u64, u64) = Script::new(FEED_SCRIPT)
        .key(config.active_jobs_list())
        .key(backlog_list(config))
        .key(config.scheduled_jobs_set())
        .key(config.signal_list())
        .arg(now)
        .arg(READY_LIST_CAP)
        .arg(CHUNK)
        .invoke_async(conn)
        .await?;
    Ok(Fed { from_scheduled, to_ready, backlog })
}

/// Feeds `config`'s queue every `poll` (at once again while a full chunk left the scheduled set) until
/// `shutdown` turns true. Redis errors are logged once per outage and retried.
pub(crate) async fn feed_until_stopped(
    mut conn: ConnectionManager,
    config: Config,
    poll: Duration,
    pushed: std::sync::Arc<crate::wake::Pushed>,
    mut shutdown: watch::Receiver<bool>,
) {
    let queue = config.queue.as_ref().to_owned();
    let mut failing = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = match feed(&mut conn, &config).await {
            Ok(fed) => {
                if failing {
                    tracing::info!(queue, "feeding the ready list again");
                    failing = false;
                }
                if fed.to_ready > 0 {
                    pushed.raise();
                }
                if fed.from_scheduled >= CHUNK as u64 { Duration::ZERO } else { poll }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(queue, error = %e, "cannot feed the ready list from the backlog; will retry");
                    failing = true;
                }
                poll.max(Duration::from_secs(1))
            }
        };
        if pause.is_zero() {
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = pushed.feeder_woken(), if !failing => {}
            changed = shutdown.changed() => if changed.is_err() { return },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use apalis::prelude::TaskSink;
    use apalis_redis::RedisStorage;

    use super::*;
    use crate::{backend::redis_config, jobs::SyncProductToStoreJob};

    /// A connection to the test Redis (`TEST_REDIS_URL`, else the local one) and a queue name of this test's
    /// own.
    struct TestQueue {
        conn: ConnectionManager,
        config: Config,
    }

    impl TestQueue {
        async fn new(name: &str) -> Self {
            let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
            let conn = ConnectionManager::new(redis::Client::open(url).unwrap()).await.unwrap();
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let queue = format!("hub-queue-test:{name}:{}:{nanos}", std::process::id());
            Self { conn, config: redis_config(&crate::QueueSettings::default(), &queue) }
        }

        async fn list(&mut self, key: &str) -> Vec<String> {
            redis::cmd("LRANGE").arg(key).arg(0).arg(-1).query_async(&mut self.conn).await.unwrap()
        }

        async fn meta(&mut self, id: &str) -> HashMap<String, String> {
            let key = format!("{}:{id}", self.config.job_meta_hash());
            redis::cmd("HGETALL").arg(key).query_async(&mut self.conn).await.unwrap()
        }

        async fn schedule(&mut self, ids: &[String], at: u64) {
            for id in ids {
                redis::cmd("ZADD")
                    .arg(self.config.scheduled_jobs_set())
                    .arg(at)
                    .arg(id)
                    .query_async::<()>(&mut self.conn)
                    .await
                    .unwrap();
            }
        }

        /// Deletes the queue's keys.
        async fn clean(&mut self) {
            let c = &self.config;
            let ids: Vec<String> =
                redis::cmd("HKEYS").arg(c.job_data_hash()).query_async(&mut self.conn).await.unwrap();
            let mut keys: Vec<String> = ids.iter().map(|id| format!("{}:{id}", c.job_meta_hash())).collect();
            keys.extend([
                c.job_data_hash(),
                c.active_jobs_list(),
                backlog_list(c),
                c.scheduled_jobs_set(),
                c.signal_list(),
            ]);
            for key in keys.chunks(500) {
                redis::cmd("DEL").arg(key).query_async::<()>(&mut self.conn).await.unwrap();
            }
        }
    }

    fn job(n: usize) -> SyncProductToStoreJob {
        SyncProductToStoreJob { store: "retail-1".into(), sku: format!("SKU-{n}"), queued_at_us: Some(n as i64) }
    }

    #[tokio::test]
    async fn a_job_queued_here_is_stored_as_apalis_redis_stores_one_except_that_it_is_ready_at_once() {
        let mut q = TestQueue::new("fidelity").await;
        let mut theirs = RedisStorage::<SyncProductToStoreJob>::new(q.conn.clone()).with_config(q.config.clone());
        theirs.push_task(single(job(1))).await.unwrap();
        push(&mut q.conn.clone(), &q.config, &[job(1)]).await.unwrap();

        let scheduled: Vec<String> = redis::cmd("ZRANGE")
            .arg(q.config.scheduled_jobs_set())
            .arg(0)
            .arg(-1)
            .query_async(&mut q.conn)
            .await
            .unwrap();
        let ready = q.list(&q.config.active_jobs_list()).await;
        assert_eq!((scheduled.len(), ready.len()), (1, 1), "theirs is scheduled, ours is ready");
        let data: HashMap<String, Vec<u8>> =
            redis::cmd("HGETALL").arg(q.config.job_data_hash()).query_async(&mut q.conn).await.unwrap();
        assert_eq!(data[&scheduled[0]], data[&ready[0]], "the same job data");
        assert_eq!(q.meta(&scheduled[0]).await, q.meta(&ready[0]).await, "the same metadata");
        assert!(ulid::Ulid::from_string(&ready[0]).is_ok(), "a ULID, as apalis-redis names its jobs");
        q.clean().await;
    }

    #[tokio::test]
    async fn ready_jobs_fill_the_ready_list_up_to_its_cap_and_wait_in_the_backlog_in_their_order() {
        let mut q = TestQueue::new("cap").await;
        let jobs: Vec<_> = (0..READY_LIST_CAP + 1_500).map(job).collect();
        push(&mut q.conn.clone(), &q.config, &jobs).await.unwrap();

        let ready = q.list(&q.config.active_jobs_list()).await;
        let backlog = q.list(&backlog_list(&q.config)).await;
        assert_eq!((ready.len(), backlog.len()), (READY_LIST_CAP, 1_500));
        let data: HashMap<String, Vec<u8>> =
            redis::cmd("HGETALL").arg(q.config.job_data_hash()).query_async(&mut q.conn).await.unwrap();
        let order: Vec<String> = ready
            .iter()
            .chain(&backlog)
            .map(|id| serde_json::from_slice::<SyncProductToStoreJob>(&data[id]).unwrap().sku)
            .collect();
        let expected: Vec<String> = jobs.iter().map(|j| j.sku.clone()).collect();
        assert_eq!(order, expected, "first queued, first on the ready list");

        // While the backlog holds jobs, a new one waits behind them even if the ready list has room.
        redis::cmd("LTRIM")
            .arg(q.config.active_jobs_list())
            .arg(1)
            .arg(0)
            .query_async::<()>(&mut q.conn)
            .await
            .unwrap();
        push(&mut q.conn.clone(), &q.config, &[job(99_999)]).await.unwrap();
        assert!(q.list(&q.config.active_jobs_list()).await.is_empty());
        assert_eq!(q.list(&backlog_list(&q.config)).await.len(), 1_501);
        q.clean().await;
    }

    #[tokio::test]
    async fn a_feed_tops_the_ready_list_up_from_the_backlog_and_takes_due_ids_out_of_the_scheduled_set_a_chunk_at_a_time()
     {
        let mut q = TestQueue::new("feed").await;
        let jobs: Vec<_> = (0..READY_LIST_CAP + 500).map(job).collect();
        push(&mut q.conn.clone(), &q.config, &jobs).await.unwrap();
        // Jobs an older hub left in the scheduled set (far more than one Lua `unpack` takes), and one not due.
        let legacy: Vec<String> = (0..CHUNK + 10).map(|n| format!("legacy-{n:05}")).collect();
        q.schedule(&legacy, 1).await;
        q.schedule(&["later".to_owned()], u64::MAX / 2).await;

        // The ready list is full: the feed only takes a chunk of the due ids.
        let fed = feed(&mut q.conn.clone(), &q.config).await.unwrap();
        assert_eq!(fed, Fed { from_scheduled: CHUNK as u64, to_ready: 0, backlog: 500 + CHUNK as u64 });

        // The workers take 300 jobs: the next feed puts 300 back, the oldest first.
        redis::cmd("LTRIM")
            .arg(q.config.active_jobs_list())
            .arg(300)
            .arg(-1)
            .query_async::<()>(&mut q.conn)
            .await
            .unwrap();
        let fed = feed(&mut q.conn.clone(), &q.config).await.unwrap();
        assert_eq!(fed, Fed { from_scheduled: 10, to_ready: 300, backlog: 200 + CHUNK as u64 + 10 });
        let backlog = q.list(&backlog_list(&q.config)).await;
        assert_eq!(&backlog[200..], &legacy[..], "due ids queue behind the jobs already waiting, in their order");
        let scheduled: Vec<String> = redis::cmd("ZRANGE")
            .arg(q.config.scheduled_jobs_set())
            .arg(0)
            .arg(-1)
            .query_async(&mut q.conn)
            .await
            .unwrap();
        assert_eq!(scheduled, vec!["later".to_owned()], "what is not due stays scheduled");
        q.clean().await;
    }
}
