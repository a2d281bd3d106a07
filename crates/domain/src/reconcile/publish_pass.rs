//! The publish pass of `hub publish --store X`: the source catalog, page by page, against a client that
//! publishes. Each selected product the client has not linked yet is queued for its sync (which creates
//! it); with `--dry-run` nothing is queued or written, and each product is described instead: linked
//! already, on the client by its reference (would be linked), would be created (with what), or cannot be
//! (and why: no matching tax rules group, no text for a client language…).

use std::collections::{HashMap, HashSet};

use super::run::{Reconcile, ReconcileError};
use crate::{
    catalog::{ClientCatalogs, LinkStatus, SourceSheets, plan},
    jobs::SyncRequest,
    model::{Sku, Store},
};

/// What the pass found for one product (dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// The client has a product with the reference: the sync links it.
    Link,
    /// It would be created: a short description (combinations, images, categories).
    Create(String),
    /// It cannot be: why.
    Cannot(String),
}

/// What `hub publish` did or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Source products listed (with a usable reference).
    pub listed: u64,
    /// Of them, in the store's selection.
    pub selected: u64,
    /// Of those, already linked on the client.
    pub linked: u64,
    /// Syncs queued (not in a dry run).
    pub queued: Vec<Sku>,
    /// Dry run: each selected product not linked yet, and what would happen to it.
    pub planned: Vec<(Sku, Planned)>,
    /// Webservice calls.
    pub calls: u64,
}

/// The readers a dry run describes products with.
pub struct DryRun<'a> {
    /// The source's product sheets.
    pub sheets: &'a dyn SourceSheets,
    /// The client's languages, tax rules groups.
    pub clients: &'a dyn ClientCatalogs,
}

impl Reconcile {
    /// Runs the publish pass for `store` (see the module's documentation); `progress` gets the products
    /// listed so far.
    ///
    /// # Errors
    /// The source or the client cannot be read, the database or the queue is unavailable.
    pub async fn publish_pass(
        &self,
        source: &Store,
        store: &Store,
        dry_run: Option<DryRun<'_>>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<PublishReport, ReconcileError> {
        let mut report = PublishReport::default();
        let links: HashMap<Sku, LinkStatus> =
            self.links.of_store(&store.code).await?.into_iter().map(|l| (l.sku, l.status)).collect();
        // A dry run tells "on the client already" from "to create" by the client's references.
        let mut client_refs: HashSet<String> = HashSet::new();
        if dry_run.is_some() {
            let mut offset = 0;
            loop {
                let page = self
                    .read_page(&store.code, || self.catalog.client_page(&store.code, offset, self.page_size))
                    .await
                    .map_err(ReconcileError::Source)?;
                report.calls += u64::from(page.calls);
                client_refs
                    .extend(page.items.iter().filter_map(|i| i.reference.as_ref().map(|r| r.trim().to_lowercase())));
                match page.next {
                    Some(next) if next > offset => offset = next,
                    _ => break,
                }
            }
        }
        let client = match &dry_run {
            Some(d) => Some(d.clients.shop(&store.code).await.map_err(ReconcileError::Source)?),
            None => None,
        };
        let mut offset = 0;
        loop {
            let page = self
                .read_page(&source.code, || self.catalog.source_page(&source.code, None, offset, self.page_size))
                .await
                .map_err(ReconcileError::Source)?;
            report.calls += u64::from(page.calls);
            let skus: Vec<Sku> = page.items.iter().filter_map(|i| i.reference.clone()).collect();
            let known = self.known(&skus).await?;
            let mut jobs = Vec::new();
            for item in &page.items {
                let Some(sku) = &item.reference else { continue };
                report.listed += 1;
                let state = known.get(sku);
                let categories = state
                    .map(|s| s.product.categories.clone())
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| item.categories.clone());
                if !store.catalog.selection.selects(sku, &categories).is_yes() {
                    continue;
                }
                report.selected += 1;
                if links.get(sku) == Some(&LinkStatus::Linked) {
                    report.linked += 1;
                    continue;
                }
                match (&dry_run, &client) {
                    (Some(d), Some(client)) => {
                        let planned = if client_refs.contains(&sku.as_str().to_lowercase()) {
                            Planned::Link
                        } else {
                            report.calls += 2;
                            match d.sheets.sheet(item.id).await.map_err(ReconcileError::Source)? {
                                None => Planned::Cannot("gone from the source".into()),
                                Some(sheet) => {
                                    let rule = state
                                        .map_or_else(|| store.price_rule.clone(), |s| store.price_rule_for(&s.product));
                                    match plan(&sheet, client, &rule, &store.catalog.fallback_language) {
                                        Ok(p) => Planned::Create(format!(
                                            "at {}, {} combination(s), {} image(s), {} categor{}",
                                            p.price,
                                            p.combinations.len(),
                                            sheet.images.len(),
                                            p.categories.len(),
                                            if p.categories.len() == 1 { "y" } else { "ies" }
                                        )),
                                        Err(refusal) => Planned::Cannot(refusal.to_string()),
                                    }
                                }
                            }
                        };
                        report.planned.push((sku.clone(), planned));
                    }
                    _ if state.is_some() => jobs.push(SyncRequest { store: store.code.clone(), sku: sku.clone() }),
                    // Not known to the hub yet: the reconciliation before this pass learns it and queues it.
                    _ => {}
                }
            }
            if !jobs.is_empty() {
                self.queue.enqueue_syncs(&jobs).await?;
                report.queued.extend(jobs.into_iter().map(|j| j.sku));
            }
            progress(report.listed);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => break,
            }
        }
        Ok(report)
    }
}
