//! What operations need from the outside world: the operations log (telemetry, failed jobs, the dashboard's
//! reads), the dashboard's open sessions, and live metrics (Prometheus, in the app).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::read_models::{
    FailedJob, FailedStatus, JobMinute, JobRun, LinkCount, NewFailedJob, OrderLinkRow, SkuActivity, StoreHealth,
    StoreMinute, TelemetryBatch, UnlinkedSku,
};
use crate::{
    errors::StorageError,
    jobs::{JobType, Outcome},
    model::{Sku, StoreCode},
};

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

    /// Per client store and link status, how many SKUs (the catalog's progress on the dashboard).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn link_counts(&self) -> Result<Vec<LinkCount>, StorageError>;

    /// What the operations tables know of `sku` on `store` (empty when nothing), in point reads.
    ///
    /// # Errors
    /// When the database cannot be reached or a row cannot be decoded.
    async fn sku_activity(&self, store: &StoreCode, sku: &Sku) -> Result<SkuActivity, StorageError>;

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

/// The dashboard's open sessions, kept where every API process sees them: a session ended on one process
/// (a logout) is ended on all of them. A session is known by a key derived from its id (a digest), never by
/// what its cookie carries.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait DashboardSessions: Send + Sync + 'static {
    /// Opens the session `key`, open until `expires_at` unless closed before.
    ///
    /// # Errors
    /// When the database cannot be reached, or `key` is open already.
    async fn open(&self, key: &str, expires_at: DateTime<Utc>) -> Result<(), StorageError>;

    /// True when the session `key` is open and its end is after `now`.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn is_open(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StorageError>;

    /// Ends the session `key` (a logout); nothing happens when it is not open.
    ///
    /// # Errors
    /// When the database cannot be reached: the session may still be open then.
    async fn close(&self, key: &str) -> Result<(), StorageError>;

    /// Forgets the sessions whose end is at or before `now`; returns how many.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StorageError>;
}

/// Live metrics: what [`Telemetry`](super::Telemetry) records is also counted here as it happens (the app
/// exports them to Prometheus).
pub trait OperationsMetrics: Send + Sync + 'static {
    /// One run of `job` ended with `outcome`, after waiting `wait` in the queue (when known) and running
    /// for `duration`.
    fn job_finished(&self, job: JobType, outcome: Outcome, wait: Option<Duration>, duration: Duration);

    /// One Webservice call to `store`; `status` is the HTTP status, or `None` when no answer came.
    fn webservice_call(&self, store: &str, resource: &str, method: &str, status: Option<u16>, duration: Duration);

    /// `store`'s circuit breaker is now open or not.
    fn circuit(&self, store: &str, open: bool);
}

/// Metrics nobody exports.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMetrics;

impl OperationsMetrics for NoMetrics {
    fn job_finished(&self, _: JobType, _: Outcome, _: Option<Duration>, _: Duration) {}
    fn webservice_call(&self, _: &str, _: &str, _: &str, _: Option<u16>, _: Duration) {}
    fn circuit(&self, _: &str, _: bool) {}
}
