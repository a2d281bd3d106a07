//! What the dashboard and the admin commands read: job runs and counts, Webservice health, failed jobs,
//! unlinked SKUs, order links and what the operations tables know of one SKU on one store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::jobs::JobType;

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
    /// Why, when the sync said (e.g. `ambiguous: client products 12, 31 share WHS-1`).
    pub note: Option<String>,
}

/// How many SKUs of a client store are in one link status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkCount {
    /// The client store.
    pub store: String,
    /// `linked`, `unlinked`, `ambiguous` or `refused`.
    pub status: String,
    /// How many.
    pub count: u64,
    /// Of them, products the hub is creating there (publishing started, not finished).
    pub publishing: u64,
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
    /// Its reference there.
    pub source_reference: Option<String>,
    /// Why it failed (a stable reason code first).
    pub error: Option<String>,
    /// The source order's carrier: id and name.
    pub carrier: Option<(u64, String)>,
    /// The shipping the source charged, tax included.
    pub shipping_tax_incl: Option<String>,
    /// The source order's state: id, and name when the source reported it.
    pub source_state: Option<(String, Option<String>)>,
    /// The client order's state as last seen or set.
    pub client_state: Option<String>,
    /// The source order's tracking number.
    pub tracking_number: Option<String>,
    /// When a state or tracking number was last carried between the shops.
    pub status_updated_at: Option<DateTime<Utc>>,
    /// Something for the wholesaler to handle.
    pub attention: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What the hub's tables know of one SKU on one client store besides its link: when the link was last
/// saved, when the owed-sync sweeper last queued its sync again, and a failed sync waiting for an operator.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SkuActivity {
    /// When the link was last saved (a sync applied a state, or found the SKU unlinked or ambiguous).
    pub link_saved_at: Option<DateTime<Utc>>,
    /// When the owed-sync sweeper last queued the sync again, for which event, and how many times for it.
    pub requeued: Option<(DateTime<Utc>, String, u32)>,
    /// The latest failed sync of the pair still waiting for Retry or Discard.
    pub waiting_failure: Option<WaitingFailure>,
}

/// A failed job waiting for an operator, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingFailure {
    /// Its id (the Jobs page's row).
    pub id: i64,
    /// Its last error.
    pub error: String,
    /// When it failed.
    pub failed_at: DateTime<Utc>,
}
