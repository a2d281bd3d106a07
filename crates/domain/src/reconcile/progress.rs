//! Where a reconciliation run stands, for a command line's progress bars or a log.

use crate::model::StoreCode;

/// What a run works on, for progress reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Reading the source catalog.
    Source,
    /// Comparing one client.
    Client(StoreCode),
    /// Listing one client's valid orders.
    Orders(StoreCode),
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Source => f.write_str("source"),
            Stage::Client(code) => write!(f, "client {code}"),
            Stage::Orders(code) => write!(f, "orders {code}"),
        }
    }
}

/// Where a run stands, for a command line's progress bars or a log. Called from the run's task.
pub trait ReconcileProgress: Send + Sync {
    /// `stage` begins; `expected` products when known (an estimate for clients: the source's count).
    fn started(&self, stage: &Stage, expected: Option<u64>);
    /// `products` (orders, in an orders stage) more were handled in `stage`.
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
