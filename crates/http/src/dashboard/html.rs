//! The dashboard's HTML: escaping, the page layout and its style sheet, and the small responses and
//! formatters the pages share.

use actix_web::{HttpResponse, http::header};
use chrono::{DateTime, Utc};

use super::{
    Operations,
    session::{Session, csrf},
};

/// A `303 See Other` to `to`.
pub(super) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// The answer of every dashboard URL while no admin token is set.
pub(super) fn disabled() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("The dashboard is disabled: set server.admin_token (HUB_SERVER__ADMIN_TOKEN) to enable it.\n")
}

/// Escapes text for HTML.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time as `YYYY-MM-DD HH:MM:SS` (UTC), or `—`.
pub(super) fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The style sheet of every page, inlined.
pub(super) const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}\
header{background:#1d2433;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}\
header a{color:#cfd6e4;text-decoration:none}header a.on{color:#fff;font-weight:600}\
header form{margin-left:auto}main{padding:16px 24px;max-width:1280px}\
h1{font-size:20px;margin:8px 0 16px}h2{font-size:16px;margin:24px 0 8px}\
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:10px 14px;min-width:150px}\
.card b{display:block;font-size:22px}table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}\
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceff4;vertical-align:top}th{background:#f0f2f6;font-weight:600}\
.ok{color:#17803d}.bad{color:#c0262d}.warn{color:#a86400}code,pre{font:12px ui-monospace,monospace}\
pre{white-space:pre-wrap;margin:4px 0;max-width:520px}button{cursor:pointer;padding:3px 10px}\
.flash{background:#e7f5ec;border:1px solid #b4dfc2;padding:8px 12px;border-radius:6px}\
.flash.bad{background:#fbeaea;border-color:#eab4b4}.muted{color:#6b7385}svg{background:#fff;border:1px solid #dde1e8}";

/// A whole page: the layout (navigation with `active` highlighted, the logout form) around `body`.
pub(super) fn page(title: &str, active: &str, session: &Session, ops: &Operations, body: &str) -> HttpResponse {
    let nav = [
        ("Overview", "/dashboard"),
        ("Jobs", "/dashboard/jobs"),
        ("Stores", "/dashboard/stores"),
        ("Orders", "/dashboard/orders"),
        ("SKUs", "/dashboard/skus"),
    ]
    .iter()
    .map(|(name, href)| format!("<a href=\"{href}\"{}>{name}</a>", if *name == active { " class=\"on\"" } else { "" }))
    .collect::<String>();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Fulfillment Hub</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>\
         <header><strong>Fulfillment Hub</strong>{nav}<form method=\"post\" action=\"/dashboard/logout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button>Log out</button></form></header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        title = esc(title),
        csrf = csrf(ops, session),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'",
        ))
        .body(html)
}

/// The answer when the hub's database cannot be read.
pub(super) fn unavailable(e: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "5"))
        .content_type("text/plain; charset=utf-8")
        .body(format!("The hub's database cannot be read now: {e}\n"))
}

/// Percent-encodes text for a query string (everything but `A-Z a-z 0-9 - _ .`).
pub(super) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
