//! `hub stores check`: reaches a shop's Webservice with its key and tells what the key may do, against
//! what the hub needs of a source or a client store.

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

/// What the hub calls on a source store (order replication) and on a client store (sync).
fn needs(source: bool, patch: bool) -> Vec<(&'static str, &'static str)> {
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
        ]
    } else {
        vec![
            ("products", "GET"),
            ("products", write),
            ("combinations", "GET"),
            ("stock_availables", "GET"),
            ("stock_availables", write),
        ]
    }
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
    /// or a client store.
    ///
    /// # Errors
    /// The shop cannot be reached or refuses the key (the message names the HTTP status and the shop's
    /// error, never the key).
    pub async fn check(&self, source: bool) -> Result<StoreCheck, hub_domain::GatewayError> {
        let started = Instant::now();
        let answer = self.send(Method::GET, "", &[], None).await?;
        let latency_ms = started.elapsed().as_millis() as u64;
        let permissions = permissions(&answer.body);
        let version = self.version();
        let patch = self.supports_patch();
        let missing = needs(source, patch)
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
