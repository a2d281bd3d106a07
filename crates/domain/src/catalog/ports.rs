//! What the catalog's use cases need from the outside world: the hub's latest source states, the links of
//! source SKUs to client products, and the client stores' PrestaShop.

use std::{collections::BTreeMap, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    errors::{GatewayError, StorageError},
    model::{EventId, Money, ProductData, Sku, StoreCode},
};

/// The hub's latest known state of a source product, with what ordered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceProductState {
    /// The product.
    pub product: ProductData,
    /// The event that brought it.
    pub event_id: EventId,
    /// When the event happened at the source: breaks ties of the one-second `updated_at`.
    pub occurred_at: DateTime<Utc>,
    /// The connector's sequence, when sent.
    pub sequence: Option<u64>,
}

impl SourceProductState {
    /// Builds a state.
    pub fn new(product: ProductData, event_id: EventId, occurred_at: DateTime<Utc>, sequence: Option<u64>) -> Self {
        Self { product, event_id, occurred_at, sequence }
    }

    /// True when `self` supersedes `known`: a later `updated_at`, or the same and a later `occurred_at`.
    pub fn supersedes(&self, known: &SourceProductState) -> bool {
        (self.product.updated_at, self.occurred_at) > (known.product.updated_at, known.occurred_at)
    }
}

/// The latest source state per SKU.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ProductStates: Send + Sync + 'static {
    /// Stores `state` when it supersedes what is known for its SKU (or nothing is known), or when it came
    /// from the same event as the stored one (a re-run). Returns whether `state` is now the latest.
    /// Atomic against concurrent calls for one SKU.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn apply_if_newer(&self, state: &SourceProductState) -> Result<bool, StorageError>;

    /// The latest state of `sku`.
    ///
    /// # Errors
    /// When the database cannot be reached or the row cannot be decoded.
    async fn latest(&self, sku: &Sku) -> Result<Option<SourceProductState>, StorageError>;

    /// The latest states of those of `skus` the hub knows (in no particular order; unknown ones are left
    /// out), in one read: what reconciliation compares a catalog page with.
    ///
    /// # Errors
    /// When the database cannot be reached or a row cannot be decoded.
    async fn latest_many(&self, skus: &[Sku]) -> Result<Vec<SourceProductState>, StorageError>;
}

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
    /// Attribute group → value (e.g. `Size` → `M`), read from its `product_option_values`: the third
    /// matching rule when neither its reference nor its EAN13 tells it apart.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
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
    /// Whether the rows' quantities were read. When not (a simple product found in one call: the row's id
    /// comes with the product, its quantity would cost a call of its own), the first sync writes every row.
    pub stock_read: bool,
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

/// What the database knows is still owed to the client stores: a (store, SKU) pair lags while its link has
/// not dealt with the SKU's latest source state (applied it, or found the SKU unlinked or ambiguous). The
/// queue only carries the work; this is the record of it, so a lost queue loses nothing.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OwedSyncs: Send + Sync + 'static {
    /// SKUs whose latest state was recorded in `[since, before)` and that `store` lags behind, each with
    /// that state's event, leaving out pairs queued again for that very state less than `retry` × the
    /// times it was (so a pair whose re-queued job was lost too is queued again, ever less often, and one
    /// that fails for good is not queued in a loop); oldest first, at most `limit`.
    ///
    /// # Errors
    /// When the database cannot be reached or a row cannot be decoded.
    async fn lagging(
        &self,
        store: &StoreCode,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
        retry: Duration,
        limit: u32,
    ) -> Result<Vec<(Sku, EventId)>, StorageError>;

    /// Records that `pairs` of `store` were queued again for these states (counting the times per state).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn mark_requeued(&self, store: &StoreCode, pairs: &[(Sku, EventId)]) -> Result<(), StorageError>;
}

/// A store's PrestaShop, as the sync needs it.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait StoreGateway: Send + Sync + 'static {
    /// The products of `store` whose reference is `sku` (case-insensitive, as PrestaShop filters), read in full
    /// (stock rows, and combinations with their attribute values).
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
    /// No product with the reference on the client (never had one, the reference was removed, or the
    /// linked product was deleted — the note says which): visible to operators, looked up again on the
    /// next sync of the SKU, not retried in between.
    Unlinked,
    /// Several products share the reference on the client (the note names them): reported, nothing
    /// written, never guessed; re-linked once the reference is unique again.
    Ambiguous,
    /// The store publishes, and the product cannot be created there (the note says why: no matching tax
    /// rules group, no language…): tried again with the SKU's next source change.
    Refused,
}

impl LinkStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Linked => "linked",
            LinkStatus::Unlinked => "unlinked",
            LinkStatus::Ambiguous => "ambiguous",
            LinkStatus::Refused => "refused",
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
    /// When the link was last checked against the client (the reference still names exactly this product,
    /// its combinations re-matched); `None` for links recorded before the check existed.
    #[serde(default)]
    pub verified_at: Option<DateTime<Utc>>,
    /// Set when the hub created the client product (publishing): how far the creation got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Publication>,
}

/// How far the hub got creating a product on a client. Recorded before each step, so a retry after a crash
/// finds the product by its reference and finishes it (combinations matched by their attributes, images
/// counted) instead of creating anything twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Publication {
    /// The client product, once created.
    pub product_id: Option<u64>,
    /// Combinations and images are there too.
    pub complete: bool,
    /// The source `updated_at` whose descriptive content was last written.
    pub content_of: Option<DateTime<Utc>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fixtures::product_event, model::EventPayload};

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
