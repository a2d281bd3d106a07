//! `GET /dashboard/skus?reference=…`: "where is my SKU?" — the hub's latest source state of a reference and,
//! per client store, its link (status and note as stored), the combination mapping, what was last applied
//! and whether a sync is owed; and `POST /dashboard/skus/recheck`, which queues a sync of the SKU to one
//! store.

use std::{collections::BTreeMap, fmt::Write as _};

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use hub_domain::{
    Sku, StoreCode,
    operations::{ClientSku, Pending, RecheckError, SkuReport},
};
use serde::Deserialize;

use crate::dashboard::{
    Operations,
    html::{esc, page, see_other, unavailable, urlencode, when},
    session::{ActionForm, checked, csrf, gate},
};

/// `GET /dashboard/skus`.
pub(crate) async fn sku_page(
    req: HttpRequest,
    ops: web::Data<Operations>,
    query: web::Query<BTreeMap<String, String>>,
) -> HttpResponse {
    let session = match gate(&req, &ops).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let reference = query.get("reference").map(|r| r.trim()).unwrap_or_default();
    let mut body = String::new();
    if let Some(store) = query.get("rechecked") {
        let _ = write!(
            body,
            "<p class=\"flash\" id=\"flash\">A sync of {} to {} is queued; this page shows its result once a worker has run it.</p>",
            esc(reference),
            esc(store)
        );
    }
    if let Some(error) = query.get("error") {
        let _ = write!(body, "<p class=\"flash bad\" id=\"flash\">{}</p>", esc(error));
    }
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/dashboard/skus\" id=\"sku-search\"><label>Reference \
         <input name=\"reference\" value=\"{}\" maxlength=\"64\" required></label> <button>Find</button></form>",
        esc(reference)
    );
    if reference.is_empty() {
        body.push_str(
            "<p class=\"muted\">Enter a product reference to see what each client store has for it, and why.</p>",
        );
        return page("SKUs", "SKUs", &session, &ops, &body);
    }
    let report = match Sku::parse(reference) {
        Ok(sku) => match ops.skus.report(&sku, None).await {
            Ok(r) => r,
            Err(e) => return unavailable(e),
        },
        Err(_) => None,
    };
    let Some(report) = report else {
        let _ = write!(
            body,
            "<p class=\"flash bad\" id=\"not-known\">The hub does not know SKU <code>{}</code>: no product event \
             with this reference has reached it from the source store.</p>",
            esc(reference)
        );
        let mut response = page("SKUs", "SKUs", &session, &ops, &body);
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    source_section(&mut body, &report);
    let token = csrf(&ops, &session);
    clients_section(&mut body, &report, &token);
    page(&format!("SKU {}", report.sku), "SKUs", &session, &ops, &body)
}

fn source_section(body: &mut String, report: &SkuReport) {
    let p = &report.source.product;
    let _ = write!(
        body,
        "<h2>Source</h2><table id=\"source\"><tr><th>Product id</th><th>Name</th><th>Price (tax excl.)</th><th>Quantity</th>\
         <th>Active</th><th>Updated at</th><th>Last event</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td><code>{}</code></td></tr></table>",
        p.source_id,
        esc(&p.name),
        esc(&p.price.to_string()),
        p.quantity,
        if p.active { "yes" } else { "no" },
        when(Some(p.updated_at)),
        esc(report.source.event_id.as_str()),
    );
    if !p.combinations.is_empty() {
        body.push_str(
            "<table id=\"source-combinations\"><tr><th>Combination</th><th>Reference</th><th>EAN13</th><th>Attributes</th><th>Quantity</th></tr>",
        );
        for c in &p.combinations {
            let attributes = c.attributes.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.source_id,
                esc(c.reference.as_ref().map(Sku::as_str).unwrap_or("—")),
                esc(c.ean13.as_deref().unwrap_or("—")),
                esc(&attributes),
                c.quantity,
            );
        }
        body.push_str("</table>");
    }
}

fn clients_section(body: &mut String, report: &SkuReport, token: &str) {
    let _ = write!(
        body,
        "<h2>Client stores ({})</h2><p class=\"muted\">Pending work is what the database tells: a store is owed a sync \
         while its link has not dealt with the latest source state (the owed-sync sweeper queues it again). Whether \
         a job is in the queue right now cannot be told per SKU.</p>\
         <table id=\"clients\"><tr><th>Store</th><th>Link</th><th>Client product</th><th>Combinations</th>\
         <th>Last applied</th><th>Pending</th><th></th></tr>",
        report.clients.len()
    );
    for c in &report.clients {
        client_row(body, report, c, token);
    }
    body.push_str("</table>");
}

fn client_row(body: &mut String, report: &SkuReport, c: &ClientSku, token: &str) {
    let store = esc(c.store.as_str());
    let (status, note, product, combinations, applied) = match &c.link {
        None => {
            ("not looked up yet".to_owned(), String::new(), "—".to_owned(), "—".to_owned(), "nothing yet".to_owned())
        }
        Some(l) => {
            let mut combinations = l
                .stock_rows
                .iter()
                .map(|(source, (row, comb))| format!("{source} → combination {comb}, stock row {row}"))
                .collect::<Vec<_>>();
            if !l.unmatched_combinations.is_empty() {
                let ids = l.unmatched_combinations.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
                combinations.push(format!("<span class=\"warn\">unmatched: {ids}</span>"));
            }
            let stock = l.applied.stock.iter().map(|(row, q)| format!("row {row}: {q}")).collect::<Vec<_>>().join(", ");
            let written = if l.applied.price.is_none() && l.applied.active.is_none() && stock.is_empty() {
                "nothing written".to_owned()
            } else {
                format!(
                    "price {} · active {} · stock {}",
                    esc(&l.applied.price.map_or_else(|| "—".to_owned(), |m| m.to_string())),
                    l.applied.active.map_or("—", |a| if a { "yes" } else { "no" }),
                    if stock.is_empty() { "—".to_owned() } else { stock },
                )
            };
            let applied = format!(
                "{written}<br>dealt with event <code>{}</code><br>at {}",
                esc(l.applied_event_id.as_deref().unwrap_or("—")),
                when(c.activity.link_saved_at),
            );
            (
                l.status.as_str().to_owned(),
                l.note.as_deref().map(|n| format!("<br><code>{}</code>", esc(n))).unwrap_or_default(),
                l.client_product_id.map_or_else(|| "—".to_owned(), |id| id.to_string()),
                if combinations.is_empty() { "—".to_owned() } else { combinations.join("<br>") },
                applied,
            )
        }
    };
    let mut pending = match &c.pending {
        Pending::Nothing => "<span class=\"ok\">nothing owed</span>".to_owned(),
        Pending::Owed { latest_event_id, .. } => {
            format!("<span class=\"warn\">owed: event <code>{}</code></span>", esc(latest_event_id))
        }
        Pending::StoreInactive => "<span class=\"muted\">store inactive: not synced</span>".to_owned(),
    };
    if let Some((at, event, times)) = &c.activity.requeued {
        let _ = write!(
            pending,
            "<br><span class=\"muted\">queued again by the sweeper {} ({times}× for event <code>{}</code>)</span>",
            when(Some(*at)),
            esc(event)
        );
    }
    if let Some(f) = &c.activity.waiting_failure {
        let _ = write!(
            pending,
            "<br><span class=\"bad\" data-failed-id=\"{id}\">failed {}: <code>{}</code> — job {id} waits on \
             <a href=\"/dashboard/jobs\">Jobs</a></span>",
            when(Some(f.failed_at)),
            esc(&f.error),
            id = f.id,
        );
    }
    let action = if c.active {
        format!(
            "<form method=\"post\" action=\"/dashboard/skus/recheck\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
             <input type=\"hidden\" name=\"reference\" value=\"{}\"><input type=\"hidden\" name=\"store\" value=\"{store}\">\
             <button>Re-check now</button></form>",
            esc(report.sku.as_str()),
        )
    } else {
        String::new()
    };
    let _ = write!(
        body,
        "<tr data-store=\"{store}\" data-status=\"{status}\"><td>{store}</td><td>{status}{note}</td><td>{product}</td>\
         <td>{combinations}</td><td>{applied}</td><td>{pending}</td><td>{action}</td></tr>",
        status = esc(&status),
    );
}

/// The re-check form: the CSRF token, the SKU and the store.
#[derive(Debug, Deserialize)]
pub(crate) struct RecheckForm {
    #[serde(flatten)]
    action: ActionForm,
    reference: String,
    store: String,
}

/// `POST /dashboard/skus/recheck`.
pub(crate) async fn recheck(
    req: HttpRequest,
    ops: web::Data<Operations>,
    form: web::Form<RecheckForm>,
) -> HttpResponse {
    if let Err(r) = checked(&req, &ops, &form.action).await {
        return r;
    }
    let back = format!("/dashboard/skus?reference={}", urlencode(&form.reference));
    let (Ok(sku), Ok(store)) = (Sku::parse(&form.reference), StoreCode::parse(&form.store)) else {
        return see_other(&format!("{back}&error={}", urlencode("no such SKU or store")));
    };
    match ops.skus.recheck(&store, &sku).await {
        Ok(()) => see_other(&format!("{back}&rechecked={}", urlencode(store.as_str()))),
        Err(e @ (RecheckError::NotAClient(_) | RecheckError::UnknownSku(_))) => {
            see_other(&format!("{back}&error={}", urlencode(&e.to_string())))
        }
        Err(e) => see_other(&format!("{back}&error={}", urlencode(&format!("not queued, try again: {e}")))),
    }
}
