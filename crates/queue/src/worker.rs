//! The workers: one apalis worker per job type, each with a concurrency cap, a timeout and retries with
//! exponential backoff and jitter. A job that exhausts its attempts or fails permanently is kept as failed
//! (the inbox row carries its last error) before it is acknowledged, and never re-run by the storage; so is a
//! payload that is not a job. A worker whose storage errors
//! (Redis down) is rebuilt after a pause instead of dying. On Redis, each queue also gets a feeder that moves
//! waiting jobs from its backlog to its ready list (decision 6).

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use apalis::{
    layers::retry::{
        HasherRng, RetryPolicy,
        backoff::{ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff},
    },
    prelude::*,
};
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use hub_domain::{
    EventId, JobError, JobType, Outcome, Sku, StorageError, StoreCode,
    catalog::{FanOutProduct, SyncProductToStore},
    ingest::Inbox,
    operations::{NewFailedJob, OperationsLog, Telemetry},
    replication::ReplicateOrder,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tracing::Instrument;

use crate::{
    backend::{ApalisJobQueue, Storages, redis_config, sqlite_config},
    jobs::{FanOutProductJob, JobPayloadCodec, Payload, ReplicateOrderJob, SyncProductToStoreJob},
    redis_backlog,
    wake::Wake,
};

/// Worker settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// This worker's name in the queue; unique per running process. Default: `<hostname>-<pid>`.
    pub id: Option<String>,
    /// Jobs run at once, per job type.
    pub concurrency: usize,
    /// Attempts per job, the first included.
    pub max_attempts: usize,
    /// First retry delay.
    pub backoff_min_ms: u64,
    /// Longest retry delay.
    pub backoff_max_ms: u64,
    /// A job running longer is cancelled and retried.
    pub job_timeout_secs: u64,
    /// Which job types this process runs (dedicated sync workers, say): any of `fan_out_product`,
    /// `sync_product_to_store`, `replicate_order`.
    pub jobs: Vec<String>,
    /// Where a `hub-worker` process serves `/health`, `/ready` and `/metrics` (e.g. `0.0.0.0:9090`);
    /// unset, it serves nothing.
    pub listen: Option<String>,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            id: None,
            concurrency: 32,
            max_attempts: 8,
            backoff_min_ms: 500,
            backoff_max_ms: 60_000,
            job_timeout_secs: 120,
            jobs: vec!["fan_out_product".into(), "sync_product_to_store".into(), "replicate_order".into()],
            listen: None,
        }
    }
}

impl WorkerSettings {
    /// The worker's name.
    pub fn name(&self) -> String {
        self.id.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "hub".into());
            format!("{host}-{}", std::process::id())
        })
    }
}

/// The use cases the workers run.
#[derive(Clone)]
pub struct JobHandlers {
    /// Runs `FanOutProduct` jobs.
    pub fan_out: Arc<FanOutProduct>,
    /// Runs `SyncProductToStore` jobs.
    pub sync: Arc<SyncProductToStore>,
    /// Runs `ReplicateOrder` jobs; `None` when the source store has no Webservice configured (the jobs
    /// then wait in their queue).
    pub replicate: Option<Arc<ReplicateOrder>>,
    /// Where event failures are recorded.
    pub inbox: Arc<dyn Inbox>,
    /// This process's job and Webservice telemetry.
    pub telemetry: Arc<Telemetry>,
    /// Where jobs that failed for good are kept for an operator.
    pub operations: Arc<dyn OperationsLog>,
}

#[derive(Clone)]
struct Ctx {
    handlers: JobHandlers,
    max_attempts: usize,
    job_timeout: Duration,
    /// Redis, and the sync queue's name: where a sync job's pending key is deleted when it starts.
    pending: Option<(apalis_redis::ConnectionManager, String)>,
}

/// The first pause before writing a failure again when the database refused it, and the longest.
const WRITE_RETRY_FIRST: Duration = Duration::from_millis(500);
const WRITE_RETRY_MAX: Duration = Duration::from_secs(30);

/// Whether a failed attempt is the last one.
fn gives_up(ctx: &Ctx, attempt: usize, result: &Result<(), JobError>) -> Option<(String, bool)> {
    match result {
        Ok(()) => None,
        Err(JobError::Permanent(m)) => Some((m.clone(), true)),
        Err(JobError::Retryable(m)) => Some((m.clone(), attempt >= ctx.max_attempts)),
    }
}

/// Retryable errors are retried by the retry layer until the last attempt, which (like a permanent error)
/// becomes an [`AbortError`] so the storage keeps the job as dead instead of re-running it.
fn verdict_of(message: String, give_up: bool) -> Result<(), BoxDynError> {
    if give_up { Err(AbortError::new(message).into()) } else { Err(message.into()) }
}

/// Runs a use case within the job timeout. Running out of time is a retryable failure like any other: it is
/// counted, retried, and kept on the last attempt; and only the use case is timed, so keeping a failure is
/// never cut short.
async fn within<T>(limit: Duration, run: impl Future<Output = Result<T, JobError>>) -> Result<T, JobError> {
    tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| Err(JobError::Retryable(format!("no result within {} s", limit.as_secs()))))
}

/// Runs `write` until it succeeds. A job that failed for good is acknowledged (and so leaves the queue) only
/// once its failure is written, so while the database refuses the write this tries again, each pause twice
/// the last up to [`WRITE_RETRY_MAX`], for as long as it takes: the job stays leased meanwhile (the worker's
/// heartbeats renew the lease) and goes back to the queue if this worker dies first.
async fn until_written<F, Fut>(what: &str, subject: &str, mut write: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), StorageError>>,
{
    let mut pause = WRITE_RETRY_FIRST;
    let mut refusals = 0_u32;
    loop {
        match write().await {
            Ok(()) => {
                if refusals > 0 {
                    tracing::info!(subject, refusals, "{what} written at last");
                }
                return;
            }
            Err(e) => {
                refusals = refusals.saturating_add(1);
                let retry_in_ms = pause.as_millis() as u64;
                match e {
                    StorageError::Unavailable(_) => {
                        tracing::warn!(subject, error = %e, retry_in_ms, "could not write {what}; will retry");
                    }
                    StorageError::Unexpected(_) => {
                        tracing::error!(subject, error = %e, retry_in_ms, "could not write {what}; will retry");
                    }
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(WRITE_RETRY_MAX);
            }
        }
    }
}

/// Records a run's telemetry and, when it failed for good, keeps the job for an operator (`payload` gives it
/// as queued); the job is acknowledged only after that. Returns the error and whether this was the last
/// attempt.
#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &Ctx,
    job: JobType,
    subject: &str,
    payload: impl FnOnce() -> String,
    attempt: usize,
    queued_at_us: Option<i64>,
    started: Instant,
    result: &Result<(), JobError>,
) -> Option<(String, bool)> {
    let verdict = gives_up(ctx, attempt, result);
    let outcome = match &verdict {
        None => Outcome::Succeeded,
        Some((_, true)) => Outcome::Failed,
        Some((_, false)) => Outcome::Retrying,
    };
    let started_at_us = chrono::Utc::now().timestamp_micros() - started.elapsed().as_micros() as i64;
    let wait = job_wait(queued_at_us, started_at_us, attempt);
    let error = verdict.as_ref().map(|(m, _)| m.as_str());
    ctx.handlers.telemetry.job_finished(job, subject, outcome, attempt as u32, wait, started.elapsed(), error);
    if let Some((message, true)) = &verdict {
        let failed = NewFailedJob {
            job,
            subject: subject.to_owned(),
            payload: payload(),
            error: message.clone(),
            attempts: attempt as u32,
        };
        until_written("the failed job", subject, || async {
            ctx.handlers.operations.record_failed(&failed).await.map(|_| ())
        })
        .await;
    }
    verdict
}

/// How long a job waited in the queue: from its enqueue time to the start of its run (its own run time is
/// its duration, not its wait). Measured on the first attempt only: later ones also wait out the backoff.
fn job_wait(queued_at_us: Option<i64>, started_at_us: i64, attempt: usize) -> Option<Duration> {
    queued_at_us.filter(|_| attempt <= 1).map(|q| Duration::from_micros((started_at_us - q).max(0) as u64))
}

/// The job as queued, for the failed-job record.
fn as_queued(job: &impl Serialize) -> impl FnOnce() -> String + '_ {
    move || serde_json::to_string(job).unwrap_or_default()
}

/// Settles an event job: failures are counted on the inbox row, with the last error; a job given up is
/// acknowledged only once its row says `failed`.
async fn settle(ctx: &Ctx, id: &EventId, attempt: usize, verdict: Option<(String, bool)>) -> Result<(), BoxDynError> {
    let Some((message, give_up)) = verdict else { return Ok(()) };
    tracing::warn!(event_id = %id, attempt, give_up, error = %message, "job failed");
    if give_up {
        until_written("the event's failure", id.as_str(), || ctx.handlers.inbox.record_failure(id, &message, true))
            .await;
    } else if let Err(e) = ctx.handlers.inbox.record_failure(id, &message, false).await {
        tracing::error!(event_id = %id, error = %e, "could not record the job failure");
    }
    verdict_of(message, give_up)
}

/// Keeps a job its worker cannot run at all — a payload that is not a job of its queue, or one whose event
/// id, store or SKU does not parse — as failed for good, with what was queued and why.
async fn cannot_run(
    ctx: &Ctx,
    job: JobType,
    subject: &str,
    payload: impl FnOnce() -> String,
    attempt: usize,
    error: String,
) -> Result<(), BoxDynError> {
    tracing::error!(job = job.as_str(), subject, error = %error, "job cannot be run; kept as failed");
    let verdict =
        finish(ctx, job, subject, payload, attempt, None, Instant::now(), &Err(JobError::Permanent(error))).await;
    verdict.map_or(Ok(()), |(message, give_up)| verdict_of(message, give_up))
}

/// The job in `payload`; for bytes that are not a job of its queue, the verdict to return once they are kept
/// as a failed job (under the storage's task id: they name no event or SKU).
async fn decoded<T>(
    payload: Payload<T>,
    ctx: &Ctx,
    job: JobType,
    task: &TaskId,
    attempt: usize,
) -> Result<T, Result<(), BoxDynError>> {
    match payload {
        Payload::Job(decoded) => Ok(decoded),
        Payload::Undecodable { raw, error } => {
            let subject = format!("task {task}");
            Err(cannot_run(ctx, job, &subject, || raw, attempt, format!("undecodable payload: {error}")).await)
        }
    }
}

async fn replicate_order(
    payload: Payload<ReplicateOrderJob>,
    ctx: Data<Ctx>,
    attempt: Attempt,
    task: TaskId,
) -> Result<(), BoxDynError> {
    let attempt = attempt.current();
    let job = match decoded(payload, &ctx, JobType::ReplicateOrder, &task, attempt).await {
        Ok(job) => job,
        Err(verdict) => return verdict,
    };
    let Ok(id) = EventId::parse(&job.event_id) else {
        let error = format!("malformed event id `{}`", job.event_id);
        return cannot_run(&ctx, JobType::ReplicateOrder, &job.event_id, as_queued(&job), attempt, error).await;
    };
    let Some(replicate) = ctx.handlers.replicate.clone() else {
        return Err(AbortError::new("no source Webservice configured").into());
    };
    let span = tracing::info_span!("replicate_order", event_id = %id, attempt);
    let started = Instant::now();
    let result = within(ctx.job_timeout, replicate.execute(&id)).instrument(span).await.map(|_| ());
    let verdict = finish(
        &ctx,
        JobType::ReplicateOrder,
        id.as_str(),
        as_queued(&job),
        attempt,
        job.queued_at_us,
        started,
        &result,
    )
    .await;
    settle(&ctx, &id, attempt, verdict).await
}

async fn sync_product_to_store(
    payload: Payload<SyncProductToStoreJob>,
    ctx: Data<Ctx>,
    attempt: Attempt,
    task: TaskId,
) -> Result<(), BoxDynError> {
    let attempt = attempt.current();
    let job = match decoded(payload, &ctx, JobType::SyncProductToStore, &task, attempt).await {
        Ok(job) => job,
        Err(verdict) => return verdict,
    };
    let (store, sku) = match (StoreCode::parse(&job.store), Sku::parse(&job.sku)) {
        (Ok(store), Ok(sku)) => (store, sku),
        (store, sku) => {
            let why = store.err().map(|e| e.to_string()).or_else(|| sku.err().map(|e| e.to_string()));
            let error = format!("malformed sync job {}/{}: {}", job.store, job.sku, why.unwrap_or_default());
            let subject = format!("{}/{}", job.store, job.sku);
            return cannot_run(&ctx, JobType::SyncProductToStore, &subject, as_queued(&job), attempt, error).await;
        }
    };
    let span = tracing::info_span!("sync_product_to_store", store = %store, sku = %sku, attempt);
    let started = Instant::now();
    let run = async {
        // Started: the next change of this (store, SKU) queues a job again. Before anything is read, so that
        // a change made from here on is either read by this run or queued anew.
        if let Some((conn, queue)) = &ctx.pending {
            let (mut conn, key) = (conn.clone(), job.pending_key(queue));
            within(Duration::from_secs(5), async move {
                redis::cmd("DEL")
                    .arg(key)
                    .query_async::<u64>(&mut conn)
                    .await
                    .map_err(|e| JobError::Retryable(format!("queue: cannot mark the sync started: {e}")))
            })
            .await?;
        }
        ctx.handlers.sync.execute(&store, &sku).await
    };
    let result = within(ctx.job_timeout, run).instrument(span).await.map(|_| ());
    let subject = format!("{store}/{sku}");
    let verdict = finish(
        &ctx,
        JobType::SyncProductToStore,
        &subject,
        as_queued(&job),
        attempt,
        job.queued_at_us,
        started,
        &result,
    )
    .await;
    let Some((message, give_up)) = verdict else { return Ok(()) };
    if give_up {
        tracing::error!(store = %store, sku = %sku, attempt, error = %message, "sync failed for good");
    } else {
        tracing::warn!(store = %store, sku = %sku, attempt, error = %message, "sync failed; will retry");
    }
    verdict_of(message, give_up)
}

async fn fan_out_product(
    payload: Payload<FanOutProductJob>,
    ctx: Data<Ctx>,
    attempt: Attempt,
    task: TaskId,
) -> Result<(), BoxDynError> {
    // `Attempt` is 1 on the first run.
    let attempt = attempt.current();
    let job = match decoded(payload, &ctx, JobType::FanOutProduct, &task, attempt).await {
        Ok(job) => job,
        Err(verdict) => return verdict,
    };
    let Ok(id) = EventId::parse(&job.event_id) else {
        let error = format!("malformed event id `{}`", job.event_id);
        return cannot_run(&ctx, JobType::FanOutProduct, &job.event_id, as_queued(&job), attempt, error).await;
    };
    let span = tracing::info_span!("fan_out_product", event_id = %id, attempt);
    let started = Instant::now();
    let result = within(ctx.job_timeout, ctx.handlers.fan_out.execute(&id)).instrument(span).await.map(|_| ());
    let verdict =
        finish(&ctx, JobType::FanOutProduct, id.as_str(), as_queued(&job), attempt, job.queued_at_us, started, &result)
            .await;
    settle(&ctx, &id, attempt, verdict).await
}

/// Builds and runs one apalis worker for the queue `$queue` (a field of [`JobNames`](crate::JobNames)) of
/// `$job`s with `$handler`, under supervision. The worker reads its jobs as [`Payload`]s, so a payload that is not a job
/// reaches the handler instead of stopping the worker.
macro_rules! spawn_worker {
    ($tasks:expr, $signals:expr, $ctx:expr, $settings:expr, $queue_settings:expr, $shutdown:expr, $storages:expr, $poll:expr, $name:expr, $queue:ident, $job:ty, $handler:expr) => {{
        let (ctx, settings, queue_settings, shutdown, storages, poll, name) = (
            $ctx.clone(),
            $settings.clone(),
            $queue_settings.clone(),
            $shutdown.clone(),
            $storages.clone(),
            $poll,
            $name,
        );
        let queue = queue_settings.names.$queue.clone();
        let pushed = $signals.of(&queue);
        if let Storages::Redis { conn, .. } = &storages {
            // Ready jobs wait in the queue's backlog until there is room on its ready list (decision 6).
            let config = redis_config(&queue_settings, &queue);
            $tasks.spawn(redis_backlog::feed_until_stopped(
                conn.clone(),
                config,
                poll,
                pushed.clone(),
                shutdown.clone(),
            ));
        }
        $tasks.spawn(async move {
            supervise(&name, shutdown.clone(), || {
                let (ctx, settings, storages, shutdown, name, pushed) =
                    (ctx.clone(), settings.clone(), storages.clone(), shutdown.clone(), name.clone(), pushed.clone());
                let config = (queue_settings.clone(), queue.clone());
                async move {
                    let retry =
                        RetryPolicy::retries(settings.max_attempts.saturating_sub(1)).with_backoff(backoff(&settings));
                    match storages {
                        Storages::Redis { conn, .. } => {
                            // apalis queues a worker's lock and ack events (two per job) in a channel of
                            // 4 × batch_size and, once stopping, no longer drains it until its jobs are done:
                            // a job waiting for room there never ends and the shutdown hangs. Size the batch
                            // so that the events of every job in flight fit.
                            let config =
                                redis_config(&config.0, &config.1).batch_size(settings.concurrency.div_ceil(2).max(1));
                            let storage = RedisStorage::<Payload<$job>>::new(conn).with_config(config);
                            WorkerBuilder::new(name)
                                .backend(
                                    storage.with_codec(JobPayloadCodec).poll_with_strategy(Wake::new(poll, pushed)),
                                )
                                .data(ctx)
                                .concurrency(settings.concurrency)
                                .retry(retry)
                                .build($handler)
                                .run_until(stopped(shutdown))
                                .await
                        }
                        Storages::Sqlite { pool, .. } => {
                            let storage = SqliteStorage::<Payload<$job>>::new(&pool)
                                .with_config(sqlite_config(&config.0, &config.1));
                            let watchdog = Duration::from_secs(config.0.watchdog_secs);
                            let run = WorkerBuilder::new(name.clone())
                                .backend(
                                    storage.with_codec(JobPayloadCodec).poll_with_strategy(Wake::new(poll, pushed)),
                                )
                                .data(ctx)
                                .concurrency(settings.concurrency)
                                .retry(retry)
                                .build($handler)
                                .run_until(stopped(shutdown));
                            if watchdog.is_zero() {
                                run.await
                            } else {
                                // Seen on a real shop (docs/real-shops.md): an embedded worker that stopped
                                // polling and heart-beating without failing. Dropping it hands its jobs back.
                                tokio::select! {
                                    result = run => result,
                                    silent = crate::backend::wedged(&config.0.url, &name, watchdog) => {
                                        tracing::error!(
                                            worker = %name, silent_secs = silent,
                                            "worker stopped polling and heart-beating: restarting it"
                                        );
                                        Ok(())
                                    }
                                }
                            }
                        }
                    }
                }
            })
            .await;
        });
    }};
}

/// Runs the configured workers until `shutdown` turns true; in-flight jobs then finish (or go back to the
/// queue).
pub async fn run_workers(
    queue: ApalisJobQueue,
    handlers: JobHandlers,
    settings: WorkerSettings,
    shutdown: watch::Receiver<bool>,
) {
    let pending = match &queue.storages {
        Storages::Redis { conn, .. } => Some((conn.clone(), queue.settings.names.sync_product_to_store.clone())),
        Storages::Sqlite { .. } => None,
    };
    let ctx = Ctx {
        handlers,
        max_attempts: settings.max_attempts.max(1),
        job_timeout: Duration::from_secs(settings.job_timeout_secs),
        pending,
    };
    let name = settings.name();
    let poll = Duration::from_millis(queue.settings.poll_interval_ms.max(1));
    let queue_settings = queue.settings.clone();
    let storages = queue.storages.clone();
    let signals = queue.signals.clone();
    let mut tasks = tokio::task::JoinSet::new();
    if let Storages::Redis { client, .. } = &storages {
        // Pushes made by other processes (a `hub-api`) wake this one's workers (`crate::wake`).
        tasks.spawn(crate::wake::listen(client.as_ref().clone(), signals.clone(), shutdown.clone()));
    }
    let runs = |job: JobType| settings.jobs.iter().any(|j| j == job.as_str());
    if runs(JobType::FanOutProduct) {
        spawn_worker!(
            tasks,
            signals,
            ctx,
            settings,
            queue_settings,
            shutdown,
            storages,
            poll,
            format!("{name}-fan-out"),
            fan_out_product,
            FanOutProductJob,
            fan_out_product
        );
    }
    if runs(JobType::ReplicateOrder) {
        if ctx.handlers.replicate.is_some() {
            spawn_worker!(
                tasks,
                signals,
                ctx,
                settings,
                queue_settings,
                shutdown,
                storages,
                poll,
                format!("{name}-orders"),
                replicate_order,
                ReplicateOrderJob,
                replicate_order
            );
        } else {
            tracing::warn!("no Webservice for the source store: orders wait in their queue until one is configured");
        }
    }
    if runs(JobType::SyncProductToStore) {
        spawn_worker!(
            tasks,
            signals,
            ctx,
            settings,
            queue_settings,
            shutdown,
            storages,
            poll,
            format!("{name}-sync"),
            sync_product_to_store,
            SyncProductToStoreJob,
            sync_product_to_store
        );
    }
    while tasks.join_next().await.is_some() {}
}

fn backoff(settings: &WorkerSettings) -> ExponentialBackoff {
    let min = Duration::from_millis(settings.backoff_min_ms.max(1));
    let max = Duration::from_millis(settings.backoff_max_ms.max(settings.backoff_min_ms.max(1)));
    ExponentialBackoffMaker::new(min, max, 0.5, HasherRng::default())
        .expect("min ≤ max and a jitter in [0, 100]")
        .make_backoff()
}

/// Resolves once `shutdown` turns true.
async fn stopped(mut shutdown: watch::Receiver<bool>) -> Result<(), std::io::Error> {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Runs `make()` again after a pause whenever the worker stops with an error, until shutdown.
async fn supervise<F, Fut>(name: &str, shutdown: watch::Receiver<bool>, make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), WorkerError>>,
{
    let mut pause = Duration::from_millis(250);
    loop {
        let result = make().await;
        if *shutdown.borrow() {
            tracing::info!(worker = name, "worker stopped");
            return;
        }
        match result {
            Ok(()) => tracing::warn!(worker = name, "worker ended; restarting"),
            Err(e) => tracing::warn!(worker = name, error = %e, "worker failed; restarting"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn the_wait_ends_when_the_run_starts_and_only_the_first_attempt_counts() {
        assert_eq!(job_wait(Some(1_000_000), 1_250_000, 1), Some(Duration::from_millis(250)));
        assert_eq!(job_wait(Some(1_000_000), 900_000, 1), Some(Duration::ZERO), "clocks apart: no negative wait");
        assert_eq!(job_wait(Some(1_000_000), 1_250_000, 2), None);
        assert_eq!(job_wait(None, 1_250_000, 1), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_is_written_once_the_database_is_back_after_minutes_trying_at_most_every_30_s() {
        let outage = Duration::from_secs(10 * 60);
        let started = tokio::time::Instant::now();
        let tries = Mutex::new(Vec::new());
        until_written("the failed job", "retail-1/SKU", || {
            tries.lock().unwrap_or_else(|e| e.into_inner()).push(started.elapsed());
            let down = started.elapsed() < outage;
            async move { if down { Err(StorageError::Unavailable("connection refused".into())) } else { Ok(()) } }
        })
        .await;
        let tries = tries.into_inner().unwrap_or_else(|e| e.into_inner());
        let written = *tries.last().unwrap_or(&Duration::ZERO);
        assert!(written >= outage && written <= outage + WRITE_RETRY_MAX, "written {written:?} after the outage");
        assert!(tries.windows(2).all(|w| w[1] - w[0] <= WRITE_RETRY_MAX), "never more than 30 s between tries");
    }

    #[tokio::test(start_paused = true)]
    async fn a_use_case_that_outlasts_the_job_timeout_is_a_retryable_failure() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(300)).await;
            Ok::<_, JobError>(())
        };
        let result = within(Duration::from_secs(120), slow).await;
        assert_eq!(result, Err(JobError::Retryable("no result within 120 s".into())));
    }
}
