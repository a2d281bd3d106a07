//! `GET /dashboard/stores`: each store's circuit, last success and error, and the SKUs left unlinked; and the
//! table of stores the overview shows too.

use std::{collections::BTreeMap, fmt::Write as _, sync::Arc};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use hub_domain::{StoreDirectory, StoreRole};

use crate::dashboard::{
    Operations,
    html::{esc, page, unavailable, when},
    session::gate,
};

/// `GET /dashboard/stores`.
pub(crate) async fn stores_page(
    req: HttpRequest,
    ops: web::Data<Operations>,
    stores: web::Data<Arc<dyn StoreDirectory>>,
) -> HttpResponse {
    let session = match gate(&req, &ops).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let since = Utc::now() - chrono::Duration::minutes(60);
    let (health, minutes, unlinked, counts) = futures::join!(
        ops.log.store_health(),
        ops.log.store_minutes(since),
        ops.log.unlinked_skus(500),
        ops.log.link_counts()
    );
    let (health, minutes, unlinked, counts) = match (health, minutes, unlinked, counts) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return unavailable(e),
    };
    let mut body = store_table(stores.get_ref().as_ref(), &health, &minutes);
    body.push_str(&catalog_table(stores.get_ref().as_ref(), &counts));
    let mut by_store: BTreeMap<&str, Vec<&hub_domain::operations::UnlinkedSku>> = BTreeMap::new();
    for u in &unlinked {
        by_store.entry(u.store.as_str()).or_default().push(u);
    }
    let _ = write!(body, "<h2>Unlinked SKUs ({})</h2>", unlinked.len());
    if by_store.is_empty() {
        body.push_str("<p class=\"muted\">Every synced SKU matches exactly one product on each client.</p>");
    }
    for (store, skus) in by_store {
        let _ = write!(
            body,
            "<h3>{} · {} SKU(s)</h3><table class=\"unlinked\"><tr><th>SKU</th><th>Why</th><th>Last looked up</th></tr>",
            esc(store),
            skus.len()
        );
        for u in skus {
            let why = match (u.note.as_deref(), u.status.as_str()) {
                (Some(note), _) => note,
                (None, "ambiguous") => "several products have this reference",
                (None, _) => "no product has this reference",
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                esc(&u.sku),
                esc(&u.status),
                esc(why),
                when(Some(u.updated_at))
            );
        }
        body.push_str("</table>");
    }
    page("Stores", "Stores", &session, &ops, &body)
}

/// Each client's catalog: whether it publishes, what it selects, and its SKUs by link status — linked,
/// being created (publishing), refused, unlinked, ambiguous: a publication's progress.
fn catalog_table(stores: &dyn StoreDirectory, counts: &[hub_domain::operations::LinkCount]) -> String {
    let mut out = String::from(
        "<h2>Catalogs</h2><table id=\"catalogs\"><tr><th>Client</th><th>Publishes</th><th>Selection</th>\
         <th>Linked</th><th>Being created</th><th>Refused</th><th>Unlinked</th><th>Ambiguous</th><th>Progress</th></tr>",
    );
    for store in stores.all().into_iter().filter(|s| s.role == StoreRole::Client) {
        let code = store.code.as_str();
        let of = |status: &str| {
            counts.iter().filter(|c| c.store == code && c.status == status).map(|c| c.count).sum::<u64>()
        };
        let publishing: u64 = counts.iter().filter(|c| c.store == code).map(|c| c.publishing).sum();
        let (linked, refused, unlinked, ambiguous) = (of("linked"), of("refused"), of("unlinked"), of("ambiguous"));
        let s = &store.catalog.selection;
        let mut selection = Vec::new();
        if !s.categories.is_empty() {
            selection.push(format!("categories {:?}", s.categories.iter().collect::<Vec<_>>()));
        }
        if !s.products.is_empty() {
            selection.push(format!("{} listed product(s)", s.products.len()));
        }
        if selection.is_empty() {
            selection.push("all products".into());
        }
        if !s.exclude_categories.is_empty() {
            selection.push(format!("minus categories {:?}", s.exclude_categories.iter().collect::<Vec<_>>()));
        }
        if !s.exclude.is_empty() {
            selection.push(format!("minus {} reference(s)", s.exclude.len()));
        }
        let known = linked + refused + unlinked + ambiguous;
        let progress =
            if known == 0 { "—".to_owned() } else { format!("{:.0} % linked", linked as f64 * 100.0 / known as f64) };
        let _ = write!(
            out,
            "<tr data-store=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"ok\">{linked}</td><td>{publishing}</td>\
             <td class=\"{}\">{refused}</td><td>{}</td><td>{ambiguous}</td><td>{progress}</td></tr>",
            esc(code),
            esc(code),
            if store.catalog.publish { "yes" } else { "no (updates only)" },
            esc(&selection.join(", ")),
            if refused > 0 { "bad" } else { "ok" },
            unlinked.saturating_sub(publishing),
        );
    }
    out.push_str("</table>");
    out
}

/// The table of stores: circuit, last success, last error and the last hour's calls and error rate.
pub(super) fn store_table(
    stores: &dyn StoreDirectory,
    health: &[hub_domain::operations::StoreHealth],
    minutes: &[hub_domain::operations::StoreMinute],
) -> String {
    let mut out = String::from(
        "<h2>Stores</h2><table id=\"stores\"><tr><th>Store</th><th>Role</th><th>Circuit</th><th>Last success</th>\
         <th>Last error</th><th>Calls, last hour</th><th>Error rate</th></tr>",
    );
    let fresh = Utc::now() - chrono::Duration::minutes(5);
    for store in stores.all() {
        let code = store.code.as_str();
        let reports: Vec<_> = health.iter().filter(|h| h.store == code).collect();
        let circuit = if reports.iter().any(|h| h.circuit == "open" && h.updated_at > fresh) {
            "<span class=\"bad\">open</span>"
        } else if reports.iter().any(|h| h.circuit == "half_open" && h.updated_at > fresh) {
            "<span class=\"warn\">half open</span>"
        } else if reports.is_empty() {
            "<span class=\"muted\">no calls yet</span>"
        } else {
            "<span class=\"ok\">closed</span>"
        };
        let last_success = reports.iter().filter_map(|h| h.last_success).max();
        let last_error = reports
            .iter()
            .filter_map(|h| h.last_error.map(|t| (t, h.last_error_message.clone())))
            .max_by_key(|(t, _)| *t);
        let (calls, errors) =
            minutes.iter().filter(|m| m.store == code).fold((0, 0), |a, m| (a.0 + m.calls, a.1 + m.errors));
        let rate = if calls > 0 { format!("{:.1} %", errors as f64 * 100.0 / calls as f64) } else { "—".into() };
        let _ = write!(
            out,
            "<tr data-store=\"{}\"><td>{}</td><td>{}</td><td>{circuit}</td><td>{}</td><td>{}</td><td>{calls}</td><td class=\"{}\">{rate}</td></tr>",
            esc(code),
            esc(code),
            if store.role == StoreRole::Source { "source" } else { "client" },
            when(last_success),
            last_error.map_or_else(
                || "—".to_owned(),
                |(t, m)| format!("{}<br><code>{}</code>", when(Some(t)), esc(&m.unwrap_or_default()))
            ),
            if errors > 0 { "bad" } else { "ok" },
        );
    }
    out.push_str("</table>");
    out
}
