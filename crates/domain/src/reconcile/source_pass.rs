//! The source pass of a reconciliation: the source catalog, page by page, brings the hub's known state of
//! each SKU up to date where the source differs.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::ports::SourceListing;
use super::{
    progress::{ReconcileProgress, Stage},
    run::{Reconcile, ReconcileError, ReconcileReport},
};
use crate::{
    catalog::SourceProductState,
    errors::StorageError,
    model::{CombinationData, EventId, ProductData, Sku, StoreCode},
};

impl Reconcile {
    /// Reads the source and records every state that differs from the known one; returns those SKUs.
    pub(super) async fn reconcile_source(
        &self,
        source: &StoreCode,
        since: Option<NaiveDateTime>,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<Vec<Sku>, ReconcileError> {
        let stage = Stage::Source;
        progress.started(&stage, None);
        let run_started = Utc::now();
        let event_id = EventId::parse(&format!("reconcile:{}", run_started.timestamp_micros()))
            .map_err(|e| StorageError::Unexpected(e.to_string()))?;
        let mut seen: HashSet<String> = HashSet::new();
        let mut updated = Vec::new();
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
            let skus: Vec<Sku> = page.items.iter().filter_map(|i| i.reference.clone()).collect();
            let known = self.known(&skus).await?;
            for item in &page.items {
                let Some(sku) = &item.reference else {
                    report.source_skipped += 1;
                    continue;
                };
                if !seen.insert(sku.as_str().to_lowercase()) {
                    tracing::warn!(sku = %sku, product = item.id, "reconcile: reference shared by several source products");
                    report.source_skipped += 1;
                    continue;
                }
                let known = known.get(sku);
                let Some(observed) = observed_product(item, sku, known.map(|k| &k.product)) else {
                    report.source_skipped += 1;
                    continue;
                };
                if known.is_some_and(|k| same_sync_fields(&k.product, &observed)) {
                    continue;
                }
                let state = SourceProductState::new(observed, event_id.clone(), read_at, None);
                if self.states.apply_if_newer(&state).await? {
                    tracing::info!(sku = %sku, "reconcile: known state brought up to date from the source");
                    report.states_updated += 1;
                    updated.push(sku.clone());
                }
            }
            progress.advanced(&stage, page.items.len() as u64);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        progress.finished(&stage, None);
        Ok(updated)
    }
}

/// The earliest a shop's wall-clock time can be in UTC (UTC+14): a state first learnt from a catalog is
/// given that `updated_at`, so the zone of the shop cannot make it look newer than the webhooks to come.
const MAX_ZONE_AHEAD: chrono::TimeDelta = chrono::TimeDelta::hours(14);

/// The source product as read, as a `ProductData`: what the hub knows of it that a catalog does not list
/// (its name, the attributes of its combinations) is kept from `known`.
pub(super) fn observed_product(item: &SourceListing, sku: &Sku, known: Option<&ProductData>) -> Option<ProductData> {
    let combinations = item
        .combinations
        .iter()
        .map(|c| {
            let attributes = known
                .and_then(|k| k.combinations.iter().find(|kc| kc.source_id == c.source_id))
                .map(|kc| kc.attributes.clone())
                .unwrap_or_default();
            CombinationData::new(c.source_id, c.reference.clone(), c.ean13.clone(), attributes, c.quantity)
        })
        .collect();
    // `date_upd` has no zone: never let it make this state look newer than what a webhook said.
    let updated_at: DateTime<Utc> = match known {
        Some(k) => k.updated_at,
        None => item.date_upd.map(|d| d.and_utc() - MAX_ZONE_AHEAD).unwrap_or_default(),
    };
    let name = known.map(|k| k.name.clone()).unwrap_or_default();
    ProductData::new(item.id, sku.clone(), name, item.price, item.quantity, item.active, updated_at, combinations).ok()
}

/// Whether two states of a product would make a sync write the same thing.
fn same_sync_fields(a: &ProductData, b: &ProductData) -> bool {
    let combos = |p: &ProductData| {
        let mut v: Vec<(u64, Option<String>, Option<String>, i64)> = p
            .combinations
            .iter()
            .map(|c| (c.source_id, c.reference.as_ref().map(|r| r.as_str().to_owned()), c.ean13.clone(), c.quantity))
            .collect();
        v.sort();
        v
    };
    a.price == b.price && a.active == b.active && a.quantity == b.quantity && combos(a) == combos(b)
}
