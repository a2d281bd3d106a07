//! `GET /api/skus/{reference}`: "where is my SKU?" as JSON — the hub's latest source state of a reference
//! and, per client store, its link, what was last applied and whether a sync is owed.

use actix_web::web;
use hub_domain::{
    Sku, StoreRole,
    operations::{ClientSku, LocateSku, Pending, SkuReport},
};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};

use crate::{error::ApiError, webhook::ApiKey};

/// A SKU as the hub knows it: the source's latest state and each client's side.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct SkuResponse {
    /// The reference.
    pub reference: String,
    /// The hub's latest state of it from the source store.
    pub source: SourceStateResponse,
    /// One row per client store (only the caller's own for a client store's key).
    pub clients: Vec<ClientSkuResponse>,
}

/// The hub's latest source state of a SKU.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct SourceStateResponse {
    /// Product id on the source.
    pub product_id: u64,
    /// Name on the source.
    pub name: String,
    /// Price, tax excluded, a decimal string such as "10.00".
    pub price: String,
    /// Stock on the source.
    pub quantity: i64,
    /// For sale.
    pub active: bool,
    /// The source's last change of the product, RFC 3339.
    pub updated_at: String,
    /// The event that brought this state.
    pub event_id: String,
    /// Combinations, empty for a simple product.
    pub combinations: Vec<SourceCombinationResponse>,
}

/// A combination on the source.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct SourceCombinationResponse {
    /// Combination id on the source.
    pub id: u64,
    /// Its own reference, when it has one.
    pub reference: Option<String>,
    /// Its EAN13, when it has one.
    pub ean13: Option<String>,
    /// Stock on the source.
    pub quantity: i64,
}

/// One client store's side of a SKU.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct ClientSkuResponse {
    /// The client store.
    pub store: String,
    /// Whether the store is synced at all.
    pub active: bool,
    /// The link's status as stored (`linked`, `unlinked`, `ambiguous`, …), or `not_looked_up` when no sync
    /// has looked the SKU up on this store yet.
    pub status: String,
    /// Why it is not linked, or the last problem (e.g. the ids of the products sharing the reference).
    pub note: Option<String>,
    /// The client's product id, when linked.
    pub client_product_id: Option<u64>,
    /// Source combination → the client's stock row and combination.
    pub combinations: Vec<CombinationLinkResponse>,
    /// Source combinations that matched nothing on the client.
    pub unmatched_combinations: Vec<u64>,
    /// What the hub last wrote to the client.
    pub applied: AppliedResponse,
    /// The source event whose state the link last dealt with.
    pub applied_event_id: Option<String>,
    /// When the link was last saved (a sync applied a state or found the SKU unlinked or ambiguous), RFC 3339.
    pub applied_at: Option<String>,
    /// `none` when the link has dealt with the latest source state, `owed` when a sync of it is still due
    /// (queued, running, failed, or to be queued again by the owed-sync sweeper). Whether a job sits in the
    /// queue right now is not known per SKU. `store_inactive` when the store is not synced at all.
    pub pending: String,
    /// When the owed-sync sweeper last queued this sync again, RFC 3339.
    pub requeued_at: Option<String>,
    /// How many times it queued it again for that source event.
    pub requeue_attempts: Option<u32>,
    /// The latest failed sync of this SKU to this store waiting for Retry or Discard.
    pub failed_job: Option<FailedSyncResponse>,
}

/// A failed sync waiting for an operator.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct FailedSyncResponse {
    /// The failed job's id (the dashboard's Jobs page, `hub jobs retry <id>`).
    pub id: i64,
    /// Its last error.
    pub error: String,
    /// When it failed, RFC 3339.
    pub failed_at: String,
}

/// Where a source combination lives on a client.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct CombinationLinkResponse {
    /// Combination id on the source (0: the product itself).
    pub source_combination_id: u64,
    /// The client's `stock_availables` id.
    pub client_stock_row_id: u64,
    /// The client's combination id (0: the product itself).
    pub client_combination_id: u64,
}

/// What the hub last wrote to a client.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct AppliedResponse {
    /// Price written, tax excluded.
    pub price: Option<String>,
    /// Active flag written.
    pub active: Option<bool>,
    /// Quantities written per client stock row.
    pub stock: Vec<AppliedStockResponse>,
}

/// A quantity written to one client stock row.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct AppliedStockResponse {
    /// The client's `stock_availables` id.
    pub stock_row_id: u64,
    /// The quantity written.
    pub quantity: i64,
}

impl From<SkuReport> for SkuResponse {
    fn from(r: SkuReport) -> Self {
        let p = &r.source.product;
        let source = SourceStateResponse {
            product_id: p.source_id,
            name: p.name.clone(),
            price: p.price.to_string(),
            quantity: p.quantity,
            active: p.active,
            updated_at: p.updated_at.to_rfc3339(),
            event_id: r.source.event_id.as_str().to_owned(),
            combinations: p
                .combinations
                .iter()
                .map(|c| SourceCombinationResponse {
                    id: c.source_id,
                    reference: c.reference.as_ref().map(|s| s.as_str().to_owned()),
                    ean13: c.ean13.clone(),
                    quantity: c.quantity,
                })
                .collect(),
        };
        Self { reference: r.sku.as_str().to_owned(), source, clients: r.clients.into_iter().map(client).collect() }
    }
}

fn client(c: ClientSku) -> ClientSkuResponse {
    let pending = match c.pending {
        Pending::Nothing => "none",
        Pending::Owed { .. } => "owed",
        Pending::StoreInactive => "store_inactive",
    };
    let activity = c.activity;
    let (requeued_at, requeue_attempts) = activity.requeued.map_or((None, None), |(at, _, n)| (Some(at), Some(n)));
    let mut row = ClientSkuResponse {
        store: c.store.to_string(),
        active: c.active,
        status: "not_looked_up".into(),
        note: None,
        client_product_id: None,
        combinations: vec![],
        unmatched_combinations: vec![],
        applied: AppliedResponse { price: None, active: None, stock: vec![] },
        applied_event_id: None,
        applied_at: activity.link_saved_at.map(|t| t.to_rfc3339()),
        pending: pending.into(),
        requeued_at: requeued_at.map(|t| t.to_rfc3339()),
        requeue_attempts,
        failed_job: activity.waiting_failure.map(|f| FailedSyncResponse {
            id: f.id,
            error: f.error,
            failed_at: f.failed_at.to_rfc3339(),
        }),
    };
    let Some(link) = c.link else {
        return row;
    };
    row.status = link.status.as_str().to_owned();
    row.note = link.note;
    row.client_product_id = link.client_product_id;
    row.combinations = link
        .stock_rows
        .iter()
        .map(|(source, (row, comb))| CombinationLinkResponse {
            source_combination_id: *source,
            client_stock_row_id: *row,
            client_combination_id: *comb,
        })
        .collect();
    row.unmatched_combinations = link.unmatched_combinations;
    row.applied = AppliedResponse {
        price: link.applied.price.map(|m| m.to_string()),
        active: link.applied.active,
        stock: link
            .applied
            .stock
            .iter()
            .map(|(row, q)| AppliedStockResponse { stock_row_id: *row, quantity: *q })
            .collect(),
    };
    row.applied_event_id = link.applied_event_id;
    row
}

/// Where a SKU stands on the client stores.
///
/// The source store's key reads every client's row; a client store's key reads its own row only. Both see
/// the hub's latest source state. A reference the hub has no source state of is a 404.
#[api_v2_operation(tags(Products), operation_id = "getSku", produces = "application/json")]
pub async fn sku(
    key: ApiKey,
    path: web::Path<String>,
    skus: web::Data<LocateSku>,
) -> Result<web::Json<SkuResponse>, ApiError> {
    let reference = path.into_inner();
    let unknown = || ApiError::NotFound(format!("the hub does not know SKU `{reference}`"));
    let sku = Sku::parse(&reference).map_err(|_| unknown())?;
    let caller = &key.0;
    let only = (caller.role != StoreRole::Source).then_some(&caller.code);
    let report = skus
        .report(&sku, only)
        .await
        .map_err(|e| ApiError::Unavailable { message: e.to_string(), retry_after: 5 })?
        .ok_or_else(unknown)?;
    Ok(web::Json(report.into()))
}
