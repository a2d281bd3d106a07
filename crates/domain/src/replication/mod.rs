//! Replication: a retailer's order becomes exactly one valid order on the wholesaler's store, and the
//! stock that order took there is echoed back to every retailer.

pub mod ports;
pub mod replicate;
pub mod stock_echo;

#[cfg(test)]
pub use ports::{MockOrderLinks, MockSourceShop};
pub use ports::{
    OrderLink, OrderLinkStatus, OrderLinks, OrderPlan, Refusal, SourceCarrier, SourceError, SourceLine, SourceOrder,
    SourceShop,
};
pub use replicate::{ReplicateOrder, Replication};
