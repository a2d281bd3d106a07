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
                    if contradicts(link, item) {
                        // The sync checks the link on the client before writing anything.
                        self.ask_check(store, &sku).await.map_err(ClientFailure::Hub)?;
                        report.to_check += 1;
                        jobs.push(SyncRequest { store: store.code.clone(), sku });
                        continue;
                    }
                    if let Some(drift) = drift(&target, link, item) {
                        self.record_observed(store, &sku, item.id, &drift).await.map_err(ClientFailure::Hub)?;
                        report.drifted += 1;
                        jobs.push(SyncRequest { store: store.code.clone(), sku });
                    }
                    continue;
                }
                match by_sku.get(&sku).map(|l| l.status) {
                    // A second product with a linked reference: the link no longer holds; its sync checks it
                    // and records it ambiguous (never guessed), writing nothing.
                    Some(LinkStatus::Linked) => {
                        self.ask_check(store, &sku).await.map_err(ClientFailure::Hub)?;
                        report.to_check += 1;
                        jobs.push(SyncRequest { store: store.code.clone(), sku });
                    }
                    // Already reported; a sync after the copy is gone re-links it.
                    Some(LinkStatus::Ambiguous) => {}
                    None | Some(LinkStatus::Unlinked | LinkStatus::Refused) => {
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

    /// Marks the link of `sku` unchecked, so its next sync looks it up on the client before writing (the
    /// reference still on exactly that product, the combinations matched again).
    async fn ask_check(&self, store: &Store, sku: &Sku) -> Result<(), ReconcileError> {
        self.with_link_lease(store, sku, |link| {
            link.verified_at = None;
            true
        })
        .await
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
        self.with_link_lease(store, sku, |link| {
            if link.status != LinkStatus::Linked || link.client_product_id != Some(product_id) {
                return false;
            }
            observed.apply_to(link);
            true
        })
        .await
    }

    /// Changes the link of `sku` with `change` (saved when it answers true) under the sync's lease, so a sync
    /// running now cannot overwrite it with what it believes; a sync holding the lease for long is writing
    /// this SKU now, and the queued sync follows it.
    async fn with_link_lease(
        &self,
        store: &Store,
        sku: &Sku,
        change: impl FnOnce(&mut ProductLink) -> bool + Send,
    ) -> Result<(), ReconcileError> {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let owner = format!("{}#reconcile{}", self.owner, RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        if !wait_for_lease(self.timer.as_ref(), || self.links.lease(&store.code, sku, &owner, RECORD_LEASE)).await? {
            tracing::info!(store = %store.code, sku = %sku, "reconcile: sync busy; queued without recording");
            return Ok(());
        }
        let result = async {
            let Some(mut link) = self.links.get(&store.code, sku).await? else { return Ok(()) };
            if change(&mut link) { self.links.save(&link).await } else { Ok(()) }
        }
        .await;
        if let Err(e) = self.links.release(&store.code, sku, &owner).await {
            tracing::warn!(store = %store.code, sku = %sku, error = %e, "could not release the reconcile lease");
        }
        result.map_err(ReconcileError::from)
    }
}

/// Whether the client's listing of its linked product contradicts the link: the product no longer carries
/// the SKU's reference, a combination of the source matched nothing there, or the product has a
/// combination stock row the link does not know (a combination added since it was matched).
fn contradicts(link: &ProductLink, item: &ClientListing) -> bool {
    let reference_moved = !item.reference.as_deref().is_some_and(|r| r.trim().eq_ignore_ascii_case(link.sku.as_str()));
    let new_combination = item
        .stock
        .iter()
        .any(|row| row.combination_id != 0 && !link.stock_rows.values().any(|(known, _)| *known == row.id));
    reference_moved || !link.unmatched_combinations.is_empty() || new_combination
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
