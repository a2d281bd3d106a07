//! The orders pass of a reconciliation: a lost webhook, or a connector switched off for an hour, would
//! leave a retailer's order unreplicated for good. Each client's valid orders changed since its watermark
//! are listed page by page; an order the hub has no link for (or one still waiting for payment) becomes an
//! inbox event, accepted exactly as a webhook would be ([`crate::ingest::AcceptOrderEvent`]), so
//! `ReplicateOrder` handles it on the same path.
//!
//! Exactly once: the event id is deterministic ([`super::orders::reconcile_event_id`]), so a second run
//! finds it in the inbox; a webhook of the same order arriving at the same time carries another event id,
//! and then the order link (its lease and its `created` status) makes the second replication find the first
//! one's order.
//!
//! The watermark is the `date_upd` of the last order of a page, saved once the whole page is handled; the
//! next run lists from it inclusive (`date_upd` has one-second resolution, so ties are read again and found
//! linked). An order that moved while a run paged past it is listed again by the next run, since its new
//! `date_upd` is after the watermark.
//!
//! What the pass works with ([`OrderReconciliation`]) and its event ids are in [`super::orders`].

use std::collections::HashMap;

use chrono::Utc;

use super::{
    orders::{
        OrderReconciliation, STATUS_LIMIT, STATUS_LOOKBACK, reconcile_event_id, reconcile_state_event_id,
        reconcile_status_event_id,
    },
    ports::ListedOrder,
    progress::{ReconcileProgress, Stage},
    run::{ClientFailure, Reconcile, ReconcileError, ReconcileReport},
};
use crate::{
    errors::StorageError,
    ingest::{AcceptError, Acceptance},
    model::{EventPayload, NewEvent, Store},
    replication::{OrderLink, OrderLinkStatus},
};

impl Reconcile {
    /// Reconciles one client's valid orders; nothing when the run was built without the orders pass.
    pub(super) async fn reconcile_orders(
        &self,
        store: &Store,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<(), ClientFailure> {
        let Some(pass) = &self.orders else { return Ok(()) };
        let stage = Stage::Orders(store.code.clone());
        progress.started(&stage, None);
        let result = self.orders_of(pass, store, &stage, report, progress).await;
        let error = match &result {
            Ok(()) => None,
            Err(ClientFailure::Store(e)) => Some(e.to_string()),
            Err(ClientFailure::Hub(e)) => Some(e.to_string()),
        };
        progress.finished(&stage, error.as_deref());
        result
    }

    async fn orders_of(
        &self,
        pass: &OrderReconciliation,
        store: &Store,
        stage: &Stage,
        report: &mut ReconcileReport,
        progress: &dyn ReconcileProgress,
    ) -> Result<(), ClientFailure> {
        let hub = |e: StorageError| ClientFailure::Hub(e.into());
        let since = match pass.watermarks.get(&store.code).await.map_err(hub)? {
            Some(mark) => mark,
            None => (Utc::now() - pass.lookback).naive_utc(),
        };
        let mut offset = 0;
        loop {
            let page = self
                .read_page(&store.code, || pass.orders.orders_page(&store.code, since, offset, self.page_size))
                .await
                .map_err(ClientFailure::Store)?;
            report.count_call(&store.code, page.calls);
            report.orders_listed += page.items.len() as u64;
            for listed in &page.items {
                self.reconcile_order(pass, store, listed, report).await?;
            }
            // The whole page is handled: the next run need not read it again.
            if let Some(last) = page.items.iter().map(|o| o.date_upd).max() {
                pass.watermarks.advance(&store.code, last).await.map_err(hub)?;
            }
            progress.advanced(stage, page.items.len() as u64);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => return Ok(()),
            }
        }
    }

    /// Hands one listed order to replication unless the hub already has it.
    async fn reconcile_order(
        &self,
        pass: &OrderReconciliation,
        store: &Store,
        listed: &ListedOrder,
        report: &mut ReconcileReport,
    ) -> Result<(), ClientFailure> {
        let link = pass.links.get(&store.code, listed.id).await.map_err(|e| ClientFailure::Hub(e.into()))?;
        // A link waiting for payment was made from a webhook of the order before it was valid; it is valid
        // now, and the webhook saying so may be the one that was lost.
        if let Some(link) = link.filter(|l| l.status != OrderLinkStatus::WaitingPayment) {
            report.orders_linked += 1;
            // A replicated order the retailer cancelled or refunded since, whose webhook was lost.
            if let (OrderLinkStatus::Created, false, Ok(order)) =
                (link.status, link.client_call_off_handled, &listed.order)
                && let Some(state) = order.state.as_deref()
                && link.client_state.as_deref() != Some(state)
                && store.order_states.stage_of(state).is_some_and(|s| s.is_called_off())
            {
                let event = NewEvent::new(
                    reconcile_state_event_id(&store.code, listed.id, state),
                    store.code.clone(),
                    Utc::now(),
                    None,
                    EventPayload::Order(Box::new(order.clone())),
                );
                if self.hand_over(pass, store, &event).await? == HandedOver::Now {
                    tracing::info!(store = %store.code, order = listed.id, state, "reconcile: retailer's state handed to replication");
                    report.order_states_queued += 1;
                }
            }
            return Ok(());
        }
        // Only a valid order is replicated (an invalid one is listed for the cancellations above).
        if !listed.valid {
            return Ok(());
        }
        let order = match &listed.order {
            Ok(order) => order.clone(),
            Err(reason) => {
                tracing::warn!(store = %store.code, order = listed.id, reason = %reason, "reconcile: order cannot be replicated");
                report.orders_failed.push((store.code.clone(), listed.id, reason.clone()));
                return Ok(());
            }
        };
        let event = NewEvent::new(
            reconcile_event_id(&store.code, listed.id),
            store.code.clone(),
            Utc::now(),
            None,
            EventPayload::Order(Box::new(order)),
        );
        match self.hand_over(pass, store, &event).await? {
            HandedOver::Now => {
                tracing::info!(store = %store.code, order = listed.id, event_id = %event.event_id, "reconcile: order handed to replication");
                report.orders_queued += 1;
            }
            // Handed over by an earlier run and not replicated yet (its job is queued or retrying).
            HandedOver::Before => report.orders_pending += 1,
        }
        Ok(())
    }

    /// Accepts `event` of client `store` as its webhook would be.
    async fn hand_over(
        &self,
        pass: &OrderReconciliation,
        store: &Store,
        event: &NewEvent,
    ) -> Result<HandedOver, ClientFailure> {
        match pass.accept.execute(store, event).await {
            Ok(Acceptance::Queued) => Ok(HandedOver::Now),
            // Stored: the sweeper queues it once the queue is back.
            Err(AcceptError::NotQueued(e)) => {
                tracing::warn!(store = %store.code, event_id = %event.event_id, error = %e, "reconcile: event stored, not queued yet");
                Ok(HandedOver::Now)
            }
            Ok(Acceptance::Duplicate) => Ok(HandedOver::Before),
            Err(e @ (AcceptError::NotStored(_) | AcceptError::RoleNotAllowed { .. })) => {
                Err(ClientFailure::Hub(ReconcileError::Intake(e)))
            }
        }
    }

    /// Compares the state and tracking number of the orders created on the source (changed in the last
    /// [`STATUS_LOOKBACK`]) with their links, and hands each difference — a report of the source's
    /// connector that was lost — to the return path, as the webhook would have.
    pub(super) async fn reconcile_statuses(
        &self,
        source: &Store,
        report: &mut ReconcileReport,
    ) -> Result<(), ClientFailure> {
        let Some(pass) = &self.orders else { return Ok(()) };
        let Some(accept) = &pass.statuses else { return Ok(()) };
        let hub = |e: StorageError| ClientFailure::Hub(e.into());
        let links = pass.links.created_since(Utc::now() - STATUS_LOOKBACK, STATUS_LIMIT).await.map_err(hub)?;
        let by_order: HashMap<u64, &OrderLink> = links.iter().filter_map(|l| Some((l.source_order_id?, l))).collect();
        if by_order.is_empty() {
            return Ok(());
        }
        let ids: Vec<u64> = by_order.keys().copied().collect();
        let (statuses, calls) = self
            .read_page(&source.code, || pass.orders.order_statuses(&source.code, &ids))
            .await
            .map_err(ClientFailure::Store)?;
        report.count_call(&source.code, calls);
        for status in statuses {
            let Some(link) = by_order.get(&status.source_order_id) else { continue };
            report.statuses_checked += 1;
            if link.source_state.as_deref() == Some(status.state.as_str())
                && link.tracking_number == status.tracking_number
            {
                continue;
            }
            let event = NewEvent::new(
                reconcile_status_event_id(status.source_order_id, &status.state, status.tracking_number.as_deref()),
                source.code.clone(),
                Utc::now(),
                None,
                EventPayload::OrderStatus(Box::new(status)),
            );
            match accept.execute(source, &event).await {
                Ok(Acceptance::Queued) | Err(AcceptError::NotQueued(_)) => {
                    tracing::info!(event_id = %event.event_id, "reconcile: source order status handed to the return path");
                    report.statuses_queued += 1;
                }
                Ok(Acceptance::Duplicate) => report.statuses_pending += 1,
                Err(e @ (AcceptError::NotStored(_) | AcceptError::RoleNotAllowed { .. })) => {
                    return Err(ClientFailure::Hub(ReconcileError::Intake(e)));
                }
            }
        }
        Ok(())
    }
}

/// Whether an event was handed over now or by an earlier run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HandedOver {
    Now,
    Before,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        catalog::{MockProductLinks, MockProductStates},
        ingest::{AcceptOrderEvent, MockInbox, Recorded},
        jobs::MockJobQueue,
        lease::RecordingTimer,
        model::{
            EventKind, Money, OrderData, OrderLine, PriceRule, Secret, Sku, StaticStoreDirectory, StoreCode,
            StoreDirectory, StoreRole,
        },
        reconcile::{
            ReconcileRequest,
            ports::{CatalogPage, MockClientOrders, MockOrderWatermarks, MockStoreCatalog},
            progress::NoProgress,
        },
        replication::{MockOrderLinks, OrderLink},
    };
    use chrono::{NaiveDate, NaiveDateTime};
    use rust_decimal::Decimal;
    use std::sync::{Arc, Mutex};

    fn store(code: &str, role: StoreRole) -> Store {
        Store::new(
            StoreCode::parse(code).unwrap(),
            role,
            Secret::new(format!("{code}-key-0123456789")),
            None,
            true,
            PriceRule { markup_percent: Decimal::ZERO, stock_buffer: 0, ..PriceRule::default() },
        )
    }

    fn directory() -> Arc<dyn StoreDirectory> {
        Arc::new(
            StaticStoreDirectory::new(vec![
                store("wholesaler", StoreRole::Source),
                store("retail-1", StoreRole::Client),
            ])
            .unwrap(),
        )
    }

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(h, m, s).unwrap()
    }

    fn order(id: u64) -> OrderData {
        let (customer, address) = crate::fixtures::ana_in_madrid();
        OrderData::new(
            id,
            format!("REF{id}"),
            "EUR".into(),
            customer,
            address,
            vec![OrderLine::new(Sku::parse("WHS-0001").unwrap(), 1, Money::parse("15.60").unwrap()).unwrap()],
            Money::parse("15.60").unwrap(),
            Utc::now(),
            Some(true),
            Some("2".into()),
        )
        .unwrap()
    }

    fn listed(id: u64, date_upd: NaiveDateTime) -> ListedOrder {
        ListedOrder { id, valid: true, date_upd, order: Ok(order(id)) }
    }

    /// A run whose catalog passes see empty shops, with the orders pass on `orders`.
    fn reconcile(
        orders: MockClientOrders,
        watermarks: MockOrderWatermarks,
        links: MockOrderLinks,
        inbox: MockInbox,
        queue: MockJobQueue,
    ) -> Reconcile {
        let mut catalog = MockStoreCatalog::new();
        catalog.expect_source_page().returning(|_, _, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        catalog.expect_client_page().returning(|_, _, _| Ok(CatalogPage { items: vec![], next: None, calls: 1 }));
        let mut product_links = MockProductLinks::new();
        product_links.expect_of_store().returning(|_| Ok(vec![]));
        let queue = Arc::new(queue);
        let accept = AcceptOrderEvent::new(Arc::new(inbox), queue.clone());
        Reconcile::new(
            Arc::new(catalog),
            Arc::new(MockProductStates::new()),
            Arc::new(product_links),
            queue,
            directory(),
            Arc::new(RecordingTimer::default()),
            2,
            "test".into(),
        )
        .with_orders(OrderReconciliation::new(
            Arc::new(orders),
            Arc::new(watermarks),
            Arc::new(links),
            accept,
            chrono::Duration::days(7),
        ))
    }

    fn inbox_recording(recorded: Arc<Mutex<Vec<NewEvent>>>) -> MockInbox {
        let mut inbox = MockInbox::new();
        inbox.expect_record().returning(move |e| {
            let mut seen = recorded.lock().unwrap();
            if seen.iter().any(|s| s.event_id == e.event_id) {
                return Ok(Recorded::Duplicate);
            }
            seen.push(e.clone());
            Ok(Recorded::New)
        });
        inbox.expect_mark_queued().returning(|_| Ok(()));
        inbox
    }

    fn link(id: u64, status: OrderLinkStatus) -> OrderLink {
        OrderLink {
            status,
            ..OrderLink::new(StoreCode::parse("retail-1").unwrap(), id, format!("REF{id}"), "evt-webhook-1".into())
        }
    }

    #[tokio::test]
    async fn an_order_without_a_link_becomes_one_inbox_event_queued_for_replication() {
        let mut orders = MockClientOrders::new();
        orders.expect_orders_page().returning(|_, _, offset, _| {
            Ok(CatalogPage {
                items: if offset == 0 { vec![listed(7, at(10, 0, 0)), listed(8, at(10, 0, 5))] } else { vec![] },
                next: None,
                calls: 1,
            })
        });
        let mut watermarks = MockOrderWatermarks::new();
        watermarks.expect_get().returning(|_| Ok(Some(at(9, 0, 0))));
        watermarks.expect_advance().withf(|_, to| *to == at(10, 0, 5)).times(1).returning(|_, _| Ok(()));
        let mut links = MockOrderLinks::new();
        links.expect_get().returning(|_, id| Ok((id == 8).then(|| link(8, OrderLinkStatus::Created))));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_event()
            .withf(|id, kind| id.as_str() == "reconcile-order-retail-1-7" && *kind == EventKind::Order)
            .times(1)
            .returning(|_, _| Ok(()));
        let uc = reconcile(orders, watermarks, links, inbox_recording(recorded.clone()), queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.orders_listed, report.orders_linked, report.orders_queued), (2, 1, 1), "{report:?}");
        let events = recorded.lock().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].store.as_str(), "retail-1");
        assert!(matches!(&events[0].payload, EventPayload::Order(o) if o.client_order_id == 7));
    }

    #[tokio::test]
    async fn an_order_handed_over_by_an_earlier_run_is_not_queued_again() {
        let mut orders = MockClientOrders::new();
        orders
            .expect_orders_page()
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![listed(7, at(10, 0, 0))], next: None, calls: 1 }));
        let mut watermarks = MockOrderWatermarks::new();
        watermarks.expect_get().returning(|_| Ok(None));
        watermarks.expect_advance().returning(|_, _| Ok(()));
        let mut links = MockOrderLinks::new();
        links.expect_get().returning(|_, _| Ok(None));
        let mut inbox = MockInbox::new();
        inbox.expect_record().returning(|_| Ok(Recorded::Duplicate));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().never();
        let uc = reconcile(orders, watermarks, links, inbox, queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.orders_queued, report.orders_pending), (0, 1));
    }

    #[tokio::test]
    async fn an_order_waiting_for_payment_is_handed_over_once_it_is_valid() {
        let mut orders = MockClientOrders::new();
        orders
            .expect_orders_page()
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![listed(7, at(10, 0, 0))], next: None, calls: 1 }));
        let mut watermarks = MockOrderWatermarks::new();
        watermarks.expect_get().returning(|_| Ok(None));
        watermarks.expect_advance().returning(|_, _| Ok(()));
        let mut links = MockOrderLinks::new();
        links.expect_get().returning(|_, _| Ok(Some(link(7, OrderLinkStatus::WaitingPayment))));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(1).returning(|_, _| Ok(()));
        let uc = reconcile(orders, watermarks, links, inbox_recording(Arc::default()), queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!((report.orders_linked, report.orders_queued), (0, 1));
    }

    #[tokio::test]
    async fn the_first_run_looks_back_the_configured_window_and_pages_move_the_watermark_one_by_one() {
        let mut orders = MockClientOrders::new();
        let mut seq = mockall::Sequence::new();
        orders
            .expect_orders_page()
            .withf(|_, since, offset, limit| {
                let window = Utc::now().naive_utc() - *since;
                *offset == 0 && *limit == 2 && window >= chrono::Duration::days(7) && window < chrono::Duration::days(8)
            })
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| {
                Ok(CatalogPage {
                    items: vec![listed(1, at(8, 0, 0)), listed(2, at(8, 30, 0))],
                    next: Some(2),
                    calls: 1,
                })
            });
        orders
            .expect_orders_page()
            .withf(|_, _, offset, _| *offset == 2)
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![listed(3, at(9, 0, 0))], next: None, calls: 1 }));
        let marks = Arc::new(Mutex::new(Vec::new()));
        let mut watermarks = MockOrderWatermarks::new();
        watermarks.expect_get().returning(|_| Ok(None));
        let m = marks.clone();
        watermarks.expect_advance().returning(move |_, to| {
            m.lock().unwrap().push(to);
            Ok(())
        });
        let mut links = MockOrderLinks::new();
        links.expect_get().returning(|_, _| Ok(None));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(3).returning(|_, _| Ok(()));
        let uc = reconcile(orders, watermarks, links, inbox_recording(Arc::default()), queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.orders_queued, 3);
        assert_eq!(*marks.lock().unwrap(), vec![at(8, 30, 0), at(9, 0, 0)]);
    }

    #[tokio::test]
    async fn a_page_the_hub_could_not_store_leaves_the_watermark_where_it_was() {
        let mut orders = MockClientOrders::new();
        orders
            .expect_orders_page()
            .returning(|_, _, _, _| Ok(CatalogPage { items: vec![listed(7, at(10, 0, 0))], next: None, calls: 1 }));
        let mut watermarks = MockOrderWatermarks::new();
        watermarks.expect_get().returning(|_| Ok(Some(at(9, 0, 0))));
        watermarks.expect_advance().never();
        let mut links = MockOrderLinks::new();
        links.expect_get().returning(|_, _| Ok(None));
        let mut inbox = MockInbox::new();
        inbox.expect_record().returning(|_| Err(StorageError::Unavailable("down".into())));
        let uc = reconcile(orders, watermarks, links, inbox, MockJobQueue::new());
        assert!(uc.execute(&ReconcileRequest::default(), &NoProgress).await.is_err());
    }

    #[tokio::test]
    async fn an_order_that_cannot_be_built_is_reported_and_the_others_go_on() {
        let mut orders = MockClientOrders::new();
        orders.expect_orders_page().returning(|_, _, _, _| {
            Ok(CatalogPage {
                items: vec![
                    ListedOrder {
                        id: 6,
                        valid: true,
                        date_upd: at(9, 0, 0),
                        order: Err("line 1: no reference".into()),
                    },
                    listed(7, at(10, 0, 0)),
                ],
                next: None,
                calls: 1,
            })
        });
        let mut watermarks = MockOrderWatermarks::new();
        watermarks.expect_get().returning(|_| Ok(None));
        watermarks.expect_advance().withf(|_, to| *to == at(10, 0, 0)).times(1).returning(|_, _| Ok(()));
        let mut links = MockOrderLinks::new();
        links.expect_get().returning(|_, _| Ok(None));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(1).returning(|_, _| Ok(()));
        let uc = reconcile(orders, watermarks, links, inbox_recording(Arc::default()), queue);
        let report = uc.execute(&ReconcileRequest::default(), &NoProgress).await.unwrap();
        assert_eq!(report.orders_queued, 1);
        assert_eq!(report.orders_failed.len(), 1);
        assert_eq!(report.orders_failed[0].1, 6);
    }
}
