//! The return path, source → client: the source reports a state or a tracking number of an order the hub
//! created there, and the retailer's order follows as if the retailer had shipped it: the tracking number
//! on its carrier first (the shop e-mails the customer the tracking link), then its state (the shop's own
//! e-mail of that state).
//!
//! Guarantees, as for replication:
//! * **Exactly once, in order.** The link's lease serialises every job of one order. A report older than
//!   the last one applied (by the connector's sequence, or by time for a state the hub read itself) changes
//!   nothing. The retailer's order is read before it is moved, so a retry after a crash finds it moved.
//! * **Forward only.** States mean stages (processing, shipped, delivered, cancelled, refunded; each store's
//!   [`OrderStateMap`](crate::model::OrderStateMap)); the retailer's order is moved only to a stage further
//!   along than its own, so a state the retailer set later is never overwritten.
//! * **Nothing lost.** The report is recorded on the link with `client_update_pending` before the retailer
//!   is called; a retry (or the next report) carries it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    order_lease::under_order_lease,
    ports::{OrderLink, OrderLinkStatus, OrderLinks, RetailerShops},
};
use crate::{
    errors::GatewayError,
    ingest::Inbox,
    jobs::JobError,
    lease::Timer,
    model::{
        EventId, EventPayload, EventStatus, OrderStatusData, Store, StoreDirectory, StoreRole, order_status::progress,
    },
};

/// What following a source report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// Recorded, and carried to the retailer's order as far as it goes forward.
    Applied,
    /// Older than what was applied already: nothing changed (a pending carry was finished, if any).
    Stale,
    /// The event was processed before.
    AlreadyProcessed,
    /// Recorded only: the order's replication failed (e.g. payment error), the retailer is not told.
    RecordedOnly,
}

/// Carries the source's state and tracking number of an order to the retailer's order.
#[derive(Clone)]
pub struct FollowSourceOrder {
    inbox: Arc<dyn Inbox>,
    links: Arc<dyn OrderLinks>,
    retailers: Arc<dyn RetailerShops>,
    stores: Arc<dyn StoreDirectory>,
    timer: Arc<dyn Timer>,
    owner: String,
}

impl FollowSourceOrder {
    /// Builds the use case; `owner` names this worker for leases.
    pub fn new(
        inbox: Arc<dyn Inbox>,
        links: Arc<dyn OrderLinks>,
        retailers: Arc<dyn RetailerShops>,
        stores: Arc<dyn StoreDirectory>,
        timer: Arc<dyn Timer>,
        owner: String,
    ) -> Self {
        Self { inbox, links, retailers, stores, timer, owner }
    }

    /// Follows the report of event `id`.
    ///
    /// # Errors
    /// [`JobError::Permanent`] for an event that is no report of an order the hub created, or a state the
    /// retailer's shop refuses (recorded as `attention` on the link); [`JobError::Retryable`] while the
    /// order is still being replicated, or a shop or the database is unavailable.
    pub async fn execute(&self, id: &EventId) -> Result<StatusOutcome, JobError> {
        let stored =
            self.inbox.load(id).await?.ok_or_else(|| JobError::Permanent(format!("event {id} is not in the inbox")))?;
        let EventPayload::OrderStatus(report) = stored.event.payload else {
            return Err(JobError::Permanent(format!("event {id} is not an order status event")));
        };
        if stored.status == EventStatus::Processed {
            return Ok(StatusOutcome::AlreadyProcessed);
        }
        let source = self
            .stores
            .get(&stored.event.store)
            .filter(|s| s.role == StoreRole::Source)
            .ok_or_else(|| JobError::Permanent(format!("store {} is not the source store", stored.event.store)))?;
        let link = self.links.find_by_source(report.source_order_id, report.cart_id).await?.ok_or_else(|| {
            JobError::Permanent(format!(
                "source order {} (reference {}) was not made by the hub from a retailer's order",
                report.source_order_id, report.reference
            ))
        })?;
        let (client, order) = (link.client_store.clone(), link.client_order_id);
        let result = under_order_lease(
            self.links.as_ref(),
            self.timer.as_ref(),
            &client,
            order,
            &self.owner,
            "handled",
            self.apply(&source, &link, &report, stored.event.occurred_at, stored.event.sequence),
        )
        .await;
        if result.is_ok() {
            self.inbox.mark_processed(id).await?;
        }
        result
    }

    async fn apply(
        &self,
        source: &Store,
        found: &OrderLink,
        report: &OrderStatusData,
        occurred_at: DateTime<Utc>,
        sequence: Option<u64>,
    ) -> Result<StatusOutcome, JobError> {
        // Read again under the lease: another job of this order may have changed it.
        let mut link = self.links.get(&found.client_store, found.client_order_id).await?.ok_or_else(|| {
            JobError::Retryable(format!("order link {}/{} vanished", found.client_store, found.client_order_id))
        })?;
        match (link.status, link.source_order_id) {
            (OrderLinkStatus::Pending, _) | (_, None) => {
                return Err(JobError::Retryable(format!(
                    "order {}/{} is still being replicated",
                    link.client_store, link.client_order_id
                )));
            }
            (_, Some(o)) if o != report.source_order_id => {
                return Err(JobError::Permanent(format!(
                    "order {}/{} was replicated as source order {o}, not {}",
                    link.client_store, link.client_order_id, report.source_order_id
                )));
            }
            _ => {}
        }
        let stale = sequence.is_some_and(|q| link.status_sequence.is_some_and(|last| q <= last))
            || link.status_at.is_some_and(|last| occurred_at < last);
        if stale {
            tracing::info!(
                store = %link.client_store, order = link.client_order_id, source_order = report.source_order_id,
                state = %report.state, "older source status than the one applied: ignored"
            );
        } else {
            link.source_state = Some(report.state.clone());
            link.source_state_name = report.state_name.clone();
            link.tracking_number = report.tracking_number.clone();
            link.status_sequence = sequence.max(link.status_sequence);
            link.status_at = Some(link.status_at.map_or(occurred_at, |last| last.max(occurred_at)));
            link.client_update_pending = true;
            link.updated_at = Utc::now();
            self.links.save(&link).await?;
        }
        if link.status != OrderLinkStatus::Created {
            return Ok(StatusOutcome::RecordedOnly);
        }
        if link.client_update_pending {
            self.carry_to_client(source, &mut link).await?;
        }
        Ok(if stale { StatusOutcome::Stale } else { StatusOutcome::Applied })
    }

    /// Sets the source's tracking number on the retailer's order, then moves it to the source's stage
    /// when that is further along than its own.
    async fn carry_to_client(&self, source: &Store, link: &mut OrderLink) -> Result<(), JobError> {
        let (code, order) = (link.client_store.clone(), link.client_order_id);
        let Some(client) = self.stores.get(&code).filter(|s| s.role == StoreRole::Client) else {
            link.attention = Some(format!("store {code} is no client store any more: the retailer was not told"));
            link.client_update_pending = false;
            self.links.save(link).await?;
            return Ok(());
        };
        let Some(current) = self.retailers.order(&code, order).await? else {
            link.attention = Some(format!("the retailer's order {order} is gone from its shop"));
            link.client_update_pending = false;
            self.links.save(link).await?;
            return Ok(());
        };
        if let Some(tracking) = link.tracking_number.clone()
            && current.tracking_number.as_deref() != Some(tracking.as_str())
        {
            match self.retailers.set_tracking(&code, order, &tracking).await {
                Ok(()) => link.client_tracking = Some(tracking),
                Err(GatewayError::Retryable(m)) => return Err(JobError::Retryable(m)),
                Err(GatewayError::Permanent(m) | GatewayError::Gone(m)) => {
                    return self
                        .refused(link, format!("tracking number {tracking} refused by the retailer's shop: {m}"))
                        .await;
                }
            }
        } else if link.tracking_number.is_some() {
            link.client_tracking = link.tracking_number.clone();
        }
        let target = link.source_state.as_deref().and_then(|s| source.order_states.stage_of(s));
        let theirs = client.order_states.stage_of(&current.state);
        match target {
            Some(stage) if progress(Some(stage)) > progress(theirs) => {
                let state = client.order_states.state_for(stage);
                match self.retailers.set_state(&code, order, state).await {
                    Ok(()) => {}
                    Err(GatewayError::Retryable(m)) => return Err(JobError::Retryable(m)),
                    Err(GatewayError::Permanent(m) | GatewayError::Gone(m)) => {
                        return self
                            .refused(
                                link,
                                format!("state {state} ({}) refused by the retailer's shop: {m}", stage.as_str()),
                            )
                            .await;
                    }
                }
                tracing::info!(store = %code, order, state, stage = stage.as_str(), "retailer's order moved");
                link.client_state = Some(state.to_string());
            }
            Some(stage) => {
                tracing::info!(
                    store = %code, order, theirs = %current.state, stage = stage.as_str(),
                    "retailer's order is as far along already: kept"
                );
                link.client_state = Some(current.state);
            }
            None => link.client_state = Some(current.state),
        }
        link.client_update_pending = false;
        link.status_updated_at = Some(Utc::now());
        link.updated_at = Utc::now();
        self.links.save(link).await?;
        Ok(())
    }

    /// The retailer's shop refused a write retrying cannot fix: shown on the link, kept pending (the next
    /// report, after the mapping is fixed, carries it), and the job fails for good.
    async fn refused(&self, link: &mut OrderLink, why: String) -> Result<(), JobError> {
        tracing::warn!(store = %link.client_store, order = link.client_order_id, reason = %why, "retailer refused");
        link.attention = Some(why.clone());
        link.updated_at = Utc::now();
        self.links.save(link).await?;
        Err(JobError::Permanent(why))
    }
}
