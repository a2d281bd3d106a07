//! "Where is my SKU?": the hub's latest source state of one reference and, per client store, its link
//! (status and note as stored, the client product, the combination mapping, what was last applied and
//! when), whether a sync is still owed, re-queued or failed; and the operator's "re-check now", which queues a sync of that SKU to one
//! store through the ordinary job queue.

use std::sync::Arc;

use super::{ports::OperationsLog, read_models::SkuActivity};
use crate::{
    catalog::{ProductLink, ProductLinks, ProductStates, SourceProductState},
    errors::{QueueError, StorageError},
    jobs::{JobQueue, SyncRequest},
    model::{Sku, StoreCode, StoreDirectory, StoreRole},
};

/// Whether the hub still owes a client work for a SKU, as the database tells it (the same rule the
/// owed-sync sweeper applies). Whether a job for it is in the queue right now cannot be told: the queue is
/// not searchable per SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// The link has dealt with the latest source state (applied it, or found the SKU unlinked or ambiguous).
    Nothing,
    /// The client lags behind the latest source state: its sync is queued, running, failed, or will be
    /// queued again by the owed-sync sweeper.
    Owed {
        /// The event of the latest source state.
        latest_event_id: String,
        /// The event whose state the link last dealt with, if any.
        dealt_with: Option<String>,
    },
    /// The store is inactive: the hub syncs nothing to it.
    StoreInactive,
}

/// One client store's side of a SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSku {
    /// The client store.
    pub store: StoreCode,
    /// Whether the store is active (an inactive one is never synced).
    pub active: bool,
    /// The stored link; `None` when no sync has looked the SKU up on this store yet.
    pub link: Option<ProductLink>,
    /// Work still owed.
    pub pending: Pending,
    /// When the link was saved, the sweeper's re-queueing, a failed sync waiting for an operator.
    pub activity: SkuActivity,
}

/// What the hub knows of one SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuReport {
    /// The SKU.
    pub sku: Sku,
    /// The hub's latest source state.
    pub source: SourceProductState,
    /// Per client store, in the directory's order.
    pub clients: Vec<ClientSku>,
}

/// Why "re-check now" queued nothing.
#[derive(Debug, thiserror::Error)]
pub enum RecheckError {
    /// Not an active client store.
    #[error("`{0}` is not an active client store")]
    NotAClient(String),
    /// The hub has no source state of the SKU: there is nothing to sync.
    #[error("the hub does not know SKU `{0}`")]
    UnknownSku(String),
    /// The database cannot be read.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The queue did not take the job.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Reports where a SKU stands on every client, and queues a sync of it on demand.
#[derive(Clone)]
pub struct LocateSku {
    states: Arc<dyn ProductStates>,
    links: Arc<dyn ProductLinks>,
    log: Arc<dyn OperationsLog>,
    stores: Arc<dyn StoreDirectory>,
    queue: Arc<dyn JobQueue>,
}

impl LocateSku {
    /// Builds the use case.
    pub fn new(
        states: Arc<dyn ProductStates>,
        links: Arc<dyn ProductLinks>,
        log: Arc<dyn OperationsLog>,
        stores: Arc<dyn StoreDirectory>,
        queue: Arc<dyn JobQueue>,
    ) -> Self {
        Self { states, links, log, stores, queue }
    }

    /// The report of `sku` for every client store, or only for `only`; `None` when the hub has no source
    /// state of it.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn report(&self, sku: &Sku, only: Option<&StoreCode>) -> Result<Option<SkuReport>, StorageError> {
        let Some(source) = self.states.latest(sku).await? else {
            return Ok(None);
        };
        let mut clients = Vec::new();
        for store in self.stores.all() {
            if store.role != StoreRole::Client || only.is_some_and(|o| *o != store.code) {
                continue;
            }
            let link = self.links.get(&store.code, sku).await?;
            let dealt_with = link.as_ref().and_then(|l| l.applied_event_id.clone());
            let pending = if !store.active {
                Pending::StoreInactive
            } else if dealt_with.as_deref() == Some(source.event_id.as_str()) {
                Pending::Nothing
            } else {
                Pending::Owed { latest_event_id: source.event_id.as_str().to_owned(), dealt_with }
            };
            let activity = self.log.sku_activity(&store.code, sku).await?;
            clients.push(ClientSku { store: store.code.clone(), active: store.active, link, pending, activity });
        }
        Ok(Some(SkuReport { sku: sku.clone(), source, clients }))
    }

    /// Queues a sync of `sku` to `store` (a `SyncProductToStore` job, as a product event's fan-out does).
    ///
    /// # Errors
    /// [`RecheckError::NotAClient`] and [`RecheckError::UnknownSku`] queue nothing; storage and queue
    /// failures may succeed later.
    pub async fn recheck(&self, store: &StoreCode, sku: &Sku) -> Result<(), RecheckError> {
        if !self.stores.get(store).is_some_and(|s| s.role == StoreRole::Client && s.active) {
            return Err(RecheckError::NotAClient(store.to_string()));
        }
        if self.states.latest(sku).await?.is_none() {
            return Err(RecheckError::UnknownSku(sku.to_string()));
        }
        self.queue.enqueue_syncs(&[SyncRequest { store: store.clone(), sku: sku.clone() }]).await?;
        tracing::info!(store = %store, sku = %sku, "re-check queued by an operator");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        catalog::{MockProductLinks, MockProductStates},
        fixtures::{product_event, store},
        jobs::MockJobQueue,
        model::{EventPayload, StaticStoreDirectory},
        operations::MockOperationsLog,
    };

    fn quiet_log() -> Arc<dyn OperationsLog> {
        let mut log = MockOperationsLog::new();
        log.expect_sku_activity().returning(|_, _| Ok(SkuActivity::default()));
        Arc::new(log)
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

    fn known(states: &mut MockProductStates) {
        states.expect_latest().returning(|_| {
            let e = product_event("event-0001");
            let EventPayload::Product(p) = e.payload else { unreachable!() };
            Ok(Some(SourceProductState::new(p, e.event_id, e.occurred_at, None)))
        });
    }

    fn link(store: &str, event: &str) -> ProductLink {
        // From its stored form, so the fixture names only the fields these tests read.
        serde_json::from_value(serde_json::json!({
            "store": store, "sku": "WHS-0001", "status": "linked", "client_product_id": 7,
            "stock_rows": {}, "unmatched_combinations": [], "applied": {"price": null, "active": null, "stock": {}},
            "applied_event_id": event, "note": null
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_client_behind_the_latest_state_is_owed_and_one_never_looked_up_too_but_not_an_inactive_one() {
        let mut states = MockProductStates::new();
        known(&mut states);
        let mut links = MockProductLinks::new();
        links.expect_get().returning(|s, _| Ok((s.as_str() == "retail-1").then(|| link("retail-1", "event-0000"))));
        let uc =
            LocateSku::new(Arc::new(states), Arc::new(links), quiet_log(), directory(), Arc::new(MockJobQueue::new()));
        let report = uc.report(&Sku::parse("WHS-0001").unwrap(), None).await.unwrap().unwrap();
        let stores: Vec<_> = report.clients.iter().map(|c| c.store.as_str()).collect();
        assert_eq!(stores, ["retail-1", "retail-2", "retail-3"], "every client, never the source");
        assert_eq!(
            report.clients[0].pending,
            Pending::Owed { latest_event_id: "event-0001".into(), dealt_with: Some("event-0000".into()) }
        );
        assert!(report.clients[1].link.is_none());
        assert!(matches!(report.clients[1].pending, Pending::Owed { dealt_with: None, .. }));
        assert_eq!(report.clients[2].pending, Pending::StoreInactive, "an inactive store is owed nothing");
    }

    #[tokio::test]
    async fn a_link_that_dealt_with_the_latest_state_owes_nothing_and_only_the_asked_store_is_read() {
        let mut states = MockProductStates::new();
        known(&mut states);
        let mut links = MockProductLinks::new();
        links
            .expect_get()
            .withf(|s, _| s.as_str() == "retail-2")
            .times(1)
            .returning(|_, _| Ok(Some(link("retail-2", "event-0001"))));
        let uc =
            LocateSku::new(Arc::new(states), Arc::new(links), quiet_log(), directory(), Arc::new(MockJobQueue::new()));
        let only = StoreCode::parse("retail-2").unwrap();
        let report = uc.report(&Sku::parse("WHS-0001").unwrap(), Some(&only)).await.unwrap().unwrap();
        assert_eq!(report.clients.len(), 1);
        assert_eq!(report.clients[0].pending, Pending::Nothing);
    }

    #[tokio::test]
    async fn an_unknown_sku_has_no_report_and_queues_no_recheck() {
        let mut states = MockProductStates::new();
        states.expect_latest().returning(|_| Ok(None));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let uc = LocateSku::new(
            Arc::new(states),
            Arc::new(MockProductLinks::new()),
            quiet_log(),
            directory(),
            Arc::new(queue),
        );
        let sku = Sku::parse("NOPE-1").unwrap();
        assert_eq!(uc.report(&sku, None).await.unwrap(), None);
        let store = StoreCode::parse("retail-1").unwrap();
        assert!(matches!(uc.recheck(&store, &sku).await, Err(RecheckError::UnknownSku(_))));
    }

    #[tokio::test]
    async fn a_recheck_queues_one_sync_for_a_client_and_none_for_the_source() {
        let mut states = MockProductStates::new();
        known(&mut states);
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].store.as_str() == "retail-1" && jobs[0].sku.as_str() == "WHS-0001")
            .times(1)
            .returning(|_| Ok(()));
        let uc = LocateSku::new(
            Arc::new(states),
            Arc::new(MockProductLinks::new()),
            quiet_log(),
            directory(),
            Arc::new(queue),
        );
        let sku = Sku::parse("WHS-0001").unwrap();
        uc.recheck(&StoreCode::parse("retail-1").unwrap(), &sku).await.unwrap();
        let source = StoreCode::parse("wholesaler").unwrap();
        assert!(matches!(uc.recheck(&source, &sku).await, Err(RecheckError::NotAClient(_))));
    }
}
