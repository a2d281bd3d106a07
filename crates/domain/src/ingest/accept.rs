//! Accepting a webhook's event: stored once in the inbox, then its job queued.

use std::sync::Arc;

use super::ports::{Inbox, Recorded};
use crate::{
    jobs::JobQueue,
    model::{NewEvent, Store, StoreRole},
};

/// What accepting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// Stored and queued now.
    Queued,
    /// Already accepted before: nothing done.
    Duplicate,
}

impl Acceptance {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Acceptance::Queued => "queued",
            Acceptance::Duplicate => "duplicate",
        }
    }
}

/// Why an event was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    /// The store's role may not post this kind of event.
    #[error("a {role} store may not post {kind} events")]
    RoleNotAllowed {
        /// The posting store's role.
        role: StoreRole,
        /// The event's kind.
        kind: &'static str,
    },
    /// The database could not store it: nothing was accepted, the sender must retry.
    #[error("the event could not be stored: {0}")]
    NotStored(String),
    /// Stored, but the queue could not take it: it is safe, the sweeper queues it once the queue is back.
    #[error("the event is stored but could not be queued: {0}")]
    NotQueued(String),
}

/// Records an event once and queues its job; shared by the two accept use cases.
#[derive(Clone)]
struct Intake {
    inbox: Arc<dyn Inbox>,
    queue: Arc<dyn JobQueue>,
}

impl Intake {
    async fn accept(&self, store: &Store, required: StoreRole, event: &NewEvent) -> Result<Acceptance, AcceptError> {
        if store.role != required {
            return Err(AcceptError::RoleNotAllowed { role: store.role, kind: event.kind().as_str() });
        }
        match self.inbox.record(event).await.map_err(|e| AcceptError::NotStored(e.to_string()))? {
            Recorded::Duplicate => return Ok(Acceptance::Duplicate),
            Recorded::New => {}
        }
        self.queue
            .enqueue_event(&event.event_id, event.kind())
            .await
            .map_err(|e| AcceptError::NotQueued(e.to_string()))?;
        // Only an optimisation for the sweeper: if this fails the event is queued twice, and jobs are idempotent.
        if let Err(e) = self.inbox.mark_queued(std::slice::from_ref(&event.event_id)).await {
            tracing::warn!(event_id = %event.event_id, error = %e, "could not mark event queued");
        }
        Ok(Acceptance::Queued)
    }
}

/// Accepts a product event from the source store.
#[derive(Clone)]
pub struct AcceptProductEvent(Intake);

impl AcceptProductEvent {
    /// Builds the use case.
    pub fn new(inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self(Intake { inbox, queue })
    }

    /// Stores the event once and queues `FanOutProduct`.
    ///
    /// # Errors
    /// [`AcceptError::RoleNotAllowed`] unless `store` is the source; storage and queue failures.
    pub async fn execute(&self, store: &Store, event: &NewEvent) -> Result<Acceptance, AcceptError> {
        self.0.accept(store, StoreRole::Source, event).await
    }
}

/// Accepts an order event from a client store.
#[derive(Clone)]
pub struct AcceptOrderEvent(Intake);

impl AcceptOrderEvent {
    /// Builds the use case.
    pub fn new(inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self(Intake { inbox, queue })
    }

    /// Stores the event once and queues `ReplicateOrder`.
    ///
    /// # Errors
    /// [`AcceptError::RoleNotAllowed`] unless `store` is a client; storage and queue failures.
    pub async fn execute(&self, store: &Store, event: &NewEvent) -> Result<Acceptance, AcceptError> {
        self.0.accept(store, StoreRole::Client, event).await
    }
}

/// Accepts the source's report of an order's state or tracking number.
#[derive(Clone)]
pub struct AcceptOrderStatusEvent(Intake);

impl AcceptOrderStatusEvent {
    /// Builds the use case.
    pub fn new(inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self(Intake { inbox, queue })
    }

    /// Stores the event once and queues its job (on the orders' queue).
    ///
    /// # Errors
    /// [`AcceptError::RoleNotAllowed`] unless `store` is the source; storage and queue failures.
    pub async fn execute(&self, store: &Store, event: &NewEvent) -> Result<Acceptance, AcceptError> {
        self.0.accept(store, StoreRole::Source, event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        errors::QueueError,
        fixtures::{product_event, store},
        ingest::ports::MockInbox,
        jobs::MockJobQueue,
        model::{EventId, EventKind},
    };
    use mockall::predicate::eq;

    #[tokio::test]
    async fn a_new_product_event_is_recorded_queued_and_marked() {
        let mut inbox = MockInbox::new();
        inbox.expect_record().times(1).returning(|_| Ok(Recorded::New));
        inbox.expect_mark_queued().times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_event()
            .with(eq(EventId::parse("event-0001").unwrap()), eq(EventKind::Product))
            .times(1)
            .returning(|_, _| Ok(()));
        let uc = AcceptProductEvent::new(Arc::new(inbox), Arc::new(queue));
        let got = uc.execute(&store("wholesaler", StoreRole::Source), &product_event("event-0001")).await;
        assert_eq!(got, Ok(Acceptance::Queued));
    }

    #[tokio::test]
    async fn a_repeated_event_is_not_queued_again() {
        let mut inbox = MockInbox::new();
        inbox.expect_record().times(1).returning(|_| Ok(Recorded::Duplicate));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().never();
        let uc = AcceptProductEvent::new(Arc::new(inbox), Arc::new(queue));
        let got = uc.execute(&store("wholesaler", StoreRole::Source), &product_event("event-0001")).await;
        assert_eq!(got, Ok(Acceptance::Duplicate));
    }

    #[tokio::test]
    async fn a_client_may_not_post_product_events_and_nothing_is_stored() {
        let mut inbox = MockInbox::new();
        inbox.expect_record().never();
        let uc = AcceptProductEvent::new(Arc::new(inbox), Arc::new(MockJobQueue::new()));
        let got = uc.execute(&store("retail-1", StoreRole::Client), &product_event("event-0001")).await;
        assert!(matches!(got, Err(AcceptError::RoleNotAllowed { role: StoreRole::Client, .. })));
    }

    #[tokio::test]
    async fn the_source_may_not_post_orders() {
        let mut inbox = MockInbox::new();
        inbox.expect_record().never();
        let uc = AcceptOrderEvent::new(Arc::new(inbox), Arc::new(MockJobQueue::new()));
        let got = uc.execute(&store("wholesaler", StoreRole::Source), &product_event("event-0001")).await;
        assert!(matches!(got, Err(AcceptError::RoleNotAllowed { role: StoreRole::Source, .. })));
    }

    #[tokio::test]
    async fn a_queue_outage_leaves_the_event_stored_for_the_sweeper() {
        let mut inbox = MockInbox::new();
        inbox.expect_record().times(1).returning(|_| Ok(Recorded::New));
        inbox.expect_mark_queued().never();
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().returning(|_, _| Err(QueueError::Unavailable("down".into())));
        let uc = AcceptProductEvent::new(Arc::new(inbox), Arc::new(queue));
        let got = uc.execute(&store("wholesaler", StoreRole::Source), &product_event("event-0001")).await;
        assert!(matches!(got, Err(AcceptError::NotQueued(_))));
    }
}
