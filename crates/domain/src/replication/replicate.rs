//! Order replication: a retailer's order becomes exactly one valid order on the wholesaler's store.
//!
//! Everything the order needs on the source is resolved before anything is created there (so an unknown
//! SKU, a missing currency or a missing address field creates nothing); the link (client store, client
//! order id) is written before the first remote call and carries the source cart id as soon as it exists,
//! so a retry finds the order it may already have created instead of creating a second one.

use std::sync::Arc;

use chrono::Utc;

use super::{
    order_lease::under_order_lease,
    ports::{OrderLink, OrderLinkStatus, OrderLinks, OrderPlan, Refusal, SourceError, SourceOrder, SourceShop},
    status::{FollowSourceOrder, StatusOutcome},
};
use crate::{
    catalog::ProductStates,
    errors::GatewayError,
    ingest::Inbox,
    jobs::{JobError, JobQueue},
    lease::Timer,
    model::{EventId, EventPayload, EventStatus, OrderData, StoreCode, StoreDirectory, StoreRole},
};

/// What replicating did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replication {
    /// Created on the source now.
    Created(u64),
    /// It had been created before (a repeated delivery or a retry): the source order's id.
    AlreadyCreated(u64),
    /// The event was processed before and its order has no source order (it was left waiting for payment).
    AlreadyProcessed,
    /// Not forwarded until the retailer's order is valid.
    WaitingPayment,
    /// A source status report, followed to the retailer's order.
    Followed(StatusOutcome),
}

/// Replicates a client's order on the source.
#[derive(Clone)]
pub struct ReplicateOrder {
    inbox: Arc<dyn Inbox>,
    pub(super) links: Arc<dyn OrderLinks>,
    pub(super) source: Arc<dyn SourceShop>,
    pub(super) stores: Arc<dyn StoreDirectory>,
    pub(super) states: Arc<dyn ProductStates>,
    pub(super) queue: Arc<dyn JobQueue>,
    timer: Arc<dyn Timer>,
    owner: String,
    follow: Option<FollowSourceOrder>,
}

impl ReplicateOrder {
    /// Builds the use case; `owner` names this worker for leases, `timer` paces lease renewals.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        inbox: Arc<dyn Inbox>,
        links: Arc<dyn OrderLinks>,
        source: Arc<dyn SourceShop>,
        stores: Arc<dyn StoreDirectory>,
        states: Arc<dyn ProductStates>,
        queue: Arc<dyn JobQueue>,
        timer: Arc<dyn Timer>,
        owner: String,
    ) -> Self {
        Self { inbox, links, source, stores, states, queue, timer, owner, follow: None }
    }

    /// Also runs the source's status reports (they share the orders' queue), through `follow`.
    #[must_use]
    pub fn with_follow(mut self, follow: FollowSourceOrder) -> Self {
        self.follow = Some(follow);
        self
    }

    /// Replicates the order of event `id`.
    ///
    /// # Errors
    /// [`JobError::Permanent`] with the reason when the order cannot be replicated (the link is `failed`
    /// with it); [`JobError::Retryable`] when the source or the database is unavailable.
    pub async fn execute(&self, id: &EventId) -> Result<Replication, JobError> {
        let stored =
            self.inbox.load(id).await?.ok_or_else(|| JobError::Permanent(format!("event {id} is not in the inbox")))?;
        let client = stored.event.store.clone();
        let order = match stored.event.payload {
            EventPayload::Order(order) => order,
            EventPayload::OrderStatus(_) => {
                let follow = self.follow.as_ref().ok_or_else(|| {
                    JobError::Permanent(format!("event {id}: this worker does not follow source statuses"))
                })?;
                return follow.execute(id).await.map(Replication::Followed);
            }
            EventPayload::Product(_) => {
                return Err(JobError::Permanent(format!("event {id} is not an order event")));
            }
        };
        if stored.status == EventStatus::Processed {
            let link = self.links.get(&client, order.client_order_id).await?;
            return Ok(match link.and_then(|l| l.source_order_id.filter(|_| l.status == OrderLinkStatus::Created)) {
                Some(o) => Replication::AlreadyCreated(o),
                None => Replication::AlreadyProcessed,
            });
        }
        let store = self
            .stores
            .get(&client)
            .filter(|s| s.role == StoreRole::Client)
            .ok_or_else(|| JobError::Permanent(format!("store {client} is not a client store")))?;
        let result = under_order_lease(
            self.links.as_ref(),
            self.timer.as_ref(),
            &client,
            order.client_order_id,
            &self.owner,
            "replicated",
            self.replicate(id, &client, &order, store.forward_only_valid),
        )
        .await;
        if result.is_ok() {
            self.inbox.mark_processed(id).await?;
        }
        result
    }

    async fn replicate(
        &self,
        id: &EventId,
        client: &StoreCode,
        order: &OrderData,
        forward_only_valid: bool,
    ) -> Result<Replication, JobError> {
        let existing = self.links.get(client, order.client_order_id).await?;
        let mut link = existing.clone().unwrap_or_else(|| {
            OrderLink::new(client.clone(), order.client_order_id, order.reference.clone(), id.to_string())
        });
        if let (OrderLinkStatus::Created, Some(o)) = (link.status, link.source_order_id) {
            tracing::info!(store = %client, order = order.client_order_id, source_order = o, "already replicated");
            if link.stock_echo_pending {
                self.finish_echo(&mut link, order, None).await?;
            }
            self.follow_retailer(&mut link, order, o).await?;
            return Ok(Replication::AlreadyCreated(o));
        }
        link.event_id = id.to_string();
        link.client_state = order.state.clone().or(link.client_state);
        if forward_only_valid && order.valid == Some(false) {
            link.status = OrderLinkStatus::WaitingPayment;
            link.updated_at = Utc::now();
            self.links.save(&link).await?;
            tracing::info!(store = %client, order = order.client_order_id, "not valid yet at the retailer: waiting");
            return Ok(Replication::WaitingPayment);
        }
        link.status = OrderLinkStatus::Pending;
        link.error = None;
        link.updated_at = Utc::now();
        // Written before any remote call.
        self.links.save(&link).await?;

        let outcome = self.create_on_source(&mut link, order).await;
        match outcome {
            Ok((created, plan)) => {
                self.finish_echo(&mut link, order, plan).await?;
                Ok(created)
            }
            Err(SourceError::Refused(r)) => {
                link.status = OrderLinkStatus::Failed;
                link.error = Some(r.to_string());
                link.updated_at = Utc::now();
                self.links.save(&link).await?;
                tracing::warn!(store = %client, order = order.client_order_id, reason = %r, "order refused");
                Err(JobError::Permanent(r.to_string()))
            }
            Err(SourceError::Gateway(e)) => {
                if let GatewayError::Permanent(m) | GatewayError::Gone(m) = &e {
                    link.status = OrderLinkStatus::Failed;
                    link.error = Some(m.clone());
                    link.updated_at = Utc::now();
                    self.links.save(&link).await?;
                } else {
                    link.error = Some(e.to_string());
                    self.links.save(&link).await?;
                }
                Err(e.into())
            }
        }
    }

    /// Creates the order on the source (or finds the one its cart already has); returns what happened and
    /// the plan it was made from (none when the cart's order was found: the catalog may have changed since).
    async fn create_on_source(
        &self,
        link: &mut OrderLink,
        order: &OrderData,
    ) -> Result<(Replication, Option<OrderPlan>), SourceError> {
        // A retry after the cart was made looks its order up before anything else: once the source order
        // exists, a SKU unknown since or a carrier gone since must not fail an order that was made.
        if let Some(cart) = link.source_cart_id
            && let Some(found) = self.source.order_for_cart(cart).await?
        {
            self.record(link, &found, false).await?;
            return Ok((Replication::AlreadyCreated(found.id), None));
        }
        let plan = self.source.plan(&link.client_store, order).await?;
        let customer = self.source.customer_for(&link.client_store).await?;
        let cart = match link.source_cart_id {
            Some(cart) => cart,
            None => {
                let cart = self.source.create_cart(customer, order, &plan).await?;
                link.source_cart_id = Some(cart);
                self.links
                    .save(link)
                    .await
                    .map_err(|e| SourceError::Gateway(GatewayError::Retryable(e.to_string())))?;
                cart
            }
        };
        let created = self.source.order_cart(cart, customer, order, &plan).await?;
        self.record(link, &created, true).await?;
        Ok((Replication::Created(created.id), Some(plan)))
    }

    /// Records the source order on the link: `Created` (stock echo owed), or the refusal `payment_error`
    /// when PrestaShop put it in "Payment error" — such an order took no stock and is no replication, even
    /// when a retry finds it as its cart's order.
    async fn record(&self, link: &mut OrderLink, o: &SourceOrder, created: bool) -> Result<(), SourceError> {
        link.source_order_id = Some(o.id);
        link.source_reference = Some(o.reference.clone());
        link.source_state = Some(o.state.clone());
        link.carrier_id = o.carrier.as_ref().map(|c| c.id);
        link.carrier_name = o.carrier.as_ref().map(|c| c.name.clone());
        link.shipping_tax_incl = Some(o.shipping_tax_incl);
        if o.in_payment_error() {
            return Err(SourceError::Refused(Refusal {
                code: "payment_error",
                detail: format!(
                    "source order {} is in state {} (its total differs from the source's cart); a retry finds this \
                     same order: handle it on the source",
                    o.id, o.state
                ),
            }));
        }
        link.status = OrderLinkStatus::Created;
        link.error = None;
        // Recorded with the order: a worker that dies before the echo leaves it owed, not forgotten.
        link.stock_echo_pending = true;
        link.updated_at = Utc::now();
        self.links.save(link).await.map_err(|e| SourceError::Gateway(GatewayError::Retryable(e.to_string())))?;
        tracing::info!(
            store = %link.client_store, order = link.client_order_id, source_order = o.id,
            reference = %o.reference, created, "order replicated"
        );
        Ok(())
    }

    /// Reads the source's stock of the order's products back and fans it out, then records the echo done.
    /// A failure is retryable: the job runs again and, the order existing, only finishes the echo.
    pub(super) async fn finish_echo(
        &self,
        link: &mut OrderLink,
        order: &OrderData,
        plan: Option<OrderPlan>,
    ) -> Result<(), JobError> {
        let plan = match plan {
            Some(plan) => plan,
            None => match self.source.plan(&link.client_store, order).await {
                Ok(plan) => plan,
                Err(SourceError::Refused(r)) => {
                    // A product gone from the source since: nothing left to read back for it.
                    tracing::warn!(store = %link.client_store, order = link.client_order_id, reason = %r, "stock echo skipped");
                    OrderPlan { lines: Vec::new(), currency_id: 0, country_id: 0, carrier: None }
                }
                Err(SourceError::Gateway(e)) => return Err(JobError::Retryable(format!("stock echo: {e}"))),
            },
        };
        self.echo_stock(&plan).await?;
        link.stock_echo_pending = false;
        link.updated_at = Utc::now();
        self.links.save(link).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        catalog::MockProductStates,
        errors::StorageError,
        ingest::MockInbox,
        jobs::MockJobQueue,
        lease::TokioTimer,
        model::{Money, NewEvent, OrderLine, PriceRule, Secret, Sku, StaticStoreDirectory, Store, StoredEvent},
        replication::ports::{MockSourceShop, OrderPlan, Refusal, SourceCarrier, SourceLine, SourceOrder},
    };
    use async_trait::async_trait;
    use std::{sync::Mutex, time::Duration};

    fn order() -> OrderData {
        let (c, a) = crate::fixtures::ana_in_madrid();
        let line = OrderLine::new(Sku::parse("WHS-0001").unwrap(), 2, Money::parse("15.73").unwrap()).unwrap();
        OrderData::new(
            42,
            "XKBKNABJK".into(),
            "EUR".into(),
            c,
            a,
            vec![line],
            Money::parse("31.46").unwrap(),
            Utc::now(),
            Some(true),
            None,
        )
        .unwrap()
    }

    fn inbox() -> MockInbox {
        let event = NewEvent::new(
            EventId::parse("order-evt-1").unwrap(),
            StoreCode::parse("retail-1").unwrap(),
            Utc::now(),
            None,
            EventPayload::Order(Box::new(order())),
        );
        let mut inbox = MockInbox::new();
        inbox
            .expect_load()
            .returning(move |_| Ok(Some(StoredEvent::new(event.clone(), EventStatus::Queued, Utc::now(), 0, None))));
        inbox.expect_mark_processed().returning(|_| Ok(()));
        inbox
    }

    fn stores() -> Arc<dyn StoreDirectory> {
        let s = Store::new(
            StoreCode::parse("retail-1").unwrap(),
            StoreRole::Client,
            Secret::new("client-key-0123456789"),
            None,
            true,
            PriceRule::default(),
        );
        Arc::new(StaticStoreDirectory::new(vec![s]).unwrap())
    }

    /// Links kept in memory, with a working lease.
    #[derive(Default)]
    struct MemLinks(Mutex<Option<OrderLink>>);

    #[async_trait]
    impl OrderLinks for MemLinks {
        async fn get(&self, _: &StoreCode, _: u64) -> Result<Option<OrderLink>, StorageError> {
            Ok(self.0.lock().unwrap().clone())
        }
        async fn save(&self, link: &OrderLink) -> Result<(), StorageError> {
            *self.0.lock().unwrap() = Some(link.clone());
            Ok(())
        }
        async fn lease(&self, _: &StoreCode, _: u64, _: &str, _: Duration) -> Result<bool, StorageError> {
            Ok(true)
        }
        async fn release(&self, _: &StoreCode, _: u64, _: &str) -> Result<(), StorageError> {
            Ok(())
        }
        async fn find_by_source(&self, order: u64, cart: Option<u64>) -> Result<Option<OrderLink>, StorageError> {
            let link = self.0.lock().unwrap().clone();
            Ok(link.filter(|l| l.source_order_id == Some(order) || (cart.is_some() && l.source_cart_id == cart)))
        }
        async fn created_since(&self, _: chrono::DateTime<Utc>, _: u32) -> Result<Vec<OrderLink>, StorageError> {
            Ok(self.0.lock().unwrap().clone().into_iter().collect())
        }
    }

    fn plan() -> OrderPlan {
        OrderPlan {
            lines: vec![SourceLine {
                sku: Sku::parse("WHS-0001").unwrap(),
                product_sku: Sku::parse("WHS-0001").unwrap(),
                product_id: 6,
                combination_id: 0,
                quantity: 2,
            }],
            currency_id: 1,
            country_id: 6,
            carrier: Some(SourceCarrier { id: 2, name: "My carrier".into() }),
        }
    }

    fn source_order() -> SourceOrder {
        SourceOrder {
            id: 9,
            reference: "SRCREF".into(),
            state: "11".into(),
            valid: true,
            total_paid_tax_incl: Money::parse("31.46").unwrap(),
            carrier: Some(SourceCarrier { id: 2, name: "My carrier".into() }),
            shipping_tax_incl: Money::parse("8.40").unwrap(),
        }
    }

    fn use_case(links: Arc<MemLinks>, source: MockSourceShop) -> ReplicateOrder {
        let mut states = MockProductStates::new();
        states.expect_latest().returning(|_| Ok(None));
        ReplicateOrder::new(
            Arc::new(inbox()),
            links,
            Arc::new(source),
            stores(),
            Arc::new(states),
            Arc::new(MockJobQueue::new()),
            Arc::new(TokioTimer),
            "w".into(),
        )
    }

    #[tokio::test]
    async fn an_order_is_created_once_and_linked_with_its_cart() {
        let links = Arc::new(MemLinks::default());
        let mut source = MockSourceShop::new();
        source.expect_plan().returning(|_, _| Ok(plan()));
        source.expect_customer_for().returning(|_| Ok(3));
        source.expect_create_cart().times(1).returning(|_, _, _| Ok(77));
        source.expect_order_cart().times(1).returning(|_, _, _, _| Ok(source_order()));
        source.expect_product().returning(|_| Ok(None));
        source.expect_stock().returning(|_| Ok(vec![(0, 298)]));
        let uc = use_case(links.clone(), source);
        assert_eq!(uc.execute(&EventId::parse("order-evt-1").unwrap()).await, Ok(Replication::Created(9)));
        let link = links.0.lock().unwrap().clone().unwrap();
        assert_eq!(
            (link.status, link.source_cart_id, link.source_order_id),
            (OrderLinkStatus::Created, Some(77), Some(9))
        );
    }

    #[tokio::test]
    async fn a_retry_after_a_crash_finds_the_order_of_its_cart_instead_of_creating_another() {
        let links = Arc::new(MemLinks::default());
        let mut pending = OrderLink {
            source_cart_id: Some(77),
            ..OrderLink::new(StoreCode::parse("retail-1").unwrap(), 42, "XKBKNABJK".into(), "order-evt-1".into())
        };
        pending.status = OrderLinkStatus::Pending;
        *links.0.lock().unwrap() = Some(pending);
        let mut source = MockSourceShop::new();
        source.expect_plan().returning(|_, _| Ok(plan()));
        source.expect_customer_for().returning(|_| Ok(3));
        source.expect_create_cart().never();
        source.expect_order_for_cart().withf(|c| *c == 77).returning(|_| Ok(Some(source_order())));
        source.expect_order_cart().never();
        source.expect_product().returning(|_| Ok(None));
        source.expect_stock().returning(|_| Ok(vec![]));
        let uc = use_case(links.clone(), source);
        assert_eq!(uc.execute(&EventId::parse("order-evt-1").unwrap()).await, Ok(Replication::AlreadyCreated(9)));
    }

    #[tokio::test]
    async fn an_unknown_sku_fails_the_order_with_its_reason_and_creates_nothing() {
        let links = Arc::new(MemLinks::default());
        let mut source = MockSourceShop::new();
        source
            .expect_plan()
            .returning(|_, _| Err(SourceError::Refused(Refusal { code: "unknown_sku", detail: "WHS-0001".into() })));
        source.expect_customer_for().never();
        source.expect_create_cart().never();
        source.expect_order_cart().never();
        let uc = use_case(links.clone(), source);
        let got = uc.execute(&EventId::parse("order-evt-1").unwrap()).await;
        assert!(matches!(got, Err(JobError::Permanent(ref m)) if m.starts_with("unknown_sku")), "{got:?}");
        let link = links.0.lock().unwrap().clone().unwrap();
        assert_eq!(link.status, OrderLinkStatus::Failed);
        assert_eq!(link.error.as_deref(), Some("unknown_sku: WHS-0001"));
    }

    #[tokio::test]
    async fn a_stock_echo_cut_short_after_the_order_exists_is_finished_by_the_next_run_without_a_second_order() {
        let links = Arc::new(MemLinks::default());
        let mut source = MockSourceShop::new();
        source.expect_plan().returning(|_, _| Ok(plan()));
        source.expect_customer_for().returning(|_| Ok(3));
        source.expect_create_cart().times(1).returning(|_, _, _| Ok(77));
        source.expect_order_cart().times(1).returning(|_, _, _, _| Ok(source_order()));
        source.expect_order_for_cart().never();
        let mut reads = 0;
        source.expect_product().returning(|_| Ok(None));
        source.expect_stock().times(2).returning(move |_| {
            reads += 1;
            if reads == 1 {
                Err(SourceError::Gateway(GatewayError::Retryable("connection reset".into())))
            } else {
                Ok(vec![(0, 298)])
            }
        });
        let uc = use_case(links.clone(), source);
        let id = EventId::parse("order-evt-1").unwrap();
        let first = uc.execute(&id).await;
        assert!(matches!(first, Err(JobError::Retryable(_))), "the echo failed, so the job is retried: {first:?}");
        let link = links.0.lock().unwrap().clone().unwrap();
        assert_eq!((link.status, link.stock_echo_pending), (OrderLinkStatus::Created, true), "owed, not forgotten");
        assert_eq!(uc.execute(&id).await, Ok(Replication::AlreadyCreated(9)));
        assert!(!links.0.lock().unwrap().clone().unwrap().stock_echo_pending, "the retry finished the echo");
    }

    fn link_with_cart(status: OrderLinkStatus) -> OrderLink {
        OrderLink {
            status,
            source_cart_id: Some(77),
            error: Some("payment_error: source order 9 is in state 8".into()),
            ..OrderLink::new(StoreCode::parse("retail-1").unwrap(), 42, "XKBKNABJK".into(), "order-evt-1".into())
        }
    }

    #[tokio::test]
    async fn a_retry_that_finds_its_carts_order_in_payment_error_keeps_the_link_failed_with_payment_error() {
        let links = Arc::new(MemLinks::default());
        *links.0.lock().unwrap() = Some(link_with_cart(OrderLinkStatus::Failed));
        let mut source = MockSourceShop::new();
        source
            .expect_order_for_cart()
            .returning(|_| Ok(Some(SourceOrder { state: "8".into(), valid: false, ..source_order() })));
        source.expect_plan().never();
        source.expect_order_cart().never();
        source.expect_stock().never();
        let uc = use_case(links.clone(), source);
        let got = uc.execute(&EventId::parse("order-evt-1").unwrap()).await;
        assert!(matches!(got, Err(JobError::Permanent(ref m)) if m.starts_with("payment_error")), "{got:?}");
        let link = links.0.lock().unwrap().clone().unwrap();
        assert_eq!(link.status, OrderLinkStatus::Failed, "an order in Payment error took no stock: not created");
        assert!(link.error.as_deref().is_some_and(|e| e.starts_with("payment_error: source order 9")), "{link:?}");
        assert_eq!(link.source_order_id, Some(9), "the order found is shown, for the wholesaler to handle");
    }

    #[tokio::test]
    async fn a_retry_after_the_source_order_exists_marks_it_created_even_when_a_sku_has_become_unknown() {
        let links = Arc::new(MemLinks::default());
        *links.0.lock().unwrap() = Some(link_with_cart(OrderLinkStatus::Pending));
        let mut source = MockSourceShop::new();
        source.expect_order_for_cart().withf(|c| *c == 77).returning(|_| Ok(Some(source_order())));
        source
            .expect_plan()
            .returning(|_, _| Err(SourceError::Refused(Refusal { code: "unknown_sku", detail: "WHS-0001".into() })));
        source.expect_create_cart().never();
        source.expect_order_cart().never();
        let uc = use_case(links.clone(), source);
        assert_eq!(uc.execute(&EventId::parse("order-evt-1").unwrap()).await, Ok(Replication::AlreadyCreated(9)));
        let link = links.0.lock().unwrap().clone().unwrap();
        assert_eq!((link.status, link.source_order_id, link.error), (OrderLinkStatus::Created, Some(9), None));
        assert_eq!((link.carrier_id, link.shipping_tax_incl), (Some(2), Some(Money::parse("8.40").unwrap())));
    }

    #[tokio::test]
    async fn an_event_processed_before_answers_the_source_order_of_its_link_not_a_made_up_id() {
        let event = NewEvent::new(
            EventId::parse("order-evt-1").unwrap(),
            StoreCode::parse("retail-1").unwrap(),
            Utc::now(),
            None,
            EventPayload::Order(Box::new(order())),
        );
        let mut inbox = MockInbox::new();
        inbox
            .expect_load()
            .returning(move |_| Ok(Some(StoredEvent::new(event.clone(), EventStatus::Processed, Utc::now(), 0, None))));
        let links = Arc::new(MemLinks::default());
        let mut created = link_with_cart(OrderLinkStatus::Created);
        created.source_order_id = Some(31);
        *links.0.lock().unwrap() = Some(created);
        let mut states = MockProductStates::new();
        states.expect_latest().never();
        let uc = ReplicateOrder::new(
            Arc::new(inbox),
            links.clone(),
            Arc::new(MockSourceShop::new()),
            stores(),
            Arc::new(states),
            Arc::new(MockJobQueue::new()),
            Arc::new(TokioTimer),
            "w".into(),
        );
        let id = EventId::parse("order-evt-1").unwrap();
        assert_eq!(uc.execute(&id).await, Ok(Replication::AlreadyCreated(31)));
        let mut waiting = link_with_cart(OrderLinkStatus::WaitingPayment);
        waiting.source_cart_id = None;
        *links.0.lock().unwrap() = Some(waiting);
        assert_eq!(uc.execute(&id).await, Ok(Replication::AlreadyProcessed), "no source order: no id to give");
    }

    #[tokio::test]
    async fn the_stock_echo_of_a_product_the_hub_never_saw_records_what_the_source_has_and_fans_it_out() {
        let links = Arc::new(MemLinks::default());
        let mut source = MockSourceShop::new();
        source.expect_plan().returning(|_, _| Ok(plan()));
        source.expect_customer_for().returning(|_| Ok(3));
        source.expect_create_cart().returning(|_, _, _| Ok(77));
        source.expect_order_cart().returning(|_, _, _, _| Ok(source_order()));
        source.expect_stock().returning(|_| Ok(vec![(0, 298)]));
        source.expect_product().withf(|id| *id == 6).times(1).returning(|_| {
            Ok(Some(
                crate::model::ProductData::new(
                    6,
                    Sku::parse("WHS-0001").unwrap(),
                    "Mug".into(),
                    Money::parse("10.00").unwrap(),
                    298,
                    true,
                    Utc::now(),
                    vec![],
                )
                .unwrap(),
            ))
        });
        let mut states = MockProductStates::new();
        states.expect_latest().returning(|_| Ok(None));
        let recorded = Arc::new(Mutex::new(None));
        let r = recorded.clone();
        states.expect_apply_if_newer().times(1).returning(move |s| {
            *r.lock().unwrap() = Some(s.clone());
            Ok(true)
        });
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].sku.as_str() == "WHS-0001" && jobs[0].store.as_str() == "retail-1")
            .times(1)
            .returning(|_| Ok(()));
        let uc = ReplicateOrder::new(
            Arc::new(inbox()),
            links,
            Arc::new(source),
            stores(),
            Arc::new(states),
            Arc::new(queue),
            Arc::new(TokioTimer),
            "w".into(),
        );
        assert_eq!(uc.execute(&EventId::parse("order-evt-1").unwrap()).await, Ok(Replication::Created(9)));
        let state = recorded.lock().unwrap().clone().expect("the read product became the known state");
        assert_eq!((state.product.sku.as_str(), state.product.quantity), ("WHS-0001", 298));
    }
}
