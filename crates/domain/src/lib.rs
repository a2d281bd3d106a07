//! Fulfillment Hub's business core: the values a store sends us, the ports the adapters implement and the
//! use cases that tie them together. No web framework, ORM, queue or HTTP client is known here.

pub mod event;
pub mod money;
pub mod operations;
pub mod order;
pub mod orders;
pub mod ports;
pub mod product;
pub mod reconcile;
pub mod secret;
pub mod services;
pub mod store;
pub mod sync;

pub use event::{EventId, EventKind, EventStatus, NewEvent, StoredEvent};
pub use money::Money;
pub use order::{Address, Customer, OrderData, OrderLine};
pub use product::{CombinationData, ProductData, Sku};
pub use secret::Secret;
pub use store::{PriceRule, StaticStoreDirectory, Store, StoreCode, StoreDirectory, StoreRole};

/// A value failed the domain's rules; `field` is the dotted path of the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    /// Dotted path of the field, e.g. `product.price`.
    pub field: String,
    /// Human-readable reason.
    pub message: String,
}

impl InvalidValue {
    /// Builds an error for `field` with `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// Prefixes the field path with `parent.` (used when a nested value is validated on its own).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() { parent.to_owned() } else { format!("{parent}.{}", self.field) };
        self
    }
}
