//! `GET /dashboard/orders`: the replicated orders, client order to source order.

use std::fmt::Write as _;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::dashboard::{
    Operations,
    html::{esc, page, unavailable, when},
    session::gate,
};

/// `GET /dashboard/orders`.
pub(crate) async fn orders_page(req: HttpRequest, ops: web::Data<Operations>) -> HttpResponse {
    let session = match gate(&req, &ops).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let links = match ops.log.order_links(200).await {
        Ok(l) => l,
        Err(e) => return unavailable(e),
    };
    let mut body = String::from(
        "<table id=\"orders\"><tr><th>Client store</th><th>Client order</th><th>→ Source order</th><th>State</th>\
         <th>Reason</th><th>Carrier</th><th>Shipping</th><th>Source state</th><th>Client state</th><th>Tracking</th>\
         <th>Status update</th><th>Attention</th><th>Updated</th></tr>",
    );
    for l in &links {
        let class = match l.status.as_str() {
            "created" => "ok",
            "failed" => "bad",
            _ => "warn",
        };
        let source = match (l.source_order_id, &l.source_reference) {
            (Some(id), Some(r)) if !r.is_empty() => format!("{id} ({})", esc(r)),
            (Some(id), _) => id.to_string(),
            (None, _) => "—".to_owned(),
        };
        let carrier = l.carrier.as_ref().map_or_else(|| "—".to_owned(), |(id, name)| format!("{} (#{id})", esc(name)));
        let source_state = match &l.source_state {
            Some((id, Some(name))) => format!("{} (#{})", esc(name), esc(id)),
            Some((id, None)) => format!("#{}", esc(id)),
            None => "—".to_owned(),
        };
        let attention =
            l.attention.as_deref().map_or_else(String::new, |a| format!("<span class=\"bad\">{}</span>", esc(a)));
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{source}</td><td class=\"{class}\">{}</td><td>{}</td><td>{carrier}</td>\
             <td>{}</td><td>{source_state}</td><td>{}</td><td>{}</td><td>{}</td><td>{attention}</td><td>{}</td></tr>",
            esc(&l.client_store),
            l.client_order_id,
            esc(&l.status),
            esc(l.error.as_deref().unwrap_or("")),
            esc(l.shipping_tax_incl.as_deref().unwrap_or("—")),
            l.client_state.as_deref().map_or_else(|| "—".to_owned(), |s| format!("#{}", esc(s))),
            esc(l.tracking_number.as_deref().unwrap_or("—")),
            if l.status_updated_at.is_some() { when(l.status_updated_at) } else { "—".to_owned() },
            when(Some(l.updated_at)),
        );
    }
    if links.is_empty() {
        body.push_str("<tr><td colspan=\"13\" class=\"muted\">No order replicated yet.</td></tr>");
    }
    body.push_str("</table>");
    page("Orders", "Orders", &session, &ops, &body)
}
