//! The values the hub deals in: what a store sends (products, orders, the event envelope), who sends it
//! (stores, their keys and price rules) and money. Each value validates itself when it is built.

pub mod catalog_policy;
pub mod combination;
pub mod event;
pub mod money;
pub mod order;
pub mod order_status;
pub mod product;
pub mod secret;
pub mod store;

pub use catalog_policy::{
    CatalogPolicy, CategoryPriceRule, ContentPolicy, PriceRule, Selected, Selection, price_rule_for,
};
pub use combination::{CombinationCandidate, CombinationIdentity, CombinationMatch, match_combination};
pub use event::{EventId, EventKind, EventPayload, EventStatus, NewEvent, StoredEvent};
pub use money::Money;
pub use order::{Address, Customer, OrderData, OrderLine, OrderedCombination};
pub use order_status::{OrderStage, OrderStateMap, OrderStatusData};
pub use product::{CombinationData, ProductData, Sku};
pub use secret::Secret;
pub use store::{StaticStoreDirectory, Store, StoreCode, StoreDirectory, StoreRole};
