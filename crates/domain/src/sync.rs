//! Applying the source's latest state of a SKU to one client store: `SyncProductToStore`.
//!
//! The job reads the *latest* state (so a burst of events coalesces into one write), computes the client's
//! target (its price rule, its stock buffer, the active flag), writes only what differs from what the hub
//! last applied there, and records the link (client product id, stock row ids, applied target).

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{
    CombinationData, Money, ProductData, Sku, Store, StoreCode, StoreDirectory, StoreRole,
    ports::{ProductStates, StorageError},
    services::JobError,
};

/// A stock row on a store: the `stock_availables` id of a product (combination 0) or a combination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStockRow {
    /// `stock_availables` id.
    pub id: u64,
    /// `id_product_attribute`: 0 for the product-level row.
    pub combination_id: u64,
    /// Current quantity.
    pub quantity: i64,
}

/// A combination on a store, with what identifies it across shops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCombination {
    /// Combination id there.
    pub id: u64,
    /// Its own reference, when not empty.
    pub reference: Option<String>,
    /// Its EAN13, when not empty.
    pub ean13: Option<String>,
}

/// A product as a store has it: the synced fields and what locates its stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProduct {
    /// Product id there.
    pub id: u64,
    /// Price, tax excluded.
    pub price: Money,
    /// For sale.
    pub active: bool,
    /// Its stock rows (product level and combinations).
    pub stock: Vec<RemoteStockRow>,
    /// Its combinations.
    pub combinations: Vec<RemoteCombination>,
}

/// Looking a product up by reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Exactly one product has the reference.
    Found(RemoteProduct),
    /// None has it.
    NotFound,
    /// Several products have it: never guessed.
    Ambiguous(Vec<u64>),
}

/// A store call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Timeout, connection error, 5xx, 429, circuit open: may succeed later.
    #[error("{0}")]
    Retryable(String),
    /// The object addressed no longer exists there (404).
    #[error("{0}")]
    Gone(String),
    /// A 4xx retrying cannot fix, or a store not configured.
    #[error("{0}")]
    Permanent(String),
}

impl From<GatewayError> for JobError {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Retryable(m) => JobError::Retryable(m),
            GatewayError::Gone(m) | GatewayError::Permanent(m) => JobError::Permanent(m),
        }
    }
}

/// A store's PrestaShop, as the sync needs it.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait StoreGateway: Send + Sync + 'static {
    /// The products of `store` whose reference is `sku` (case-insensitive, as PrestaShop filters), read in full.
    ///
    /// # Errors
    /// Retryable transport failures; permanent ones for a store without a Webservice.
    async fn find_by_reference(&self, store: &StoreCode, sku: &Sku) -> Result<Lookup, GatewayError>;

    /// Sets one stock row's quantity, touching nothing else on the row (PATCH on 8.0+, else
    /// GET-modify-PUT of the whole row).
    ///
    /// # Errors
    /// [`GatewayError::Gone`] when the row no longer exists.
    async fn set_stock(
        &self,
        store: &StoreCode,
        product_id: u64,
        row: &RemoteStockRow,
        quantity: i64,
    ) -> Result<(), GatewayError>;

    /// Sets a product's price and active flag, touching nothing else.
    ///
    /// # Errors
    /// [`GatewayError::Gone`] when the product no longer exists.
    async fn set_price_and_active(
        &self,
        store: &StoreCode,
        product_id: u64,
        price: &Money,
        active: bool,
    ) -> Result<(), GatewayError>;
}

/// What the hub last applied to a client for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Applied {
    /// Price written.
    pub price: Option<Money>,
    /// Active flag written.
    pub active: Option<bool>,
    /// Stock row id → quantity written.
    pub stock: BTreeMap<u64, i64>,
}

/// The state of a (client store, SKU) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkStatus {
    /// Matched to one client product and in sync.
    Linked,
    /// No product with the reference on the client: visible to operators, not retried.
    Unlinked,
    /// Several products share the reference on the client: reported, never guessed.
    Ambiguous,
}

impl LinkStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Linked => "linked",
            LinkStatus::Unlinked => "unlinked",
            LinkStatus::Ambiguous => "ambiguous",
        }
    }
}

/// Where a source SKU lives on a client store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLink {
    /// The client store.
    pub store: StoreCode,
    /// The SKU.
    pub sku: Sku,
    /// Linked, unlinked, ambiguous.
    pub status: LinkStatus,
    /// The client's product id.
    pub client_product_id: Option<u64>,
    /// Source combination id → client stock row (id, combination id there).
    pub stock_rows: BTreeMap<u64, (u64, u64)>,
    /// Source combinations that matched nothing on the client.
    pub unmatched_combinations: Vec<u64>,
    /// What was last written.
    pub applied: Applied,
    /// The source event whose state was last applied.
    pub applied_event_id: Option<String>,
    /// Why it is not linked, or the last problem.
    pub note: Option<String>,
}

/// The links of source SKUs to client products.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ProductLinks: Send + Sync + 'static {
    /// The link of `sku` on `store`.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn get(&self, store: &StoreCode, sku: &Sku) -> Result<Option<ProductLink>, StorageError>;

    /// Stores a link (insert or replace).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn save(&self, link: &ProductLink) -> Result<(), StorageError>;

    /// Takes the exclusive right to write `sku` on `store` for `ttl`, for `owner`; false when another
    /// owner holds it. Works across processes.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn lease(&self, store: &StoreCode, sku: &Sku, owner: &str, ttl: Duration) -> Result<bool, StorageError>;

    /// Gives the lease back.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn release(&self, store: &StoreCode, sku: &Sku, owner: &str) -> Result<(), StorageError>;

    /// Every link recorded for `store` (any status), for reconciliation.
    ///
    /// # Errors
    /// When the database cannot be reached or a row cannot be decoded.
    async fn of_store(&self, store: &StoreCode) -> Result<Vec<ProductLink>, StorageError>;
}

/// The client's target for a source product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Price after the client's rule.
    pub price: Money,
    /// Active flag.
    pub active: bool,
    /// Product-level quantity (simple products).
    pub quantity: i64,
    /// Per source combination id: its quantity.
    pub combinations: Vec<(CombinationData, i64)>,
}

impl Target {
    /// Applies `store`'s price rule and stock buffer to `product`.
    pub fn for_client(product: &ProductData, store: &Store) -> Self {
        let buffer = store.price_rule.stock_buffer.max(0);
        let sellable = |q: i64| q.saturating_sub(buffer).max(0);
        Self {
            price: product.price.with_markup_percent(store.price_rule.markup_percent),
            active: product.active,
            quantity: sellable(product.quantity),
            combinations: product.combinations.iter().map(|c| (c.clone(), sellable(c.quantity))).collect(),
        }
    }

    /// The client stock rows `link` locates and the quantity each must show, as
    /// `(row id, client combination id, quantity)`: the product-level row of a simple product, else one row
    /// per matched combination. What the sync writes and what reconciliation compares.
    pub fn stock_rows(&self, link: &ProductLink) -> Vec<(u64, u64, i64)> {
        if self.combinations.is_empty() {
            link.stock_rows.get(&0).map(|(row, comb)| vec![(*row, *comb, self.quantity)]).unwrap_or_default()
        } else {
            self.combinations
                .iter()
                .filter_map(|(c, q)| link.stock_rows.get(&c.source_id).map(|(row, comb)| (*row, *comb, *q)))
                .collect()
        }
    }
}

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
    owner: String,
    lease: Duration,
}

impl SyncProductToStore {
    /// Builds the use case; `owner` names this worker for leases.
    pub fn new(
        states: Arc<dyn ProductStates>,
        links: Arc<dyn ProductLinks>,
        gateway: Arc<dyn StoreGateway>,
        stores: Arc<dyn StoreDirectory>,
        owner: String,
    ) -> Self {
        Self { states, links, gateway, stores, owner, lease: LEASE_TTL }
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
        if !wait_for_lease(self.links.as_ref(), store_code, sku, &owner, self.lease).await? {
            return Err(JobError::Retryable(format!("{store_code}/{sku} is being synced by another worker")));
        }
        let result = renewing_lease(self.lease, self.sync_leased(&store, sku), || {
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
                Err(JobError::Permanent(m)) if m.starts_with(GONE) => {
                    tracing::info!(store = %store.code, sku = %sku, "linked product gone; looking it up again");
                }
                other => return other,
            }
        }
        match self.gateway.find_by_reference(&store.code, sku).await? {
            Lookup::NotFound => {
                self.links.save(&unlinked(store, sku, LinkStatus::Unlinked, "no product with this reference")).await?;
                tracing::info!(store = %store.code, sku = %sku, "sku not on the client: recorded as unlinked");
                Ok(SyncOutcome::Unlinked)
            }
            Lookup::Ambiguous(ids) => {
                let note = format!("{} products share this reference: {ids:?}", ids.len());
                self.links.save(&unlinked(store, sku, LinkStatus::Ambiguous, &note)).await?;
                tracing::warn!(store = %store.code, sku = %sku, ?ids, "ambiguous reference: left alone");
                Ok(SyncOutcome::Ambiguous)
            }
            Lookup::Found(remote) => {
                let link = link_to(store, sku, &remote, &target);
                // The read gives the current values: seed `applied` with them so only differences are written.
                self.apply(store, sku, &target, link, state.event_id.as_str()).await
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
    ) -> Result<SyncOutcome, JobError> {
        let product_id = link.client_product_id.unwrap_or_default();
        let mut writes = 0;
        let gone = |e: GatewayError| match e {
            GatewayError::Gone(m) => JobError::Permanent(format!("{GONE}{m}")),
            other => other.into(),
        };
        if link.applied.price != Some(target.price) || link.applied.active != Some(target.active) {
            self.gateway
                .set_price_and_active(&store.code, product_id, &target.price, target.active)
                .await
                .map_err(gone)?;
            link.applied.price = Some(target.price);
            link.applied.active = Some(target.active);
            writes += 1;
        }
        for (row, comb, quantity) in target.stock_rows(&link) {
            if link.applied.stock.get(&row) != Some(&quantity) {
                let r = RemoteStockRow { id: row, combination_id: comb, quantity };
                self.gateway.set_stock(&store.code, product_id, &r, quantity).await.map_err(gone)?;
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

const GONE: &str = "gone: ";

/// Lease attempts, 20 ms apart, before a busy (store, SKU) is given up on.
const LEASE_TRIES: u32 = 50;

/// Takes the (store, SKU) lease for `owner`, trying [`LEASE_TRIES`] times 20 ms apart (another holder keeps
/// it only for the few calls of one sync); false when it stayed busy.
pub(crate) async fn wait_for_lease(
    links: &dyn ProductLinks,
    store: &StoreCode,
    sku: &Sku,
    owner: &str,
    ttl: Duration,
) -> Result<bool, StorageError> {
    for _ in 0..LEASE_TRIES {
        if links.lease(store, sku, owner, ttl).await? {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(false)
}

/// How long a lease lasts without renewal. Its holder renews it while it works, so this only bounds how
/// long a worker that died holding it (SIGKILL, a lost host) blocks the product or the order: the retry
/// layer's attempts must outlast it (the default backoff does, by far).
pub(crate) const LEASE_TTL: Duration = Duration::from_secs(15);

/// Runs `work` while renewing its lease (`renew`, which takes it again for the same owner) every third of
/// `ttl`, and returns what `work` returns.
pub(crate) async fn renewing_lease<T, R, F>(ttl: Duration, work: impl Future<Output = T>, renew: R) -> T
where
    R: Fn() -> F,
    F: Future<Output = Result<bool, StorageError>>,
{
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(ttl / 3) => match renew().await {
                Ok(true) => {}
                Ok(false) => tracing::warn!("a lease lapsed while its holder was still working"),
                Err(e) => tracing::warn!(error = %e, "could not renew a lease"),
            },
        }
    }
}

fn unlinked(store: &Store, sku: &Sku, status: LinkStatus, note: &str) -> ProductLink {
    ProductLink {
        store: store.code.clone(),
        sku: sku.clone(),
        status,
        client_product_id: None,
        stock_rows: BTreeMap::new(),
        unmatched_combinations: Vec::new(),
        applied: Applied::default(),
        applied_event_id: None,
        note: Some(note.to_owned()),
    }
}

/// Matches the source's combinations to the client's (own reference when unique there, else EAN13) and
/// builds the link with the client's current values as `applied`.
fn link_to(store: &Store, sku: &Sku, remote: &RemoteProduct, target: &Target) -> ProductLink {
    let mut stock_rows = BTreeMap::new();
    let mut unmatched = Vec::new();
    let row_of = |comb: u64| remote.stock.iter().find(|r| r.combination_id == comb);
    if target.combinations.is_empty() {
        if let Some(r) = row_of(0) {
            stock_rows.insert(0, (r.id, 0));
        }
    } else {
        for (c, _) in &target.combinations {
            let by_reference = c.reference.as_ref().and_then(|reference| {
                let same: Vec<&RemoteCombination> = remote
                    .combinations
                    .iter()
                    .filter(|rc| rc.reference.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(reference.as_str())))
                    .collect();
                (same.len() == 1).then(|| same[0].id)
            });
            let by_ean = || {
                c.ean13.as_ref().and_then(|ean| {
                    let same: Vec<&RemoteCombination> =
                        remote.combinations.iter().filter(|rc| rc.ean13.as_deref() == Some(ean.as_str())).collect();
                    (same.len() == 1).then(|| same[0].id)
                })
            };
            match by_reference.or_else(by_ean).and_then(|id| row_of(id).map(|r| (r.id, id))) {
                Some(found) => {
                    stock_rows.insert(c.source_id, found);
                }
                None => unmatched.push(c.source_id),
            }
        }
    }
    let applied = Applied {
        price: Some(remote.price),
        active: Some(remote.active),
        stock: remote.stock.iter().map(|r| (r.id, r.quantity)).collect(),
    };
    let note =
        (!unmatched.is_empty()).then(|| format!("{} combination(s) matched nothing on the client", unmatched.len()));
    ProductLink {
        store: store.code.clone(),
        sku: sku.clone(),
        status: LinkStatus::Linked,
        client_product_id: Some(remote.id),
        stock_rows,
        unmatched_combinations: unmatched,
        applied,
        applied_event_id: None,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        EventId, PriceRule, Secret, StaticStoreDirectory,
        ports::{MockProductStates, SourceProductState},
    };
    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;

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
        let uc = SyncProductToStore::new(Arc::new(state(vec![])), Arc::new(links), Arc::new(gw), stores(), "w".into());
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
        let uc = SyncProductToStore::new(Arc::new(state(vec![])), Arc::new(links), Arc::new(gw), stores(), "w".into());
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::UpToDate));
    }

    #[tokio::test]
    async fn an_unknown_sku_is_recorded_unlinked_and_not_retried() {
        let mut links = leasing_links();
        links.expect_get().returning(|_, _| Ok(None));
        links.expect_save().withf(|l| l.status == LinkStatus::Unlinked).times(1).returning(|_| Ok(()));
        let mut gw = MockStoreGateway::new();
        gw.expect_find_by_reference().returning(|_, _| Ok(Lookup::NotFound));
        let uc = SyncProductToStore::new(Arc::new(state(vec![])), Arc::new(links), Arc::new(gw), stores(), "w".into());
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
        let uc = SyncProductToStore::new(Arc::new(state(vec![])), Arc::new(links), Arc::new(gw), stores(), "w".into());
        assert_eq!(uc.execute(&code(), &sku()).await, Ok(SyncOutcome::Ambiguous));
    }

    #[tokio::test]
    async fn a_sku_being_synced_elsewhere_is_retried_later() {
        let mut links = MockProductLinks::new();
        links.expect_lease().returning(|_, _, _, _| Ok(false));
        let uc = SyncProductToStore::new(
            Arc::new(state(vec![])),
            Arc::new(links),
            Arc::new(MockStoreGateway::new()),
            stores(),
            "w".into(),
        );
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
        let uc = SyncProductToStore::new(Arc::new(state(vec![])), Arc::new(links), Arc::new(gw), stores(), "w".into());
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
