//! Reconciliation: `Reconcile` repairs what webhooks missed. Webhooks get lost, and Webservice writes
//! (an ERP, a PIM, a shop owner's script) fire no stock hook, so the hub's view of the source and the
//! clients' shelves drift. A run:
//!
//! 1. reads the source catalog page by page and brings the hub's known state of each SKU up to date where
//!    the source differs (a new state ordered by the time of the read, since a stock write does not move
//!    `date_upd`);
//! 2. reads each client's catalog page by page and compares price, active flag and stock of every
//!    linked or matching product with the target `SyncProductToStore` computes ([`Target`]);
//! 3. for each drifted (client, SKU): records what the client really shows as the link's `applied` values
//!    (under the sync's lease), so the sync sees the difference and writes it, then queues the sync;
//! 4. before all that, when built [`with_orders`](Reconcile::with_orders), lists each client's valid
//!    orders changed since its watermark and hands those the hub never heard of to replication
//!    ([`super::order_pass`]).
//!
//! Products of a client whose reference the source does not have are left alone (they stay `unlinked`).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::NaiveDateTime;

use super::{
    orders::OrderReconciliation,
    ports::{CatalogWatermarks, StoreCatalog},
    progress::{ReconcileProgress, Stage},
};
use crate::{
    catalog::{ProductLinks, ProductStates, SourceProductState},
    errors::{GatewayError, QueueError, StorageError},
    ingest::AcceptError,
    jobs::{JobQueue, SyncRequest},
    lease::Timer,
    model::{Sku, Store, StoreCode, StoreDirectory, StoreRole},
};

/// What to reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileRequest {
    /// Read only the source products whose `date_upd` is at or after this (shop wall-clock time). Stock
    /// writes do not move `date_upd`, so such a run misses them (an [`PassKind::Incremental`] pass does not).
    pub since: Option<NaiveDateTime>,
    /// Compare this client only (the source is read all the same, and its changes are fanned out to the
    /// other clients).
    pub store: Option<StoreCode>,
    /// A full pass, or an incremental one.
    pub kind: PassKind,
}

/// How much of the stores a run reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PassKind {
    /// Every source product, every client's catalog.
    #[default]
    Full,
    /// The source products whose `date_upd` moved since the source watermark, and those whose stock rows
    /// changed since the last pass of this process (the source's stock rows are listed, a cheap list);
    /// their changes are synced to every client. Client catalogs are not listed: a change behind the
    /// hub's back on a client waits for a full pass.
    Incremental,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Source products read.
    pub source_products: u64,
    /// Source products skipped: no usable reference, or a reference another source product has too.
    pub source_skipped: u64,
    /// References several source products share, with their ids: applied for none of them.
    pub ambiguous_references: Vec<(Sku, Vec<u64>)>,
    /// Source stock rows listed (an incremental pass).
    pub stock_rows: u64,
    /// SKUs whose known state was brought up to date.
    pub states_updated: u64,
    /// Clients compared to the end.
    pub clients_checked: u64,
    /// Client products read.
    pub client_products: u64,
    /// (client, SKU) pairs whose client differed from the target, or whose linked product vanished.
    pub drifted: u64,
    /// (client, SKU) pairs of a source SKU on the client that the hub had not linked yet.
    pub to_link: u64,
    /// (client, SKU) links the client's catalog contradicts (another product with the reference, the linked
    /// product's reference changed, combinations not all matched): checked again by their queued sync.
    pub to_check: u64,
    /// `SyncProductToStore` jobs queued.
    pub syncs_queued: u64,
    /// Clients that could not be compared (or whose orders could not be listed), with the reason.
    pub failed_clients: Vec<(StoreCode, String)>,
    /// Valid client orders listed (changed since each client's watermark).
    pub orders_listed: u64,
    /// Of those, orders the hub already has a link for (replicated, being replicated, or failed).
    pub orders_linked: u64,
    /// Orders the hub had never heard of, handed to replication now (an inbox event, queued).
    pub orders_queued: u64,
    /// Orders an earlier run handed to replication that have no link yet (their job is still to run).
    pub orders_pending: u64,
    /// Orders that cannot be replicated as listed, as (client, order id, reason).
    pub orders_failed: Vec<(StoreCode, u64, String)>,
    /// Replicated orders the retailer cancelled or refunded without the hub hearing of it, handed over now.
    pub order_states_queued: u64,
    /// Orders created on the source whose state and tracking number were compared with their links.
    pub statuses_checked: u64,
    /// Of those, statuses that differed (a lost report of the source), handed to the return path now.
    pub statuses_queued: u64,
    /// Statuses an earlier run handed over that are not applied yet.
    pub statuses_pending: u64,
    /// Webservice calls made, per store.
    pub calls: BTreeMap<StoreCode, u64>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl ReconcileReport {
    /// Counts `calls` Webservice calls made to `store`.
    pub(super) fn count_call(&mut self, store: &StoreCode, calls: u32) {
        *self.calls.entry(store.clone()).or_default() += u64::from(calls);
    }

    /// All Webservice calls made.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// No store has the role `source`.
    #[error("no source store is configured")]
    NoSource,
    /// The store asked for is not an active client.
    #[error("{0} is not an active client store")]
    UnknownClient(StoreCode),
    /// The source could not be read.
    #[error("reading the source: {0}")]
    Source(GatewayError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A client order could not be handed to replication (the inbox refused it).
    #[error("handing a client order to replication: {0}")]
    Intake(#[source] AcceptError),
}

/// The source's stock rows by (product, combination).
pub(super) type StockRows = HashMap<(u64, u64), i64>;

/// Attempts at one catalog page before a store is given up on for this run.
pub(super) const PAGE_ATTEMPTS: u32 = 6;

/// The pause after the first failed attempt; it doubles up to [`MAX_PAGE_BACKOFF`] (about 15 s in all).
const FIRST_PAGE_BACKOFF: Duration = Duration::from_millis(500);

/// The longest pause between two attempts.
const MAX_PAGE_BACKOFF: Duration = Duration::from_secs(8);

/// The reconciliation use case (see the module documentation).
#[derive(Clone)]
pub struct Reconcile {
    pub(super) catalog: Arc<dyn StoreCatalog>,
    pub(super) states: Arc<dyn ProductStates>,
    pub(super) links: Arc<dyn ProductLinks>,
    pub(super) queue: Arc<dyn JobQueue>,
    stores: Arc<dyn StoreDirectory>,
    pub(super) timer: Arc<dyn Timer>,
    pub(super) page_size: u32,
    pub(super) owner: String,
    pub(super) orders: Option<OrderReconciliation>,
    pub(super) watermarks: Option<Arc<dyn CatalogWatermarks>>,
    /// The source's stock rows as the last incremental pass of this process listed them, by
    /// (product, combination); `None` before the first one.
    pub(super) stock_seen: Arc<Mutex<Option<StockRows>>>,
    /// A pause before each catalog read, so a pass spreads its calls out on a shop that needs it.
    page_pause: Duration,
}

impl Reconcile {
    /// Builds the use case; `page_size` products per Webservice list, `owner` names this process in leases,
    /// `timer` paces lease waits.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        catalog: Arc<dyn StoreCatalog>,
        states: Arc<dyn ProductStates>,
        links: Arc<dyn ProductLinks>,
        queue: Arc<dyn JobQueue>,
        stores: Arc<dyn StoreDirectory>,
        timer: Arc<dyn Timer>,
        page_size: u32,
        owner: String,
    ) -> Self {
        Self {
            catalog,
            states,
            links,
            queue,
            stores,
            timer,
            page_size: page_size.max(1),
            owner,
            orders: None,
            watermarks: None,
            stock_seen: Arc::default(),
            page_pause: Duration::ZERO,
        }
    }

    /// Pauses `pause` before each catalog read (the stores' own rate and concurrency caps still apply).
    #[must_use]
    pub fn with_page_pause(mut self, pause: Duration) -> Self {
        self.page_pause = pause;
        self
    }

    /// Keeps the source's `date_upd` watermark, from which incremental passes read changed products
    /// (without, an incremental pass reads the whole source catalog).
    #[must_use]
    pub fn with_watermarks(mut self, watermarks: Arc<dyn CatalogWatermarks>) -> Self {
        self.watermarks = Some(watermarks);
        self
    }

    /// Adds the orders pass: each client's valid orders the hub never heard of are handed to replication.
    #[must_use]
    pub fn with_orders(mut self, orders: OrderReconciliation) -> Self {
        self.orders = Some(orders);
        self
    }

    /// Runs one reconciliation. A client that cannot be read is reported and the others go on.
    ///
    /// # Errors
    /// No source or an unknown client asked for; the source unreadable; the database or the queue down.
    pub async fn execute(
        &self,
        request: &ReconcileRequest,
        progress: &dyn ReconcileProgress,
    ) -> Result<ReconcileReport, ReconcileError> {
        let source =
            self.stores.all().into_iter().find(|s| s.role == StoreRole::Source).ok_or(ReconcileError::NoSource)?;
        let clients: Vec<Arc<Store>> = match &request.store {
            Some(code) => vec![
                self.stores
                    .active_clients()
                    .into_iter()
                    .find(|s| &s.code == code)
                    .ok_or_else(|| ReconcileError::UnknownClient(code.clone()))?,
            ],
            None => self.stores.active_clients(),
        };
        let started = Instant::now();
        let mut report = ReconcileReport::default();
        // Orders first: they do not depend on the source being readable, and each one waits for nothing else.
        for client in &clients {
            match self.reconcile_orders(client, &mut report, progress).await {
                Ok(()) => {}
                Err(ClientFailure::Store(e)) => {
                    tracing::warn!(store = %client.code, error = %e, "reconcile: client orders not listed");
                    report.failed_clients.push((client.code.clone(), format!("orders: {e}")));
                }
                Err(ClientFailure::Hub(e)) => return Err(e),
            }
        }
        // The source's order statuses: the same order links, the source's Webservice.
        match self.reconcile_statuses(&source, &mut report).await {
            Ok(()) => {}
            Err(ClientFailure::Store(e)) => {
                tracing::warn!(store = %source.code, error = %e, "reconcile: source order statuses not read");
                report.failed_clients.push((source.code.clone(), format!("order statuses: {e}")));
            }
            Err(ClientFailure::Hub(e)) => return Err(e),
        }
        let updated = match request.kind {
            PassKind::Full => self.reconcile_source(&source.code, request.since, &mut report, progress).await?,
            PassKind::Incremental => self.source_changes(&source.code, &mut report, progress).await?,
        };
        // An incremental pass compares no client catalog: each client gets the source's changes as a
        // fan-out would give them, and its sync compares them with what it applied.
        // Client drift of an incremental pass is checked here: the syncs queued for `updated` compare each
        // link with the new target. (The sync's link verification, issue 14, is to be called from here.)
        let compared: &[Arc<Store>] = if request.kind == PassKind::Full { &clients } else { &[] };
        let others: Vec<SyncRequest> = self
            .stores
            .active_clients()
            .iter()
            .filter(|s| !compared.iter().any(|c| c.code == s.code))
            .flat_map(|s| updated.iter().map(|sku| SyncRequest { store: s.code.clone(), sku: sku.clone() }))
            .collect();
        self.enqueue(&others, &mut report).await?;
        for client in compared {
            let stage = Stage::Client(client.code.clone());
            progress.started(&stage, Some(report.source_products));
            match self.reconcile_client(client, &stage, &mut report, progress).await {
                Ok(()) => {
                    report.clients_checked += 1;
                    progress.finished(&stage, None);
                }
                Err(ClientFailure::Store(e)) => {
                    tracing::warn!(store = %client.code, error = %e, "reconcile: client not compared");
                    progress.finished(&stage, Some(&e.to_string()));
                    report.failed_clients.push((client.code.clone(), e.to_string()));
                }
                Err(ClientFailure::Hub(e)) => {
                    progress.finished(&stage, Some(&e.to_string()));
                    return Err(e);
                }
            }
        }
        report.elapsed = started.elapsed();
        tracing::info!(
            kind = ?request.kind,
            seconds = report.elapsed.as_secs_f64(),
            calls = report.total_calls(),
            source_products = report.source_products,
            ambiguous_references = report.ambiguous_references.len(),
            states_updated = report.states_updated,
            clients_checked = report.clients_checked,
            drifted = report.drifted,
            syncs_queued = report.syncs_queued,
            orders_listed = report.orders_listed,
            orders_queued = report.orders_queued,
            orders_failed = report.orders_failed.len(),
            order_states_queued = report.order_states_queued,
            statuses_queued = report.statuses_queued,
            failed_clients = report.failed_clients.len(),
            "reconciliation done"
        );
        Ok(report)
    }

    /// Runs one catalog read, again after a pause while the store answers with a retryable failure
    /// (timeout, connection error, 5xx, 429): [`PAGE_ATTEMPTS`] attempts, the pause doubling from
    /// [`FIRST_PAGE_BACKOFF`], like the workers' retries. A permanent failure is returned at once.
    pub(super) async fn read_page<T, F, Fut>(&self, store: &StoreCode, mut read: F) -> Result<T, GatewayError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, GatewayError>>,
    {
        if !self.page_pause.is_zero() {
            self.timer.sleep(self.page_pause).await;
        }
        let mut pause = FIRST_PAGE_BACKOFF;
        let mut attempt = 1;
        loop {
            match read().await {
                Err(GatewayError::Retryable(e)) if attempt < PAGE_ATTEMPTS => {
                    tracing::warn!(store = %store, attempt, error = %e, "reconcile: catalog read failed; trying again");
                    self.timer.sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAGE_BACKOFF);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The known states of `skus`, by SKU.
    pub(super) async fn known(&self, skus: &[Sku]) -> Result<HashMap<Sku, SourceProductState>, StorageError> {
        if skus.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.states.latest_many(skus).await?.into_iter().map(|s| (s.product.sku.clone(), s)).collect())
    }

    pub(super) async fn enqueue(
        &self,
        jobs: &[SyncRequest],
        report: &mut ReconcileReport,
    ) -> Result<(), ReconcileError> {
        if !jobs.is_empty() {
            self.queue.enqueue_syncs(jobs).await?;
            report.syncs_queued += jobs.len() as u64;
        }
        Ok(())
    }
}

/// Why a client was not compared.
pub(super) enum ClientFailure {
    /// The client's shop failed: reported, the run goes on.
    Store(GatewayError),
    /// The hub's own database or queue failed: the run stops.
    Hub(ReconcileError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        catalog::{Applied, LinkStatus, MockProductLinks, MockProductStates, ProductLink, RemoteStockRow},
        jobs::MockJobQueue,
        lease::{RecordingTimer, TokioTimer},
        model::{EventId, Money, PriceRule, ProductData, Secret, Sku, StaticStoreDirectory},
        reconcile::{
            ports::{
                CatalogPage, ClientListing, MockCatalogWatermarks, MockStoreCatalog, SourceListing, SourceStockRow,
            },
            progress::NoProgress,
            source_pass::{self, observed_product},
        },
    };
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;

    fn store(code: &str, role: StoreRole, markup: i64) -> Store {
        Store::new(
            StoreCode::parse(code).unwrap(),
            role,
            Secret::new(format!("{code}-key-0123456789")),
            None,
            true,
            PriceRule { markup_percent: Decimal::from(markup), stock_buffer: 0, ..PriceRule::default() },
        )
    }

    fn directory() -> Arc<dyn StoreDirectory> {
        Arc::new(
            StaticStoreDirectory::new(vec![
                store("wholesaler", StoreRole::Source, 0),
                store("retail-1", StoreRole::Client, 30),
            ])
            .unwrap(),
        )
    }

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }

    fn money(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn known(reference: &str, price: &str, quantity: i64) -> SourceProductState {
        let p = ProductData::new(
            6,
            sku(reference),
            "Mug".into(),
            money(price),
            quantity,
            true,
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 59, 58).unwrap(),
            vec![],
        )
        .unwrap();
        SourceProductState::new(
            p,
            EventId::parse("event-0001").unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap(),
            None,
        )
    }

    fn listing(reference: &str, price: &str, quantity: i64) -> SourceListing {
        SourceListing {
            id: 6,
            reference: Some(sku(reference)),
            price: money(price),
            active: true,
            date_upd: None,
            quantity,
            combinations: vec![],
            categories: vec![],
        }
    }

    fn link(reference: &str, applied_price: &str, applied_qty: i64) -> ProductLink {
        ProductLink {
            store: StoreCode::parse("retail-1").unwrap(),
            sku: sku(reference),
            status: LinkStatus::Linked,
            client_product_id: Some(77),
            stock_rows: BTreeMap::from([(0, (500, 0))]),
            unmatched_combinations: vec![],
            applied: Applied {
                price: Some(money(applied_price)),
                active: Some(true),
                stock: BTreeMap::from([(500, applied_qty)]),
            },
            applied_event_id: None,
            note: None,
            verified_at: None,
            publication: None,
        }
    }

    fn client_item(price: &str, quantity: i64) -> ClientListing {
        ClientListing {
            id: 77,
            reference: Some("WHS-0001".into()),
            price: money(price),
            active: true,
            stock: vec![RemoteStockRow { id: 500, combination_id: 0, quantity }],
        }
    }

    fn catalog(source: Vec<SourceListing>, client: Vec<ClientListing>) -> MockStoreCatalog {
        let mut c = MockStoreCatalog::new();
        c.expect_source_page().returning(move |_, _, offset, _| {
            Ok(CatalogPage { items: if offset == 0 { source.clone() } else { vec![] }, next: None, calls: 1 })
        });
        c.expect_client_page().returning(move |_, offset, _| {
            Ok(CatalogPage { items: if offset == 0 { client.clone() } else { vec![] }, next: None, calls: 1 })
        });
        c
    }

    /// Links that hold one link in memory, so what reconcile saves is what a sync would read.
    fn links_holding(l: ProductLink) -> (MockProductLinks, Arc<Mutex<ProductLink>>) {
        let held = Arc::new(Mutex::new(l));
        let mut links = MockProductLinks::new();
        let h = held.clone();
        links.expect_of_store().returning(move |_| Ok(vec![h.lock().unwrap().clone()]));
        let h = held.clone();
        links.expect_get().returning(move |_, _| Ok(Some(h.lock().unwrap().clone())));
        let h = held.clone();
        links.expect_save().returning(move |l| {
            *h.lock().unwrap() = l.clone();
            Ok(())
        });
        links.expect_lease().returning(|_, _, _, _| Ok(true));
        links.expect_release().returning(|_, _, _| Ok(()));
        (links, held)
    }

    fn states_knowing(state: SourceProductState) -> MockProductStates {
        let mut states = MockProductStates::new();
        let s = state.clone();
        states.expect_latest_many().returning(move |_| Ok(vec![s.clone()]));
        states.expect_latest().returning(move |_| Ok(Some(state.clone())));
        states
    }

    fn reconcile(
        catalog: MockStoreCatalog,
        states: MockProductStates,
        links: MockProductLinks,
        queue: MockJobQueue,
    ) -> Reconcile {
        reconcile_timed(catalog, states, links, queue, Arc::new(TokioTimer))
    }

    fn reconcile_timed(
        catalog: MockStoreCatalog,
        states: MockProductStates,
        links: MockProductLinks,
        queue: MockJobQueue,
        timer: Arc<dyn Timer>,
    ) -> Reconcile {
        Reconcile::new(
            Arc::new(catalog),
            Arc::new(states),
            Arc::new(links),
            Arc::new(queue),
            directory(),
            timer,
            100,
            "test".into(),
        )
    }

    #[tokio::test]
    async fn a_client_stock_changed_behind_the_hubs_back_is_recorded_as_shown_and_synced_again() {
        // The hub applied 13.00 and 300; the shop owner set the stock to 5 by hand.
        let (links, held) = links_holding(link("WHS-0001", "13.00", 300));
        let states = states_knowing(known("WHS-0001", "10.00", 300));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].store.as_str() == "retail-1" && jobs[0].sku.as_str() == "WHS-0001")
            .times(1)
            .returning(|_| Ok(()));
        let uc = reconcile(
            catalog(vec![listing("WHS-0001", "10.00", 300)], vec![client_item("13.00", 5)]),
            states,
            links,
            queue,
        );
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.drifted, report.syncs_queued, report.states_updated), (1, 1, 0));
        let after = held.lock().unwrap().clone();
        assert_eq!(after.applied.stock.get(&500), Some(&5), "the sync must see 5 ≠ 300 and write 300");
        assert_eq!(after.applied.price, Some(money("13.00")), "the price was right: untouched");
    }

    #[tokio::test]
    async fn a_client_showing_the_target_gets_no_sync() {
        let (mut links, _) = links_holding(link("WHS-0001", "13.00", 300));
        links.checkpoint();
        links.expect_of_store().returning(|_| Ok(vec![link("WHS-0001", "13.00", 300)]));
        links.expect_save().never();
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let uc = reconcile(
            catalog(vec![listing("WHS-0001", "10.00", 300)], vec![client_item("13.000000", 300)]),
            states_knowing(known("WHS-0001", "10.00", 300)),
            links,
            queue,
        );
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.drifted, report.syncs_queued, report.client_products), (0, 0, 1));
    }

    #[tokio::test]
    async fn a_source_stock_write_without_a_webhook_updates_the_known_state_though_date_upd_did_not_move() {
        let mut states = states_knowing(known("WHS-0001", "10.00", 300));
        states
            .expect_apply_if_newer()
            .withf(|s| {
                s.product.quantity == 120
                    && s.product.name == "Mug"
                    && s.product.updated_at == Utc.with_ymd_and_hms(2026, 11, 27, 9, 59, 58).unwrap()
                    && s.occurred_at > Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
            })
            .times(1)
            .returning(|_| Ok(true));
        let (links, _) = links_holding(link("WHS-0001", "13.00", 300));
        let mut queue = MockJobQueue::new();
        // The client still shows 300 (the known state's 120 is checked by the sync, which reads the latest).
        queue.expect_enqueue_syncs().returning(|_| Ok(()));
        let uc = reconcile(
            catalog(vec![listing("WHS-0001", "10.00", 120)], vec![client_item("13.00", 300)]),
            states,
            links,
            queue,
        );
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.states_updated, 1);
    }

    #[tokio::test]
    async fn a_client_product_the_source_does_not_have_is_left_alone() {
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        links.expect_save().never();
        let mut states = MockProductStates::new();
        states.expect_latest_many().returning(|_| Ok(vec![]));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let mut item = client_item("5.00", 1);
        item.reference = Some("RETAILER-OWN".into());
        let uc = reconcile(catalog(vec![], vec![item]), states, links, queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.syncs_queued, report.to_link), (0, 0));
    }

    #[tokio::test]
    async fn a_source_sku_on_the_client_that_was_never_linked_gets_a_sync_to_link_it() {
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().withf(|jobs| jobs.len() == 1).times(1).returning(|_| Ok(()));
        let uc = reconcile(
            catalog(vec![listing("WHS-0001", "10.00", 300)], vec![client_item("13.00", 300)]),
            states_knowing(known("WHS-0001", "10.00", 300)),
            links,
            queue,
        );
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.to_link, report.drifted, report.syncs_queued), (1, 0, 1));
    }

    #[tokio::test]
    async fn a_client_that_cannot_be_read_is_reported_and_the_run_ends_well() {
        let mut c = MockStoreCatalog::new();
        c.expect_source_page().returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        c.expect_client_page().returning(|_, _, _| Err(GatewayError::Retryable("503".into())));
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let timer = Arc::new(RecordingTimer::default());
        let uc = reconcile_timed(c, MockProductStates::new(), links, MockJobQueue::new(), timer.clone());
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.clients_checked, 0);
        assert_eq!(report.failed_clients.len(), 1);
        assert_eq!(timer.0.lock().unwrap().len(), PAGE_ATTEMPTS as usize - 1, "given up only after its retries");
    }

    #[tokio::test]
    async fn a_connection_error_on_a_client_page_is_retried_with_backoff_and_the_client_compared() {
        let mut c = MockStoreCatalog::new();
        c.expect_source_page().returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        let mut failures = 2;
        c.expect_client_page().times(3).returning(move |_, _, _| {
            if failures > 0 {
                failures -= 1;
                Err(GatewayError::Retryable("connection reset".into()))
            } else {
                Ok(CatalogPage { items: vec![], next: None, calls: 1 })
            }
        });
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let timer = Arc::new(RecordingTimer::default());
        let uc = reconcile_timed(c, MockProductStates::new(), links, MockJobQueue::new(), timer.clone());
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.clients_checked, report.failed_clients.len()), (1, 0));
        assert_eq!(*timer.0.lock().unwrap(), vec![Duration::from_millis(500), Duration::from_secs(1)], "backing off");
    }

    #[tokio::test]
    async fn a_permanent_failure_of_a_client_page_is_not_retried() {
        let mut c = MockStoreCatalog::new();
        c.expect_source_page().returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        c.expect_client_page().times(1).returning(|_, _, _| Err(GatewayError::Permanent("401".into())));
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let uc = reconcile_timed(
            c,
            MockProductStates::new(),
            links,
            MockJobQueue::new(),
            Arc::new(RecordingTimer::default()),
        );
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.failed_clients.len(), 1);
    }

    #[tokio::test]
    async fn an_unreadable_source_stops_the_run() {
        let mut c = MockStoreCatalog::new();
        c.expect_source_page().returning(|_, _, _, _| Err(GatewayError::Retryable("timeout".into())));
        c.expect_client_page().never();
        let uc = reconcile_timed(
            c,
            MockProductStates::new(),
            MockProductLinks::new(),
            MockJobQueue::new(),
            Arc::new(RecordingTimer::default()),
        );
        let got = uc.execute(&ReconcileRequest::default(), &NoProgress).await;
        assert!(matches!(got, Err(ReconcileError::Source(_))));
    }

    #[tokio::test]
    async fn pages_are_read_until_the_last_and_the_since_bound_reaches_the_source() {
        let since = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let mut c = MockStoreCatalog::new();
        let mut seq = mockall::Sequence::new();
        c.expect_source_page()
            .withf(move |_, s, offset, limit| *s == Some(since) && *offset == 0 && *limit == 100)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: Some(100), calls: 1 }));
        c.expect_source_page()
            .withf(|_, _, offset, _| *offset == 100)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        c.expect_client_page().returning(|_, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let mut states = MockProductStates::new();
        states.expect_latest_many().returning(|_| Ok(vec![]));
        let uc = reconcile(c, states, links, MockJobQueue::new());
        let request = ReconcileRequest { since: Some(since), store: None, kind: PassKind::Full };
        assert_eq!(uc.execute(&request, &NoProgress).await.unwrap().clients_checked, 1);
    }

    #[test]
    fn a_state_first_learnt_from_a_catalog_never_looks_newer_than_a_webhook() {
        let mut item = listing("WHS-0001", "10.00", 3);
        item.date_upd = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(12, 0, 0);
        let p = observed_product(&item, &sku("WHS-0001"), None).unwrap();
        assert_eq!(p.updated_at, Utc.with_ymd_and_hms(2026, 11, 26, 22, 0, 0).unwrap());
    }

    #[tokio::test]
    async fn a_reference_two_source_products_share_is_applied_for_neither_and_reported_with_their_ids() {
        let mut later = listing("WHS-0001", "10.00", 3);
        later.id = 9;
        let mut earlier = listing("whs-0001", "12.00", 5);
        earlier.id = 4;
        let mut states = MockProductStates::new();
        states.expect_latest_many().returning(|_| Ok(vec![]));
        states.expect_apply_if_newer().never();
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let uc = reconcile(catalog(vec![later, earlier], vec![]), states, links, queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.ambiguous_references, vec![(sku("WHS-0001"), vec![4, 9])]);
        assert_eq!((report.source_skipped, report.states_updated, report.syncs_queued), (2, 0, 0));
    }

    fn stock_rows(quantity: i64) -> CatalogPage<SourceStockRow> {
        CatalogPage { items: vec![SourceStockRow { product_id: 6, combination_id: 0, quantity }], next: None, calls: 1 }
    }

    #[tokio::test]
    async fn an_incremental_pass_reads_a_product_whose_stock_alone_changed_and_syncs_it_to_every_client() {
        let mark = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let mut c = MockStoreCatalog::new();
        let mut seq = mockall::Sequence::new();
        // First pass of the process: no earlier stock list, so the whole source is read once.
        c.expect_source_stock_page().times(1).in_sequence(&mut seq).returning(|_, _, _| Ok(stock_rows(300)));
        c.expect_source_page().withf(|_, since, _, _| since.is_none()).times(1).in_sequence(&mut seq).returning(
            |_, _, _, _| Ok(CatalogPage { items: vec![listing("WHS-0001", "10.00", 300)], next: None, calls: 2 }),
        );
        // A Webservice stock write: no `date_upd` moved, only the stock row differs.
        c.expect_source_stock_page().times(1).in_sequence(&mut seq).returning(|_, _, _| Ok(stock_rows(7)));
        c.expect_source_page()
            .withf(move |_, since, _, _| *since == Some(mark - source_pass::WATERMARK_OVERLAP))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        c.expect_source_products()
            .withf(|_, ids| ids == [6])
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(CatalogPage { items: vec![listing("WHS-0001", "10.00", 7)], next: None, calls: 2 }));
        c.expect_client_page().never();
        let mut marks = MockCatalogWatermarks::new();
        marks.expect_get().returning(move |_| Ok(Some(mark)));
        marks.expect_advance().returning(|_, _| Ok(()));
        let mut states = MockProductStates::new();
        states.expect_latest_many().returning(|_| Ok(vec![known("WHS-0001", "10.00", 300)]));
        states.expect_apply_if_newer().withf(|s| s.product.quantity == 7).times(1).returning(|_| Ok(true));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].store.as_str() == "retail-1" && jobs[0].sku.as_str() == "WHS-0001")
            .times(1)
            .returning(|_| Ok(()));
        let uc = reconcile(c, states, MockProductLinks::new(), queue).with_watermarks(Arc::new(marks));
        let request = ReconcileRequest { kind: PassKind::Incremental, ..Default::default() };
        let first = uc.execute(&request, &NoProgress).await.unwrap();
        assert_eq!((first.states_updated, first.syncs_queued), (0, 0));
        let second = uc.execute(&request, &NoProgress).await.unwrap();
        assert_eq!((second.states_updated, second.syncs_queued, second.clients_checked), (1, 1, 0));
        let source = StoreCode::parse("wholesaler").unwrap();
        assert_eq!(second.calls.get(&source), Some(&4), "a stock list, a product list, a read by id (2 calls)");
    }

    #[tokio::test]
    async fn an_incremental_pass_reads_the_product_a_reference_was_known_from_and_applies_neither_when_both_have_it() {
        let mark = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let mut c = MockStoreCatalog::new();
        c.expect_source_stock_page().returning(|_, _, _| Ok(stock_rows(300)));
        let mut seq = mockall::Sequence::new();
        c.expect_source_page().withf(|_, since, _, _| since.is_none()).times(1).in_sequence(&mut seq).returning(
            |_, _, _, _| Ok(CatalogPage { items: vec![listing("WHS-0001", "10.00", 300)], next: None, calls: 2 }),
        );
        // Product 9 was saved with the reference the hub knows from product 6.
        c.expect_source_page().times(1).in_sequence(&mut seq).returning(|_, _, _, _| {
            let mut other = listing("WHS-0001", "99.00", 1);
            other.id = 9;
            Ok(CatalogPage { items: vec![other], next: None, calls: 2 })
        });
        c.expect_source_products()
            .withf(|_, ids| ids == [6])
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(CatalogPage { items: vec![listing("WHS-0001", "10.00", 300)], next: None, calls: 2 }));
        let mut marks = MockCatalogWatermarks::new();
        marks.expect_get().returning(move |_| Ok(Some(mark)));
        marks.expect_advance().returning(|_, _| Ok(()));
        let mut states = MockProductStates::new();
        states.expect_latest_many().returning(|_| Ok(vec![known("WHS-0001", "10.00", 300)]));
        states.expect_apply_if_newer().never();
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().never();
        let uc = reconcile(c, states, MockProductLinks::new(), queue).with_watermarks(Arc::new(marks));
        let request = ReconcileRequest { kind: PassKind::Incremental, ..Default::default() };
        uc.execute(&request, &NoProgress).await.unwrap();
        let report = uc.execute(&request, &NoProgress).await.unwrap();
        assert_eq!(report.ambiguous_references, vec![(sku("WHS-0001"), vec![6, 9])]);
        assert_eq!(report.states_updated, 0);
    }
}
