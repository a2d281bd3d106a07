//! The use cases: accepting events and fanning a product change out to the client stores.

use std::sync::Arc;

use crate::{
    EventId, EventKind, EventStatus, NewEvent, Store, StoreDirectory, StoreRole,
    event::EventPayload,
    ports::{
        Inbox, JobQueue, ProductStates, QueueError, Recorded, SourceProductState, StorageError, SyncProductToStore,
    },
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

/// Queues what the inbox holds but the queue may not: events stored while the queue was down (or by a
/// process that died between the two writes), and events queued long ago and still not processed (a queue
/// that lost them). Jobs are idempotent, so queueing one twice is harmless.
#[derive(Clone)]
pub struct SweepInbox {
    inbox: Arc<dyn Inbox>,
    queue: Arc<dyn JobQueue>,
}

impl SweepInbox {
    /// Builds the use case.
    pub fn new(inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self { inbox, queue }
    }

    /// Queues up to `limit` events: `received` more than `grace` ago, or `queued` more than `stale` ago.
    /// Returns how many were queued.
    ///
    /// # Errors
    /// [`JobError::Retryable`] when the database or the queue is down (what was queued before is kept).
    pub async fn execute(
        &self,
        grace: chrono::Duration,
        stale: chrono::Duration,
        limit: u32,
    ) -> Result<usize, JobError> {
        let now = chrono::Utc::now();
        let due = self.inbox.due_for_queueing(now - grace, now - stale, limit).await?;
        let mut queued = Vec::with_capacity(due.len());
        let mut outcome = Ok(());
        for pending in due {
            if let Err(e) = self.queue.enqueue_event(&pending.event_id, pending.kind).await {
                outcome = Err(JobError::from(e));
                break;
            }
            queued.push(pending.event_id);
        }
        self.inbox.mark_queued(&queued).await?;
        if !queued.is_empty() {
            tracing::info!(count = queued.len(), "sweeper queued events");
        }
        outcome.map(|()| queued.len())
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

/// What a fan-out did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FanOut {
    /// The state was the newest: one sync queued per active client store.
    Queued {
        /// How many sync jobs.
        syncs: usize,
    },
    /// A newer state was already known: nothing queued.
    Stale,
    /// The event had been processed before.
    AlreadyProcessed,
}

/// Updates the latest known state of a source product and queues one `SyncProductToStore` per active
/// client store.
#[derive(Clone)]
pub struct FanOutProduct {
    inbox: Arc<dyn Inbox>,
    states: Arc<dyn ProductStates>,
    queue: Arc<dyn JobQueue>,
    stores: Arc<dyn StoreDirectory>,
}

impl FanOutProduct {
    /// Builds the use case.
    pub fn new(
        inbox: Arc<dyn Inbox>,
        states: Arc<dyn ProductStates>,
        queue: Arc<dyn JobQueue>,
        stores: Arc<dyn StoreDirectory>,
    ) -> Self {
        Self { inbox, states, queue, stores }
    }

    /// Runs the fan-out of one product event. Idempotent: a re-run after a crash queues the syncs again
    /// (they are idempotent too) and never lets an older state win.
    ///
    /// # Errors
    /// [`JobError::Permanent`] for an unknown event or one that is not a product event;
    /// [`JobError::Retryable`] when the database or the queue is down.
    pub async fn execute(&self, id: &EventId) -> Result<FanOut, JobError> {
        let stored =
            self.inbox.load(id).await?.ok_or_else(|| JobError::Permanent(format!("event {id} is not in the inbox")))?;
        if stored.status == EventStatus::Processed {
            return Ok(FanOut::AlreadyProcessed);
        }
        let event = stored.event;
        let EventPayload::Product(product) = event.payload else {
            return Err(JobError::Permanent(format!("event {id} is not a {} event", EventKind::Product.as_str())));
        };
        let sku = product.sku.clone();
        let state = SourceProductState::new(product, event.event_id.clone(), event.occurred_at, event.sequence);
        if !self.states.apply_if_newer(&state).await? {
            tracing::info!(event_id = %id, sku = %sku, "older than the known state: not fanned out");
            self.inbox.mark_processed(id).await?;
            return Ok(FanOut::Stale);
        }
        let jobs: Vec<SyncProductToStore> = self
            .stores
            .active_clients()
            .iter()
            .map(|s| SyncProductToStore { store: s.code.clone(), sku: sku.clone() })
            .collect();
        if !jobs.is_empty() {
            self.queue.enqueue_syncs(&jobs).await?;
        }
        self.inbox.mark_processed(id).await?;
        tracing::info!(event_id = %id, sku = %sku, syncs = jobs.len(), "product fanned out");
        Ok(FanOut::Queued { syncs: jobs.len() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Money, PriceRule, ProductData, Secret, Sku, StaticStoreDirectory, StoreCode, StoredEvent,
        ports::{MockInbox, MockJobQueue, MockProductStates},
    };
    use chrono::{TimeZone, Utc};
    use mockall::predicate::eq;

    fn store(code: &str, role: StoreRole) -> Store {
        Store::new(
            StoreCode::parse(code).unwrap(),
            role,
            Secret::new(format!("{code}-key-0123456789")),
            None,
            true,
            PriceRule::default(),
        )
    }

    fn product_event(id: &str) -> NewEvent {
        let product = ProductData::new(
            6,
            Sku::parse("WHS-0001").unwrap(),
            "Mug".into(),
            Money::parse("11.90").unwrap(),
            300,
            true,
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 59, 58).unwrap(),
            vec![],
        )
        .unwrap();
        NewEvent::new(
            EventId::parse(id).unwrap(),
            StoreCode::parse("wholesaler").unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap(),
            None,
            EventPayload::Product(product),
        )
    }

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

    fn directory() -> Arc<dyn StoreDirectory> {
        let mut inactive = store("retail-3", StoreRole::Client);
        inactive.active = false;
        Arc::new(
            StaticStoreDirectory::new(vec![
                store("wholesaler", StoreRole::Source),
                store("retail-1", StoreRole::Client),
                store("retail-2", StoreRole::Client),
                inactive,
            ])
            .unwrap(),
        )
    }

    fn inbox_holding(event: NewEvent, status: EventStatus) -> MockInbox {
        let mut inbox = MockInbox::new();
        inbox.expect_load().returning(move |_| Ok(Some(StoredEvent::new(event.clone(), status, Utc::now(), 0, None))));
        inbox
    }

    #[tokio::test]
    async fn fan_out_queues_one_sync_per_active_client() {
        let mut inbox = inbox_holding(product_event("event-0001"), EventStatus::Queued);
        inbox.expect_mark_processed().times(1).returning(|_| Ok(()));
        let mut states = MockProductStates::new();
        states.expect_apply_if_newer().times(1).returning(|_| Ok(true));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| {
                let stores: Vec<&str> = jobs.iter().map(|j| j.store.as_str()).collect();
                stores == ["retail-1", "retail-2"] && jobs.iter().all(|j| j.sku.as_str() == "WHS-0001")
            })
            .times(1)
            .returning(|_| Ok(()));
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(queue), directory());
        assert_eq!(uc.execute(&EventId::parse("event-0001").unwrap()).await, Ok(FanOut::Queued { syncs: 2 }));
    }

    #[tokio::test]
    async fn an_older_state_is_not_fanned_out() {
        let mut inbox = inbox_holding(product_event("event-0001"), EventStatus::Queued);
        inbox.expect_mark_processed().times(1).returning(|_| Ok(()));
        let mut states = MockProductStates::new();
        states.expect_apply_if_newer().returning(|_| Ok(false));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(queue), directory());
        assert_eq!(uc.execute(&EventId::parse("event-0001").unwrap()).await, Ok(FanOut::Stale));
    }

    #[tokio::test]
    async fn a_processed_event_is_not_fanned_out_twice() {
        let inbox = inbox_holding(product_event("event-0001"), EventStatus::Processed);
        let mut states = MockProductStates::new();
        states.expect_apply_if_newer().never();
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(MockJobQueue::new()), directory());
        assert_eq!(uc.execute(&EventId::parse("event-0001").unwrap()).await, Ok(FanOut::AlreadyProcessed));
    }

    #[tokio::test]
    async fn a_database_outage_during_fan_out_is_retryable_and_marks_nothing() {
        let mut inbox = inbox_holding(product_event("event-0001"), EventStatus::Queued);
        inbox.expect_mark_processed().never();
        let mut states = MockProductStates::new();
        states.expect_apply_if_newer().returning(|_| Err(StorageError::Unavailable("gone".into())));
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(MockJobQueue::new()), directory());
        assert!(matches!(uc.execute(&EventId::parse("event-0001").unwrap()).await, Err(JobError::Retryable(_))));
    }

    #[tokio::test]
    async fn the_sweeper_queues_what_the_queue_missed_and_marks_it() {
        let mut inbox = MockInbox::new();
        inbox.expect_due_for_queueing().times(1).returning(|_, _, _| {
            Ok(vec![
                crate::ports::PendingEvent {
                    event_id: EventId::parse("event-0001").unwrap(),
                    kind: EventKind::Product,
                },
                crate::ports::PendingEvent { event_id: EventId::parse("event-0002").unwrap(), kind: EventKind::Order },
            ])
        });
        inbox.expect_mark_queued().withf(|ids| ids.len() == 2).times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(2).returning(|_, _| Ok(()));
        let uc = SweepInbox::new(Arc::new(inbox), Arc::new(queue));
        let n = uc.execute(chrono::Duration::seconds(10), chrono::Duration::minutes(10), 100).await;
        assert_eq!(n, Ok(2));
    }

    #[tokio::test]
    async fn the_sweeper_stops_at_a_queue_outage_and_marks_only_what_it_queued() {
        let mut inbox = MockInbox::new();
        inbox.expect_due_for_queueing().returning(|_, _, _| {
            Ok(vec![
                crate::ports::PendingEvent {
                    event_id: EventId::parse("event-0001").unwrap(),
                    kind: EventKind::Product,
                },
                crate::ports::PendingEvent {
                    event_id: EventId::parse("event-0002").unwrap(),
                    kind: EventKind::Product,
                },
            ])
        });
        inbox
            .expect_mark_queued()
            .withf(|ids| ids.len() == 1 && ids[0].as_str() == "event-0001")
            .times(1)
            .returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        let mut calls = 0;
        queue.expect_enqueue_event().times(2).returning(move |_, _| {
            calls += 1;
            if calls == 1 { Ok(()) } else { Err(QueueError::Unavailable("down".into())) }
        });
        let uc = SweepInbox::new(Arc::new(inbox), Arc::new(queue));
        let got = uc.execute(chrono::Duration::seconds(10), chrono::Duration::minutes(10), 100).await;
        assert!(matches!(got, Err(JobError::Retryable(_))));
    }

    #[test]
    fn a_later_occurrence_breaks_an_updated_at_tie() {
        let a = product_event("event-0001");
        let EventPayload::Product(p) = a.payload.clone() else { unreachable!() };
        let older = SourceProductState::new(p.clone(), a.event_id.clone(), a.occurred_at, None);
        let newer = SourceProductState::new(p, a.event_id, a.occurred_at + chrono::Duration::microseconds(1), None);
        assert!(newer.supersedes(&older));
        assert!(!older.supersedes(&newer));
        assert!(!older.supersedes(&older));
    }
}
