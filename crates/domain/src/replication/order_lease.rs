//! The order link's lease: the one lock every job of one client order takes (replication, the source's
//! status reports, the retailer's cancellations), so two of them never act on one order at once.

use super::ports::OrderLinks;
use crate::{
    jobs::JobError,
    lease::{LEASE_TTL, Timer, renewing_lease},
    model::StoreCode,
};

/// Runs `work` holding the lease of the order link (`client`, `order`) for this worker (`owner`, made unique
/// per run), renewed while it runs and given back after; a lease held elsewhere is retryable (`doing` says
/// what the other holder is doing, for the message).
pub(super) async fn under_order_lease<T>(
    links: &dyn OrderLinks,
    timer: &dyn Timer,
    client: &StoreCode,
    order: u64,
    owner: &str,
    doing: &str,
    work: impl std::future::Future<Output = Result<T, JobError>>,
) -> Result<T, JobError> {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let owner = format!("{owner}#{}", RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    if !links.lease(client, order, &owner, LEASE_TTL).await? {
        return Err(JobError::Retryable(format!("order {client}/{order} is being {doing} elsewhere")));
    }
    let result = renewing_lease(timer, LEASE_TTL, work, || links.lease(client, order, &owner, LEASE_TTL)).await;
    if let Err(e) = links.release(client, order, &owner).await {
        tracing::warn!(store = %client, order, error = %e, "could not release the order lease");
    }
    result
}
