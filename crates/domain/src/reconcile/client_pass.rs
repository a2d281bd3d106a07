//! The client pass of a reconciliation: each client's catalog, page by page, is compared with the targets
//! the sync computes; what drifted is recorded as shown and synced again.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use super::{
    ports::ClientListing,
    progress::{ReconcileProgress, Stage},
    run::{ClientFailure, Reconcile, ReconcileError, ReconcileReport},
};
use crate::{
    catalog::{LinkStatus, ProductLink, Target},
    jobs::SyncRequest,
    lease::wait_for_lease,
    model::{Money, Sku, Store},
};

/// How long recording what a client shows may hold the sync's lease.
const RECORD_LEASE: Duration = Duration::from_secs(30);

impl Reconcile {
    /// Compares one client with the targets and queues a sync for every drifted or unlinked SKU.
    pub(super) async fn reconcile_client(
        &self,
        store: &Store,
        stage: &Stage,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<(), ClientFailure> {
        let links = self.links.of_store(&store.code).await.map_err(|e| ClientFailure::Hub(e.into()))?;
        let by_product: HashMap<u64, &ProductLink> = links
            .iter()
            .filter(|l| l.status == LinkStatus::Linked)
            .filter_map(|l| l.client_product_id.map(|id| (id, l)))
            .collect();
        let by_sku: HashMap<&Sku, &ProductLink> = links.iter().map(|l| (&l.sku, l)).collect();
        let mut seen_linked: HashSet<u64> = HashSet::new();
        let mut offset = 0;
        loop {
            let page = self
                .read_page(&store.code, || self.catalog.client_page(&store.code, offset, self.page_size))
                .await
                .map_err(ClientFailure::Store)?;
            report.count_call(&store.code, page.calls);
            report.client_products += page.items.len() as u64;
            // The SKU each product stands for: its link's, else its own reference.
            let skus: Vec<Option<Sku>> = page
                .items
                .iter()
                .map(|item| match by_product.get(&item.id) {
                    Some(link) => Some(link.sku.clone()),
                    None => item.reference.as_deref().and_then(|r| Sku::parse(r).ok()),
                })
                .collect();
            let wanted: Vec<Sku> = skus.iter().flatten().cloned().collect();
            let known = self.known(&wanted).await.map_err(|e| ClientFailure::Hub(e.into()))?;
            let mut jobs = Vec::new();
            for (item, sku) in page.items.iter().zip(skus) {
                let Some(sku) = sku else { continue };
                let Some(state) = known.get(&sku) else { continue };
                let target = Target::for_client(&state.product, store);
                if let Some(link) = by_product.get(&item.id) {
                    seen_linked.insert(item.id);
                    if let Some(drift) = drift(&target, link, item) {
                        self.record_observed(store, &sku, item.id, &drift).await.map_err(ClientFailure::Hub)?;
                        report.drifted += 1;
                        jobs.push(SyncRequest { store: store.code.clone(), sku });
                    }
                    continue;
                }
                match by_sku.get(&sku).map(|l| l.status) {
                    // A second product with a linked reference, or one left as ambiguous: never guessed.
                    Some(LinkStatus::Linked | LinkStatus::Ambiguous) => {}
                    None | Some(LinkStatus::Unlinked) => {
                        report.to_link += 1;
                        jobs.push(SyncRequest { store: store.code.clone(), sku });
                    }
                }
            }
            self.enqueue(&jobs, report).await.map_err(ClientFailure::Hub)?;
            progress.advanced(stage, page.items.len() as u64);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        // Linked products the client no longer lists: forget what was applied, so the sync writes, meets the
        // 404 and looks the reference up again.
        let mut jobs = Vec::new();
        for (id, link) in &by_product {
            if seen_linked.contains(id)
                || self.states.latest(&link.sku).await.map_err(|e| ClientFailure::Hub(e.into()))?.is_none()
            {
                continue;
            }
            let gone = Observed { product_id: *id, price: None, active: None, stock: Vec::new(), forget_all: true };
            self.record_observed(store, &link.sku, *id, &gone).await.map_err(ClientFailure::Hub)?;
            report.drifted += 1;
            jobs.push(SyncRequest { store: store.code.clone(), sku: link.sku.clone() });
        }
        self.enqueue(&jobs, report).await.map_err(ClientFailure::Hub)
    }

    /// Writes what the client really shows into the link's `applied` values, under the sync's lease so a
    /// sync running now cannot overwrite it with what it believes.
    async fn record_observed(
        &self,
        store: &Store,
        sku: &Sku,
        product_id: u64,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let owner = format!("{}#reconcile{}", self.owner, RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        if !wait_for_lease(self.timer.as_ref(), || self.links.lease(&store.code, sku, &owner, RECORD_LEASE)).await? {
            // A sync holds it for long: it is writing this SKU now; the queued sync follows it.
            tracing::info!(store = %store.code, sku = %sku, "reconcile: sync busy; queued without recording");
            return Ok(());
        }
        let result = async {
            let Some(mut link) = self.links.get(&store.code, sku).await? else { return Ok(()) };
            if link.status != LinkStatus::Linked || link.client_product_id != Some(product_id) {
                return Ok(());
            }
            observed.apply_to(&mut link);
            self.links.save(&link).await
        }
        .await;
        if let Err(e) = self.links.release(&store.code, sku, &owner).await {
            tracing::warn!(store = %store.code, sku = %sku, error = %e, "could not release the reconcile lease");
        }
        result.map_err(ReconcileError::from)
    }
}

/// What a client shows where it differs from the target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observed {
    product_id: u64,
    price: Option<Money>,
    active: Option<bool>,
    /// Stock row id → quantity shown (`None`: the row is gone).
    stock: Vec<(u64, Option<i64>)>,
    /// The product is gone: forget everything applied.
    forget_all: bool,
}

impl Observed {
    fn apply_to(&self, link: &mut ProductLink) {
        if self.forget_all {
            link.applied = Default::default();
            return;
        }
        if let Some(price) = self.price {
            link.applied.price = Some(price);
        }
        if let Some(active) = self.active {
            link.applied.active = Some(active);
        }
        for (row, quantity) in &self.stock {
            match quantity {
                Some(q) => link.applied.stock.insert(*row, *q),
                None => link.applied.stock.remove(row),
            };
        }
    }
}

/// How `item` differs from `target` on the fields the sync writes, or `None` when it shows the target.
fn drift(target: &Target, link: &ProductLink, item: &ClientListing) -> Option<Observed> {
    let price = (item.price != target.price).then_some(item.price);
    let active = (item.active != target.active).then_some(item.active);
    let stock: Vec<(u64, Option<i64>)> = target
        .stock_rows(link)
        .into_iter()
        .filter_map(|(row, _, quantity)| {
            let shown = item.stock.iter().find(|r| r.id == row).map(|r| r.quantity);
            (shown != Some(quantity)).then_some((row, shown))
        })
        .collect();
    // Price and active are written together: a drift of one records both as shown.
    let (price, active) =
        if price.is_some() || active.is_some() { (Some(item.price), Some(item.active)) } else { (None, None) };
    (price.is_some() || !stock.is_empty()).then_some(Observed {
        product_id: item.id,
        price,
        active,
        stock,
        forget_all: false,
    })
}
