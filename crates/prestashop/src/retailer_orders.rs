//! [`RetailerShops`] on the retailers' Webservices: the return path's reads and writes of a retailer's order.
//!
//! * The order: `GET orders/{id}` (its `current_state`, and `shipping_number`, the tracking number of its
//!   order carrier that PrestaShop computes for the Webservice); 404 → no such order.
//! * The tracking number: the order's first `order_carriers` row (the one `Order::getIdOrderCarrier` reads),
//!   PATCHed on 8.0+ or GET-modify-PUT before, with `sendemail=1`: `OrderCarrier::updateWs` then sends the
//!   customer the `in_transit` e-mail with the tracking link (the carrier's URL with the number in place of
//!   `@`; none when the carrier has no URL) — the e-mail the back office sends when a tracking number is
//!   typed. PrestaShop 8.2.1's default `shipped` template carries no tracking link (seen on the real shops,
//!   docs/real-shops.md).
//! * The state: `POST order_histories?sendemail=1`, PrestaShop's own state change (`OrderHistory::addWs`):
//!   hooks, stock moves, invoice, and the e-mail of the state (`shipped`…) to the customer (FACTS.md §5.5).

use async_trait::async_trait;
use hub_domain::{
    GatewayError, StoreCode,
    replication::{RetailerOrder, RetailerShops},
};
use reqwest::Method;
use serde_json::Value;

use crate::{WebserviceGateway, num, rows, text, xml};

fn json(body: &str, what: &str) -> Result<Value, GatewayError> {
    serde_json::from_str(body).map_err(|e| GatewayError::Retryable(format!("{what}: unreadable JSON: {e}")))
}

#[async_trait]
impl RetailerShops for WebserviceGateway {
    async fn order(&self, store: &StoreCode, order_id: u64) -> Result<Option<RetailerOrder>, GatewayError> {
        let c = self.client(store)?;
        let answer =
            match c.send(Method::GET, &format!("orders/{order_id}"), &[("output_format", "JSON".into())], None).await {
                Ok(a) => a,
                Err(GatewayError::Gone(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
        let v = json(&answer.body, "orders")?;
        let o = &v["order"];
        let state = text(&o["current_state"]).unwrap_or_else(|| num(&o["current_state"]).to_string());
        Ok(Some(RetailerOrder { state, tracking_number: text(&o["shipping_number"]).filter(|t| !t.trim().is_empty()) }))
    }

    async fn set_tracking(&self, store: &StoreCode, order_id: u64, tracking: &str) -> Result<(), GatewayError> {
        let c = self.client(store)?;
        self.know_version(c).await?;
        let listed = c
            .send(
                Method::GET,
                "order_carriers",
                &[
                    ("filter[id_order]", format!("[{order_id}]")),
                    ("display", "[id]".into()),
                    ("sort", "[id_ASC]".into()),
                    ("output_format", "JSON".into()),
                ],
                None,
            )
            .await?;
        let v = json(&listed.body, "order_carriers")?;
        let id = rows(&v, "order_carriers").first().map(|r| num(&r["id"])).filter(|id| *id > 0).ok_or_else(|| {
            GatewayError::Permanent(format!("order {order_id} has no carrier to carry a tracking number"))
        })?;
        let path = format!("order_carriers/{id}");
        if c.supports_patch() {
            let body =
                xml::object("order_carrier", &[("id", id.to_string()), ("tracking_number", tracking.to_owned())]);
            c.send(Method::PATCH, &path, &[("sendemail", "1".into())], Some(body)).await?;
        } else {
            let full = c.send(Method::GET, &path, &[], None).await?;
            let body =
                xml::rewrite_for_put(&full.body, "order_carrier", &[("tracking_number", tracking.to_owned())], &[])
                    .map_err(GatewayError::Retryable)?;
            c.send(Method::PUT, &path, &[("sendemail", "1".into())], Some(body)).await?;
        }
        Ok(())
    }

    async fn set_state(&self, store: &StoreCode, order_id: u64, state: u64) -> Result<(), GatewayError> {
        let c = self.client(store)?;
        let body =
            xml::object("order_history", &[("id_order", order_id.to_string()), ("id_order_state", state.to_string())]);
        c.send(Method::POST, "order_histories", &[("sendemail", "1".into())], Some(body)).await?;
        Ok(())
    }
}
