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
//!    (under the sync's lease), so the sync sees the difference and writes it, then queues the sync.
//!
//! Products of a client whose reference the source does not have are left alone (they stay `unlinked`).

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::{
    CombinationData, EventId, Money, ProductData, Sku, Store, StoreCode, StoreDirectory, StoreRole,
    ports::{JobQueue, ProductStates, QueueError, SourceProductState, StorageError, SyncProductToStore},
    sync::{GatewayError, LinkStatus, ProductLink, ProductLinks, RemoteStockRow, Target, wait_for_lease},
};

/// One page of a catalog, read in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPage<T> {
    /// The page's products.
    pub items: Vec<T>,
    /// The offset of the next page; `None` after the last one.
    pub next: Option<u64>,
}

/// A product of the source catalog as its Webservice lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceListing {
    /// Product id on the source.
    pub id: u64,
    /// Its reference; `None` when empty or not a valid SKU (such a product cannot be synced).
    pub reference: Option<Sku>,
    /// Price, tax excluded.
    pub price: Money,
    /// For sale.
    pub active: bool,
    /// `date_upd`, in the shop's own wall-clock time (PrestaShop stores it without a zone).
    pub date_upd: Option<NaiveDateTime>,
    /// The product-level stock row's quantity (the sum of the combinations' for a product with some).
    pub quantity: i64,
    /// Its combinations with their own stock (attributes are not read: the hub's known ones are kept).
    pub combinations: Vec<CombinationData>,
}

/// A product of a client catalog as its Webservice lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientListing {
    /// Product id on the client.
    pub id: u64,
    /// Its reference, when not empty.
    pub reference: Option<String>,
    /// Price, tax excluded.
    pub price: Money,
    /// For sale.
    pub active: bool,
    /// Its stock rows (product level and combinations).
    pub stock: Vec<RemoteStockRow>,
}

/// Reading stores' catalogs page by page.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait StoreCatalog: Send + Sync + 'static {
    /// Up to `limit` source products from `offset` in id order, with their stock and combinations; only
    /// those whose `date_upd` is at or after `since` when given.
    ///
    /// # Errors
    /// Retryable transport failures; permanent ones for a store without a Webservice or an answer the
    /// shop refuses.
    async fn source_page(
        &self,
        store: &StoreCode,
        since: Option<NaiveDateTime>,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<SourceListing>, GatewayError>;

    /// Up to `limit` client products from `offset` in id order, with their stock rows.
    ///
    /// # Errors
    /// As [`StoreCatalog::source_page`].
    async fn client_page(
        &self,
        store: &StoreCode,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<ClientListing>, GatewayError>;
}

/// Named leases that let one process at a time run a periodic task (reconciliation) across processes.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait RunLeases: Send + Sync + 'static {
    /// Takes the lease `name` for `owner` until now + `ttl`, unless another owner holds it unexpired or a
    /// run of it finished less than `min_gap` ago. True when taken (or extended, for its holder).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn try_start(&self, name: &str, owner: &str, ttl: Duration, min_gap: Duration) -> Result<bool, StorageError>;

    /// Records that `owner`'s run of `name` finished now and gives the lease back.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn finish(&self, name: &str, owner: &str) -> Result<(), StorageError>;
}

/// What a run works on, for progress reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Reading the source catalog.
    Source,
    /// Comparing one client.
    Client(StoreCode),
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Source => f.write_str("source"),
            Stage::Client(code) => write!(f, "client {code}"),
        }
    }
}

/// Where a run stands, for a command line's progress bars or a log. Called from the run's task.
pub trait ReconcileProgress: Send + Sync {
    /// `stage` begins; `expected` products when known (an estimate for clients: the source's count).
    fn started(&self, stage: &Stage, expected: Option<u64>);
    /// `products` more were handled in `stage`.
    fn advanced(&self, stage: &Stage, products: u64);
    /// `stage` ended (`error` when it was abandoned).
    fn finished(&self, stage: &Stage, error: Option<&str>);
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ReconcileProgress for NoProgress {
    fn started(&self, _: &Stage, _: Option<u64>) {}
    fn advanced(&self, _: &Stage, _: u64) {}
    fn finished(&self, _: &Stage, _: Option<&str>) {}
}

/// What to reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileRequest {
    /// Read only the source products whose `date_upd` is at or after this (shop wall-clock time). Stock
    /// writes do not move `date_upd`, so an incremental run misses them: scheduled runs are full.
    pub since: Option<NaiveDateTime>,
    /// Compare this client only (the source is read all the same, and its changes are fanned out to the
    /// other clients).
    pub store: Option<StoreCode>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Source products read.
    pub source_products: u64,
    /// Source products skipped: no usable reference, or a reference another source product has too.
    pub source_skipped: u64,
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
    /// `SyncProductToStore` jobs queued.
    pub syncs_queued: u64,
    /// Clients that could not be compared, with the reason.
    pub failed_clients: Vec<(StoreCode, String)>,
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
}

/// The earliest a shop's wall-clock time can be in UTC (UTC+14): a state first learnt from a catalog is
/// given that `updated_at`, so the zone of the shop cannot make it look newer than the webhooks to come.
const MAX_ZONE_AHEAD: chrono::TimeDelta = chrono::TimeDelta::hours(14);

/// The reconciliation use case (see the module documentation).
#[derive(Clone)]
pub struct Reconcile {
    catalog: Arc<dyn StoreCatalog>,
    states: Arc<dyn ProductStates>,
    links: Arc<dyn ProductLinks>,
    queue: Arc<dyn JobQueue>,
    stores: Arc<dyn StoreDirectory>,
    page_size: u32,
    owner: String,
}

impl Reconcile {
    /// Builds the use case; `page_size` products per Webservice list, `owner` names this process in leases.
    pub fn new(
        catalog: Arc<dyn StoreCatalog>,
        states: Arc<dyn ProductStates>,
        links: Arc<dyn ProductLinks>,
        queue: Arc<dyn JobQueue>,
        stores: Arc<dyn StoreDirectory>,
        page_size: u32,
        owner: String,
    ) -> Self {
        Self { catalog, states, links, queue, stores, page_size: page_size.max(1), owner }
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
        let mut report = ReconcileReport::default();
        let updated = self.reconcile_source(&source.code, request.since, &mut report, progress).await?;
        // Clients this run does not compare still get the source's changes, as a fan-out would give them.
        let others: Vec<SyncProductToStore> = self
            .stores
            .active_clients()
            .iter()
            .filter(|s| !clients.iter().any(|c| c.code == s.code))
            .flat_map(|s| updated.iter().map(|sku| SyncProductToStore { store: s.code.clone(), sku: sku.clone() }))
            .collect();
        self.enqueue(&others, &mut report).await?;
        for client in &clients {
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
        tracing::info!(
            source_products = report.source_products,
            states_updated = report.states_updated,
            clients_checked = report.clients_checked,
            drifted = report.drifted,
            syncs_queued = report.syncs_queued,
            failed_clients = report.failed_clients.len(),
            "reconciliation done"
        );
        Ok(report)
    }

    /// Reads the source and records every state that differs from the known one; returns those SKUs.
    async fn reconcile_source(
        &self,
        source: &StoreCode,
        since: Option<NaiveDateTime>,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<Vec<Sku>, ReconcileError> {
        let stage = Stage::Source;
        progress.started(&stage, None);
        let run_started = Utc::now();
        let event_id = EventId::parse(&format!("reconcile:{}", run_started.timestamp_micros()))
            .map_err(|e| StorageError::Unexpected(e.to_string()))?;
        let mut seen: HashSet<String> = HashSet::new();
        let mut updated = Vec::new();
        let mut offset = 0;
        loop {
            // Ordered by the moment just before the read: a change that happened later wins over this one.
            let read_at = Utc::now();
            let page = match self.catalog.source_page(source, since, offset, self.page_size).await {
                Ok(p) => p,
                Err(e) => {
                    progress.finished(&stage, Some(&e.to_string()));
                    return Err(ReconcileError::Source(e));
                }
            };
            report.source_products += page.items.len() as u64;
            let skus: Vec<Sku> = page.items.iter().filter_map(|i| i.reference.clone()).collect();
            let known = self.known(&skus).await?;
            for item in &page.items {
                let Some(sku) = &item.reference else {
                    report.source_skipped += 1;
                    continue;
                };
                if !seen.insert(sku.as_str().to_lowercase()) {
                    tracing::warn!(sku = %sku, product = item.id, "reconcile: reference shared by several source products");
                    report.source_skipped += 1;
                    continue;
                }
                let known = known.get(sku);
                let Some(observed) = observed_product(item, sku, known.map(|k| &k.product)) else {
                    report.source_skipped += 1;
                    continue;
                };
                if known.is_some_and(|k| same_sync_fields(&k.product, &observed)) {
                    continue;
                }
                let state = SourceProductState::new(observed, event_id.clone(), read_at, None);
                if self.states.apply_if_newer(&state).await? {
                    tracing::info!(sku = %sku, "reconcile: known state brought up to date from the source");
                    report.states_updated += 1;
                    updated.push(sku.clone());
                }
            }
            progress.advanced(&stage, page.items.len() as u64);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        progress.finished(&stage, None);
        Ok(updated)
    }

    /// Compares one client with the targets and queues a sync for every drifted or unlinked SKU.
    async fn reconcile_client(
        &self,
        store: &Store,
        stage: &Stage,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<(), ClientFailure> {
        let links = self.links.of_store(&store.code).await.map_err(|e| ClientFailure::Hub(e.into()))?;
        let by_product: HashMap<u64, &ProductLink> = links
            .iter()
            .filter(|l| l.status == LinkStatus::Linked)
            .filter_map(|l| l.client_product_id.map(|id| (id, l)))
            .collect();
        let by_sku: HashMap<&Sku, &ProductLink> = links.iter().map(|l| (&l.sku, l)).collect();
        let mut seen_linked: HashSet<u64> = HashSet::new();
        let mut offset = 0;
        loop {
            let page =
                self.catalog.client_page(&store.code, offset, self.page_size).await.map_err(ClientFailure::Store)?;
            report.client_products += page.items.len() as u64;
            // The SKU each product stands for: its link's, else its own reference.
            let skus: Vec<Option<Sku>> = page
                .items
                .iter()
                .map(|item| match by_product.get(&item.id) {
                    Some(link) => Some(link.sku.clone()),
                    None => item.reference.as_deref().and_then(|r| Sku::parse(r).ok()),
                })
                .collect();
            let wanted: Vec<Sku> = skus.iter().flatten().cloned().collect();
            let known = self.known(&wanted).await.map_err(|e| ClientFailure::Hub(e.into()))?;
            let mut jobs = Vec::new();
            for (item, sku) in page.items.iter().zip(skus) {
                let Some(sku) = sku else { continue };
                let Some(state) = known.get(&sku) else { continue };
                let target = Target::for_client(&state.product, store);
                if let Some(link) = by_product.get(&item.id) {
                    seen_linked.insert(item.id);
                    if let Some(drift) = drift(&target, link, item) {
                        self.record_observed(store, &sku, item.id, &drift).await.map_err(ClientFailure::Hub)?;
                        report.drifted += 1;
                        jobs.push(SyncProductToStore { store: store.code.clone(), sku });
                    }
                    continue;
                }
                match by_sku.get(&sku).map(|l| l.status) {
                    // A second product with a linked reference, or one left as ambiguous: never guessed.
                    Some(LinkStatus::Linked | LinkStatus::Ambiguous) => {}
                    None | Some(LinkStatus::Unlinked) => {
                        report.to_link += 1;
                        jobs.push(SyncProductToStore { store: store.code.clone(), sku });
                    }
                }
            }
            self.enqueue(&jobs, report).await.map_err(ClientFailure::Hub)?;
            progress.advanced(stage, page.items.len() as u64);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        // Linked products the client no longer lists: forget what was applied, so the sync writes, meets the
        // 404 and looks the reference up again.
        let mut jobs = Vec::new();
        for (id, link) in &by_product {
            if seen_linked.contains(id)
                || self.states.latest(&link.sku).await.map_err(|e| ClientFailure::Hub(e.into()))?.is_none()
            {
                continue;
            }
            let gone = Observed { product_id: *id, price: None, active: None, stock: Vec::new(), forget_all: true };
            self.record_observed(store, &link.sku, *id, &gone).await.map_err(ClientFailure::Hub)?;
            report.drifted += 1;
            jobs.push(SyncProductToStore { store: store.code.clone(), sku: link.sku.clone() });
        }
        self.enqueue(&jobs, report).await.map_err(ClientFailure::Hub)
    }

    /// Writes what the client really shows into the link's `applied` values, under the sync's lease so a
    /// sync running now cannot overwrite it with what it believes.
    async fn record_observed(
        &self,
        store: &Store,
        sku: &Sku,
        product_id: u64,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let owner = format!("{}#reconcile{}", self.owner, RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        if !wait_for_lease(self.links.as_ref(), &store.code, sku, &owner, Duration::from_secs(30)).await? {
            // A sync holds it for long: it is writing this SKU now; the queued sync follows it.
            tracing::info!(store = %store.code, sku = %sku, "reconcile: sync busy; queued without recording");
            return Ok(());
        }
        let result = async {
            let Some(mut link) = self.links.get(&store.code, sku).await? else { return Ok(()) };
            if link.status != LinkStatus::Linked || link.client_product_id != Some(product_id) {
                return Ok(());
            }
            observed.apply_to(&mut link);
            self.links.save(&link).await
        }
        .await;
        if let Err(e) = self.links.release(&store.code, sku, &owner).await {
            tracing::warn!(store = %store.code, sku = %sku, error = %e, "could not release the reconcile lease");
        }
        result.map_err(ReconcileError::from)
    }

    /// The known states of `skus`, by SKU.
    async fn known(&self, skus: &[Sku]) -> Result<HashMap<Sku, SourceProductState>, StorageError> {
        if skus.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.states.latest_many(skus).await?.into_iter().map(|s| (s.product.sku.clone(), s)).collect())
    }

    async fn enqueue(&self, jobs: &[SyncProductToStore], report: &mut ReconcileReport) -> Result<(), ReconcileError> {
        if !jobs.is_empty() {
            self.queue.enqueue_syncs(jobs).await?;
            report.syncs_queued += jobs.len() as u64;
        }
        Ok(())
    }
}

enum ClientFailure {
    /// The client's shop failed: reported, the run goes on.
    Store(GatewayError),
    /// The hub's own database or queue failed: the run stops.
    Hub(ReconcileError),
}

/// What a client shows where it differs from the target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observed {
    product_id: u64,
    price: Option<Money>,
    active: Option<bool>,
    /// Stock row id → quantity shown (`None`: the row is gone).
    stock: Vec<(u64, Option<i64>)>,
    /// The product is gone: forget everything applied.
    forget_all: bool,
}

impl Observed {
    fn apply_to(&self, link: &mut ProductLink) {
        if self.forget_all {
            link.applied = Default::default();
            return;
        }
        if let Some(price) = self.price {
            link.applied.price = Some(price);
        }
        if let Some(active) = self.active {
            link.applied.active = Some(active);
        }
        for (row, quantity) in &self.stock {
            match quantity {
                Some(q) => link.applied.stock.insert(*row, *q),
                None => link.applied.stock.remove(row),
            };
        }
    }
}

/// How `item` differs from `target` on the fields the sync writes, or `None` when it shows the target.
fn drift(target: &Target, link: &ProductLink, item: &ClientListing) -> Option<Observed> {
    let price = (item.price != target.price).then_some(item.price);
    let active = (item.active != target.active).then_some(item.active);
    let stock: Vec<(u64, Option<i64>)> = target
        .stock_rows(link)
        .into_iter()
        .filter_map(|(row, _, quantity)| {
            let shown = item.stock.iter().find(|r| r.id == row).map(|r| r.quantity);
            (shown != Some(quantity)).then_some((row, shown))
        })
        .collect();
    // Price and active are written together: a drift of one records both as shown.
    let (price, active) =
        if price.is_some() || active.is_some() { (Some(item.price), Some(item.active)) } else { (None, None) };
    (price.is_some() || !stock.is_empty()).then_some(Observed {
        product_id: item.id,
        price,
        active,
        stock,
        forget_all: false,
    })
}

/// The source product as read, as a `ProductData`: what the hub knows of it that a catalog does not list
/// (its name, the attributes of its combinations) is kept from `known`.
fn observed_product(item: &SourceListing, sku: &Sku, known: Option<&ProductData>) -> Option<ProductData> {
    let combinations = item
        .combinations
        .iter()
        .map(|c| {
            let attributes = known
                .and_then(|k| k.combinations.iter().find(|kc| kc.source_id == c.source_id))
                .map(|kc| kc.attributes.clone())
                .unwrap_or_default();
            CombinationData::new(c.source_id, c.reference.clone(), c.ean13.clone(), attributes, c.quantity)
        })
        .collect();
    // `date_upd` has no zone: never let it make this state look newer than what a webhook said.
    let updated_at: DateTime<Utc> = match known {
        Some(k) => k.updated_at,
        None => item.date_upd.map(|d| d.and_utc() - MAX_ZONE_AHEAD).unwrap_or_default(),
    };
    let name = known.map(|k| k.name.clone()).unwrap_or_default();
    ProductData::new(item.id, sku.clone(), name, item.price, item.quantity, item.active, updated_at, combinations).ok()
}

/// Whether two states of a product would make a sync write the same thing.
fn same_sync_fields(a: &ProductData, b: &ProductData) -> bool {
    let combos = |p: &ProductData| {
        let mut v: Vec<(u64, Option<String>, Option<String>, i64)> = p
            .combinations
            .iter()
            .map(|c| (c.source_id, c.reference.as_ref().map(|r| r.as_str().to_owned()), c.ean13.clone(), c.quantity))
            .collect();
        v.sort();
        v
    };
    a.price == b.price && a.active == b.active && a.quantity == b.quantity && combos(a) == combos(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        PriceRule, Secret, StaticStoreDirectory,
        ports::{MockJobQueue, MockProductStates},
        sync::{Applied, MockProductLinks},
    };
    use chrono::TimeZone;
    use rust_decimal::Decimal;
    use std::{collections::BTreeMap, sync::Mutex};

    fn store(code: &str, role: StoreRole, markup: i64) -> Store {
        Store::new(
            StoreCode::parse(code).unwrap(),
            role,
            Secret::new(format!("{code}-key-0123456789")),
            None,
            true,
            PriceRule { markup_percent: Decimal::from(markup), stock_buffer: 0 },
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
            Ok(CatalogPage { items: if offset == 0 { source.clone() } else { vec![] }, next: None })
        });
        c.expect_client_page().returning(move |_, offset, _| {
            Ok(CatalogPage { items: if offset == 0 { client.clone() } else { vec![] }, next: None })
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
        Reconcile::new(
            Arc::new(catalog),
            Arc::new(states),
            Arc::new(links),
            Arc::new(queue),
            directory(),
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
        c.expect_source_page().returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None }));
        c.expect_client_page().returning(|_, _, _| Err(GatewayError::Retryable("503".into())));
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let uc = reconcile(c, MockProductStates::new(), links, MockJobQueue::new());
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.clients_checked, 0);
        assert_eq!(report.failed_clients.len(), 1);
    }

    #[tokio::test]
    async fn an_unreadable_source_stops_the_run() {
        let mut c = MockStoreCatalog::new();
        c.expect_source_page().returning(|_, _, _, _| Err(GatewayError::Retryable("timeout".into())));
        c.expect_client_page().never();
        let uc = reconcile(c, MockProductStates::new(), MockProductLinks::new(), MockJobQueue::new());
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
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: Some(100) }));
        c.expect_source_page()
            .withf(|_, _, offset, _| *offset == 100)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None }));
        c.expect_client_page().returning(|_, _, _| Ok(CatalogPage { items: vec![], next: None }));
        let mut links = MockProductLinks::new();
        links.expect_of_store().returning(|_| Ok(vec![]));
        let mut states = MockProductStates::new();
        states.expect_latest_many().returning(|_| Ok(vec![]));
        let uc = reconcile(c, states, links, MockJobQueue::new());
        let request = ReconcileRequest { since: Some(since), store: None };
        assert_eq!(uc.execute(&request, &NoProgress).await.unwrap().clients_checked, 1);
    }

    #[test]
    fn a_state_first_learnt_from_a_catalog_never_looks_newer_than_a_webhook() {
        let mut item = listing("WHS-0001", "10.00", 3);
        item.date_upd = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(12, 0, 0);
        let p = observed_product(&item, &sku("WHS-0001"), None).unwrap();
        assert_eq!(p.updated_at, Utc.with_ymd_and_hms(2026, 11, 26, 22, 0, 0).unwrap());
    }
}
