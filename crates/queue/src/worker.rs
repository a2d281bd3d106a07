//! The workers: one apalis worker per job type, each with a concurrency cap, a timeout and retries with
//! exponential backoff and jitter. A job that exhausts its attempts or fails permanently is kept as failed
//! (the inbox row carries its last error) and never re-run by the storage. A worker whose storage errors
//! (Redis down) is rebuilt after a pause instead of dying. On Redis, each queue also gets a feeder that moves
//! waiting jobs from its backlog to its ready list (decision 6).

use std::{
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
use hub_domain::{
    EventId, JobError, JobType, Outcome, Sku, StoreCode,
    catalog::{FanOutProduct, SyncProductToStore},
    ingest::Inbox,
    operations::{NewFailedJob, OperationsLog, Telemetry},
    replication::ReplicateOrder,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tracing::Instrument;

use crate::{
    backend::{ApalisJobQueue, Storages},
    jobs::{FanOutProductJob, ReplicateOrderJob, SyncProductToStoreJob},
    redis_backlog,
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
}

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

/// Records a run's telemetry and, when it failed for good, keeps the job for an operator. Returns the
/// error and whether this was the last attempt.
#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &Ctx,
    job: JobType,
    subject: &str,
    payload: &impl Serialize,
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
    // The wait is measured on the first attempt only: later ones also wait out the backoff.
    let wait = queued_at_us
        .filter(|_| attempt <= 1)
        .map(|q| Duration::from_micros((chrono::Utc::now().timestamp_micros() - q).max(0) as u64));
    let error = verdict.as_ref().map(|(m, _)| m.as_str());
    ctx.handlers.telemetry.job_finished(job, subject, outcome, attempt as u32, wait, started.elapsed(), error);
    if let Some((message, true)) = &verdict {
        let failed = NewFailedJob {
            job,
            subject: subject.to_owned(),
            payload: serde_json::to_string(payload).unwrap_or_default(),
            error: message.clone(),
            attempts: attempt as u32,
        };
        if let Err(e) = ctx.handlers.operations.record_failed(&failed).await {
            tracing::error!(job = job.as_str(), subject, error = %e, "could not keep the failed job");
        }
    }
    verdict
}

/// Settles an event job: failures are counted on the inbox row, with the last error.
async fn settle(ctx: &Ctx, id: &EventId, attempt: usize, verdict: Option<(String, bool)>) -> Result<(), BoxDynError> {
    let Some((message, give_up)) = verdict else { return Ok(()) };
    tracing::warn!(event_id = %id, attempt, give_up, error = %message, "job failed");
    if let Err(e) = ctx.handlers.inbox.record_failure(id, &message, give_up).await {
        tracing::error!(event_id = %id, error = %e, "could not record the job failure");
    }
    verdict_of(message, give_up)
}

async fn replicate_order(job: ReplicateOrderJob, ctx: Data<Ctx>, attempt: Attempt) -> Result<(), BoxDynError> {
    let Ok(id) = EventId::parse(&job.event_id) else {
        return Err(AbortError::new(format!("malformed event id `{}`", job.event_id)).into());
    };
    let Some(replicate) = ctx.handlers.replicate.clone() else {
        return Err(AbortError::new("no source Webservice configured").into());
    };
    let span = tracing::info_span!("replicate_order", event_id = %id, attempt = attempt.current());
    let started = Instant::now();
    let result = replicate.execute(&id).instrument(span).await.map(|_| ());
    let verdict =
        finish(&ctx, JobType::ReplicateOrder, id.as_str(), &job, attempt.current(), job.queued_at_us, started, &result)
            .await;
    settle(&ctx, &id, attempt.current(), verdict).await
}

async fn sync_product_to_store(
    job: SyncProductToStoreJob,
    ctx: Data<Ctx>,
    attempt: Attempt,
) -> Result<(), BoxDynError> {
    let (Ok(store), Ok(sku)) = (StoreCode::parse(&job.store), Sku::parse(&job.sku)) else {
        return Err(AbortError::new(format!("malformed sync job {}/{}", job.store, job.sku)).into());
    };
    let span = tracing::info_span!("sync_product_to_store", store = %store, sku = %sku, attempt = attempt.current());
    let started = Instant::now();
    let result = ctx.handlers.sync.execute(&store, &sku).instrument(span).await.map(|_| ());
    let subject = format!("{store}/{sku}");
    let verdict = finish(
        &ctx,
        JobType::SyncProductToStore,
        &subject,
        &job,
        attempt.current(),
        job.queued_at_us,
        started,
        &result,
    )
    .await;
    let Some((message, give_up)) = verdict else { return Ok(()) };
    if give_up {
        tracing::error!(store = %store, sku = %sku, attempt = attempt.current(), error = %message, "sync failed for good");
    } else {
        tracing::warn!(store = %store, sku = %sku, attempt = attempt.current(), error = %message, "sync failed; will retry");
    }
    verdict_of(message, give_up)
}

async fn fan_out_product(job: FanOutProductJob, ctx: Data<Ctx>, attempt: Attempt) -> Result<(), BoxDynError> {
    let Ok(id) = EventId::parse(&job.event_id) else {
        return Err(AbortError::new(format!("malformed event id `{}`", job.event_id)).into());
    };
    let span = tracing::info_span!("fan_out_product", event_id = %id, attempt = attempt.current());
    let started = Instant::now();
    let result = ctx.handlers.fan_out.execute(&id).instrument(span).await.map(|_| ());
    // `Attempt` is 1 on the first run.
    let verdict =
        finish(&ctx, JobType::FanOutProduct, id.as_str(), &job, attempt.current(), job.queued_at_us, started, &result)
            .await;
    settle(&ctx, &id, attempt.current(), verdict).await
}

/// Builds and runs one apalis worker for `$field` of the storages with `$handler`, under supervision.
macro_rules! spawn_worker {
    ($tasks:expr, $ctx:expr, $settings:expr, $shutdown:expr, $storages:expr, $poll:expr, $name:expr, $field:ident, $handler:expr) => {{
        let (ctx, settings, shutdown, storages, poll, name) =
            ($ctx.clone(), $settings.clone(), $shutdown.clone(), $storages.clone(), $poll, $name);
        if let Storages::Redis { conn, $field, .. } = &storages {
            // Ready jobs wait in the queue's backlog until there is room on its ready list (decision 6).
            let config = $field.get_config().clone();
            $tasks.spawn(redis_backlog::feed_until_stopped(conn.clone(), config, poll, shutdown.clone()));
        }
        $tasks.spawn(async move {
            supervise(&name, shutdown.clone(), || {
                let (ctx, settings, storages, shutdown, name) =
                    (ctx.clone(), settings.clone(), storages.clone(), shutdown.clone(), name.clone());
                async move {
                    let retry =
                        RetryPolicy::retries(settings.max_attempts.saturating_sub(1)).with_backoff(backoff(&settings));
                    let timeout = Duration::from_secs(settings.job_timeout_secs);
                    match storages {
                        Storages::Redis { $field, .. } => {
                            // apalis queues a worker's lock and ack events (two per job) in a channel of
                            // 4 × batch_size and, once stopping, no longer drains it until its jobs are done:
                            // a job waiting for room there never ends and the shutdown hangs. Size the batch
                            // so that the events of every job in flight fit.
                            let config =
                                $field.get_config().clone().batch_size(settings.concurrency.div_ceil(2).max(1));
                            WorkerBuilder::new(name)
                                .backend($field.with_config(config).poll_with_interval(poll))
                                .data(ctx)
                                .concurrency(settings.concurrency)
                                .retry(retry)
                                .timeout(timeout)
                                .build($handler)
                                .run_until(stopped(shutdown))
                                .await
                        }
                        Storages::Sqlite { $field, .. } => {
                            WorkerBuilder::new(name)
                                .backend($field.poll_with_interval(poll))
                                .data(ctx)
                                .concurrency(settings.concurrency)
                                .retry(retry)
                                .timeout(timeout)
                                .build($handler)
                                .run_until(stopped(shutdown))
                                .await
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
    let ctx = Ctx { handlers, max_attempts: settings.max_attempts.max(1) };
    let name = settings.name();
    let poll = Duration::from_millis(queue.settings.poll_interval_ms.max(1));
    let storages = queue.storages.clone();
    let mut tasks = tokio::task::JoinSet::new();
    let runs = |job: JobType| settings.jobs.iter().any(|j| j == job.as_str());
    if runs(JobType::FanOutProduct) {
        spawn_worker!(
            tasks,
            ctx,
            settings,
            shutdown,
            storages,
            poll,
            format!("{name}-fan-out"),
            fan_out,
            fan_out_product
        );
    }
    if runs(JobType::ReplicateOrder) {
        if ctx.handlers.replicate.is_some() {
            spawn_worker!(
                tasks,
                ctx,
                settings,
                shutdown,
                storages,
                poll,
                format!("{name}-orders"),
                replicate,
                replicate_order
            );
        } else {
            tracing::warn!("no Webservice for the source store: orders wait in their queue until one is configured");
        }
    }
    if runs(JobType::SyncProductToStore) {
        spawn_worker!(
            tasks,
            ctx,
            settings,
            shutdown,
            storages,
            poll,
            format!("{name}-sync"),
            sync,
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
