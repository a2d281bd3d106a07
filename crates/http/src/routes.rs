//! The routes: the two webhooks, liveness and readiness.

use std::sync::Arc;

use actix_web::web;
use hub_domain::{
    JobQueue, StoreCode, StoreDirectory, StoreRole,
    ingest::{AcceptError, AcceptOrderEvent, AcceptOrderStatusEvent, AcceptProductEvent, Acceptance, Inbox},
    replication::OrderLinks,
};
use paperclip::actix::{AcceptedJson, Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};

use crate::{
    error::ApiError,
    webhook::{ApiKey, Webhook},
    wire::{AcceptedResponse, OrderEventBody, OrderStatusEventBody, ProductEventBody},
};

/// What the handlers need.
#[derive(Clone)]
pub struct AppState {
    /// Accepts product events.
    pub accept_product: AcceptProductEvent,
    /// Accepts order events.
    pub accept_order: AcceptOrderEvent,
    /// Accepts the source's order status reports.
    pub accept_status: AcceptOrderStatusEvent,
    /// For readiness.
    pub inbox: Arc<dyn Inbox>,
    /// For readiness.
    pub queue: Arc<dyn JobQueue>,
    /// Order links.
    pub orders: Arc<dyn OrderLinks>,
    /// The stores (their order state maps).
    pub stores: Arc<dyn StoreDirectory>,
}

fn accepted(
    event_id: &str,
    result: Result<Acceptance, AcceptError>,
) -> Result<AcceptedJson<AcceptedResponse>, ApiError> {
    match result {
        Ok(a) => Ok(AcceptedJson(AcceptedResponse { event_id: event_id.to_owned(), status: a.as_str().to_owned() })),
        Err(e @ AcceptError::RoleNotAllowed { .. }) => Err(ApiError::Forbidden(e.to_string())),
        Err(AcceptError::NotStored(m) | AcceptError::NotQueued(m)) => {
            Err(ApiError::Unavailable { message: m, retry_after: 5 })
        }
    }
}

/// A product changed on the source store.
///
/// Accepted (202) once the event is durably stored and queued; a repeated `event_id` is answered 202
/// `duplicate` and ignored. Only the source store's key may post here.
#[api_v2_operation(
    tags(Sync),
    operation_id = "syncProduct",
    consumes = "application/json",
    produces = "application/json"
)]
pub async fn sync_product(
    body: Webhook<ProductEventBody>,
    state: web::Data<AppState>,
) -> Result<AcceptedJson<AcceptedResponse>, ApiError> {
    let result = state.accept_product.execute(&body.store, &body.event).await;
    answer("product", &body, result)
}

/// An order was placed at a client store.
///
/// Accepted (202) once the event is durably stored and queued; a repeated `event_id` is answered 202
/// `duplicate` and ignored. Only a client store's key may post here.
#[api_v2_operation(
    tags(Sync),
    operation_id = "syncOrder",
    consumes = "application/json",
    produces = "application/json"
)]
pub async fn sync_order(
    body: Webhook<OrderEventBody>,
    state: web::Data<AppState>,
) -> Result<AcceptedJson<AcceptedResponse>, ApiError> {
    let result = state.accept_order.execute(&body.store, &body.event).await;
    answer("order", &body, result)
}

/// The source store reports the state or tracking number of an order the hub created there.
///
/// Accepted (202) once the event is durably stored and queued; a repeated `event_id` is answered 202
/// `duplicate` and ignored. Only the source store's key may post here. The hub then carries the state
/// (mapped per retailer, forward only) and the tracking number to the retailer's order.
#[api_v2_operation(
    tags(Sync),
    operation_id = "syncOrderStatus",
    consumes = "application/json",
    produces = "application/json"
)]
pub async fn sync_order_status(
    body: Webhook<OrderStatusEventBody>,
    state: web::Data<AppState>,
) -> Result<AcceptedJson<AcceptedResponse>, ApiError> {
    let result = state.accept_status.execute(&body.store, &body.event).await;
    answer("order_status", &body, result)
}

/// Logs and counts what accepting `body` did, and answers it.
fn answer<T>(
    kind: &str,
    body: &Webhook<T>,
    result: Result<Acceptance, AcceptError>,
) -> Result<AcceptedJson<AcceptedResponse>, ApiError> {
    log_acceptance(kind, body, &result);
    accepted(body.event.event_id.as_str(), result)
}

fn log_acceptance<T>(kind: &str, body: &Webhook<T>, result: &Result<Acceptance, AcceptError>) {
    let store = body.store.code.as_str().to_owned();
    let result_label = match result {
        Ok(a) => a.as_str(),
        Err(AcceptError::RoleNotAllowed { .. }) => "forbidden",
        Err(_) => "unavailable",
    };
    metrics::counter!("hub_events_total", "kind" => kind.to_owned(), "store" => store, "result" => result_label)
        .increment(1);
    match result {
        Ok(a) => {
            tracing::debug!(event_id = %body.event.event_id, store = %body.store.code, kind, status = a.as_str(), "event accepted")
        }
        Err(e) => {
            tracing::warn!(event_id = %body.event.event_id, store = %body.store.code, kind, error = %e, "event not accepted")
        }
    }
}

/// A client order and what became of it on the source store.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct OrderLinkResponse {
    /// The retailer's store code.
    pub client_store: String,
    /// The order id at the retailer.
    pub client_order_id: u64,
    /// The order reference at the retailer.
    pub client_reference: String,
    /// `pending`, `waiting_payment` (not valid at the retailer yet), `created` or `failed`.
    pub status: String,
    /// The order id on the source store, once created.
    pub source_order_id: Option<u64>,
    /// Its reference.
    pub source_reference: Option<String>,
    /// Its state id on the source.
    pub source_state: Option<String>,
    /// Why it failed, with a stable reason code first (`unknown_sku: …`, `combination_not_matched: …`,
    /// `payment_error: …`).
    pub error: Option<String>,
    /// The source order's carrier id, once the order exists there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_id: Option<u64>,
    /// That carrier's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_name: Option<String>,
    /// The shipping the source charged, tax included, a decimal string such as "8.40".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_tax_incl: Option<String>,
    /// The source order's state name, as the source reported it.
    pub source_state_name: Option<String>,
    /// What the source state means: `processing`, `shipped`, `delivered`, `cancelled`, `refunded`, or null.
    pub source_stage: Option<String>,
    /// The client order's state id, as last seen or set by the hub.
    pub client_state: Option<String>,
    /// What the client state means, as `source_stage`.
    pub client_stage: Option<String>,
    /// The tracking number of the source order's carrier, once the wholesaler set one.
    pub tracking_number: Option<String>,
    /// When the hub last carried a state or tracking number between the shops, RFC 3339.
    pub status_updated_at: Option<String>,
    /// Something for the wholesaler to handle, e.g. `cancelled at the retailer after the wholesaler shipped
    /// it (…): not cancelled on the source`.
    pub attention: Option<String>,
    /// Last change, RFC 3339.
    pub updated_at: String,
}

/// Where a client order stands on the source store.
///
/// A client store's key reads its own orders; the source store's key reads every client's.
#[api_v2_operation(tags(Orders), operation_id = "getOrderLink", produces = "application/json")]
pub async fn order_link(
    key: ApiKey,
    path: web::Path<(String, u64)>,
    state: web::Data<AppState>,
) -> Result<web::Json<OrderLinkResponse>, ApiError> {
    let (store, order_id) = path.into_inner();
    let store = StoreCode::parse(&store).map_err(|_| ApiError::NotFound(format!("no store `{store}`")))?;
    let caller = &key.0;
    if caller.role != StoreRole::Source && caller.code != store {
        return Err(ApiError::Forbidden(format!("store `{}` may only read its own orders", caller.code)));
    }
    let link = state
        .orders
        .get(&store, order_id)
        .await
        .map_err(|e| ApiError::Unavailable { message: e.to_string(), retry_after: 5 })?
        .ok_or_else(|| ApiError::NotFound(format!("no order {order_id} from store `{store}`")))?;
    let source_stage = stage(state.stores.source().as_deref(), link.source_state.as_deref());
    let client_stage = stage(state.stores.get(&store).as_deref(), link.client_state.as_deref());
    Ok(web::Json(OrderLinkResponse {
        source_stage,
        client_stage,
        client_store: link.client_store.to_string(),
        client_order_id: link.client_order_id,
        client_reference: link.client_reference,
        status: link.status.as_str().to_owned(),
        source_order_id: link.source_order_id,
        source_reference: link.source_reference,
        source_state: link.source_state,
        error: link.error,
        carrier_id: link.carrier_id,
        carrier_name: link.carrier_name,
        shipping_tax_incl: link.shipping_tax_incl.map(|m| m.to_string()),
        source_state_name: link.source_state_name,
        client_state: link.client_state,
        tracking_number: link.tracking_number,
        status_updated_at: link.status_updated_at.map(|t| t.to_rfc3339()),
        attention: link.attention,
        updated_at: link.updated_at.to_rfc3339(),
    }))
}

/// What a store's state id means, by its order state map.
fn stage(store: Option<&hub_domain::Store>, state: Option<&str>) -> Option<String> {
    Some(store?.order_states.stage_of(state?)?.as_str().to_owned())
}

/// Liveness and readiness answer.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct HealthResponse {
    /// `ok`, or `unavailable`.
    pub status: String,
    /// Per dependency: `ok` or the reason it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<std::collections::BTreeMap<String, String>>,
}

/// Liveness: the process answers.
#[api_v2_operation(tags(Health), operation_id = "health")]
pub async fn health() -> web::Json<HealthResponse> {
    web::Json(HealthResponse { status: "ok".into(), checks: None })
}

/// What readiness checks.
#[derive(Clone)]
pub struct Probe {
    /// The database.
    pub inbox: Arc<dyn Inbox>,
    /// The queue.
    pub queue: Arc<dyn JobQueue>,
}

/// Readiness: the database and the queue answer (503 with `Retry-After` otherwise).
#[api_v2_operation(tags(Health), operation_id = "ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<HealthResponse>, ApiError> {
    readiness(state.inbox.as_ref(), state.queue.as_ref()).await
}

/// Readiness of a worker's monitoring server.
pub async fn probe_ready(probe: web::Data<Probe>) -> Result<web::Json<HealthResponse>, ApiError> {
    readiness(probe.inbox.as_ref(), probe.queue.as_ref()).await
}

async fn readiness(inbox: &dyn Inbox, queue: &dyn JobQueue) -> Result<web::Json<HealthResponse>, ApiError> {
    let (db, queue) = futures::join!(inbox.ping(), queue.ping());
    let verdict =
        |r: &Result<(), String>| r.as_ref().map(|()| "ok".to_owned()).unwrap_or_else(|_| "unavailable".into());
    let (db, queue) = (db.map_err(|e| e.to_string()), queue.map_err(|e| e.to_string()));
    let checks = std::collections::BTreeMap::from([
        ("database".to_owned(), verdict(&db)),
        ("queue".to_owned(), verdict(&queue)),
    ]);
    if db.is_ok() && queue.is_ok() {
        return Ok(web::Json(HealthResponse { status: "ok".into(), checks: Some(checks) }));
    }
    let message = [db.err().map(|e| format!("database: {e}")), queue.err().map(|e| format!("queue: {e}"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    Err(ApiError::Unavailable { message, retry_after: 5 })
}
