//! The catalog: the source's products reach every client store. A product event updates the hub's latest
//! known state of its SKU and fans out one sync per client; a sync matches the SKU to the client's product
//! and writes the client's target (price rule, stock buffer) through its Webservice.

pub mod fan_out;
pub mod matching;
pub mod owed;
pub mod ports;
pub mod publish;
pub mod publishing;
pub mod sync;
pub mod target;

pub use fan_out::{FanOut, FanOutProduct};
pub use owed::SweepOwedSyncs;
pub use ports::{
    Applied, LinkStatus, Lookup, OwedSyncs, ProductLink, ProductLinks, ProductStates, Publication, RemoteCombination,
    RemoteProduct, RemoteStockRow, SourceProductState, StoreGateway,
};
#[cfg(test)]
pub use ports::{MockOwedSyncs, MockProductLinks, MockProductStates, MockStoreGateway};
pub use publish::{Created, Plan, Publisher};
pub use publishing::{
    ClientCatalogs, ClientShop, LangTexts, NewAttribute, NewCombination, NewProduct, ProductSheet, ProductTexts,
    Refusal, SheetAttribute, SheetCombination, SourceSheets, Texts, plan,
};
pub use sync::{LINK_VERIFY_AFTER, SyncOutcome, SyncProductToStore};
pub use target::Target;
