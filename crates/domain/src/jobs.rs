//! Jobs: their types, how a run ends, why one fails (which decides whether it is retried), and the queue
//! port the use cases put them on.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{
    errors::{GatewayError, QueueError, StorageError},
    model::{EventId, EventKind, Sku, StoreCode},
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

/// Why a job failed, which decides whether it is retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// May succeed later (database or queue down, store timeout, 5xx, 429).
    #[error("{0}")]
    Retryable(String),
    /// Retrying cannot help (unknown event, wrong payload, 4xx validation).
    #[error("{0}")]
    Permanent(String),
}

impl From<StorageError> for JobError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(_) => JobError::Retryable(e.to_string()),
            StorageError::Unexpected(_) => JobError::Permanent(e.to_string()),
        }
    }
}

impl From<QueueError> for JobError {
    fn from(e: QueueError) -> Self {
        JobError::Retryable(e.to_string())
    }
}

impl From<GatewayError> for JobError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Retryable(m) => JobError::Retryable(m),
            GatewayError::Gone(m) | GatewayError::Permanent(m) => JobError::Permanent(m),
        }
    }
}

/// A request to apply the latest source state of `sku` to the client store `store`: what a
/// `SyncProductToStore` job carries (the use case of that name runs it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The client store.
    pub store: StoreCode,
    /// The product reference.
    pub sku: Sku,
}

/// The job queue.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Queues the job that processes an accepted event (`FanOutProduct` or `ReplicateOrder`), durably
    /// before returning.
    ///
    /// # Errors
    /// [`QueueError::Unavailable`] when the queue cannot be reached in time.
    async fn enqueue_event(&self, id: &EventId, kind: EventKind) -> Result<(), QueueError>;

    /// Queues one `SyncProductToStore` job per request.
    ///
    /// # Errors
    /// [`QueueError::Unavailable`] when the queue cannot be reached in time.
    async fn enqueue_syncs(&self, jobs: &[SyncRequest]) -> Result<(), QueueError>;

    /// Jobs of type `job` waiting to run (the queue depth).
    ///
    /// # Errors
    /// When the queue cannot be reached.
    async fn depth(&self, job: JobType) -> Result<u64, QueueError>;

    /// Checks the queue answers.
    ///
    /// # Errors
    /// When it does not.
    async fn ping(&self) -> Result<(), QueueError>;
}
