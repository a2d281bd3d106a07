//! What accepting events needs from the outside world: the durable inbox.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    errors::StorageError,
    model::{EventId, EventKind, NewEvent, StoredEvent},
};

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
