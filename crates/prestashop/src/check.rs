//! `hub stores check`: reaches a shop's Webservice with its key and tells what the key may do, against
//! what the hub needs of a source or a client store; on the source, also asks the connector's `carttotal`
//! controller whether it accepts the hub's key and signature ([`ConnectorCheck`]).

use std::time::Instant;

use quick_xml::{Reader, events::Event};
use reqwest::Method;

use crate::client::WebserviceClient;

/// A resource the key may use, with its allowed methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The resource, `products` say.
    pub resource: String,
    /// Methods allowed (`GET`, `PUT`, `POST`, `PATCH`, `DELETE`, `HEAD`).
    pub methods: Vec<String>,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCheck {
    /// The shop's PrestaShop version (`PSWS-Version`), when sent.
    pub version: Option<String>,
    /// Round trip of the listing, in milliseconds.
    pub latency_ms: u64,
    /// What the key may do.
    pub permissions: Vec<Permission>,
    /// What the hub needs and the key lacks, as `resource METHOD`.
    pub missing: Vec<String>,
}

/// What the source's `carttotal` controller (the connector module's, decision 0004) answered a signed call
/// with the hub's key. The call asks for cart `0`, which the module refuses as `invalid_id_cart` only once
/// the key and the signature passed: no cart is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorCheck {
    /// Key and signature accepted, in `latency_ms`.
    Accepted {
        /// Round trip, in milliseconds.
        latency_ms: u64,
    },
    /// 401: the module's API key (or signing secret) is not the hub's.
    Refused,
    /// 403: the module is not configured as the source.
    NotSource,
    /// 404: no such controller (the module is not installed or not enabled).
    Missing,
    /// Any other answer, with its status.
    Unexpected(u16),
    /// The shop did not answer (timeout, connection error, open circuit).
    Unreachable(String),
}

impl ConnectorCheck {
    /// Whether orders can be created on the source.
    pub fn is_ok(&self) -> bool {
        matches!(self, ConnectorCheck::Accepted { .. })
    }

    /// What a module answered: the status, and the `error` code of its JSON body.
    pub(crate) fn from_answer(status: u16, body: &str, latency_ms: u64) -> Self {
        let code = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
        match (status, code.as_deref()) {
            (400, Some("invalid_id_cart")) => ConnectorCheck::Accepted { latency_ms },
            (401, Some("unauthorized")) => ConnectorCheck::Refused,
            (403, Some("not_source")) => ConnectorCheck::NotSource,
            (404, None) => ConnectorCheck::Missing,
            (status, _) => ConnectorCheck::Unexpected(status),
        }
    }
}

impl std::fmt::Display for ConnectorCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectorCheck::Accepted { latency_ms } => {
                write!(f, "carttotal accepts the hub's key and signature ({latency_ms} ms)")
            }
            ConnectorCheck::Refused => f.write_str(
                "carttotal refused the hub's key or signature: the store's api_key (and signing_secret) must equal \
                 the module's API key (and signing secret), and the hub's clock be within 300 s of the shop's",
            ),
            ConnectorCheck::NotSource => f.write_str("carttotal: the module is not configured with the SOURCE role"),
            ConnectorCheck::Missing => {
                f.write_str("carttotal not found (404): is fulfillment_connector installed and enabled on this shop?")
            }
            ConnectorCheck::Unexpected(status) => write!(f, "carttotal answered an unexpected {status}"),
            ConnectorCheck::Unreachable(why) => write!(f, "carttotal unreachable: {why}"),
        }
    }
}

/// What the hub calls on a source store (order replication) and on a client store (sync, and the
/// reconciliation of its orders when `orders`).
fn needs(source: bool, patch: bool, orders: bool) -> Vec<(&'static str, &'static str)> {
    let write = if patch { "PATCH" } else { "PUT" };
    if source {
        vec![
            ("products", "GET"),
            ("combinations", "GET"),
            // Matching an ordered combination by its attribute values, and choosing the carrier.
            ("product_option_values", "GET"),
            ("product_options", "GET"),
            ("carriers", "GET"),
            ("configurations", "GET"),
            ("deliveries", "GET"),
            ("stock_availables", "GET"),
            ("customers", "GET"),
            ("customers", "POST"),
            ("addresses", "POST"),
            ("carts", "POST"),
            ("orders", "GET"),
            ("orders", "POST"),
            // A retailer's cancellation cancels the source order.
            ("order_histories", "POST"),
        ]
    } else {
        let mut needs = vec![
            ("products", "GET"),
            ("products", write),
            ("combinations", "GET"),
            ("stock_availables", "GET"),
            ("stock_availables", write),
            // The return path: the source's state and tracking number onto the retailer's order.
            ("orders", "GET"),
            ("order_carriers", "GET"),
            ("order_carriers", write),
            ("order_histories", "POST"),
        ];
        if orders {
            // Reconciliation of orders reads them with what the webhook would carry.
            needs.extend([("customers", "GET"), ("addresses", "GET"), ("countries", "GET"), ("currencies", "GET")]);
        }
        needs
    }
}

/// What publishing reads on the source, and reads and creates on a publishing client.
fn publishing_needs(source: bool) -> Vec<(&'static str, &'static str)> {
    let mut needs = vec![
        ("languages", "GET"),
        ("tax_rule_groups", "GET"),
        ("categories", "GET"),
        ("product_options", "GET"),
        ("product_option_values", "GET"),
        ("images", "GET"),
    ];
    if !source {
        needs.extend([
            ("products", "POST"),
            ("combinations", "POST"),
            ("categories", "POST"),
            ("product_options", "POST"),
            ("product_option_values", "POST"),
            ("images", "POST"),
        ]);
    }
    needs
}

/// Parses the `GET /api/` listing: `<prestashop><api><products get="true" put="false" …>`.
fn permissions(body: &str) -> Vec<Permission> {
    let mut reader = Reader::from_str(body);
    let mut depth = 0_usize;
    let mut out = Vec::new();
    loop {
        let (element, empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        if depth == 2 {
            let resource = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
            let methods = element
                .attributes()
                .flatten()
                .filter(|a| a.value.as_ref() == b"true")
                .map(|a| String::from_utf8_lossy(a.key.as_ref()).to_uppercase())
                .collect();
            out.push(Permission { resource, methods });
        }
        if !empty {
            depth += 1;
        }
    }
    out
}

impl WebserviceClient {
    /// Lists what this shop's key may do and compares it with what the hub needs of a source (`source`)
    /// or a client store (reading its orders too when `orders`: `reconcile.orders`; creating products when
    /// `publish`: a publishing client, or the source of one).
    ///
    /// # Errors
    /// The shop cannot be reached or refuses the key (the message names the HTTP status and the shop's
    /// error, never the key).
    pub async fn check(
        &self,
        source: bool,
        orders: bool,
        publish: bool,
    ) -> Result<StoreCheck, hub_domain::GatewayError> {
        let started = Instant::now();
        let answer = self.send(Method::GET, "", &[], None).await?;
        let latency_ms = started.elapsed().as_millis() as u64;
        let permissions = permissions(&answer.body);
        let version = self.version();
        let patch = self.supports_patch();
        let mut needed = needs(source, patch, orders);
        if publish {
            needed.extend(publishing_needs(source));
        }
        let missing = needed
            .into_iter()
            .filter(|(resource, method)| {
                !permissions.iter().any(|p| p.resource == *resource && p.methods.iter().any(|m| m == method))
            })
            .map(|(r, m)| format!("{r} {m}"))
            .collect();
        Ok(StoreCheck { version, latency_ms, permissions, missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_answers_are_told_apart_by_status_and_error_code() {
        let check = |status, body| ConnectorCheck::from_answer(status, body, 5);
        assert_eq!(check(400, r#"{"error":"invalid_id_cart"}"#), ConnectorCheck::Accepted { latency_ms: 5 });
        assert_eq!(check(401, r#"{"error":"unauthorized"}"#), ConnectorCheck::Refused);
        assert_eq!(check(403, r#"{"error":"not_source"}"#), ConnectorCheck::NotSource);
        assert_eq!(check(404, "<html>Page not found</html>"), ConnectorCheck::Missing);
        assert_eq!(check(400, "<html>Bad request</html>"), ConnectorCheck::Unexpected(400), "not the module");
        assert_eq!(check(500, ""), ConnectorCheck::Unexpected(500));
    }

    #[test]
    fn a_client_key_needs_to_read_customers_and_currencies_only_when_orders_are_reconciled() {
        assert!(needs(false, true, true).contains(&("orders", "GET")));
        assert!(needs(false, true, true).contains(&("currencies", "GET")));
        assert!(!needs(false, true, false).contains(&("currencies", "GET")));
        assert!(needs(false, true, false).contains(&("stock_availables", "PATCH")));
    }

    #[test]
    fn the_return_path_needs_to_move_the_retailers_orders_and_cancel_the_sources() {
        for patch in [true, false] {
            let client = needs(false, patch, false);
            let write = if patch { "PATCH" } else { "PUT" };
            for need in
                [("orders", "GET"), ("order_carriers", "GET"), ("order_carriers", write), ("order_histories", "POST")]
            {
                assert!(client.contains(&need), "{need:?}");
            }
        }
        assert!(needs(true, true, false).contains(&("order_histories", "POST")));
    }

    #[test]
    fn publishing_needs_the_source_readable_and_the_client_writable() {
        let source = publishing_needs(true);
        assert!(source.contains(&("images", "GET")) && !source.iter().any(|(_, m)| *m == "POST"));
        let client = publishing_needs(false);
        for need in [("products", "POST"), ("images", "POST"), ("categories", "POST"), ("tax_rule_groups", "GET")] {
            assert!(client.contains(&need), "{need:?}");
        }
    }

    #[test]
    fn reads_the_captured_listing() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n\
            <api shopName=\"PrestaShop\">\n<products xlink:href=\"x\" get=\"true\" put=\"true\" post=\"false\" patch=\"true\" delete=\"false\" head=\"true\">\n\
            <description xlink:href=\"x\" get=\"true\">The products</description>\n<schema xlink:href=\"y\" type=\"blank\"/>\n</products>\n\
            <stock_availables xlink:href=\"z\" get=\"true\" put=\"false\" post=\"false\" patch=\"false\" delete=\"false\" head=\"true\"/>\n</api></prestashop>";
        let p = permissions(body);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].resource, "products");
        assert_eq!(p[0].methods, vec!["GET", "PUT", "PATCH", "HEAD"]);
        assert_eq!(p[1].methods, vec!["GET", "HEAD"]);
    }
}
