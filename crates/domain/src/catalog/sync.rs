//! Applying the source's latest state of a SKU to one client store: `SyncProductToStore`.
//!
//! The job reads the *latest* state (so a burst of events coalesces into one write), computes the client's
//! target (its price rule, its stock buffer, the active flag), writes only what differs from what the hub
//! last applied there, and records the link (client product id, stock row ids, applied target).
//!
//! A link stays true: once older than `link_verify_after` (and whenever reconciliation asks, through
//! [`SyncProductToStore::verify_link`]) it is checked against the client before anything is written — the
//! reference must still name exactly that product, and the combinations are matched again from a fresh
//! read. A reference now shared by several products stops the writes (`ambiguous`, with the ids in the
//! note); a reference gone, or a linked product deleted (a 404 on a write), leaves the pair `unlinked`
//! with the reason. The next sync or reconciliation that finds the reference unique again re-links it.

use std::{sync::Arc, time::Duration};

use chrono::Utc;

use super::{
    matching::{join, link_to, unlinked},
    ports::{
        LinkStatus, Lookup, ProductLink, ProductLinks, ProductStates, Publication, RemoteProduct, RemoteStockRow,
        SourceProductState, StoreGateway,
    },
    publish::{Created, Publisher, content_behind},
    target::Target,
};
use crate::{
    errors::{GatewayError, StorageError},
    jobs::JobError,
    lease::{LEASE_TTL, Timer, renewing_lease, wait_for_lease},
    model::{ContentPolicy, Sku, Store, StoreCode, StoreDirectory, StoreRole},
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
    /// The SKU is not in the store's selection: nothing written.
    NotSelected,
    /// The store publishes and the product cannot be created there (recorded `refused` with the reason).
    Refused,
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
    verify_after: Duration,
    publisher: Option<Arc<Publisher>>,
}

/// How old a link may get before a sync checks it against the client again, unless configured.
pub const LINK_VERIFY_AFTER: Duration = Duration::from_secs(300);

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
        Self {
            states,
            links,
            gateway,
            stores,
            timer,
            owner,
            lease: LEASE_TTL,
            verify_after: LINK_VERIFY_AFTER,
            publisher: None,
        }
    }

    /// Checks links against the client once they are older than `after` (default [`LINK_VERIFY_AFTER`]).
    #[must_use]
    pub fn with_link_verify_after(mut self, after: Duration) -> Self {
        self.verify_after = after;
        self
    }

    /// Creates missing products on clients that publish (`publish = true`), with `publisher`.
    #[must_use]
    pub fn with_publisher(mut self, publisher: Arc<Publisher>) -> Self {
        self.publisher = Some(publisher);
        self
    }

    /// Runs one sync. Two runs for one (store, SKU) never write at once (a lease across processes).
    ///
    /// # Errors
    /// Retryable when the lease is held elsewhere, the database or the store is unavailable; permanent for
    /// a 4xx the store answers.
    pub async fn execute(&self, store_code: &StoreCode, sku: &Sku) -> Result<SyncOutcome, JobError> {
        self.run(store_code, sku, false).await
    }

    /// Checks the link of `sku` on `store_code` against the client now, whatever its age, then syncs: the
    /// reference is looked up again (ambiguous → `ambiguous` and nothing written; gone → `unlinked`; unique
    /// again → re-linked), the combinations are matched again, and the latest source state is applied to
    /// what was found. What reconciliation calls for each SKU it checks; same lease as [`Self::execute`].
    ///
    /// # Errors
    /// As [`Self::execute`].
    pub async fn verify_link(&self, store_code: &StoreCode, sku: &Sku) -> Result<SyncOutcome, JobError> {
        self.run(store_code, sku, true).await
    }

    async fn run(&self, store_code: &StoreCode, sku: &Sku, verify: bool) -> Result<SyncOutcome, JobError> {
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
        let result = renewing_lease(self.timer.as_ref(), self.lease, self.sync_leased(&store, sku, verify), || {
            self.links.lease(store_code, sku, &owner, self.lease)
        })
        .await;
        if let Err(e) = self.links.release(store_code, sku, &owner).await {
            tracing::warn!(store = %store_code, sku = %sku, error = %e, "could not release the sync lease");
        }
        result
    }

    async fn sync_leased(&self, store: &Store, sku: &Sku, verify: bool) -> Result<SyncOutcome, JobError> {
        let Some(state) = self.states.latest(sku).await? else {
            return Ok(SyncOutcome::Skipped);
        };
        let event_id = state.event_id.as_str();
        let previous = self.links.get(&store.code, sku).await?;
        let selected = store.catalog.selection.selects(sku, &state.product.categories);
        // A product deactivated or deleted at the source (a deleted product names no category any more) is
        // deactivated on a client that has it linked, whatever the selection says now.
        let withdrawn = !state.product.active && previous.as_ref().is_some_and(|l| l.status == LinkStatus::Linked);
        if !selected.is_yes() && !withdrawn {
            return self.leave_out(store, sku, previous, &selected.reason(), event_id).await;
        }
        let target = Target::for_client(&state.product, store);
        let was_linked = previous.as_ref().filter(|l| l.status == LinkStatus::Linked).and_then(|l| l.client_product_id);
        let mut publication = previous.as_ref().and_then(|l| l.publication.clone());
        // What was last written to the linked product's stock rows: a look-up that did not read their
        // quantities (a simple product) keeps them, so a verification writes only what changed.
        let stock_written =
            previous.as_ref().filter(|l| l.status == LinkStatus::Linked).map(|l| l.applied.stock.clone());
        let mut deleted = None;
        // A fresh link is written through without reading; a stale one, or one reconciliation asks about, is
        // checked first (below).
        let fresh = |l: &ProductLink| {
            l.status == LinkStatus::Linked && l.client_product_id.is_some() && !verify && self.is_fresh(l)
        };
        if let Some(mut link) = previous.filter(fresh) {
            self.follow_content(store, &state, &mut link).await?;
            match self.apply(store, sku, &target, link, event_id).await {
                Err(ApplyError::Gone(m)) => {
                    tracing::warn!(store = %store.code, sku = %sku, gone = %m, "linked product or stock row gone; looking it up again");
                    deleted = was_linked;
                }
                other => return other.map_err(JobError::from),
            }
        }
        let publisher = self.publisher.as_ref().filter(|_| store.catalog.publish);
        // At most: look up, create, look up, complete, look up.
        for _ in 0..3 {
            match self.gateway.find_by_reference(&store.code, sku).await? {
                Lookup::NotFound
                    if publication.as_ref().is_none_or(|p| p.product_id.is_none()) && deleted.is_none() =>
                {
                    if let Some(publisher) = publisher {
                        match publisher.create(store, &state).await? {
                            Created::Product(id, plan) => {
                                // Just created: no combination, no image; complete it without reading it back.
                                let fresh = RemoteProduct {
                                    id,
                                    price: target.price,
                                    active: target.active,
                                    stock: Vec::new(),
                                    stock_read: true,
                                    combinations: Vec::new(),
                                };
                                publisher.complete(store, &state, &fresh, Some(*plan), Some(0)).await?;
                                publication = Some(Publication {
                                    product_id: Some(id),
                                    complete: true,
                                    content_of: Some(state.product.updated_at),
                                });
                                // Read it: its stock rows, its combinations.
                                continue;
                            }
                            Created::Refused(_) => return Ok(SyncOutcome::Refused),
                        }
                    }
                    return self.not_found(store, sku, None, was_linked, event_id).await;
                }
                Lookup::NotFound => return self.not_found(store, sku, deleted, was_linked, event_id).await,
                Lookup::Ambiguous(ids) => {
                    let note = format!("ambiguous: client products {} share {sku}", join(&ids));
                    self.links.save(&unlinked(store, sku, LinkStatus::Ambiguous, &note, event_id)).await?;
                    tracing::warn!(store = %store.code, sku = %sku, ?ids, was_linked, "ambiguous reference: nothing written");
                    return Ok(SyncOutcome::Ambiguous);
                }
                Lookup::Found(remote) => {
                    if let (Some(p), Some(publisher)) = (publication.as_mut(), publisher)
                        && !p.complete
                    {
                        publisher.complete(store, &state, &remote, None, None).await?;
                        p.product_id = Some(remote.id);
                        p.complete = true;
                        p.content_of = Some(state.product.updated_at);
                        // Read again: the new combinations' stock rows.
                        continue;
                    }
                    let mut link = link_to(store, sku, &remote, &target, Utc::now());
                    link.publication = publication;
                    if !remote.stock_read
                        && was_linked == Some(remote.id)
                        && let Some(written) = &stock_written
                    {
                        for row in remote.stock.iter().filter_map(|r| written.get(&r.id).map(|q| (r.id, *q))) {
                            link.applied.stock.insert(row.0, row.1);
                        }
                    }
                    match was_linked {
                        Some(id) if id != remote.id => {
                            tracing::warn!(store = %store.code, sku = %sku, from = id, to = remote.id, "re-linked to another client product");
                        }
                        None => tracing::info!(store = %store.code, sku = %sku, product = remote.id, "linked"),
                        Some(_) => tracing::debug!(store = %store.code, sku = %sku, "link verified"),
                    }
                    self.follow_content(store, &state, &mut link).await?;
                    // The read gives the current values: seed `applied` with them so only differences are written.
                    return Ok(self.apply(store, sku, &target, link, event_id).await?);
                }
            }
        }
        Err(JobError::Retryable(format!("{}/{sku}: the published product did not settle; trying again", store.code)))
    }

    /// No product with the reference on the client (any more): recorded as `unlinked` with the reason.
    async fn not_found(
        &self,
        store: &Store,
        sku: &Sku,
        deleted: Option<u64>,
        was_linked: Option<u64>,
        event_id: &str,
    ) -> Result<SyncOutcome, JobError> {
        let note = match (deleted, was_linked) {
            (Some(id), _) => format!("client product {id} was deleted; no product has {sku} now"),
            (None, Some(id)) => format!("reference {sku} is gone from client product {id}"),
            (None, None) => "no product with this reference".to_owned(),
        };
        self.links.save(&unlinked(store, sku, LinkStatus::Unlinked, &note, event_id)).await?;
        if was_linked.is_some() {
            tracing::warn!(store = %store.code, sku = %sku, note, "link lost: recorded as unlinked");
        } else {
            tracing::info!(store = %store.code, sku = %sku, "sku not on the client: recorded as unlinked");
        }
        Ok(SyncOutcome::Unlinked)
    }

    /// A SKU out of the store's selection: nothing is written; a linked product stays linked and untouched.
    async fn leave_out(
        &self,
        store: &Store,
        sku: &Sku,
        previous: Option<ProductLink>,
        reason: &str,
        event_id: &str,
    ) -> Result<SyncOutcome, JobError> {
        let link = match previous {
            Some(mut link) if link.status == LinkStatus::Linked => {
                link.note = Some(format!("not synced: {reason}"));
                link.applied_event_id = Some(event_id.to_owned());
                link
            }
            _ => unlinked(store, sku, LinkStatus::Unlinked, &format!("not carried: {reason}"), event_id),
        };
        self.links.save(&link).await?;
        tracing::debug!(store = %store.code, sku = %sku, reason, "not in the store's selection");
        Ok(SyncOutcome::NotSelected)
    }

    /// For a client whose published products follow the source's content: writes it again when the source
    /// product changed since it was last written.
    async fn follow_content(
        &self,
        store: &Store,
        state: &SourceProductState,
        link: &mut ProductLink,
    ) -> Result<(), JobError> {
        let (Some(publisher), Some(id)) = (self.publisher.as_ref(), link.client_product_id) else { return Ok(()) };
        if store.catalog.content != ContentPolicy::Follow
            || !content_behind(link.publication.as_ref(), state.product.updated_at)
        {
            return Ok(());
        }
        match publisher.refresh_content(store, state, id).await {
            Ok(_) => {
                if let Some(p) = link.publication.as_mut() {
                    p.content_of = Some(state.product.updated_at);
                }
                Ok(())
            }
            // The product is gone: the price write meets the same 404 and looks the reference up again.
            Err(GatewayError::Gone(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// True when `link` was checked against the client less than `verify_after` ago.
    fn is_fresh(&self, link: &ProductLink) -> bool {
        link.verified_at.is_some_and(|at| (Utc::now() - at).to_std().is_ok_and(|age| age < self.verify_after))
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
        let before = link.clone();
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
        // A job coalesced into an earlier one finds its state applied already: nothing to record either.
        if link != before {
            self.links.save(&link).await?;
        }
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
            PriceRule { markup_percent: Decimal::from(30), stock_buffer: 2, ..PriceRule::default() },
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
            stock_read: true,
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
                Utc::now(),
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
    async fn a_sync_coalesced_into_an_earlier_one_finds_its_state_applied_and_writes_nothing_not_even_the_link() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| {
            let mut l = link_to(
                &stores().get(&code()).unwrap(),
                &sku(),
                &remote(),
                &Target { price: Money::ZERO, active: true, quantity: 0, combinations: vec![] },
                Utc::now(),
            );
            l.applied =
                Applied { price: Some(Money::parse("13.00").unwrap()), active: Some(true), stock: [(500, 298)].into() };
            l.applied_event_id = Some("event-0001".into());
            Ok(Some(l))
        });
        links.expect_save().never();
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().never();
        gw.expect_set_price_and_active().never();
        gw.expect_set_stock().never();
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::UpToDate));
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
                Utc::now(),
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
            stock_read: true,
            combinations: vec![
                comb(40, Some("whs-0001-s"), None, &[]),
                comb(41, None, Some("4006381333931"), &[]),
                comb(42, Some("SHARED"), None, &[]),
                comb(43, Some("SHARED"), None, &[]),
            ],
        };
        let store = stores().get(&code()).unwrap();
        let product = ProductData::new(6, sku(), "Mug".into(), Money::ZERO, 16, true, Utc::now(), combos).unwrap();
        let link = link_to(&store, &sku(), &remote, &Target::for_client(&product, &store), Utc::now());
        assert_eq!(link.stock_rows.get(&13), Some(&(2, 40)));
        assert_eq!(link.stock_rows.get(&14), Some(&(3, 41)));
        assert_eq!(link.unmatched_combinations, vec![15], "a shared reference is never guessed");
    }

    fn comb(id: u64, reference: Option<&str>, ean13: Option<&str>, attributes: &[(&str, &str)]) -> RemoteCombination {
        RemoteCombination {
            id,
            reference: reference.map(str::to_owned),
            ean13: ean13.map(str::to_owned),
            attributes: attributes.iter().map(|(g, v)| ((*g).to_owned(), (*v).to_owned())).collect(),
        }
    }

    fn attrs(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(g, v)| ((*g).to_owned(), (*v).to_owned())).collect()
    }

    /// A demo-style product: every combination carries the parent's reference and no EAN13.
    fn demo_link(client: Vec<RemoteCombination>) -> ProductLink {
        let combos = vec![
            CombinationData::new(1, Some(sku()), None, attrs(&[("Size", "S"), ("Color", "White")]), 10),
            CombinationData::new(2, Some(sku()), None, attrs(&[("Size", "M"), ("Color", "Black")]), 10),
        ];
        let stock = std::iter::once(RemoteStockRow { id: 1, combination_id: 0, quantity: 0 })
            .chain(client.iter().map(|c| RemoteStockRow { id: 100 + c.id, combination_id: c.id, quantity: 0 }))
            .collect();
        let remote =
            RemoteProduct { id: 9, price: Money::ZERO, active: true, stock, stock_read: true, combinations: client };
        let store = stores().get(&code()).unwrap();
        let product = ProductData::new(6, sku(), "Tee".into(), Money::ZERO, 20, true, Utc::now(), combos).unwrap();
        link_to(&store, &sku(), &remote, &Target::for_client(&product, &store), Utc::now())
    }

    #[test]
    fn combinations_sharing_the_parent_reference_match_by_their_attribute_values() {
        let link = demo_link(vec![
            comb(40, Some("WHS-0001"), None, &[("size", "s"), ("Color", "White")]),
            comb(41, Some("WHS-0001"), None, &[("Size", "M"), ("Color", "black")]),
        ]);
        assert_eq!(link.stock_rows.get(&1), Some(&(140, 40)));
        assert_eq!(link.stock_rows.get(&2), Some(&(141, 41)));
        assert!(link.unmatched_combinations.is_empty());
    }

    #[test]
    fn two_client_combinations_with_the_same_attribute_set_are_never_guessed() {
        let link = demo_link(vec![
            comb(40, Some("WHS-0001"), None, &[("Size", "S"), ("Color", "White")]),
            comb(41, Some("WHS-0001"), None, &[("Size", "M"), ("Color", "Black")]),
            comb(42, Some("WHS-0001"), None, &[("Size", "M"), ("Color", "Black")]),
        ]);
        assert_eq!(link.stock_rows.get(&1), Some(&(140, 40)));
        assert_eq!(link.stock_rows.get(&2), None);
        assert_eq!(link.unmatched_combinations, vec![2]);
        let note = link.note.unwrap();
        assert!(note.contains("combination 2 could be client combinations 41, 42"), "{note}");
    }

    /// A link to product 77 last verified `age_secs` ago, with the client's values already applied.
    fn verified_link(age_secs: i64) -> ProductLink {
        let mut l = link_to(
            &stores().get(&code()).unwrap(),
            &sku(),
            &remote(),
            &Target { price: Money::ZERO, active: true, quantity: 0, combinations: vec![] },
            Utc::now() - chrono::Duration::seconds(age_secs),
        );
        l.applied =
            Applied { price: Some(Money::parse("1.00").unwrap()), active: Some(true), stock: [(500, 1)].into() };
        l
    }

    #[tokio::test]
    async fn a_linked_reference_another_product_now_shares_stops_the_writes_and_names_both_products() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(Some(verified_link(301))));
        links
            .expect_save()
            .withf(|l| {
                l.status == LinkStatus::Ambiguous
                    && l.client_product_id.is_none()
                    && l.note.as_deref() == Some("ambiguous: client products 77, 78 share WHS-0001")
            })
            .times(1)
            .returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().times(1).returning(|_, _| Ok(Lookup::Ambiguous(vec![77, 78])));
        gw.expect_set_price_and_active().never();
        gw.expect_set_stock().never();
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Ambiguous));
    }

    #[tokio::test]
    async fn a_recently_verified_link_is_written_without_a_lookup_until_reconciliation_asks() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(Some(verified_link(10))));
        links.expect_save().returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().times(1).returning(|_, _| Ok(Lookup::NotFound));
        gw.expect_set_price_and_active().times(1).returning(|_, _, _, _| Ok(()));
        gw.expect_set_stock().times(1).returning(|_, _, _, _| Ok(()));
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Applied { writes: 2 }));
        assert_eq!(uc.verify_link(&code(), &sku()).await, Ok(SyncOutcome::Unlinked));
    }

    #[tokio::test]
    async fn a_deleted_linked_product_leaves_the_pair_unlinked_with_the_reason() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(Some(verified_link(10))));
        links
            .expect_save()
            .withf(|l| {
                l.status == LinkStatus::Unlinked
                    && l.note.as_deref() == Some("client product 77 was deleted; no product has WHS-0001 now")
            })
            .times(1)
            .returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_set_price_and_active().times(1).returning(|_, _, _, _| Err(GatewayError::Gone("product 77".into())));
        gw.expect_find_by_reference().times(1).returning(|_, _| Ok(Lookup::NotFound));
        let uc = use_case(links, gw);
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Unlinked));
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
