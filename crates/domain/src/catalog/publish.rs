//! Creating a source product on a client that publishes (`publish = true`): what a sync does when the
//! client has no product with the SKU's reference. The sync holds the (store, SKU) lease throughout.
//!
//! Each step is recorded on the link before the next one, and everything is found before it is created:
//! the product by its reference (the sync looks it up before calling [`Publisher::create`]), categories and
//! attributes by name, combinations by their attribute values, images by how many the product already has.
//! So a worker killed at any point leaves a retry that finishes the product, never a second one.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    matching::unlinked,
    ports::{LinkStatus, ProductLinks, Publication, RemoteProduct, SourceProductState},
    publishing::{ClientCatalogs, NewCombination, NewProduct, SourceSheets, plan},
};
use crate::{errors::GatewayError, jobs::JobError, model::Store};

/// What [`Publisher::create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// The product exists on the client now, with this id (its combinations and images follow in
    /// [`Publisher::complete`], given the plan it was created from).
    Product(u64, Box<Plan>),
    /// It cannot be created there: the reason, recorded on the link as `refused`.
    Refused(String),
}

/// A source product mapped onto a client: what to create, its client category ids, its source image ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The product and its combinations.
    pub product: NewProduct,
    /// Client category ids, the default first.
    pub categories: Vec<u64>,
    /// Source image ids, the cover first.
    pub images: Vec<u64>,
}

/// Creates source products on clients, and keeps their content when the client follows it.
#[derive(Clone)]
pub struct Publisher {
    source: Arc<dyn SourceSheets>,
    clients: Arc<dyn ClientCatalogs>,
    links: Arc<dyn ProductLinks>,
}

impl Publisher {
    /// Builds it.
    pub fn new(source: Arc<dyn SourceSheets>, clients: Arc<dyn ClientCatalogs>, links: Arc<dyn ProductLinks>) -> Self {
        Self { source, clients, links }
    }

    /// The sheet of `state`'s product mapped onto `store` and its category ids, or why not.
    async fn planned(&self, store: &Store, state: &SourceProductState) -> Result<Result<Plan, String>, JobError> {
        let product = &state.product;
        let Some(sheet) = self.source.sheet(product.source_id).await? else {
            return Ok(Err(format!("source product {} no longer exists", product.source_id)));
        };
        if !sheet.sku.as_str().eq_ignore_ascii_case(product.sku.as_str()) {
            return Ok(Err(format!("source product {} has the reference {} now", product.source_id, sheet.sku)));
        }
        let shop = self.clients.shop(&store.code).await?;
        let rule = store.price_rule_for(product);
        let planned = match plan(&sheet, &shop, &rule, &store.catalog.fallback_language) {
            Ok(p) => p,
            Err(refusal) => return Ok(Err(refusal.to_string())),
        };
        let mut categories = Vec::with_capacity(planned.categories.len());
        for path in &planned.categories {
            let id = self.clients.ensure_category(&store.code, store.catalog.root_category, path).await?;
            if !categories.contains(&id) {
                categories.push(id);
            }
        }
        if categories.is_empty() {
            categories.push(store.catalog.root_category);
        }
        Ok(Ok(Plan { product: planned, categories, images: sheet.images }))
    }

    /// Creates `state`'s product on `store` (texts in every client language, price through its rule, tax
    /// rules group, dimensions, codes, categories), recording the step on the link first. The caller has
    /// just found no product with the reference there.
    ///
    /// # Errors
    /// Retryable transport or database failures; permanent ones the client refuses (a 4xx).
    pub async fn create(&self, store: &Store, state: &SourceProductState) -> Result<Created, JobError> {
        let sku = &state.product.sku;
        let event_id = state.event_id.as_str();
        let plan = match self.planned(store, state).await? {
            Ok(p) => p,
            Err(reason) => {
                let mut link = unlinked(store, sku, LinkStatus::Refused, &format!("not published: {reason}"), event_id);
                link.publication = None;
                self.links.save(&link).await?;
                tracing::warn!(store = %store.code, sku = %sku, reason, "product not published");
                return Ok(Created::Refused(reason));
            }
        };
        let mut link = unlinked(store, sku, LinkStatus::Unlinked, "publishing: creating the product", event_id);
        // Not dealt with until linked: the owed-sync sweeper queues it again if this run is lost.
        link.applied_event_id = None;
        link.publication = Some(Publication::default());
        self.links.save(&link).await?;
        let id = self.clients.create_product(&store.code, &plan.product, &plan.categories).await?;
        link.publication = Some(Publication { product_id: Some(id), complete: false, content_of: None });
        link.note = Some(format!("publishing: created product {id}; combinations and images next"));
        self.links.save(&link).await?;
        tracing::info!(store = %store.code, sku = %sku, product = id, "product created on the client");
        Ok(Created::Product(id, Box::new(plan)))
    }

    /// Finishes a product created by [`Self::create`]: the combinations `remote` lacks (matched by their
    /// attribute values), then the images it lacks (the source's, in order, cover first, counted). `plan` is
    /// the one it was just created from (else the source is read again: a retry), `images` how many images
    /// it has when known (0 just after its creation; else they are counted).
    ///
    /// # Errors
    /// As [`Self::create`].
    pub async fn complete(
        &self,
        store: &Store,
        state: &SourceProductState,
        remote: &RemoteProduct,
        plan: Option<Plan>,
        images: Option<usize>,
    ) -> Result<(), JobError> {
        let plan = match plan {
            Some(plan) => plan,
            None => match self.planned(store, state).await? {
                Ok(p) => p,
                // The source changed under it (gone, or no longer mappable): what exists stays, the sync takes over.
                Err(reason) => {
                    tracing::warn!(store = %store.code, sku = %state.product.sku, reason, "publication not completed");
                    return Ok(());
                }
            },
        };
        let mut created = 0;
        for combination in &plan.product.combinations {
            if remote.combinations.iter().any(|rc| same_combination(combination, rc)) {
                continue;
            }
            let mut values = Vec::with_capacity(combination.attributes.len());
            for attribute in &combination.attributes {
                values.push(self.clients.ensure_attribute(&store.code, attribute).await?);
            }
            self.clients.create_combination(&store.code, remote.id, combination, &values).await?;
            created += 1;
        }
        let present = match images {
            Some(n) => n,
            None => self.clients.image_count(&store.code, remote.id).await?,
        };
        let mut uploaded = 0;
        for image in plan.images.iter().skip(present) {
            match self.source.image(state.product.source_id, *image).await {
                Ok(file) => self.clients.upload_image(&store.code, remote.id, file).await?,
                Err(GatewayError::Gone(m)) => {
                    tracing::warn!(store = %store.code, image, gone = %m, "source image gone: skipped");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            uploaded += 1;
        }
        tracing::info!(store = %store.code, sku = %state.product.sku, product = remote.id, combinations = created, images = uploaded, "publication completed");
        Ok(())
    }

    /// Writes the descriptive content of `state`'s product to `product_id` again (a client whose content
    /// follows the source).
    ///
    /// # Errors
    /// As [`Self::create`]; [`GatewayError::Gone`] (as a job error) when the product is gone.
    pub async fn refresh_content(
        &self,
        store: &Store,
        state: &SourceProductState,
        product_id: u64,
    ) -> Result<bool, GatewayError> {
        let planned = self.planned(store, state).await.map_err(|e| GatewayError::Retryable(e.to_string()))?;
        let Ok(plan) = planned else { return Ok(false) };
        self.clients.update_content(&store.code, product_id, &plan.product, &plan.categories).await?;
        Ok(true)
    }
}

/// True when the client combination `rc` has `c`'s attribute values (any language's name, case-insensitive)
/// or its own non-empty reference.
fn same_combination(c: &NewCombination, rc: &super::ports::RemoteCombination) -> bool {
    if !c.codes[0].is_empty() && rc.reference.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(&c.codes[0])) {
        return true;
    }
    !c.attributes.is_empty()
        && c.attributes.len() == rc.attributes.len()
        && c.attributes.iter().all(|a| {
            rc.attributes.iter().any(|(g, v)| {
                a.group.values().any(|n| n.eq_ignore_ascii_case(g))
                    && a.value.values().any(|n| n.eq_ignore_ascii_case(v))
            })
        })
}

/// True when `publication` is done and its content is older than `updated_at`.
pub(crate) fn content_behind(publication: Option<&Publication>, updated_at: DateTime<Utc>) -> bool {
    publication.is_some_and(|p| p.complete && p.content_of.is_none_or(|at| at < updated_at))
}
