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
        "<table id=\"orders\"><tr><th>Client store</th><th>Client order</th><th>→ Source order</th><th>State</th><th>Updated</th></tr>",
    );
    for l in &links {
        let class = match l.status.as_str() {
            "created" => "ok",
            "failed" => "bad",
            _ => "warn",
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            esc(&l.client_store),
            l.client_order_id,
            l.source_order_id.map_or_else(|| "—".to_owned(), |i| i.to_string()),
            esc(&l.status),
            when(Some(l.updated_at)),
        );
    }
    if links.is_empty() {
        body.push_str("<tr><td colspan=\"5\" class=\"muted\">No order replicated yet.</td></tr>");
    }
    body.push_str("</table>");
    page("Orders", "Orders", &session, &ops, &body)
}
