//! Applying the source's latest state of a SKU to one client store: `SyncProductToStore`.
//!
//! The job reads the *latest* state (so a burst of events coalesces into one write), computes the client's
//! target (its price rule, its stock buffer, the active flag), writes only what differs from what the hub
//! last applied there, and records the link (client product id, stock row ids, applied target).

use std::{sync::Arc, time::Duration};

use super::{
    matching::{link_to, unlinked},
    ports::{LinkStatus, Lookup, ProductLink, ProductLinks, ProductStates, RemoteStockRow, StoreGateway},
    target::Target,
};
use crate::{
    errors::{GatewayError, StorageError},
    jobs::JobError,
    lease::{LEASE_TTL, Timer, renewing_lease, wait_for_lease},
    model::{Sku, Store, StoreCode, StoreDirectory, StoreRole},
};

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Writes were made.
    Applied {
        /// How many Webservice writes.
        writes: usize,
    },
    /// The client already had the target: no call.
    UpToDate,
    /// No product with the reference on the client.
    Unlinked,
    /// Several products with the reference on the client.
    Ambiguous,
    /// Nothing known about the SKU yet, or the store is no longer an active client.
    Skipped,
}

/// Applies the latest source state of a SKU to one client store.
#[derive(Clone)]
pub struct SyncProductToStore {
    states: Arc<dyn ProductStates>,
    links: Arc<dyn ProductLinks>,
    gateway: Arc<dyn StoreGateway>,
    stores: Arc<dyn StoreDirectory>,
    timer: Arc<dyn Timer>,
    owner: String,
    lease: Duration,
}

impl SyncProductToStore {
    /// Builds the use case; `owner` names this worker for leases, `timer` paces lease waits and renewals.
    pub fn new(
        states: Arc<dyn ProductStates>,
        links: Arc<dyn ProductLinks>,
        gateway: Arc<dyn StoreGateway>,
        stores: Arc<dyn StoreDirectory>,
        timer: Arc<dyn Timer>,
        owner: String,
    ) -> Self {
        Self { states, links, gateway, stores, timer, owner, lease: LEASE_TTL }
    }

    /// Runs one sync. Two runs for one (store, SKU) never write at once (a lease across processes).
    ///
    /// # Errors
    /// Retryable when the lease is held elsewhere, the database or the store is unavailable; permanent for
    /// a 4xx the store answers.
    pub async fn execute(&self, store_code: &StoreCode, sku: &Sku) -> Result<SyncOutcome, JobError> {
        let Some(store) = self.stores.get(store_code).filter(|s| s.role == StoreRole::Client && s.active) else {
            return Ok(SyncOutcome::Skipped);
        };
        // One owner per run: two runs in one process must exclude each other too.
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let owner = format!("{}#{}", self.owner, RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        // Another run holds it only for the few calls of one sync: wait a little before giving the job back
        // to the retry layer (whose first backoff is much longer).
        if !wait_for_lease(self.timer.as_ref(), || self.links.lease(store_code, sku, &owner, self.lease)).await? {
            return Err(JobError::Retryable(format!("{store_code}/{sku} is being synced by another worker")));
        }
        let result = renewing_lease(self.timer.as_ref(), self.lease, self.sync_leased(&store, sku), || {
            self.links.lease(store_code, sku, &owner, self.lease)
        })
        .await;
        if let Err(e) = self.links.release(store_code, sku, &owner).await {
            tracing::warn!(store = %store_code, sku = %sku, error = %e, "could not release the sync lease");
        }
        result
    }

    async fn sync_leased(&self, store: &Store, sku: &Sku) -> Result<SyncOutcome, JobError> {
        let Some(state) = self.states.latest(sku).await? else {
            return Ok(SyncOutcome::Skipped);
        };
        let target = Target::for_client(&state.product, store);
        let link = self.links.get(&store.code, sku).await?;
        if let Some(link) = link.filter(|l| l.status == LinkStatus::Linked && l.client_product_id.is_some()) {
            match self.apply(store, sku, &target, link.clone(), state.event_id.as_str()).await {
                Err(ApplyError::Gone(_)) => {
                    tracing::info!(store = %store.code, sku = %sku, "linked product gone; looking it up again");
                }
                other => return other.map_err(JobError::from),
            }
        }
        match self.gateway.find_by_reference(&store.code, sku).await? {
            Lookup::NotFound => {
                let note = "no product with this reference";
                self.links.save(&unlinked(store, sku, LinkStatus::Unlinked, note, state.event_id.as_str())).await?;
                tracing::info!(store = %store.code, sku = %sku, "sku not on the client: recorded as unlinked");
                Ok(SyncOutcome::Unlinked)
            }
            Lookup::Ambiguous(ids) => {
                let note = format!("{} products share this reference: {ids:?}", ids.len());
                self.links.save(&unlinked(store, sku, LinkStatus::Ambiguous, &note, state.event_id.as_str())).await?;
                tracing::warn!(store = %store.code, sku = %sku, ?ids, "ambiguous reference: left alone");
                Ok(SyncOutcome::Ambiguous)
            }
            Lookup::Found(remote) => {
                let link = link_to(store, sku, &remote, &target);
                // The read gives the current values: seed `applied` with them so only differences are written.
                Ok(self.apply(store, sku, &target, link, state.event_id.as_str()).await?)
            }
        }
    }

    /// Writes what differs between `link.applied` and `target`, then saves the link.
    async fn apply(
        &self,
        store: &Store,
        sku: &Sku,
        target: &Target,
        mut link: ProductLink,
        event_id: &str,
    ) -> Result<SyncOutcome, ApplyError> {
        let product_id = link.client_product_id.unwrap_or_default();
        let mut writes = 0;
        if link.applied.price != Some(target.price) || link.applied.active != Some(target.active) {
            self.gateway.set_price_and_active(&store.code, product_id, &target.price, target.active).await?;
            link.applied.price = Some(target.price);
            link.applied.active = Some(target.active);
            writes += 1;
        }
        for (row, comb, quantity) in target.stock_rows(&link) {
            if link.applied.stock.get(&row) != Some(&quantity) {
                let r = RemoteStockRow { id: row, combination_id: comb, quantity };
                self.gateway.set_stock(&store.code, product_id, &r, quantity).await?;
                link.applied.stock.insert(row, quantity);
                writes += 1;
            }
        }
        link.applied_event_id = Some(event_id.to_owned());
        link.status = LinkStatus::Linked;
        self.links.save(&link).await?;
        if writes == 0 {
            tracing::debug!(store = %store.code, sku = %sku, "client already up to date");
            Ok(SyncOutcome::UpToDate)
        } else {
            tracing::info!(store = %store.code, sku = %sku, writes, "client updated");
            Ok(SyncOutcome::Applied { writes })
        }
    }
}

/// Why writing to a linked product stopped.
#[derive(Debug)]
enum ApplyError {
    /// The linked product, or one of its stock rows, no longer exists on the client: look it up again.
    Gone(String),
    /// Anything else.
    Job(JobError),
}

impl From<GatewayError> for ApplyError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Gone(m) => ApplyError::Gone(m),
            other => ApplyError::Job(other.into()),
        }
    }
}

impl From<StorageError> for ApplyError {
    fn from(e: StorageError) -> Self {
        ApplyError::Job(e.into())
    }
}

impl From<ApplyError> for JobError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Gone(m) => JobError::Permanent(format!("gone: {m}")),
            ApplyError::Job(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        catalog::ports::{
            Applied, MockProductLinks, MockProductStates, MockStoreGateway, RemoteCombination, RemoteProduct,
            SourceProductState,
        },
        lease::TokioTimer,
        model::{CombinationData, EventId, Money, PriceRule, ProductData, Secret, StaticStoreDirectory},
    };
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;

    /// The use case for `retail-1` on a state without combinations.
    fn use_case(links: MockProductLinks, gateway: MockStoreGateway) -> SyncProductToStore {
        let timer: Arc<dyn Timer> = Arc::new(TokioTimer);
        SyncProductToStore::new(
            Arc::new(state(vec![])),
            Arc::new(links),
            Arc::new(gateway),
            stores(),
            timer,
            "w".into(),
        )
    }

    fn stores() -> Arc<dyn StoreDirectory> {
        let client = Store::new(
            StoreCode::parse("retail-1").unwrap(),
            StoreRole::Client,
            Secret::new("client-key-0123456789"),
            None,
            true,
            PriceRule { markup_percent: Decimal::from(30), stock_buffer: 2 },
        );
        Arc::new(StaticStoreDirectory::new(vec![client]).unwrap())
    }

    fn code() -> StoreCode {
        StoreCode::parse("retail-1").unwrap()
    }

    fn sku() -> Sku {
        Sku::parse("WHS-0001").unwrap()
    }

    fn state(combinations: Vec<CombinationData>) -> MockProductStates {
        let product = ProductData::new(
            6,
            sku(),
            "Mug".into(),
            Money::parse("10.00").unwrap(),
            300,
            true,
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 59, 58).unwrap(),
            combinations,
        )
        .unwrap();
        let s = SourceProductState::new(product, EventId::parse("event-0001").unwrap(), Utc::now(), None);
        let mut states = MockProductStates::new();
        states.expect_latest().returning(move |_| Ok(Some(s.clone())));
        states
    }

    fn leasing_links() -> MockProductLinks {
        let mut links = MockProductLinks::new();
        links.expect_lease().returning(|_, _, _, _| Ok(true));
        links.expect_release().returning(|_, _, _| Ok(()));
        links
    }

    fn remote() -> RemoteProduct {
        RemoteProduct {
            id: 77,
            price: Money::parse("9.00").unwrap(),
            active: true,
            stock: vec![RemoteStockRow { id: 500, combination_id: 0, quantity: 3 }],
            combinations: vec![],
        }
    }

    #[tokio::test]
    async fn a_first_sync_writes_the_client_price_rule_and_buffered_stock_and_links_the_product() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(None));
        links
            .expect_save()
            .withf(|l| {
                l.status == LinkStatus::Linked
                    && l.client_product_id == Some(77)
                    && l.stock_rows.get(&0) == Some(&(500, 0))
                    && l.applied.stock.get(&500) == Some(&298)
            })
            .times(1)
            .returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().times(1).returning(|_, _| Ok(Lookup::Found(remote())));
        gw.expect_set_price_and_active()
            .withf(|_, id, price, active| *id == 77 && price.to_string() == "13.00" && *active)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        gw.expect_set_stock().withf(|_, _, row, q| row.id == 500 && *q == 298).times(1).returning(|_, _, _, _| Ok(()));
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Applied { writes: 2 }));
    }

    #[tokio::test]
    async fn a_linked_product_gone_from_the_client_is_looked_up_again_and_relinked() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| {
            let old = RemoteProduct { id: 70, ..remote() };
            let mut l = link_to(
                &stores().get(&code()).unwrap(),
                &sku(),
                &old,
                &Target { price: Money::ZERO, active: true, quantity: 0, combinations: vec![] },
            );
            l.applied = Applied::default();
            Ok(Some(l))
        });
        links.expect_save().withf(|l| l.client_product_id == Some(77)).times(1).returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_set_price_and_active()
            .withf(|_, id, _, _| *id == 70)
            .times(1)
            .returning(|_, _, _, _| Err(GatewayError::Gone("product 70".into())));
        gw.expect_find_by_reference().times(1).returning(|_, _| Ok(Lookup::Found(remote())));
        gw.expect_set_price_and_active().withf(|_, id, _, _| *id == 77).times(1).returning(|_, _, _, _| Ok(()));
        gw.expect_set_stock().withf(|_, id, _, _| *id == 77).times(1).returning(|_, _, _, _| Ok(()));
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Applied { writes: 2 }));
    }

    #[tokio::test]
    async fn a_client_that_already_has_the_target_gets_no_call() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| {
            let mut l = link_to(
                &stores().get(&code()).unwrap(),
                &sku(),
                &remote(),
                &Target { price: Money::ZERO, active: true, quantity: 0, combinations: vec![] },
            );
            l.applied =
                Applied { price: Some(Money::parse("13.00").unwrap()), active: Some(true), stock: [(500, 298)].into() };
            Ok(Some(l))
        });
        links.expect_save().returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().never();
        gw.expect_set_price_and_active().never();
        gw.expect_set_stock().never();
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::UpToDate));
    }

    #[tokio::test]
    async fn an_unknown_sku_is_recorded_unlinked_and_not_retried() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(None));
        links.expect_save().withf(|l| l.status == LinkStatus::Unlinked).times(1).returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().returning(|_, _| Ok(Lookup::NotFound));
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Unlinked));
    }

    #[tokio::test]
    async fn an_ambiguous_reference_is_reported_and_left_alone() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(None));
        links.expect_save().withf(|l| l.status == LinkStatus::Ambiguous).times(1).returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().returning(|_, _| Ok(Lookup::Ambiguous(vec![1, 2])));
        gw.expect_set_price_and_active().never();
        gw.expect_set_stock().never();
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Ambiguous));
    }

    #[tokio::test]
    async fn a_sku_being_synced_elsewhere_is_retried_later() {
        let mut links = MockProductLinks::new();
        links.expect_lease().returning(|_, _, _, _| Ok(false));
        let uc = use_case(links, MockStoreGateway::new());
        assert!(matches!(uc.execute(&code(), &sku()).await, Err(JobError::Retryable(_))));
    }

    #[tokio::test]
    async fn a_retryable_store_failure_is_retryable_and_releases_the_lease() {
        let mut links = MockProductLinks::new();
        links.expect_lease().returning(|_, _, _, _| Ok(true));
        links.expect_release().times(1).returning(|_, _, _| Ok(()));
        links.expect_get().returning(|_, _| Ok(None));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().returning(|_, _| Err(GatewayError::Retryable("503".into())));
        let uc = use_case(links, gw);
        assert!(matches!(uc.execute(&code(), &sku()).await, Err(JobError::Retryable(_))));
    }

    #[test]
    fn combinations_match_by_their_own_unique_reference_then_by_ean13() {
        let combos = vec![
            CombinationData::new(13, Some(Sku::parse("WHS-0001-S").unwrap()), None, Default::default(), 10),
            CombinationData::new(14, None, Some("4006381333931".into()), Default::default(), 5),
            CombinationData::new(15, Some(Sku::parse("SHARED").unwrap()), None, Default::default(), 1),
        ];
        let remote = RemoteProduct {
            id: 9,
            price: Money::ZERO,
            active: true,
            stock: vec![
                RemoteStockRow { id: 1, combination_id: 0, quantity: 0 },
                RemoteStockRow { id: 2, combination_id: 40, quantity: 0 },
                RemoteStockRow { id: 3, combination_id: 41, quantity: 0 },
                RemoteStockRow { id: 4, combination_id: 42, quantity: 0 },
                RemoteStockRow { id: 5, combination_id: 43, quantity: 0 },
            ],
            combinations: vec![
                RemoteCombination { id: 40, reference: Some("whs-0001-s".into()), ean13: None },
                RemoteCombination { id: 41, reference: None, ean13: Some("4006381333931".into()) },
                RemoteCombination { id: 42, reference: Some("SHARED".into()), ean13: None },
                RemoteCombination { id: 43, reference: Some("SHARED".into()), ean13: None },
            ],
        };
        let store = stores().get(&code()).unwrap();
        let product = ProductData::new(6, sku(), "Mug".into(), Money::ZERO, 16, true, Utc::now(), combos).unwrap();
        let link = link_to(&store, &sku(), &remote, &Target::for_client(&product, &store));
        assert_eq!(link.stock_rows.get(&13), Some(&(2, 40)));
        assert_eq!(link.stock_rows.get(&14), Some(&(3, 41)));
        assert_eq!(link.unmatched_combinations, vec![15], "a shared reference is never guessed");
    }

    #[test]
    fn the_buffer_never_makes_stock_negative() {
        let store = stores().get(&code()).unwrap();
        let product =
            ProductData::new(6, sku(), "Mug".into(), Money::parse("10").unwrap(), 1, false, Utc::now(), vec![])
                .unwrap();
        let t = Target::for_client(&product, &store);
        assert_eq!((t.quantity, t.active, t.price.to_string()), (0, false, "13.00".to_owned()));
    }
}
