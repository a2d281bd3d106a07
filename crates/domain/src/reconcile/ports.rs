//! What reconciliation needs from the outside world: stores' catalogs and clients' orders read page by
//! page, the order watermark of each client, and named run leases so one process at a time runs it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDateTime;

use crate::{
    catalog::RemoteStockRow,
    errors::{GatewayError, StorageError},
    model::{CombinationData, Money, OrderData, Sku, StoreCode},
};

/// One page of a catalog, read in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPage<T> {
    /// The page's products.
    pub items: Vec<T>,
    /// The offset of the next page; `None` after the last one.
    pub next: Option<u64>,
    /// Webservice calls the page cost (a list, then its stock rows and combinations by chunks of ids).
    pub calls: u32,
}

/// A stock row of the source as its Webservice lists it (`stock_availables` carry no date: a stock-only
/// write moves no `date_upd`, so an incremental pass compares quantities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceStockRow {
    /// The product's id.
    pub product_id: u64,
    /// The combination's id; 0 for the product-level row.
    pub combination_id: u64,
    /// The quantity.
    pub quantity: i64,
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
    /// Its default category (a listing names no other: the hub's known categories are kept when it has
    /// some); empty when it has none.
    pub categories: Vec<u64>,
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

    /// The source products `ids` (those that exist), as [`StoreCatalog::source_page`] lists them; one page.
    ///
    /// # Errors
    /// As [`StoreCatalog::source_page`].
    async fn source_products(&self, store: &StoreCode, ids: &[u64])
    -> Result<CatalogPage<SourceListing>, GatewayError>;

    /// Up to `limit` of the source's stock rows from `offset`, in row id order.
    ///
    /// # Errors
    /// As [`StoreCatalog::source_page`].
    async fn source_stock_page(
        &self,
        store: &StoreCode,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<SourceStockRow>, GatewayError>;

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

/// An order of a client store as its Webservice lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOrder {
    /// Order id on the client.
    pub id: u64,
    /// Whether PrestaShop counts it as valid (paid): only a valid order the hub has no link for is
    /// replicated.
    pub valid: bool,
    /// Its `date_upd`, in the shop's own wall-clock time (PrestaShop stores it without a zone).
    pub date_upd: NaiveDateTime,
    /// The order as the connector's webhook would carry it, or why it cannot be built (a line without a
    /// usable reference, an address the hub would refuse…).
    pub order: Result<OrderData, String>,
}

/// Reading clients' orders page by page.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ClientOrders: Send + Sync + 'static {
    /// Up to `limit` orders of client `store` (valid or not: a cancellation makes an order invalid) whose
    /// `date_upd` is at or after `since`, from `offset`, in (`date_upd`, id) order, each with its customer,
    /// delivery address, country and currency resolved.
    ///
    /// # Errors
    /// Retryable transport failures; permanent ones for a store without a Webservice or a key the shop
    /// refuses.
    async fn orders_page(
        &self,
        store: &StoreCode,
        since: NaiveDateTime,
        offset: u64,
        limit: u32,
    ) -> Result<CatalogPage<ListedOrder>, GatewayError>;

    /// The state and tracking number of each of the orders `ids` of `store` (the source) that still exists,
    /// as the source's connector would report them (without state name or time); with the calls made.
    ///
    /// # Errors
    /// As [`orders_page`](Self::orders_page).
    async fn order_statuses(
        &self,
        store: &StoreCode,
        ids: &[u64],
    ) -> Result<(Vec<crate::model::OrderStatusData>, u32), GatewayError>;
}

/// Per client, the `date_upd` up to which its orders have been reconciled.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OrderWatermarks: Send + Sync + 'static {
    /// The watermark of `store`; `None` before its first reconciliation of orders.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn get(&self, store: &StoreCode) -> Result<Option<NaiveDateTime>, StorageError>;

    /// Moves the watermark of `store` to `to`, never backwards.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn advance(&self, store: &StoreCode, to: NaiveDateTime) -> Result<(), StorageError>;
}

/// Per source store, the `date_upd` up to which incremental passes have read its changed products.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait CatalogWatermarks: Send + Sync + 'static {
    /// The watermark of `store`; `None` before its first pass.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn get(&self, store: &StoreCode) -> Result<Option<NaiveDateTime>, StorageError>;

    /// Moves the watermark of `store` to `to`, never backwards.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn advance(&self, store: &StoreCode, to: NaiveDateTime) -> Result<(), StorageError>;
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
