//! Fanning a product event out: the hub's latest known state of the SKU is updated, then one sync is queued
//! per active client store.

use std::sync::Arc;

use super::ports::{ProductStates, SourceProductState};
use crate::{
    ingest::Inbox,
    jobs::{JobError, JobQueue, SyncRequest},
    model::{EventId, EventKind, EventPayload, EventStatus, StoreDirectory},
};

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
    /// The hub knows the SKU from another source product: the reference is shared (ambiguous) or moved,
    /// which one event cannot tell; nothing applied, reconciliation reads both products and decides.
    OtherSourceProduct {
        /// The product the hub knows the SKU from.
        known: u64,
        /// The product the event was sent for.
        sent: u64,
    },
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
        // Never guessed: a SKU two source products send would flip between them with each event.
        if let Some(known) = self.states.latest(&sku).await?
            && known.product.source_id != product.source_id
        {
            let (known, sent) = (known.product.source_id, product.source_id);
            tracing::warn!(
                event_id = %id, sku = %sku, known, sent,
                "ambiguous or moved source reference: not fanned out; reconciliation reads both products"
            );
            self.inbox.mark_processed(id).await?;
            return Ok(FanOut::OtherSourceProduct { known, sent });
        }
        let state = SourceProductState::new(product, event.event_id.clone(), event.occurred_at, event.sequence);
        if !self.states.apply_if_newer(&state).await? {
            tracing::info!(event_id = %id, sku = %sku, "older than the known state: not fanned out");
            self.inbox.mark_processed(id).await?;
            return Ok(FanOut::Stale);
        }
        let jobs: Vec<SyncRequest> = self
            .stores
            .active_clients()
            .iter()
            .map(|s| SyncRequest { store: s.code.clone(), sku: sku.clone() })
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
        catalog::ports::MockProductStates,
        errors::StorageError,
        fixtures::{product_event, store},
        ingest::MockInbox,
        jobs::MockJobQueue,
        model::{NewEvent, StaticStoreDirectory, StoreRole, StoredEvent},
    };
    use chrono::Utc;

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
        states.expect_latest().returning(|_| Ok(None));
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
        states.expect_latest().returning(|_| Ok(None));
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
        states.expect_latest().returning(|_| Ok(None));
        states.expect_apply_if_newer().never();
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(MockJobQueue::new()), directory());
        assert_eq!(uc.execute(&EventId::parse("event-0001").unwrap()).await, Ok(FanOut::AlreadyProcessed));
    }

    #[tokio::test]
    async fn a_database_outage_during_fan_out_is_retryable_and_marks_nothing() {
        let mut inbox = inbox_holding(product_event("event-0001"), EventStatus::Queued);
        inbox.expect_mark_processed().never();
        let mut states = MockProductStates::new();
        states.expect_latest().returning(|_| Ok(None));
        states.expect_apply_if_newer().returning(|_| Err(StorageError::Unavailable("gone".into())));
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(MockJobQueue::new()), directory());
        assert!(matches!(uc.execute(&EventId::parse("event-0001").unwrap()).await, Err(JobError::Retryable(_))));
    }

    #[tokio::test]
    async fn an_event_for_a_sku_known_from_another_source_product_is_not_fanned_out() {
        // The hub knows WHS-0001 from product 4; product 6 now sends it too.
        let mut inbox = inbox_holding(product_event("event-0002"), EventStatus::Queued);
        inbox.expect_mark_processed().times(1).returning(|_| Ok(()));
        let mut states = MockProductStates::new();
        let EventPayload::Product(mut known) = product_event("event-0001").payload else { unreachable!() };
        known.source_id = 4;
        states.expect_latest().returning(move |_| {
            Ok(Some(SourceProductState::new(known.clone(), EventId::parse("event-0001").unwrap(), Utc::now(), None)))
        });
        states.expect_apply_if_newer().never();
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let uc = FanOutProduct::new(Arc::new(inbox), Arc::new(states), Arc::new(queue), directory());
        let got = uc.execute(&EventId::parse("event-0002").unwrap()).await;
        assert_eq!(got, Ok(FanOut::OtherSourceProduct { known: 4, sent: 6 }));
    }
}
