//! What replication needs from the outside world: the order links (exactly-once bookkeeping) and the
//! source shop, where the order is created.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    errors::{GatewayError, StorageError},
    model::{Money, OrderData, ProductData, Sku, StoreCode},
};

/// Where a client order stands on the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderLinkStatus {
    /// Being replicated.
    Pending,
    /// Not forwarded: the retailer's order is not valid (paid) yet.
    WaitingPayment,
    /// Created on the source.
    Created,
    /// Refused for a reason retrying cannot fix (named in `error`).
    Failed,
}

impl OrderLinkStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderLinkStatus::Pending => "pending",
            OrderLinkStatus::WaitingPayment => "waiting_payment",
            OrderLinkStatus::Created => "created",
            OrderLinkStatus::Failed => "failed",
        }
    }
}

/// A client order and what became of it on the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLink {
    /// The retailer.
    pub client_store: StoreCode,
    /// The order id there.
    pub client_order_id: u64,
    /// The order reference there.
    pub client_reference: String,
    /// Where it stands.
    pub status: OrderLinkStatus,
    /// The cart created on the source (the exactly-once marker).
    pub source_cart_id: Option<u64>,
    /// The order created on the source.
    pub source_order_id: Option<u64>,
    /// Its reference.
    pub source_reference: Option<String>,
    /// Its state id on the source.
    pub source_state: Option<String>,
    /// Why it failed (a stable reason code first, e.g. `unknown_sku: WHS-9`).
    pub error: Option<String>,
    /// The order exists on the source but its stock is still to be read back and fanned out to the
    /// clients: a retry of the job does it before anything else (absent in links stored before: done).
    #[serde(default)]
    pub stock_echo_pending: bool,
    /// The carrier of the source order (its id there).
    #[serde(default)]
    pub carrier_id: Option<u64>,
    /// That carrier's name.
    #[serde(default)]
    pub carrier_name: Option<String>,
    /// The shipping the source charged, tax included (`total_shipping_tax_incl` of its order).
    #[serde(default)]
    pub shipping_tax_incl: Option<Money>,
    /// The source state's name, as the source reported it.
    #[serde(default)]
    pub source_state_name: Option<String>,
    /// The tracking number of the source order's carrier, as the source reported it.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// The client order's state as last seen (its webhooks, or read by the hub), or as the hub set it.
    #[serde(default)]
    pub client_state: Option<String>,
    /// The tracking number the hub set on the client order's carrier.
    #[serde(default)]
    pub client_tracking: Option<String>,
    /// The connector's sequence of the latest source status applied (an older one changes nothing).
    #[serde(default)]
    pub status_sequence: Option<u64>,
    /// When the latest source status applied happened (for the statuses the hub read itself).
    #[serde(default)]
    pub status_at: Option<DateTime<Utc>>,
    /// The source's state and tracking number are recorded but not yet carried to the client order: a
    /// retry carries them, whatever event it runs for.
    #[serde(default)]
    pub client_update_pending: bool,
    /// The retailer called the order off (cancelled or refunded) and the hub acted on it: cancelled the
    /// source order, or found it shipped already.
    #[serde(default)]
    pub client_call_off_handled: bool,
    /// When the hub last carried a state or tracking number from one shop to the other.
    #[serde(default)]
    pub status_updated_at: Option<DateTime<Utc>>,
    /// Something for the wholesaler to handle (e.g. cancelled at the retailer after it was shipped).
    #[serde(default)]
    pub attention: Option<String>,
    /// The event that brought it last.
    pub event_id: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl OrderLink {
    /// A new link of client order `client_order_id` of `client_store`, `pending`, brought by `event_id`.
    pub fn new(client_store: StoreCode, client_order_id: u64, client_reference: String, event_id: String) -> Self {
        Self {
            client_store,
            client_order_id,
            client_reference,
            status: OrderLinkStatus::Pending,
            source_cart_id: None,
            source_order_id: None,
            source_reference: None,
            source_state: None,
            error: None,
            stock_echo_pending: false,
            carrier_id: None,
            carrier_name: None,
            shipping_tax_incl: None,
            source_state_name: None,
            tracking_number: None,
            client_state: None,
            client_tracking: None,
            status_sequence: None,
            status_at: None,
            client_update_pending: false,
            client_call_off_handled: false,
            status_updated_at: None,
            attention: None,
            event_id,
            updated_at: Utc::now(),
        }
    }
}

/// The order links.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OrderLinks: Send + Sync + 'static {
    /// The link of a client order.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn get(&self, store: &StoreCode, client_order_id: u64) -> Result<Option<OrderLink>, StorageError>;

    /// Inserts or replaces a link.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn save(&self, link: &OrderLink) -> Result<(), StorageError>;

    /// Exclusive right to replicate this order for `ttl`, across processes; false when held elsewhere.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn lease(
        &self,
        store: &StoreCode,
        client_order_id: u64,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StorageError>;

    /// Gives the lease back.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn release(&self, store: &StoreCode, client_order_id: u64, owner: &str) -> Result<(), StorageError>;

    /// The link whose source order is `source_order_id`, else the one whose source cart is `cart_id` (its
    /// order id may not be recorded yet).
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn find_by_source(
        &self,
        source_order_id: u64,
        cart_id: Option<u64>,
    ) -> Result<Option<OrderLink>, StorageError>;

    /// The links of orders created on the source and changed since `since`, at most `limit`, most recent
    /// first: the orders whose state and tracking number a reconciliation compares.
    ///
    /// # Errors
    /// When the database cannot be reached.
    async fn created_since(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<OrderLink>, StorageError>;
}

/// An order line resolved to the source's catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    /// The reference ordered (the product's or a combination's).
    pub sku: Sku,
    /// The reference of the product it belongs to: the key of the hub's product state.
    pub product_sku: Sku,
    /// Source product id.
    pub product_id: u64,
    /// Source combination id (0: none).
    pub combination_id: u64,
    /// Quantity.
    pub quantity: u32,
}

/// Everything an order needs on the source, resolved before anything is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPlan {
    /// Lines.
    pub lines: Vec<SourceLine>,
    /// Currency id there.
    pub currency_id: u64,
    /// Delivery country id there.
    pub country_id: u64,
    /// The carrier the cart is delivered by (set as its `delivery_option`).
    pub carrier: Option<SourceCarrier>,
}

/// A carrier of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCarrier {
    /// Its id there.
    pub id: u64,
    /// Its name.
    pub name: String,
}

/// An order on the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOrder {
    /// Its id.
    pub id: u64,
    /// Its reference.
    pub reference: String,
    /// Its current state id.
    pub state: String,
    /// Whether PrestaShop counts it as valid (paid, stock taken).
    pub valid: bool,
    /// Its total, tax included.
    pub total_paid_tax_incl: Money,
    /// Its carrier.
    pub carrier: Option<SourceCarrier>,
    /// The shipping charged, tax included.
    pub shipping_tax_incl: Money,
}

impl SourceOrder {
    /// PS_OS_ERROR (state 8, "Payment error") or not valid: PrestaShop took no stock and counts no sale,
    /// so the order is not a replication of the retailer's (FACTS.md §5.4).
    pub fn in_payment_error(&self) -> bool {
        self.state == "8" || !self.valid
    }
}

/// Why an order cannot be replicated (retrying cannot help).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Refusal {
    /// Stable reason: `unknown_sku`, `ambiguous_sku`, `ambiguous_combination`, `combination_not_matched`,
    /// `currency_not_available`, `country_not_available`, `no_carrier`, `missing_address_field`,
    /// `payment_error`.
    pub code: &'static str,
    /// What exactly.
    pub detail: String,
}

/// A failure talking to the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The order cannot be replicated as it is.
    #[error(transparent)]
    Refused(Refusal),
    /// A store call failed.
    #[error(transparent)]
    Gateway(GatewayError),
}

impl From<GatewayError> for SourceError {
    fn from(e: GatewayError) -> Self {
        SourceError::Gateway(e)
    }
}

/// The wholesaler's shop, as order replication needs it.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait SourceShop: Send + Sync + 'static {
    /// Resolves lines (a combination line to the source combination it names), currency, country and
    /// carrier (the retailer's carrier mapped for `retailer`, else the shop's default); refuses an unknown or
    /// ambiguous SKU or combination, a line of a product with combinations that names none of them, a
    /// currency or country the source lacks, or an address missing what the country requires.
    ///
    /// # Errors
    /// [`SourceError::Refused`] with the reason; gateway failures.
    async fn plan(&self, retailer: &StoreCode, order: &OrderData) -> Result<OrderPlan, SourceError>;

    /// The B2B customer that orders for `retailer` (found by e-mail, created when missing); returns its id.
    ///
    /// # Errors
    /// Gateway failures.
    async fn customer_for(&self, retailer: &StoreCode) -> Result<u64, SourceError>;

    /// Creates the delivery address and the cart; returns the cart id.
    ///
    /// # Errors
    /// Gateway failures; a refusal for an address the shop rejects.
    async fn create_cart(&self, customer_id: u64, order: &OrderData, plan: &OrderPlan) -> Result<u64, SourceError>;

    /// The order already made from `cart_id`, if any.
    ///
    /// # Errors
    /// Gateway failures.
    async fn order_for_cart(&self, cart_id: u64) -> Result<Option<SourceOrder>, SourceError>;

    /// Orders the cart with the source's own total (from its connector), and reads the order back.
    ///
    /// # Errors
    /// Gateway failures; [`Refusal`] `payment_error` when the shop put the order in payment error.
    async fn order_cart(
        &self,
        cart_id: u64,
        customer_id: u64,
        order: &OrderData,
        plan: &OrderPlan,
    ) -> Result<SourceOrder, SourceError>;

    /// The source's current stock per ordered reference: (product-level quantity, per combination id).
    ///
    /// # Errors
    /// Gateway failures.
    async fn stock(&self, product_id: u64) -> Result<Vec<(u64, i64)>, SourceError>;

    /// The source order `order_id` as it is now; `None` when there is none.
    ///
    /// # Errors
    /// Gateway failures.
    async fn order(&self, order_id: u64) -> Result<Option<SourceOrder>, SourceError>;

    /// Moves the source order to `state` through PrestaShop's own state change (`order_histories`), which
    /// restocks on a cancellation; no e-mail to the B2B customer.
    ///
    /// # Errors
    /// Gateway failures.
    async fn set_state(&self, order_id: u64, state: u64) -> Result<(), SourceError>;

    /// The product as the source has it now (reference, price, active, combinations with their attributes
    /// and stock); `None` when it is gone or has no usable reference. For a product the hub has no state of.
    ///
    /// # Errors
    /// Gateway failures.
    async fn product(&self, product_id: u64) -> Result<Option<ProductData>, SourceError>;
}

/// A retailer's order as the hub reads and moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetailerOrder {
    /// Its current state id.
    pub state: String,
    /// The tracking number of its carrier (`None` when empty, or when it has no carrier).
    pub tracking_number: Option<String>,
}

/// The retailers' shops, as the return path needs them: their orders' state and tracking number.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait RetailerShops: Send + Sync + 'static {
    /// The order `order_id` of `store`; `None` when the shop has no such order.
    ///
    /// # Errors
    /// Gateway failures.
    async fn order(&self, store: &StoreCode, order_id: u64) -> Result<Option<RetailerOrder>, GatewayError>;

    /// Sets the tracking number on the order's carrier, with the e-mail the shop sends the customer for a
    /// new tracking number (PrestaShop's `in_transit`, with the tracking link).
    ///
    /// # Errors
    /// Gateway failures; [`GatewayError::Permanent`] when the order has no carrier to carry it.
    async fn set_tracking(&self, store: &StoreCode, order_id: u64, tracking: &str) -> Result<(), GatewayError>;

    /// Moves the order to `state` through the shop's own state change, with the e-mail the state sends
    /// to the customer (`order_histories?sendemail=1`).
    ///
    /// # Errors
    /// Gateway failures.
    async fn set_state(&self, store: &StoreCode, order_id: u64, state: u64) -> Result<(), GatewayError>;
}
