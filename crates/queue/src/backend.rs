//! The storages (Redis in production, SQLite in its own file for the embedded default) and the
//! [`JobQueue`] port on top of them.

use std::{str::FromStr, time::Duration};

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use async_trait::async_trait;
use hub_domain::{EventId, EventKind, JobQueue, JobType, QueueError, SyncRequest};
use serde::{Deserialize, Serialize};

use crate::{
    jobs::{FanOutProductJob, JobNames, ReplicateOrderJob, SyncProductToStoreJob, now_us},
    redis_backlog,
    wake::Signals,
};

/// Which storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    /// Redis, through apalis-redis.
    Redis,
    /// A SQLite file of its own, through apalis-sqlite.
    Sqlite,
}

/// Queue settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// `redis` or `sqlite`.
    pub backend: QueueKind,
    /// `redis://host:6379/0`, or `sqlite://path/queue.db` (its own file, never the hub's database).
    pub url: String,
    /// Queue names.
    pub names: JobNames,
    /// How long a push may take before the API answers 503.
    pub push_timeout_ms: u64,
    /// How often an idle worker looks for new jobs.
    pub poll_interval_ms: u64,
    /// Worker heartbeat; a worker silent for `heartbeat_secs × missed_heartbeats` is dead and its jobs
    /// go back to the queue. Also bounds how long an idle apalis worker may sleep before it looks for
    /// jobs again (docs/benchmarks.md): keep it short.
    pub heartbeat_secs: u64,
    /// See `heartbeat_secs`.
    pub missed_heartbeats: usize,
    /// How long the storage keeps a finished job (its data and state) before the workers prune it.
    pub keep_done_secs: u64,
    /// How long it keeps a dead job (one that failed for good; the hub's `failed_jobs` table keeps it for
    /// an operator regardless).
    pub keep_dead_secs: u64,
    /// Embedded (SQLite) queue: a worker of this process whose heartbeat in the queue file is older than
    /// this, while the process runs, is wedged — it has stopped polling without failing — and is dropped and
    /// started again (its jobs go back to the queue). At least 3 × `heartbeat_secs × missed_heartbeats`
    /// is sensible; 0 turns the watchdog off.
    pub watchdog_secs: u64,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            backend: QueueKind::Sqlite,
            url: "sqlite://data/queue.db".into(),
            names: JobNames::default(),
            push_timeout_ms: 2_000,
            poll_interval_ms: 50,
            heartbeat_secs: 1,
            missed_heartbeats: 10,
            keep_done_secs: 3600,
            keep_dead_secs: 7 * 24 * 3600,
            watchdog_secs: 30,
        }
    }
}

/// The three storages of one backend.
#[derive(Clone)]
pub(crate) enum Storages {
    Redis {
        client: Box<apalis_redis::Client>,
        conn: ConnectionManager,
        fan_out: RedisStorage<FanOutProductJob>,
        replicate: RedisStorage<ReplicateOrderJob>,
        sync: RedisStorage<SyncProductToStoreJob>,
    },
    Sqlite {
        pool: SqlitePool,
        fan_out: SqliteStorage<FanOutProductJob>,
        replicate: SqliteStorage<ReplicateOrderJob>,
        sync: SqliteStorage<SyncProductToStoreJob>,
    },
}

/// [`JobQueue`] on apalis storages. Cheap to clone.
#[derive(Clone)]
pub struct ApalisJobQueue {
    pub(crate) storages: Storages,
    pub(crate) settings: QueueSettings,
    /// Raised after each push, for this process's workers (`crate::wake`).
    pub(crate) signals: Signals,
}

impl std::fmt::Debug for ApalisJobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApalisJobQueue").field("backend", &self.settings.backend).finish_non_exhaustive()
    }
}

/// The apalis-redis configuration of `queue`.
pub(crate) fn redis_config(settings: &QueueSettings, queue: &str) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(queue)
        .heartbeat_interval(Duration::from_secs(settings.heartbeat_secs))
        .missed_heartbeats(settings.missed_heartbeats)
        .emit_events(false)
        // A finished job must be acknowledged: the ack takes it out of the worker's in-flight set (and records
        // it done, or dead after an `AbortError`). Without it the set keeps every job the worker ever ran, and
        // all of them run again when the worker dies.
        .persist_results(true)
}

/// The apalis-sqlite configuration of `queue`.
pub(crate) fn sqlite_config(settings: &QueueSettings, queue: &str) -> apalis_sqlite::Config {
    apalis_sqlite::Config::default()
        .queue(queue)
        .heartbeat_interval(Duration::from_secs(settings.heartbeat_secs))
        .missed_heartbeats(settings.missed_heartbeats)
}

/// How long a connection to the SQLite queue lives: each new one brings the planner's statistics up to date
/// (see [`refresh_statistics`]), so no connection plans with statistics older than this.
const SQLITE_CONNECTION_LIFETIME: Duration = Duration::from_secs(30);

/// apalis-sqlite's statements find a job by its id, and the next jobs through their index, only while
/// SQLite's statistics say how large the table is: taken while it was small (or a restart with a few jobs
/// queued), they make every fetch, lock and ack scan the whole table, so each job costs time in proportion to
/// the backlog (decision 6). `PRAGMA optimize` re-analyses a table whose size changed tenfold since its
/// statistics, from a bounded sample (milliseconds even for a million jobs), and loads the statistics into
/// this connection. A failure only leaves the statistics as they were.
async fn refresh_statistics(conn: &mut sqlx::SqliteConnection) -> Result<(), apalis_sqlite::SqlxError> {
    // 0x10000: every table, not only those this connection queried; 0x10: bounded analysis; 0x02: analyse.
    if let Err(e) = sqlx::query("PRAGMA optimize=0x10012").execute(&mut *conn).await {
        tracing::debug!(error = %e, "queue statistics not refreshed");
    }
    Ok(())
}

/// SQLite's primary result codes for "another connection holds the lock": `SQLITE_BUSY` (another process) and
/// `SQLITE_LOCKED` (another connection of this process); extended codes carry them in their low byte.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

/// Whether a setup failed because another connection held the database, told by SQLite's result code (the
/// message text changes with SQLite's and sqlx's versions). A migration's error is read through to its
/// statement's.
fn busy_or_locked(e: &apalis_sqlite::Error) -> bool {
    fn of_sqlx(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::Database(db) => db
                .code()
                .and_then(|c| c.parse::<i64>().ok())
                .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)),
            sqlx::Error::Migrate(m) => match m.as_ref() {
                sqlx::migrate::MigrateError::Execute(e) | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => {
                    of_sqlx(e)
                }
                _ => false,
            },
            _ => false,
        }
    }
    matches!(e, apalis_sqlite::Error::Database(e) if of_sqlx(e))
}

impl ApalisJobQueue {
    /// Connects to the configured storage. Redis connects lazily (the API starts while Redis is down and
    /// answers 503 until it is back); SQLite creates its file and tables.
    ///
    /// # Errors
    /// A malformed URL, or a SQLite file that cannot be created.
    pub async fn connect(settings: QueueSettings) -> Result<Self, QueueError> {
        let names = &settings.names;
        let storages = match settings.backend {
            QueueKind::Redis => {
                let client = apalis_redis::Client::open(settings.url.as_str())
                    .map_err(|e| QueueError::Unexpected(format!("queue.url: {e}")))?;
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_millis(settings.push_timeout_ms)))
                    .set_response_timeout(Some(Duration::from_millis(settings.push_timeout_ms)))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(1));
                let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
                    .map_err(|e| QueueError::Unexpected(format!("queue.url: {e}")))?;
                let cfg = |queue: &str| redis_config(&settings, queue);
                Storages::Redis {
                    fan_out: RedisStorage::new(conn.clone()).with_config(cfg(&names.fan_out_product)),
                    replicate: RedisStorage::new(conn.clone()).with_config(cfg(&names.replicate_order)),
                    sync: RedisStorage::new(conn.clone()).with_config(cfg(&names.sync_product_to_store)),
                    conn,
                    client: Box::new(client),
                }
            }
            QueueKind::Sqlite => {
                let opts = SqliteConnectOptions::from_str(&settings.url)
                    .map_err(|e| QueueError::Unexpected(format!("queue.url: {e}")))?
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .max_lifetime(SQLITE_CONNECTION_LIFETIME)
                    .after_connect(|conn, _| Box::pin(async move { refresh_statistics(conn).await }))
                    .connect_with(opts)
                    .await
                    .map_err(|e| QueueError::Unavailable(format!("queue database: {e}")))?;
                // Two processes may set the file up at once (api and worker): retry while it is busy or locked.
                let mut tries = 0;
                while let Err(e) = SqliteStorage::setup(&pool).await {
                    tries += 1;
                    if tries >= 20 || !busy_or_locked(&e) {
                        return Err(QueueError::Unexpected(format!("queue setup: {e}")));
                    }
                    tokio::time::sleep(Duration::from_millis(100 * tries)).await;
                }
                let cfg = |queue: &str| sqlite_config(&settings, queue);
                Storages::Sqlite {
                    fan_out: SqliteStorage::new(&pool).with_config(cfg(&names.fan_out_product)),
                    replicate: SqliteStorage::new(&pool).with_config(cfg(&names.replicate_order)),
                    sync: SqliteStorage::new(&pool).with_config(cfg(&names.sync_product_to_store)),
                    pool,
                }
            }
        };
        let signals = Signals::new([&names.fan_out_product, &names.replicate_order, &names.sync_product_to_store]);
        Ok(Self { storages, settings, signals })
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.settings.push_timeout_ms)
    }

    /// Jobs waiting in a queue (not running, not finished): the queue depth.
    ///
    /// # Errors
    /// When the storage cannot be reached.
    pub async fn depth(&self, job: JobType) -> Result<u64, QueueError> {
        let name = match job {
            JobType::FanOutProduct => &self.settings.names.fan_out_product,
            JobType::ReplicateOrder => &self.settings.names.replicate_order,
            JobType::SyncProductToStore => &self.settings.names.sync_product_to_store,
        };
        match &self.storages {
            Storages::Redis { conn, fan_out, .. } => {
                // Ready jobs wait on the ready list or in the backlog; retries the storage schedules itself
                // (and jobs queued by an older hub) in the scheduled set.
                let config = fan_out.get_config().clone().queue(name);
                let mut c = conn.clone();
                let (active, scheduled, backlog): (u64, u64, u64) = redis::pipe()
                    .cmd("LLEN")
                    .arg(config.active_jobs_list())
                    .cmd("ZCARD")
                    .arg(config.scheduled_jobs_set())
                    .cmd("LLEN")
                    .arg(redis_backlog::backlog_list(&config))
                    .query_async(&mut c)
                    .await
                    .map_err(|e| QueueError::Unavailable(e.to_string()))?;
                Ok(active + scheduled + backlog)
            }
            Storages::Sqlite { pool, .. } => {
                let row: (i64,) = sqlx_count(pool, name).await.map_err(|e| QueueError::Unavailable(e.to_string()))?;
                Ok(row.0.max(0) as u64)
            }
        }
    }

    /// Deletes what the storage keeps of finished jobs: done ones finished more than `done_before` ago,
    /// dead ones (kept for an operator in the hub's `failed_jobs` table anyway) more than `dead_before`
    /// ago. Without it, every job ever run stays in Redis (apalis keeps each acknowledged job's data, state
    /// and id). Returns how many jobs were deleted.
    ///
    /// # Errors
    /// When the storage cannot be reached.
    pub async fn prune_finished(&self, done_before: Duration, dead_before: Duration) -> Result<u64, QueueError> {
        let names = &self.settings.names;
        let queues = [&names.fan_out_product, &names.replicate_order, &names.sync_product_to_store];
        let mut deleted = 0_u64;
        match &self.storages {
            Storages::Redis { conn, fan_out, .. } => {
                let script = redis::Script::new(PRUNE_SCRIPT);
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
                for queue in queues {
                    let config = fan_out.get_config().clone().queue(queue);
                    for (set, age) in [(config.done_jobs_set(), done_before), (config.dead_jobs_set(), dead_before)] {
                        let cutoff = now.saturating_sub(age.as_secs());
                        let mut cursor = "0".to_owned();
                        loop {
                            let mut c = conn.clone();
                            let (next, n): (String, u64) = script
                                .key(&set)
                                .key(config.job_data_hash())
                                .key(config.job_meta_hash())
                                .arg(cutoff)
                                .arg(&cursor)
                                .arg(500)
                                .invoke_async(&mut c)
                                .await
                                .map_err(|e| QueueError::Unavailable(e.to_string()))?;
                            deleted += n;
                            if next == "0" {
                                break;
                            }
                            cursor = next;
                        }
                    }
                }
            }
            Storages::Sqlite { pool, .. } => {
                let now = chrono::Utc::now().timestamp();
                for queue in queues {
                    for (status, age) in [("Done", done_before), ("Killed", dead_before)] {
                        let cutoff = now - age.as_secs() as i64;
                        deleted += sqlx_prune(pool, queue, status, cutoff)
                            .await
                            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
                    }
                }
            }
        }
        Ok(deleted)
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }
}

async fn bounded<F, E>(limit: Duration, what: &str, fut: F) -> Result<(), QueueError>
where
    F: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(QueueError::Unavailable(format!("{what}: {e}"))),
        Err(_) => Err(QueueError::Unavailable(format!("{what}: no answer within {} ms", limit.as_millis()))),
    }
}

/// One try only at the storage level: retries with backoff belong to the worker's retry layer.
pub(crate) fn single<T>(args: T) -> apalis::prelude::Task<T> {
    TaskBuilder::new(args).max_attempts(1).build()
}

#[async_trait]
impl JobQueue for ApalisJobQueue {
    async fn enqueue_event(&self, id: &EventId, kind: EventKind) -> Result<(), QueueError> {
        let event_id = id.as_str().to_owned();
        let limit = self.timeout();
        let names = &self.settings.names;
        let queue = match kind {
            EventKind::Product => &names.fan_out_product,
            EventKind::Order | EventKind::OrderStatus => &names.replicate_order,
        };
        let pushed = match (&self.storages, kind) {
            (Storages::Redis { conn, fan_out, .. }, EventKind::Product) => {
                let (mut c, config) = (conn.clone(), fan_out.get_config().clone());
                let job = FanOutProductJob { event_id, queued_at_us: now_us() };
                bounded(limit, "push", async move { redis_backlog::push(&mut c, &config, &[job]).await }).await
            }
            (Storages::Redis { conn, replicate, .. }, EventKind::Order | EventKind::OrderStatus) => {
                let (mut c, config) = (conn.clone(), replicate.get_config().clone());
                let job = ReplicateOrderJob { event_id, queued_at_us: now_us() };
                bounded(limit, "push", async move { redis_backlog::push(&mut c, &config, &[job]).await }).await
            }
            (Storages::Sqlite { fan_out, .. }, EventKind::Product) => {
                bounded(
                    limit,
                    "push",
                    fan_out.clone().push_task(single(FanOutProductJob { event_id, queued_at_us: now_us() })),
                )
                .await
            }
            (Storages::Sqlite { replicate, .. }, EventKind::Order | EventKind::OrderStatus) => {
                bounded(
                    limit,
                    "push",
                    replicate.clone().push_task(single(ReplicateOrderJob { event_id, queued_at_us: now_us() })),
                )
                .await
            }
        };
        if pushed.is_ok() {
            self.signals.raise(queue);
        }
        pushed
    }

    async fn enqueue_syncs(&self, jobs: &[SyncRequest]) -> Result<(), QueueError> {
        let jobs: Vec<_> = jobs
            .iter()
            .map(|j| SyncProductToStoreJob {
                store: j.store.as_str().to_owned(),
                sku: j.sku.as_str().to_owned(),
                queued_at_us: now_us(),
            })
            .collect();
        let limit = self.timeout();
        let pushed = match &self.storages {
            Storages::Redis { conn, sync, .. } => {
                // A sync reads the latest state when it starts: one waiting for the same (store, SKU) covers
                // this one.
                let (mut c, config) = (conn.clone(), sync.get_config().clone());
                let queue = config.queue.as_ref().to_owned();
                bounded(limit, "push", async move {
                    redis_backlog::push_coalesced(&mut c, &config, &jobs, |j| Some(j.pending_key(&queue)))
                        .await
                        .map(|_| ())
                })
                .await
            }
            Storages::Sqlite { sync, .. } => {
                let mut s = sync.clone();
                bounded(limit, "push", async move {
                    for job in jobs {
                        s.push_task(single(job)).await?;
                    }
                    Ok::<_, apalis::prelude::TaskSinkError<apalis_sqlite::Error>>(())
                })
                .await
            }
        };
        if pushed.is_ok() {
            self.signals.raise(&self.settings.names.sync_product_to_store);
        }
        pushed
    }

    async fn depth(&self, job: JobType) -> Result<u64, QueueError> {
        tokio::time::timeout(self.timeout(), ApalisJobQueue::depth(self, job))
            .await
            .map_err(|_| QueueError::Unavailable("depth: no answer in time".into()))?
    }

    async fn ping(&self) -> Result<(), QueueError> {
        let limit = self.timeout();
        match &self.storages {
            Storages::Redis { conn, .. } => {
                let mut c = conn.clone();
                bounded(
                    limit,
                    "ping",
                    async move { redis::cmd("PING").query_async::<String>(&mut c).await.map(|_| ()) },
                )
                .await
            }
            Storages::Sqlite { pool, .. } => bounded(limit, "ping", async move { sqlx_ping(pool).await }).await,
        }
    }
}

/// Resolves, with the seconds of silence, once the embedded queue file at `url` shows no heartbeat of the
/// worker `name` for `after`; never for a worker that keeps beating. It waits `after` before its first look
/// (a worker started again registers meanwhile) and then looks every `after / 6` through a connection of its
/// own, opened read-only for each look: a wedge that holds the queue's pool must not blind it.
pub(crate) async fn wedged(url: &str, name: &str, after: Duration) -> u64 {
    use sqlx::{ConnectOptions, Connection};
    tokio::time::sleep(after).await;
    let mut tick = tokio::time::interval((after / 6).max(Duration::from_millis(200)));
    loop {
        tick.tick().await;
        let Ok(opts) = SqliteConnectOptions::from_str(url) else { continue };
        let Ok(mut conn) = opts.read_only(true).busy_timeout(Duration::from_secs(2)).connect().await else { continue };
        let silent: Option<(i64,)> =
            sqlx::query_as("SELECT CAST(strftime('%s', 'now') AS INTEGER) - last_seen FROM Workers WHERE id = ?")
                .bind(name)
                .fetch_optional(&mut conn)
                .await
                .ok()
                .flatten();
        let _ = conn.close().await;
        if let Some((silent,)) = silent
            && silent >= 0
            // Heartbeats are whole seconds apart on a whole-second clock: silence of exactly `after` may be one
            // beat's rounding.
            && silent as u64 > after.as_secs()
        {
            return silent as u64;
        }
    }
}

async fn sqlx_count(pool: &SqlitePool, queue: &str) -> Result<(i64,), apalis_sqlite::SqlxError> {
    sqlx::query_as("SELECT COUNT(*) FROM Jobs WHERE job_type = ? AND status = 'Pending'")
        .bind(queue)
        .fetch_one(pool)
        .await
}

async fn sqlx_prune(
    pool: &SqlitePool,
    queue: &str,
    status: &str,
    cutoff: i64,
) -> Result<u64, apalis_sqlite::SqlxError> {
    sqlx::query("DELETE FROM Jobs WHERE job_type = ? AND status = ? AND done_at IS NOT NULL AND done_at < ?")
        .bind(queue)
        .bind(status)
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
}

/// One `SSCAN` page of a finished-jobs set: deletes each job finished at or before the cutoff (and ids
/// whose state is gone). KEYS: the set, the data hash, the meta prefix; ARGV: cutoff (s), cursor, count.
const PRUNE_SCRIPT: &str = r"
local page = redis.call('SSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[3])
local cutoff = tonumber(ARGV[1])
local deleted = 0
for _, id in ipairs(page[2]) do
  local meta = KEYS[3] .. ':' .. id
  local done_at = tonumber(redis.call('HGET', meta, 'done_at'))
  if (not done_at) or done_at <= cutoff then
    redis.call('SREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3] .. ':result', id)
    redis.call('DEL', meta)
    deleted = deleted + 1
  end
end
return {page[1], deleted}
";

async fn sqlx_ping(pool: &SqlitePool) -> Result<(), apalis_sqlite::SqlxError> {
    pool.acquire().await.map(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use sqlx::{Connection, SqliteConnection};

    use super::*;

    fn temp_file(name: &str) -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        std::env::temp_dir().join(format!("hub-queue-{name}-{}-{nanos}.db", std::process::id()))
    }

    #[tokio::test]
    async fn a_setup_blocked_by_another_connection_is_told_apart_by_its_sqlite_code_from_other_failures() {
        let path = temp_file("busy");
        let url = format!("sqlite://{}", path.display());
        let mut holder =
            SqliteConnection::connect_with(&SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true))
                .await
                .unwrap();
        sqlx::query("CREATE TABLE held (x)").execute(&mut holder).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut holder).await.unwrap();
        let blocked = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::from_str(&url).unwrap().busy_timeout(Duration::ZERO))
            .await
            .unwrap();
        let busy = SqliteStorage::setup(&blocked).await.unwrap_err();
        assert!(busy_or_locked(&busy), "another connection's lock: {busy}");
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();

        let garbage = temp_file("not-a-database");
        std::fs::write(&garbage, vec![7_u8; 4096]).unwrap();
        let url = format!("sqlite://{}", garbage.display());
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::from_str(&url).unwrap())
            .await
            .unwrap();
        let other = SqliteStorage::setup(&pool).await.unwrap_err();
        assert!(!busy_or_locked(&other), "not a lock: {other}");
        for p in [path, garbage] {
            let _ = std::fs::remove_file(p);
        }
    }

    /// The watchdog's look at a worker's heartbeat, through a connection of its own, while another connection
    /// holds the queue file's write lock (a wedge may): a silent worker is found, a beating one never.
    #[tokio::test]
    async fn a_worker_silent_longer_than_the_watchdog_allows_is_found_a_beating_one_never() {
        let path = temp_file("watchdog");
        let url = format!("sqlite://{}", path.display());
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true))
            .await
            .unwrap();
        SqliteStorage::setup(&pool).await.unwrap();
        for (id, ago) in [("silent-sync", 120), ("beating-sync", 0)] {
            sqlx::query(
                "INSERT INTO Workers (id, worker_type, storage_name, layers, last_seen, started_at) \
                 VALUES (?, 'q', 'SqliteStorage', '', strftime('%s', 'now') - ?, strftime('%s', 'now') - ?)",
            )
            .bind(id)
            .bind(ago)
            .bind(ago)
            .execute(&pool)
            .await
            .unwrap();
        }
        let beat = {
            let pool = pool.clone();
            tokio::spawn(async move {
                loop {
                    let _ =
                        sqlx::query("UPDATE Workers SET last_seen = strftime('%s', 'now') WHERE id = 'beating-sync'")
                            .execute(&pool)
                            .await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        let silent = tokio::time::timeout(Duration::from_secs(10), wedged(&url, "silent-sync", Duration::from_secs(1)))
            .await
            .expect("the silent worker is found");
        assert!(silent >= 119, "{silent} s of silence");
        let beating =
            tokio::time::timeout(Duration::from_secs(5), wedged(&url, "beating-sync", Duration::from_secs(2))).await;
        assert!(beating.is_err(), "a worker that keeps beating is never called wedged");
        beat.abort();
        // Seen through the queue's write lock held by another connection.
        let mut holder = SqliteConnection::connect_with(&SqliteConnectOptions::from_str(&url).unwrap()).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();
        sqlx::query("UPDATE Workers SET last_seen = last_seen WHERE id = 'silent-sync'")
            .execute(&mut holder)
            .await
            .unwrap();
        let found =
            tokio::time::timeout(Duration::from_secs(10), wedged(&url, "silent-sync", Duration::from_secs(1))).await;
        assert!(found.is_ok(), "found while the write lock is held");
        sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
        let _ = std::fs::remove_file(path);
    }
}
