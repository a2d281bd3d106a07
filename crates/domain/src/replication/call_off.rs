//! The return path, client → source: a retailer that cancels (or refunds) an order the wholesaler has not
//! shipped yet gets the source order cancelled too, through PrestaShop's own state change, so the source
//! restocks; the restored stock is then echoed to every retailer. Once the wholesaler shipped, nothing is
//! cancelled: the link is flagged for the wholesaler (`attention`).
//!
//! Exactly once: the stock echo is marked owed before the source is asked, and the source order's state is
//! read before it is moved, so a retry after a crash finds it cancelled and only finishes the echo.

use chrono::Utc;

use super::{
    ports::{OrderLink, SourceError},
    replicate::ReplicateOrder,
};
use crate::{
    jobs::JobError,
    model::{OrderData, OrderStage, OrderStateMap},
};

impl ReplicateOrder {
    /// Records the retailer's state of a replicated order and acts on a cancellation or a refund.
    pub(super) async fn follow_retailer(
        &self,
        link: &mut OrderLink,
        order: &OrderData,
        source_order: u64,
    ) -> Result<(), JobError> {
        let Some(state) = order.state.clone() else { return Ok(()) };
        let client_map = self.stores.get(&link.client_store).map(|s| s.order_states.clone()).unwrap_or_default();
        let stage = client_map.stage_of(&state);
        let changed = link.client_state.as_deref() != Some(state.as_str());
        link.client_state = Some(state.clone());
        let called_off = stage.filter(|s| s.is_called_off());
        let Some(called_off) = called_off.filter(|_| !link.client_call_off_handled) else {
            if changed {
                link.updated_at = Utc::now();
                self.links.save(link).await?;
            }
            return Ok(());
        };
        let source_map: OrderStateMap = self.stores.source().map(|s| s.order_states.clone()).unwrap_or_default();
        let retry = |e: SourceError| JobError::Retryable(format!("source order {source_order}: {e}"));
        let Some(current) = self.source.order(source_order).await.map_err(retry)? else {
            link.attention = Some(format!(
                "{} at the retailer, but source order {source_order} is gone: nothing to cancel",
                called_off.as_str()
            ));
            return self.handled(link).await;
        };
        let theirs = source_map.stage_of(&current.state);
        link.source_state = Some(current.state.clone());
        if theirs.is_some_and(|s| s.is_called_off()) {
            tracing::info!(store = %link.client_store, order = link.client_order_id, source_order, "source order already called off");
            return self.handled(link).await;
        }
        if theirs.is_some_and(|s| s.is_shipped()) {
            let why = format!(
                "{} at the retailer after the wholesaler shipped it (source state {}{}): not cancelled on the source",
                called_off.as_str(),
                current.state,
                theirs.map(|s| format!(", {}", s.as_str())).unwrap_or_default()
            );
            tracing::warn!(store = %link.client_store, order = link.client_order_id, source_order, "{why}");
            link.attention = Some(why);
            return self.handled(link).await;
        }
        let cancelled = source_map.state_for(OrderStage::Cancelled);
        // Owed before the source restocks: a crash after the state change still echoes the stock.
        link.stock_echo_pending = true;
        link.updated_at = Utc::now();
        self.links.save(link).await?;
        self.source.set_state(source_order, cancelled).await.map_err(retry)?;
        tracing::info!(
            store = %link.client_store, order = link.client_order_id, source_order, state = cancelled,
            "{} at the retailer: source order cancelled", called_off.as_str()
        );
        link.source_state = Some(cancelled.to_string());
        link.source_state_name = None;
        link.client_call_off_handled = true;
        link.status_updated_at = Some(Utc::now());
        self.links.save(link).await?;
        self.finish_echo(link, order, None).await
    }

    async fn handled(&self, link: &mut OrderLink) -> Result<(), JobError> {
        link.client_call_off_handled = true;
        link.status_updated_at = Some(Utc::now());
        link.updated_at = Utc::now();
        self.links.save(link).await?;
        Ok(())
    }
}
