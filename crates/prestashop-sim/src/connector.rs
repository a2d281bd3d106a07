//! The hub's `fulfillment_connector` module as the source shop runs it
//! (`docs/decisions/0004-order-totals-from-the-source-connector.md`): a `PaymentModule` (its name is in
//! [`crate::store::PAYMENT_MODULES`]) with one read-only front controller, `carttotal`, that answers
//! PrestaShop's own total of a cart in JSON, behind the module's key and optional `X-Hub-Signature`.
//!
//! Front controllers are routed by PrestaShop's `Dispatcher` from `/index.php?fc=module&module=M&
//! controller=C` (or `/?fc=module&…`) and from the friendly URL `/module/M/C`; a module or controller the
//! shop does not have gets the theme's 404 page.

use crate::{
    orders,
    util::{self, fixed},
    ws::{Answer, Incoming, Webservice},
};

/// The module's technical name.
pub(crate) const MODULE: &str = "fulfillment_connector";
/// The front controller serving cart totals.
pub(crate) const CARTTOTAL: &str = "carttotal";
/// How far (seconds) the `t=` of `X-Hub-Signature` may be from the shop's clock, either way.
pub(crate) const SIGNATURE_WINDOW: i64 = 300;

/// The module's configuration in the simulated shop.
#[derive(Debug, Clone, Default)]
pub(crate) struct Connector {
    /// `X-API-KEY` the controller expects; `None`: the controller does not exist (404 page).
    pub key: Option<String>,
    /// HMAC-SHA256 secret of `X-Hub-Signature`; `None`: no signature required.
    pub secret: Option<String>,
}

/// The module front controller a URL names, as `(module, controller)`: the friendly `/module/M/C`, or
/// `fc=module` on `/` or `/index.php`.
pub(crate) fn front_controller(path: &str, query: &str) -> Option<(String, String)> {
    if let Some(rest) = path.strip_prefix("/module/") {
        let (module, controller) = rest.split_once('/')?;
        let name_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        return (name_ok(module) && name_ok(controller)).then(|| (module.to_owned(), controller.to_owned()));
    }
    if path != "/" && path != "/index.php" {
        return None;
    }
    let params = util::parse_query(query);
    let last = |name: &str| params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    (last("fc").as_deref() == Some("module"))
        .then(|| (last("module").unwrap_or_default(), last("controller").unwrap_or_default()))
}

/// The resource a request is logged and matched under: the first segment after `/api/` (`products` for
/// `/api/products/6`), the controller of a module front controller (`carttotal` for both URL forms of
/// the connector's), else `""`.
pub(crate) fn resource_of<'a>(path: &'a str, query: &'a str) -> &'a str {
    if let Some(rest) = path.strip_prefix("/api/") {
        return rest.split('/').next().unwrap_or("");
    }
    if let Some(rest) = path.strip_prefix("/module/") {
        return rest.split_once('/').map_or("", |(_, c)| c);
    }
    if path != "/" && path != "/index.php" {
        return "";
    }
    let raw =
        |name: &str| query.split('&').rev().find_map(|p| p.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v));
    if raw("fc") == Some("module") { raw("controller").unwrap_or("") } else { "" }
}

impl Connector {
    /// Whether `req` is for a module front controller rather than the Webservice.
    pub(crate) fn routes(req: &Incoming<'_>) -> bool {
        front_controller(req.path, req.query).is_some()
    }

    /// Answers a module front-controller request at unix time `now`.
    pub(crate) fn handle(&self, ws: &Webservice, req: &Incoming<'_>, now: i64) -> Answer {
        let head = req.method.eq_ignore_ascii_case("HEAD");
        let mut answer = self.answer(ws, req, now);
        answer.head = head;
        answer
    }

    fn answer(&self, ws: &Webservice, req: &Incoming<'_>, now: i64) -> Answer {
        let Some((module, controller)) = front_controller(req.path, req.query) else { return not_found_page() };
        let Some(key) = self.key.as_deref() else { return not_found_page() };
        if module != MODULE || !controller.eq_ignore_ascii_case(CARTTOTAL) {
            return not_found_page();
        }
        if !matches!(req.method.to_ascii_uppercase().as_str(), "GET" | "HEAD") {
            let mut a = json(405, r#"{"error":"method_not_allowed"}"#.to_owned());
            a.headers.push(("Allow".into(), "GET, HEAD".into()));
            return a;
        }
        // As `CartTotalEndpoint::handle`: key and signature first (the signature over `id_cart` as received),
        // then the id, so a wrong key or signature is 401 whatever the id.
        let key_ok = req.header("x-api-key").is_some_and(|k| util::constant_time_eq(k.as_bytes(), key.as_bytes()));
        let params = util::parse_query(req.query);
        let raw_cart = params.iter().rev().find(|(k, _)| k == "id_cart").map_or("", |(_, v)| v.as_str());
        let signature_ok = self
            .secret
            .as_deref()
            .is_none_or(|secret| signature_ok(secret, req.header("x-hub-signature"), raw_cart, now));
        if !key_ok || !signature_ok {
            return unauthorized();
        }
        let Some(id_cart) = cart_id(raw_cart) else {
            return json(400, r#"{"error":"invalid_id_cart"}"#.to_owned());
        };
        cart_total(ws, id_cart)
    }
}

/// A canonical positive cart id (`7`, not `07`, `+7` or `7.0`) within PrestaShop's `INT UNSIGNED`, as the
/// module's `CartTotalEndpoint::parseId` reads it.
fn cart_id(raw: &str) -> Option<u64> {
    let canonical = (1..=10).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0');
    raw.parse::<u64>().ok().filter(|id| canonical && *id <= u64::from(u32::MAX))
}

/// `X-Hub-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.id_cart=<id_cart as received>")>`, `t`
/// within [`SIGNATURE_WINDOW`] of `now`; several `v1=` may be sent (one must match).
pub(crate) fn signature_ok(secret: &str, header: Option<&str>, id_cart: &str, now: i64) -> bool {
    let Some(header) = header else { return false };
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.trim().parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if v1.is_empty() || (now - t).abs() > SIGNATURE_WINDOW {
        return false;
    }
    let expected = util::hex(&util::hmac_sha256(secret.as_bytes(), format!("{t}.id_cart={id_cart}").as_bytes()));
    v1.iter().any(|sig| util::constant_time_eq(sig.as_bytes(), expected.as_bytes()))
}

/// The `X-Hub-Signature` value a hub sends for `id_cart` (as it writes it in the query) at unix time `t`.
pub(crate) fn sign(secret: &str, t: i64, id_cart: &str) -> String {
    format!(
        "t={t},v1={}",
        util::hex(&util::hmac_sha256(secret.as_bytes(), format!("{t}.id_cart={id_cart}").as_bytes()))
    )
}

/// 200 with the cart's totals, 404 for an unknown cart, 409 for a cart already ordered.
fn cart_total(ws: &Webservice, id_cart: u64) -> Answer {
    let store = ws.store();
    let Some(cart) = store.get("carts", id_cart) else {
        return json(404, r#"{"error":"cart_not_found"}"#.to_owned());
    };
    if store.ordered_carts.contains(&id_cart) {
        let id_order =
            store.rows_where("orders", |o| o.int("id_cart") == id_cart as i64).map(|o| o.int("id")).min().unwrap_or(0);
        return json(409, format!(r#"{{"error":"cart_already_ordered","id_order":{id_order}}}"#));
    }
    let totals = orders::cart_totals(&store, cart);
    let id_currency = cart.int("id_currency");
    let iso = store.get("currencies", id_currency.max(0) as u64).map_or("", |c| c.get("iso_code"));
    let body = format!(
        r#"{{"id_cart":{id_cart},"id_currency":{id_currency},"currency":{},"total_paid_tax_incl":"{}","total_products_tax_excl":"{}","total_products_tax_incl":"{}","total_shipping_tax_incl":"{}"}}"#,
        serde_json::Value::from(iso),
        fixed(totals.order_total(), 2),
        fixed(totals.products_excl, 2),
        fixed(totals.products_incl, 2),
        fixed(totals.shipping_incl, 2),
    );
    json(200, body)
}

fn json(status: u16, body: String) -> Answer {
    Answer {
        status,
        headers: vec![("X-Powered-By".into(), "PHP/8.2.36".into()), ("Content-Type".into(), "application/json".into())],
        body: body.into_bytes(),
        http10: false,
        head: false,
    }
}

fn unauthorized() -> Answer {
    json(401, r#"{"error":"unauthorized"}"#.to_owned())
}

/// Whether `path` is the shop's home page (`IndexController`): `/` or `/index.php` without a front
/// controller.
pub(crate) fn is_home(path: &str) -> bool {
    path == "/" || path == "/index.php"
}

/// The front office's home page, shortened: 200, as a real shop answers `/` (what a container's health
/// check of a shop asks for).
pub(crate) fn home_page(head: bool) -> Answer {
    Answer {
        status: 200,
        headers: vec![
            ("X-Powered-By".into(), "PHP/8.2.36".into()),
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
        ],
        body: b"<!doctype html>\n<html lang=\"en\"><head><title>PrestaShop (simulated)</title></head>\
<body id=\"index\"></body></html>\n"
            .to_vec(),
        http10: false,
        head,
    }
}

/// The theme's "page not found" (`PageNotFoundController`), shortened.
fn not_found_page() -> Answer {
    Answer {
        status: 404,
        headers: vec![
            ("X-Powered-By".into(), "PHP/8.2.36".into()),
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
        ],
        body: b"<!doctype html>\n<html lang=\"en\"><head><title>The page you are looking for was not found.</title></head>\
<body><h1>The page you are looking for was not found.</h1></body></html>\n"
            .to_vec(),
        http10: false,
        head: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_url_forms_name_the_controller() {
        let fc = "fc=module&module=fulfillment_connector&controller=carttotal&id_cart=7";
        let want = Some((MODULE.to_owned(), CARTTOTAL.to_owned()));
        assert_eq!(front_controller("/index.php", fc), want);
        assert_eq!(front_controller("/", fc), want);
        assert_eq!(front_controller("/module/fulfillment_connector/carttotal", "id_cart=7"), want);
        assert_eq!(front_controller("/module/fulfillment_connector", ""), None);
        assert_eq!(front_controller("/module/fulfillment_connector/carttotal/x", ""), None);
        assert_eq!(front_controller("/index.php", "controller=carttotal"), None);
        assert_eq!(front_controller("/api/carts", fc), None);
        assert_eq!(resource_of("/index.php", fc), "carttotal");
        assert_eq!(resource_of("/module/fulfillment_connector/carttotal", "id_cart=7"), "carttotal");
        assert_eq!(resource_of("/api/orders/3", ""), "orders");
        assert_eq!(resource_of("/api/", ""), "");
        assert_eq!(resource_of("/index.php", "controller=x"), "");
    }

    #[test]
    fn a_cart_id_is_canonical_and_within_int_unsigned() {
        assert_eq!(cart_id("7"), Some(7));
        assert_eq!(cart_id("4294967295"), Some(4_294_967_295));
        for bad in ["", "0", "07", "+7", "7.0", "-3", "abc", "4294967296", "12345678901"] {
            assert_eq!(cart_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_signature_covers_time_and_cart_within_the_window() {
        let h = sign("secret", 1_700_000_000, "7");
        assert_eq!(h, "t=1700000000,v1=a5856648c4f771b2be32d47af91d635d0f073fc9c0280b2fdf7fe07ccaebbc48");
        assert!(signature_ok("secret", Some(&h), "7", 1_700_000_000));
        assert!(signature_ok("secret", Some(&h), "7", 1_700_000_300));
        assert!(signature_ok("secret", Some(&h), "7", 1_699_999_700));
        assert!(!signature_ok("secret", Some(&h), "7", 1_700_000_301));
        assert!(!signature_ok("secret", Some(&h), "8", 1_700_000_000));
        assert!(!signature_ok("secret", Some(&h), "07", 1_700_000_000), "signed as received");
        assert!(!signature_ok("other", Some(&h), "7", 1_700_000_000));
        assert!(signature_ok(
            "secret",
            Some(&h.to_ascii_uppercase().replace("T=", "t=").replace("V1=", "v1=")),
            "7",
            1_700_000_000
        ));
        assert!(signature_ok("secret", Some(&format!("t=1700000000,v1=00,{}", &h[13..])), "7", 1_700_000_000));
        assert!(!signature_ok("secret", None, "7", 1_700_000_000));
        assert!(!signature_ok("secret", Some("t=1700000000"), "7", 1_700_000_000));
        assert!(!signature_ok("secret", Some("garbage"), "7", 1_700_000_000));
    }
}
