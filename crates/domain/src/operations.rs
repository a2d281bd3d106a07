//! What operators see and do: job and Webservice telemetry (aggregated in memory by each worker and
//! written in batches, so the dashboard of an API process sees every worker), failed jobs kept for a
//! human, and the use cases behind the dashboard's and the CLI's Retry, Discard and Replay.
//!
//! Each recording also feeds the process's Prometheus metrics through the `metrics` facade.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    EventId, EventKind, Sku, StoreCode,
    ports::{Inbox, JobQueue, QueueError, StorageError, SyncProductToStore},
};

/// The job types, by their stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobType {
    /// `FanOutProduct`.
    FanOutProduct,
    /// `SyncProductToStore`.
    SyncProductToStore,
    /// `ReplicateOrder`.
    ReplicateOrder,
}

impl JobType {
    /// Every job type.
    pub const ALL: [JobType; 3] = [JobType::FanOutProduct, JobType::SyncProductToStore, JobType::ReplicateOrder];

    /// The stable name (metrics label, stored value, CLI).
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::FanOutProduct => "fan_out_product",
            JobType::SyncProductToStore => "sync_product_to_store",
            JobType::ReplicateOrder => "replicate_order",
        }
    }

    /// Parses a stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.as_str() == name)
    }
}

/// How one run of a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Succeeded,
    /// Failed; another attempt follows.
    Retrying,
    /// Failed for good: kept as a failed job.
    Failed,
}

impl Outcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
        }
    }
}

/// One finished run of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRun {
    /// The job type.
    pub job: String,
    /// What it worked on: an event id, or `store/sku`.
    pub subject: String,
    /// How it ended.
    pub outcome: String,
    /// 1 for the first run.
    pub attempt: u32,
    /// Time from queueing to the first start (first attempts only).
    pub wait_ms: Option<u64>,
    /// Run time.
    pub duration_ms: u64,
    /// The error of a failed run.
    pub error: Option<String>,
    /// Which worker ran it.
    pub worker: String,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

/// Job counts of one minute, one job type and one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Runs.
    pub runs: u64,
    /// Sum of the waits measured.
    pub wait_ms_sum: u64,
    /// Runs whose wait was measured.
    pub wait_runs: u64,
    /// Sum of the run times.
    pub duration_ms_sum: u64,
}

/// [`Counts`] with their key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobMinute {
    /// Minutes since the Unix epoch.
    pub minute: i64,
    /// The job type.
    pub job: String,
    /// The outcome.
    pub outcome: String,
    /// The counts.
    pub counts: Counts,
}

/// Webservice calls of one store in one minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreMinute {
    /// Minutes since the Unix epoch.
    pub minute: i64,
    /// The store.
    pub store: String,
    /// Calls.
    pub calls: u64,
    /// Calls that failed (transport errors, 5xx, 429, timeouts, an open circuit).
    pub errors: u64,
}

/// One worker's view of one store's Webservice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreHealth {
    /// The store.
    pub store: String,
    /// The worker reporting.
    pub worker: String,
    /// `closed`, `open` or `half_open`.
    pub circuit: String,
    /// Last successful call.
    pub last_success: Option<DateTime<Utc>>,
    /// Last failed call.
    pub last_error: Option<DateTime<Utc>>,
    /// Its error.
    pub last_error_message: Option<String>,
    /// When this report was written.
    pub updated_at: DateTime<Utc>,
}

/// What a worker writes at each flush.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelemetryBatch {
    /// Counts to add.
    pub minutes: Vec<JobMinute>,
    /// Recent runs (a sample of successes, every failure).
    pub runs: Vec<JobRun>,
    /// Call counts to add.
    pub store_minutes: Vec<StoreMinute>,
    /// Health reports to upsert.
    pub health: Vec<StoreHealth>,
}

impl TelemetryBatch {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty() && self.runs.is_empty() && self.store_minutes.is_empty() && self.health.is_empty()
    }
}

/// The state of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailedStatus {
    /// Waiting for an operator.
    Failed,
    /// Queued again by an operator.
    Retried,
    /// Dropped by an operator.
    Discarded,
}

impl FailedStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailedStatus::Failed => "failed",
            FailedStatus::Retried => "retried",
            FailedStatus::Discarded => "discarded",
        }
    }

    /// Parses a stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        [FailedStatus::Failed, FailedStatus::Retried, FailedStatus::Discarded].into_iter().find(|s| s.as_str() == name)
    }
}

/// A job that failed for good, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFailedJob {
    /// Its type.
    pub job: JobType,
    /// An event id, or `store/sku`.
    pub subject: String,
    /// The job as queued (JSON).
    pub payload: String,
    /// The last error.
    pub error: String,
    /// Attempts made.
    pub attempts: u32,
}

/// A stored failed job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedJob {
    /// Its id.
    pub id: i64,
    /// Its type (its stable name).
    pub job: String,
    /// An event id, or `store/sku`.
    pub subject: String,
    /// The job as queued (JSON).
    pub payload: String,
    /// The last error.
    pub error: String,
    /// Attempts made.
    pub attempts: u32,
    /// Its state.
    pub status: FailedStatus,
    /// When it failed.
    pub failed_at: DateTime<Utc>,
    /// When an operator retried or discarded it.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A (client store, SKU) pair the hub could not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnlinkedSku {
    /// The client store.
    pub store: String,
    /// The SKU.
    pub sku: String,
    /// `unlinked` (no product) or `ambiguous` (several).
    pub status: String,
    /// When it was last looked up.
    pub updated_at: DateTime<Utc>,
}

/// A client order and what it became on the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLinkRow {
    /// The client store.
    pub client_store: String,
    /// The order id on the client.
    pub client_order_id: u64,
    /// The replication state.
    pub status: String,
    /// The order id on the source, once created.
    pub source_order_id: Option<u64>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Operations storage: telemetry written by workers, failed jobs, and the reads of the dashboard.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OperationsLog: Send + Sync + 'static {
    /// Adds a flush of telemetry.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn write(&self, batch: &TelemetryBatch) -> Result<(), StorageError>;

    /// Keeps a failed job for an operator; returns its id.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn record_failed(&self, job: &NewFailedJob) -> Result<i64, StorageError>;

    /// Failed jobs in `status`, newest first.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn failed_jobs(&self, status: FailedStatus, limit: u32) -> Result<Vec<FailedJob>, StorageError>;

    /// One failed job.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn failed_job(&self, id: i64) -> Result<Option<FailedJob>, StorageError>;

    /// Moves a job from `failed` to `to`; false when it was not `failed` any more (another operator won).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn resolve_failed(&self, id: i64, to: FailedStatus) -> Result<bool, StorageError>;

    /// Puts a job resolved by mistake (its re-queueing failed) back to `failed`.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn reopen_failed(&self, id: i64) -> Result<(), StorageError>;

    /// Job counts per minute since `since`.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn job_minutes(&self, since: DateTime<Utc>) -> Result<Vec<JobMinute>, StorageError>;

    /// The latest recorded runs, newest first.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn recent_runs(&self, limit: u32) -> Result<Vec<JobRun>, StorageError>;

    /// Webservice call counts per minute since `since`.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn store_minutes(&self, since: DateTime<Utc>) -> Result<Vec<StoreMinute>, StorageError>;

    /// Every worker's latest health report per store.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn store_health(&self) -> Result<Vec<StoreHealth>, StorageError>;

    /// Client SKUs without a single matching product.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn unlinked_skus(&self, limit: u32) -> Result<Vec<UnlinkedSku>, StorageError>;

    /// The latest order links.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn order_links(&self, limit: u32) -> Result<Vec<OrderLinkRow>, StorageError>;

    /// Deletes runs and counts older than `before`, and health reports of workers silent since then.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn prune(&self, runs_before: DateTime<Utc>, counts_before: DateTime<Utc>) -> Result<(), StorageError>;
}

/// Recent successful runs kept per flush (every failure is kept).
const SAMPLED_RUNS: usize = 50;
/// Failures kept per flush at most (a storm of failures must not grow memory without bound).
const KEPT_FAILURES: usize = 500;

#[derive(Debug, Default)]
struct StoreAgg {
    minutes: HashMap<i64, (u64, u64)>,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<DateTime<Utc>>,
    last_error_message: Option<String>,
    circuit: Option<String>,
    /// When a report was last drained, and the circuit it said.
    reported: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Default)]
struct Pending {
    minutes: HashMap<(i64, JobType, Outcome), Counts>,
    successes: VecDeque<JobRun>,
    failures: Vec<JobRun>,
    stores: HashMap<String, StoreAgg>,
}

/// One process's telemetry: aggregated in memory, drained by a flusher into [`OperationsLog`], and
/// mirrored into Prometheus metrics as it is recorded.
#[derive(Debug)]
pub struct Telemetry {
    worker: String,
    pending: Mutex<Pending>,
}

fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

impl Telemetry {
    /// Telemetry of the worker named `worker`.
    pub fn new(worker: impl Into<String>) -> Arc<Self> {
        Arc::new(Self { worker: worker.into(), pending: Mutex::new(Pending::default()) })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one finished run.
    #[allow(clippy::too_many_arguments)]
    pub fn job_finished(
        &self,
        job: JobType,
        subject: &str,
        outcome: Outcome,
        attempt: u32,
        wait: Option<Duration>,
        duration: Duration,
        error: Option<&str>,
    ) {
        let labels = [("job", job.as_str()), ("outcome", outcome.as_str())];
        metrics::counter!("hub_jobs_total", &labels).increment(1);
        metrics::histogram!("hub_job_duration_seconds", "job" => job.as_str()).record(duration.as_secs_f64());
        if let Some(w) = wait {
            metrics::histogram!("hub_job_wait_seconds", "job" => job.as_str()).record(w.as_secs_f64());
        }
        let now = Utc::now();
        let run = JobRun {
            job: job.as_str().to_owned(),
            subject: subject.to_owned(),
            outcome: outcome.as_str().to_owned(),
            attempt,
            wait_ms: wait.map(|w| w.as_millis() as u64),
            duration_ms: duration.as_millis() as u64,
            error: error.map(|e| e.chars().take(2000).collect()),
            worker: self.worker.clone(),
            finished_at: now,
        };
        let mut p = self.pending();
        let c = p.minutes.entry((minute_of(now), job, outcome)).or_default();
        c.runs += 1;
        c.duration_ms_sum += run.duration_ms;
        if let Some(w) = run.wait_ms {
            c.wait_ms_sum += w;
            c.wait_runs += 1;
        }
        if outcome == Outcome::Succeeded {
            if p.successes.len() == SAMPLED_RUNS {
                p.successes.pop_front();
            }
            p.successes.push_back(run);
        } else if p.failures.len() < KEPT_FAILURES {
            p.failures.push(run);
        }
    }

    /// Records one Webservice call: `status` is the HTTP status, or `None` when no answer came.
    #[allow(clippy::too_many_arguments)]
    pub fn webservice_call(
        &self,
        store: &str,
        resource: &str,
        method: &str,
        status: Option<u16>,
        failed: bool,
        duration: Duration,
        error: Option<&str>,
    ) {
        let status_label = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        metrics::counter!(
            "hub_webservice_calls_total",
            "store" => store.to_owned(),
            "resource" => resource.to_owned(),
            "method" => method.to_owned(),
            "status" => status_label
        )
        .increment(1);
        metrics::histogram!("hub_webservice_call_duration_seconds", "store" => store.to_owned())
            .record(duration.as_secs_f64());
        let now = Utc::now();
        let mut p = self.pending();
        let s = p.stores.entry(store.to_owned()).or_default();
        let m = s.minutes.entry(minute_of(now)).or_default();
        m.0 += 1;
        if failed {
            m.1 += 1;
            s.last_error = Some(now);
            s.last_error_message = error.map(|e| e.chars().take(1000).collect());
        } else {
            s.last_success = Some(now);
        }
    }

    /// Records a store's circuit state (`closed`, `open`, `half_open`) as seen now.
    pub fn circuit(&self, store: &str, state: &str) {
        metrics::gauge!("hub_webservice_circuit_open", "store" => store.to_owned()).set(if state == "open" {
            1.0
        } else {
            0.0
        });
        self.pending().stores.entry(store.to_owned()).or_default().circuit = Some(state.to_owned());
    }

    /// Takes what was recorded since the last drain.
    pub fn drain(&self) -> TelemetryBatch {
        let now = Utc::now();
        let mut p = self.pending();
        let minutes = p
            .minutes
            .drain()
            .map(|((minute, job, outcome), counts)| JobMinute {
                minute,
                job: job.as_str().to_owned(),
                outcome: outcome.as_str().to_owned(),
                counts,
            })
            .collect();
        let mut runs: Vec<JobRun> = p.failures.drain(..).collect();
        runs.extend(p.successes.drain(..));
        runs.sort_by_key(|r| r.finished_at);
        let mut store_minutes = Vec::new();
        let mut health = Vec::new();
        for (store, agg) in &mut p.stores {
            let called = !agg.minutes.is_empty();
            for (minute, (calls, errors)) in agg.minutes.drain() {
                store_minutes.push(StoreMinute { minute, store: store.clone(), calls, errors });
            }
            let circuit = agg.circuit.clone().unwrap_or_else(|| "closed".into());
            // A report when something changed, and once a minute to show the worker is alive; none for a
            // store this worker never called (an idle hub writes nothing).
            let never_called = agg.last_success.is_none() && agg.last_error.is_none();
            let due = match &agg.reported {
                None => !never_called || circuit != "closed",
                Some((at, said)) => called || *said != circuit || now - *at >= chrono::Duration::seconds(60),
            };
            if !due {
                continue;
            }
            agg.reported = Some((now, circuit.clone()));
            health.push(StoreHealth {
                store: store.clone(),
                worker: self.worker.clone(),
                circuit,
                last_success: agg.last_success,
                last_error: agg.last_error,
                last_error_message: agg.last_error_message.clone(),
                updated_at: now,
            });
        }
        TelemetryBatch { minutes, runs, store_minutes, health }
    }
}

/// Why an operator action did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    /// No such failed job.
    #[error("no failed job {0}")]
    NotFound(i64),
    /// Already retried or discarded.
    #[error("job {0} is already {1}")]
    AlreadyResolved(i64, &'static str),
    /// The stored job cannot be understood.
    #[error("job {0}: {1}")]
    Malformed(i64, String),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The payload of a sync job, as stored with a failed one.
#[derive(Debug, Deserialize)]
struct SyncPayload {
    store: String,
    sku: String,
}

/// Retry and Discard of failed jobs, and Replay of inbox events.
#[derive(Clone)]
pub struct FailedJobs {
    log: Arc<dyn OperationsLog>,
    inbox: Arc<dyn Inbox>,
    queue: Arc<dyn JobQueue>,
}

impl FailedJobs {
    /// Wires the use case.
    pub fn new(log: Arc<dyn OperationsLog>, inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self { log, inbox, queue }
    }

    async fn claim(&self, id: i64, to: FailedStatus) -> Result<FailedJob, OperationError> {
        let job = self.log.failed_job(id).await?.ok_or(OperationError::NotFound(id))?;
        if job.status != FailedStatus::Failed {
            return Err(OperationError::AlreadyResolved(id, job.status.as_str()));
        }
        if !self.log.resolve_failed(id, to).await? {
            let now = self.log.failed_job(id).await?.map_or(FailedStatus::Discarded, |j| j.status);
            return Err(OperationError::AlreadyResolved(id, now.as_str()));
        }
        Ok(job)
    }

    /// Queues a failed job again (its event back to `queued` in the inbox). Marked `retried` first, so two
    /// operators clicking at once queue it once; put back to `failed` if the queue refuses.
    ///
    /// # Errors
    /// Unknown or resolved job, a malformed payload, storage or queue failures.
    pub async fn retry(&self, id: i64) -> Result<(), OperationError> {
        let job = self.claim(id, FailedStatus::Retried).await?;
        let result = self.requeue(&job).await;
        if result.is_err() {
            self.log.reopen_failed(id).await?;
        } else {
            tracing::info!(failed_job = id, job = %job.job, subject = %job.subject, "failed job retried");
        }
        result
    }

    async fn requeue(&self, job: &FailedJob) -> Result<(), OperationError> {
        let malformed = |m: String| OperationError::Malformed(job.id, m);
        match JobType::from_name(&job.job) {
            Some(kind @ (JobType::FanOutProduct | JobType::ReplicateOrder)) => {
                let event = EventId::parse(&job.subject).map_err(|e| malformed(e.to_string()))?;
                self.inbox.requeue(std::slice::from_ref(&event)).await?;
                let kind = if kind == JobType::FanOutProduct { EventKind::Product } else { EventKind::Order };
                self.queue.enqueue_event(&event, kind).await?;
            }
            Some(JobType::SyncProductToStore) => {
                let p: SyncPayload = serde_json::from_str(&job.payload).map_err(|e| malformed(e.to_string()))?;
                let store = StoreCode::parse(&p.store).map_err(|e| malformed(e.to_string()))?;
                let sku = Sku::parse(&p.sku).map_err(|e| malformed(e.to_string()))?;
                self.queue.enqueue_syncs(&[SyncProductToStore { store, sku }]).await?;
            }
            None => return Err(malformed(format!("unknown job type `{}`", job.job))),
        }
        Ok(())
    }

    /// Drops a failed job for good.
    ///
    /// # Errors
    /// Unknown or resolved job, storage failures.
    pub async fn discard(&self, id: i64) -> Result<(), OperationError> {
        let job = self.claim(id, FailedStatus::Discarded).await?;
        tracing::info!(failed_job = id, job = %job.job, subject = %job.subject, "failed job discarded");
        Ok(())
    }

    /// The failed jobs waiting for an operator, newest first.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn waiting(&self, limit: u32) -> Result<Vec<FailedJob>, OperationError> {
        Ok(self.log.failed_jobs(FailedStatus::Failed, limit).await?)
    }

    /// Processes again every event received since `since` (of `kind`, or all), a page at a time: each is
    /// put back to `queued` and its job queued. Jobs are idempotent, so an order is still created once.
    /// `progress` is called with the running total after each page.
    ///
    /// # Errors
    /// Storage or queue failures (what was queued before stays queued).
    pub async fn replay(
        &self,
        since: DateTime<Utc>,
        kind: Option<EventKind>,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<u64, OperationError> {
        let mut after = 0_i64;
        let mut done = 0_u64;
        loop {
            let page = self.inbox.received_since(since, kind, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            let ids: Vec<EventId> = page.iter().map(|(_, e)| e.event_id.clone()).collect();
            self.inbox.requeue(&ids).await?;
            for (_, event) in &page {
                self.queue.enqueue_event(&event.event_id, event.kind).await?;
            }
            done += page.len() as u64;
            progress(done);
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockInbox, MockJobQueue, PendingEvent};

    fn failed(id: i64, job: JobType, subject: &str, payload: &str, status: FailedStatus) -> FailedJob {
        FailedJob {
            id,
            job: job.as_str().into(),
            subject: subject.into(),
            payload: payload.into(),
            error: "boom".into(),
            attempts: 8,
            status,
            failed_at: Utc::now(),
            resolved_at: None,
        }
    }

    #[tokio::test]
    async fn retrying_a_sync_queues_it_once_and_marks_it_retried() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job().returning(|id| {
            Ok(Some(failed(
                id,
                JobType::SyncProductToStore,
                "retailer-1/SKU-1",
                r#"{"store":"retailer-1","sku":"SKU-1"}"#,
                FailedStatus::Failed,
            )))
        });
        log.expect_resolve_failed()
            .withf(|id, to| *id == 7 && *to == FailedStatus::Retried)
            .times(1)
            .returning(|_, _| Ok(true));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].store.as_str() == "retailer-1" && jobs[0].sku.as_str() == "SKU-1")
            .times(1)
            .returning(|_| Ok(()));
        let uc = FailedJobs::new(Arc::new(log), Arc::new(MockInbox::new()), Arc::new(queue));
        uc.retry(7).await.unwrap();
    }

    #[tokio::test]
    async fn retrying_an_event_job_requeues_the_inbox_row_and_the_event() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job()
            .returning(|id| Ok(Some(failed(id, JobType::ReplicateOrder, "order-evt-1", "{}", FailedStatus::Failed))));
        log.expect_resolve_failed().returning(|_, _| Ok(true));
        let mut inbox = MockInbox::new();
        inbox
            .expect_requeue()
            .withf(|ids| ids.len() == 1 && ids[0].as_str() == "order-evt-1")
            .times(1)
            .returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_event()
            .withf(|id, kind| id.as_str() == "order-evt-1" && *kind == EventKind::Order)
            .times(1)
            .returning(|_, _| Ok(()));
        let uc = FailedJobs::new(Arc::new(log), Arc::new(inbox), Arc::new(queue));
        uc.retry(3).await.unwrap();
    }

    #[tokio::test]
    async fn a_refused_queue_puts_the_job_back_to_failed() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job().returning(|id| {
            Ok(Some(failed(
                id,
                JobType::SyncProductToStore,
                "retailer-1/SKU-1",
                r#"{"store":"retailer-1","sku":"SKU-1"}"#,
                FailedStatus::Failed,
            )))
        });
        log.expect_resolve_failed().returning(|_, _| Ok(true));
        log.expect_reopen_failed().withf(|id| *id == 9).times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().returning(|_| Err(QueueError::Unavailable("down".into())));
        let uc = FailedJobs::new(Arc::new(log), Arc::new(MockInbox::new()), Arc::new(queue));
        assert!(matches!(uc.retry(9).await, Err(OperationError::Queue(_))));
    }

    #[tokio::test]
    async fn a_resolved_job_is_neither_retried_nor_discarded_again() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job()
            .returning(|id| Ok(Some(failed(id, JobType::FanOutProduct, "evt-1", "{}", FailedStatus::Discarded))));
        log.expect_resolve_failed().never();
        let uc = FailedJobs::new(Arc::new(log), Arc::new(MockInbox::new()), Arc::new(MockJobQueue::new()));
        assert_eq!(uc.retry(1).await, Err(OperationError::AlreadyResolved(1, "discarded")));
        assert_eq!(uc.discard(1).await, Err(OperationError::AlreadyResolved(1, "discarded")));
    }

    #[tokio::test]
    async fn replay_pages_through_the_inbox() {
        let mut inbox = MockInbox::new();
        inbox.expect_received_since().returning(|_, _, after, _| {
            Ok(if after == 0 {
                vec![
                    (1, PendingEvent { event_id: EventId::parse("event-0001").unwrap(), kind: EventKind::Product }),
                    (2, PendingEvent { event_id: EventId::parse("event-0002").unwrap(), kind: EventKind::Order }),
                ]
            } else {
                Vec::new()
            })
        });
        inbox.expect_requeue().times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(2).returning(|_, _| Ok(()));
        let uc = FailedJobs::new(Arc::new(MockOperationsLog::new()), Arc::new(inbox), Arc::new(queue));
        let mut seen = Vec::new();
        assert_eq!(uc.replay(Utc::now(), None, |n| seen.push(n)).await.unwrap(), 2);
        assert_eq!(seen, vec![2]);
    }

    #[test]
    fn telemetry_aggregates_and_drains() {
        let t = Telemetry::new("w1");
        for _ in 0..60 {
            t.job_finished(
                JobType::SyncProductToStore,
                "a/b",
                Outcome::Succeeded,
                1,
                Some(Duration::from_millis(4)),
                Duration::from_millis(10),
                None,
            );
        }
        t.job_finished(JobType::FanOutProduct, "e", Outcome::Failed, 8, None, Duration::from_millis(3), Some("bad"));
        t.webservice_call(
            "retailer-1",
            "stock_availables",
            "PATCH",
            Some(500),
            true,
            Duration::from_millis(2),
            Some("500"),
        );
        t.webservice_call("retailer-1", "products", "GET", Some(200), false, Duration::from_millis(2), None);
        t.circuit("retailer-1", "open");
        let b = t.drain();
        let sync: u64 = b.minutes.iter().filter(|m| m.job == "sync_product_to_store").map(|m| m.counts.runs).sum();
        assert_eq!(sync, 60);
        assert_eq!(b.minutes.iter().map(|m| m.counts.wait_runs).sum::<u64>(), 60);
        assert_eq!(b.runs.len(), SAMPLED_RUNS + 1, "a sample of successes and every failure");
        assert_eq!(
            b.store_minutes.iter().map(|m| (m.calls, m.errors)).fold((0, 0), |a, x| (a.0 + x.0, a.1 + x.1)),
            (2, 1)
        );
        assert_eq!(b.health[0].circuit, "open");
        assert!(b.health[0].last_error.is_some() && b.health[0].last_success.is_some());
        let quiet = t.drain();
        assert!(quiet.minutes.is_empty() && quiet.health.is_empty(), "nothing new, nothing written: {quiet:?}");
        t.circuit("retailer-1", "closed");
        assert_eq!(t.drain().health.len(), 1, "a circuit change is reported");
        t.circuit("retailer-2", "closed");
        assert!(t.drain().health.is_empty(), "a store never called is not reported");
    }
}
