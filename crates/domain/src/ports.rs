//! The ports: what the use cases need from the outside world. Adapters implement them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{EventId, EventKind, NewEvent, ProductData, Sku, StoreCode, StoredEvent};

/// A storage failure, as the use cases need to tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached now; the same call may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug, a corrupt row).
    #[error("unexpected storage error: {0}")]
    Unexpected(String),
}

/// A queue failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue cannot be reached now; the same call may succeed later.
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("unexpected queue error: {0}")]
    Unexpected(String),
}

/// What recording an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First time this `event_id` is seen: stored.
    New,
    /// The `event_id` was already stored: nothing written.
    Duplicate,
}

/// An event the sweeper must (re-)queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// The event.
    pub event_id: EventId,
    /// Its kind, which picks the job.
    pub kind: EventKind,
}

/// The durable inbox of accepted events.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait Inbox: Send + Sync + 'static {
    /// Stores the event once, keyed by `event_id`, with status `received`, durably before returning.
    ///
    /// # Errors
    /// [`StorageError::Unavailable`] when the database cannot be reached.
    async fn record(&self, event: &NewEvent) -> Result<Recorded, StorageError>;

    /// Marks events as queued (only those still `received`).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn mark_queued(&self, ids: &[EventId]) -> Result<(), StorageError>;

    /// Loads an event.
    ///
    /// # Errors
    /// When the database cannot be reached or the row cannot be decoded.
    async fn load(&self, id: &EventId) -> Result<Option<StoredEvent>, StorageError>;

    /// Marks an event processed.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn mark_processed(&self, id: &EventId) -> Result<(), StorageError>;

    /// Counts a failed attempt and keeps its error; `give_up` marks the event `failed` for an operator.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn record_failure(&self, id: &EventId, error: &str, give_up: bool) -> Result<(), StorageError>;

    /// Events that need queueing: `received` before `received_before`, or `queued` before
    /// `stale_queued_before` and still not processed. Oldest first, at most `limit`.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn due_for_queueing(
        &self,
        received_before: DateTime<Utc>,
        stale_queued_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingEvent>, StorageError>;

    /// Puts events back to `queued` whatever their status (an operator's retry or replay), clearing
    /// their error and attempts.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn requeue(&self, ids: &[EventId]) -> Result<(), StorageError>;

    /// Events received at or after `since` (of `kind`, or all) with a row id above `after`, oldest first,
    /// at most `limit`, with their row ids (to page on).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn received_since(
        &self,
        since: DateTime<Utc>,
        kind: Option<EventKind>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, PendingEvent)>, StorageError>;

    /// Checks the database answers.
    ///
    /// # Errors
    /// When it does not.
    async fn ping(&self) -> Result<(), StorageError>;
}

/// Apply the latest source state of `sku` to the client store `store` (the next issue implements it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncProductToStore {
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

    /// Queues one `SyncProductToStore` job each.
    ///
    /// # Errors
    /// [`QueueError::Unavailable`] when the queue cannot be reached in time.
    async fn enqueue_syncs(&self, jobs: &[SyncProductToStore]) -> Result<(), QueueError>;

    /// Jobs of type `job` waiting to run (the queue depth).
    ///
    /// # Errors
    /// When the queue cannot be reached.
    async fn depth(&self, job: crate::operations::JobType) -> Result<u64, QueueError>;

    /// Checks the queue answers.
    ///
    /// # Errors
    /// When it does not.
    async fn ping(&self) -> Result<(), QueueError>;
}

/// The hub's latest known state of a source product, with what ordered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceProductState {
    /// The product.
    pub product: ProductData,
    /// The event that brought it.
    pub event_id: EventId,
    /// When the event happened at the source: breaks ties of the one-second `updated_at`.
    pub occurred_at: DateTime<Utc>,
    /// The connector's sequence, when sent.
    pub sequence: Option<u64>,
}

impl SourceProductState {
    /// Builds a state.
    pub fn new(product: ProductData, event_id: EventId, occurred_at: DateTime<Utc>, sequence: Option<u64>) -> Self {
        Self { product, event_id, occurred_at, sequence }
    }

    /// True when `self` supersedes `known`: a later `updated_at`, or the same and a later `occurred_at`.
    pub fn supersedes(&self, known: &SourceProductState) -> bool {
        (self.product.updated_at, self.occurred_at) > (known.product.updated_at, known.occurred_at)
    }
}

/// The latest source state per SKU.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ProductStates: Send + Sync + 'static {
    /// Stores `state` when it supersedes what is known for its SKU (or nothing is known), or when it came
    /// from the same event as the stored one (a re-run). Returns whether `state` is now the latest.
    /// Atomic against concurrent calls for one SKU.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn apply_if_newer(&self, state: &SourceProductState) -> Result<bool, StorageError>;

    /// The latest state of `sku`.
    ///
    /// # Errors
    /// When the database cannot be reached or the row cannot be decoded.
    async fn latest(&self, sku: &Sku) -> Result<Option<SourceProductState>, StorageError>;

    /// The latest states of those of `skus` the hub knows (in no particular order; unknown ones are left
    /// out), in one read: what reconciliation compares a catalog page with.
    ///
    /// # Errors
    /// When the database cannot be reached or a row cannot be decoded.
    async fn latest_many(&self, skus: &[Sku]) -> Result<Vec<SourceProductState>, StorageError>;
}
