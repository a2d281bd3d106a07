//! The source pass of a reconciliation: the source catalog, page by page, brings the hub's known state of
//! each SKU up to date where the source differs.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::ports::SourceListing;
use super::{
    progress::{ReconcileProgress, Stage},
    run::{Reconcile, ReconcileError, ReconcileReport, StockRows},
};
use crate::{
    catalog::SourceProductState,
    errors::StorageError,
    model::{CombinationData, EventId, ProductData, Sku, StoreCode},
};

impl Reconcile {
    /// Reads the source and records every state that differs from the known one; returns those SKUs.
    ///
    /// Every page is read before anything is applied: a reference two source products share is applied
    /// for neither (never guessed), and reported with their ids.
    pub(super) async fn reconcile_source(
        &self,
        source: &StoreCode,
        since: Option<NaiveDateTime>,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<Vec<Sku>, ReconcileError> {
        let stage = Stage::Source;
        progress.started(&stage, None);
        let mut read: Vec<(SourceListing, DateTime<Utc>)> = Vec::new();
        let mut offset = 0;
        loop {
            // Ordered by the moment just before the read: a change that happened later wins over this one.
            let read_at = Utc::now();
            let page = match self
                .read_page(source, || self.catalog.source_page(source, since, offset, self.page_size))
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    progress.finished(&stage, Some(&e.to_string()));
                    return Err(ReconcileError::Source(e));
                }
            };
            report.source_products += page.items.len() as u64;
            report.count_call(source, page.calls);
            progress.advanced(&stage, page.items.len() as u64);
            read.extend(page.items.into_iter().map(|i| (i, read_at)));
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        let updated = self.apply_source_listings(read, report).await?;
        progress.finished(&stage, None);
        Ok(updated)
    }

    /// The incremental source pass: reads the products whose `date_upd` moved since the watermark and those
    /// whose stock rows changed since this process's last pass (all of them on its first), plus the
    /// products a read reference was known from (so a reference now on two products is seen as such);
    /// brings their known states up to date and returns the SKUs updated.
    pub(super) async fn source_changes(
        &self,
        source: &StoreCode,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<Vec<Sku>, ReconcileError> {
        let stage = Stage::Source;
        progress.started(&stage, None);
        let result = self.read_source_changes(source, report, progress).await;
        progress.finished(&stage, result.as_ref().err().map(ToString::to_string).as_deref());
        let (read, stock, high) = result?;
        let updated = self.apply_source_listings(read, report).await?;
        // Only once applied: a pass that failed before leaves the next one to read the same changes.
        *self.stock_seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(stock);
        if let (Some(marks), Some(high)) = (&self.watermarks, high) {
            marks.advance(source, high).await?;
        }
        Ok(updated)
    }

    /// What [`Reconcile::source_changes`] reads: the listings with the time of their read, the source's stock
    /// rows, and the highest `date_upd` read.
    #[allow(clippy::type_complexity)]
    async fn read_source_changes(
        &self,
        source: &StoreCode,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<(Vec<(SourceListing, DateTime<Utc>)>, StockRows, Option<NaiveDateTime>), ReconcileError> {
        // Stock rows first: a write after this list is seen by the next pass, as it differs from this one.
        let mut stock: StockRows = HashMap::new();
        let mut offset = 0;
        loop {
            let page = self
                .read_page(source, || self.catalog.source_stock_page(source, offset, STOCK_PAGE))
                .await
                .map_err(ReconcileError::Source)?;
            report.count_call(source, page.calls);
            report.stock_rows += page.items.len() as u64;
            stock.extend(page.items.iter().map(|r| ((r.product_id, r.combination_id), r.quantity)));
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        let previous = self.stock_seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mark = match &self.watermarks {
            Some(marks) => marks.get(source).await?,
            None => None,
        };
        // Without a previous list of this process or a watermark, every product may have changed.
        let since = match (&previous, mark) {
            (Some(_), Some(mark)) => Some(mark - WATERMARK_OVERLAP),
            _ => None,
        };
        let mut read: Vec<(SourceListing, DateTime<Utc>)> = Vec::new();
        let mut offset = 0;
        loop {
            let read_at = Utc::now();
            let page = self
                .read_page(source, || self.catalog.source_page(source, since, offset, self.page_size))
                .await
                .map_err(ReconcileError::Source)?;
            report.count_call(source, page.calls);
            report.source_products += page.items.len() as u64;
            progress.advanced(&Stage::Source, page.items.len() as u64);
            read.extend(page.items.into_iter().map(|i| (i, read_at)));
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        let high = read.iter().filter_map(|(i, _)| i.date_upd).max().or(mark);
        let mut have: HashSet<u64> = read.iter().map(|(i, _)| i.id).collect();
        let mut wanted: Vec<u64> = Vec::new();
        if let (Some(previous), Some(_)) = (&previous, since) {
            let changed = stock.iter().filter(|(k, q)| previous.get(k) != Some(q)).map(|((p, _), _)| *p);
            let removed = previous.keys().filter(|k| !stock.contains_key(k)).map(|(p, _)| *p);
            wanted.extend(changed.chain(removed).filter(|p| have.insert(*p)));
        }
        if since.is_some() {
            // A reference read from another product than the hub knew it from: read that one too, so a
            // reference two products now share is seen as ambiguous rather than moved.
            let skus: Vec<Sku> = read.iter().filter_map(|(i, _)| i.reference.clone()).collect();
            let known = self.known(&skus).await?;
            for (item, _) in &read {
                if let Some(k) = item.reference.as_ref().and_then(|sku| known.get(sku))
                    && k.product.source_id != item.id
                    && have.insert(k.product.source_id)
                {
                    wanted.push(k.product.source_id);
                }
            }
        }
        wanted.sort_unstable();
        for chunk in wanted.chunks(self.page_size as usize) {
            let read_at = Utc::now();
            let page = self
                .read_page(source, || self.catalog.source_products(source, chunk))
                .await
                .map_err(ReconcileError::Source)?;
            report.count_call(source, page.calls);
            report.source_products += page.items.len() as u64;
            progress.advanced(&Stage::Source, page.items.len() as u64);
            read.extend(page.items.into_iter().map(|i| (i, read_at)));
        }
        Ok((read, stock, high))
    }

    /// Brings the known state of each listed SKU up to date, except SKUs several listed products share
    /// (those are reported, none of them applied); returns the SKUs updated.
    pub(super) async fn apply_source_listings(
        &self,
        read: Vec<(SourceListing, DateTime<Utc>)>,
        report: &mut ReconcileReport,
    ) -> Result<Vec<Sku>, ReconcileError> {
        let event_id = EventId::parse(&format!("reconcile:{}", Utc::now().timestamp_micros()))
            .map_err(|e| StorageError::Unexpected(e.to_string()))?;
        // References compare as the shop's collation does: case-insensitively.
        let mut ids_by_reference: HashMap<String, Vec<u64>> = HashMap::new();
        for (item, _) in &read {
            if let Some(sku) = &item.reference {
                ids_by_reference.entry(sku.as_str().to_lowercase()).or_default().push(item.id);
            }
        }
        let mut reported: HashSet<String> = HashSet::new();
        let mut usable = Vec::with_capacity(read.len());
        for (item, read_at) in read {
            let Some(sku) = item.reference.clone() else {
                report.source_skipped += 1;
                continue;
            };
            let key = sku.as_str().to_lowercase();
            let ids = &ids_by_reference[&key];
            if ids.len() > 1 {
                report.source_skipped += 1;
                if reported.insert(key) {
                    let mut ids = ids.clone();
                    ids.sort_unstable();
                    ids.dedup();
                    tracing::warn!(sku = %sku, products = ?ids, "reconcile: ambiguous source reference; applied for none");
                    report.ambiguous_references.push((sku, ids));
                }
                continue;
            }
            usable.push((item, sku, read_at));
        }
        let mut updated = Vec::new();
        for chunk in usable.chunks(self.page_size as usize) {
            let skus: Vec<Sku> = chunk.iter().map(|(_, sku, _)| sku.clone()).collect();
            let known = self.known(&skus).await?;
            for (item, sku, read_at) in chunk {
                let known = known.get(sku);
                let Some(observed) = observed_product(item, sku, known.map(|k| &k.product)) else {
                    report.source_skipped += 1;
                    continue;
                };
                if known.is_some_and(|k| same_sync_fields(&k.product, &observed)) {
                    continue;
                }
                let state = SourceProductState::new(observed, event_id.clone(), *read_at, None);
                if self.states.apply_if_newer(&state).await? {
                    tracing::info!(sku = %sku, "reconcile: known state brought up to date from the source");
                    report.states_updated += 1;
                    updated.push(sku.clone());
                }
            }
        }
        Ok(updated)
    }
}

/// Stock rows per list call of an incremental pass: a row is three numbers, so a long page is cheap.
const STOCK_PAGE: u32 = 1000;

/// How far before the watermark an incremental pass reads again: a product saved in the same second as the
/// last one read, or whose transaction committed a little after, is not missed.
pub(super) const WATERMARK_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The earliest a shop's wall-clock time can be in UTC (UTC+14): a state first learnt from a catalog is
/// given that `updated_at`, so the zone of the shop cannot make it look newer than the webhooks to come.
const MAX_ZONE_AHEAD: chrono::TimeDelta = chrono::TimeDelta::hours(14);

/// The source product as read, as a `ProductData`: what the hub knows of it that a catalog does not list
/// (its name; the attributes of its combinations when the listing has none) is kept from `known`.
pub(super) fn observed_product(item: &SourceListing, sku: &Sku, known: Option<&ProductData>) -> Option<ProductData> {
    let combinations = item
        .combinations
        .iter()
        .map(|c| {
            let attributes = if c.attributes.is_empty() {
                known
                    .and_then(|k| k.combinations.iter().find(|kc| kc.source_id == c.source_id))
                    .map(|kc| kc.attributes.clone())
                    .unwrap_or_default()
            } else {
                c.attributes.clone()
            };
            CombinationData::new(c.source_id, c.reference.clone(), c.ean13.clone(), attributes, c.quantity)
        })
        .collect();
    // `date_upd` has no zone: never let it make this state look newer than what a webhook said.
    let updated_at: DateTime<Utc> = match known {
        Some(k) => k.updated_at,
        None => item.date_upd.map(|d| d.and_utc() - MAX_ZONE_AHEAD).unwrap_or_default(),
    };
    let name = known.map(|k| k.name.clone()).unwrap_or_default();
    // A listing names only the default category: what the connector sent (all of them, or none from a module
    // before 1.4.0) is kept; a product the hub never heard of gets its default category.
    let categories = known.map_or_else(|| item.categories.clone(), |k| k.categories.clone());
    ProductData::new(item.id, sku.clone(), name, item.price, item.quantity, item.active, updated_at, combinations)
        .ok()
        .map(|p| p.with_categories(categories))
}

/// Whether two states of a product would make a sync write the same thing.
fn same_sync_fields(a: &ProductData, b: &ProductData) -> bool {
    // Every field of the combinations, attributes included: what the third matching rule compares (a state
    // learnt without them is completed).
    fn combos(p: &ProductData) -> Vec<&CombinationData> {
        let mut v: Vec<&CombinationData> = p.combinations.iter().collect();
        v.sort_by_key(|c| c.source_id);
        v
    }
    a.price == b.price
        && a.active == b.active
        && a.quantity == b.quantity
        && combos(a) == combos(b)
        && a.categories == b.categories
}
