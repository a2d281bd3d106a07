//! The stock echo: Webservice writes fire no stock hook on the source, so after an order is created there
//! the hub reads the source's stock of the ordered products back and fans it out like a product event.

use chrono::Utc;

use super::{ports::OrderPlan, replicate::ReplicateOrder};
use crate::{
    catalog::SourceProductState,
    jobs::{JobError, SyncRequest},
    model::EventId,
};

impl ReplicateOrder {
    /// Webservice writes fire no stock hook on the source: read its stock back and fan it out, recording it
    /// as the known state (read whole from the source when the hub knew nothing of the product).
    pub(super) async fn echo_stock(&self, plan: &OrderPlan) -> Result<(), JobError> {
        let mut seen = std::collections::BTreeSet::new();
        for line in &plan.lines {
            if !seen.insert(line.product_id) {
                continue;
            }
            let stock = self.source.stock(line.product_id).await.map_err(|e| JobError::Retryable(e.to_string()))?;
            // The hub's state is keyed by the product's reference, even for a combination line.
            let known = self.states.latest(&line.product_sku).await?;
            let (product, sequence) = match known {
                Some(known) => {
                    let mut product = known.product.clone();
                    for (comb, q) in &stock {
                        if *comb == 0 {
                            product.quantity = *q;
                        } else if let Some(c) = product.combinations.iter_mut().find(|c| c.source_id == *comb) {
                            c.quantity = *q;
                        }
                    }
                    (product, known.sequence)
                }
                // A product no event told the hub about yet: what the source has now becomes the known
                // state, so its stock reaches the retailers all the same.
                None => {
                    match self.source.product(line.product_id).await.map_err(|e| JobError::Retryable(e.to_string()))? {
                        Some(product) => (product, None),
                        None => {
                            tracing::warn!(product = line.product_id, sku = %line.product_sku, "stock echo: product gone from the source");
                            continue;
                        }
                    }
                }
            };
            let echo_id = EventId::parse(&format!("echo-{}-{}", line.product_id, Utc::now().timestamp_micros()))
                .map_err(|e| JobError::Permanent(e.message))?;
            let state = SourceProductState::new(product, echo_id, Utc::now(), sequence);
            if self.states.apply_if_newer(&state).await? {
                let jobs: Vec<SyncRequest> = self
                    .stores
                    .active_clients()
                    .iter()
                    .map(|s| SyncRequest { store: s.code.clone(), sku: line.product_sku.clone() })
                    .collect();
                self.queue.enqueue_syncs(&jobs).await?;
            }
        }
        Ok(())
    }
}
