//! Replication: a retailer's order becomes exactly one valid order on the wholesaler's store, and the
//! stock that order took there is echoed back to every retailer.

mod call_off;
mod order_lease;
pub mod ports;
pub mod replicate;
pub mod status;
pub mod stock_echo;

#[cfg(test)]
pub use ports::{MockOrderLinks, MockRetailerShops, MockSourceShop};
pub use ports::{
    OrderLink, OrderLinkStatus, OrderLinks, OrderPlan, Refusal, RetailerOrder, RetailerShops, SourceCarrier,
    SourceError, SourceLine, SourceOrder, SourceShop,
};
pub use replicate::{ReplicateOrder, Replication};
pub use status::{FollowSourceOrder, StatusOutcome};
