//! The rest of an order's life on the simulated shops: the wholesaler's state and tracking number reach the
//! retailer's order (forward only, in order, exactly once), a retailer's cancellation before shipment
//! cancels the source order and restocks every retailer, one after shipment is flagged, and a lost report is
//! repaired by reconciliation.

use std::time::Duration;

use futures::StreamExt;
use hub_app::Mode;
use hub_domain::{EventStatus, Secret};
use prestashop_sim::{Failure, FailureKind, Simulator};
use serde_json::{Value, json};

use crate::{
    helpers::*,
    orders::{Network, id_of, network, order, order_link, source_orders, stock, wire},
    reconcile::{hub_reconcile, with_webservices},
};

const TRACK_URL: &str = "https://track.example/parcel?n=@";

/// A retailer's order placed at retail-1 (as its shop has it) and replicated on the source.
struct Replicated {
    /// The order at retail-1.
    client: u64,
    /// Its reference there.
    client_reference: String,
    /// The source order.
    source: u64,
    /// Its reference.
    source_reference: String,
    /// The source cart.
    cart: u64,
}

fn json_of(sim: &Simulator, path: &str) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, body) = sim.admin_call("GET", &format!("{path}{sep}output_format=JSON"), None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Gives the carrier of `order` at `sim` a tracking URL, so the shipped e-mail carries a follow-up link.
fn set_carrier_url(sim: &Simulator, order: u64) {
    let carrier = json_of(sim, &format!("orders/{order}"))["order"]["id_carrier"].as_str().unwrap().to_owned();
    let body =
        format!("<prestashop><carrier><id>{carrier}</id><url><![CDATA[{TRACK_URL}]]></url></carrier></prestashop>");
    let (status, answer) = sim.admin_call("PATCH", &format!("carriers/{carrier}"), Some(&body));
    assert_eq!(status, 200, "{answer}");
}

/// The order's state history at `sim`, oldest first.
fn history(sim: &Simulator, order: u64) -> Vec<String> {
    json_of(sim, &format!("order_histories?filter[id_order]=[{order}]&display=[id,id_order_state]&sort=[id_ASC]"))
        ["order_histories"]
        .as_array()
        .map(|rows| rows.iter().map(|r| r["id_order_state"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

/// What the source's back office does: moves its order to `state` (PrestaShop's own state change).
fn move_order(sim: &Simulator, order: u64, state: u64) {
    let body = format!(
        "<prestashop><order_history><id_order>{order}</id_order><id_order_state>{state}</id_order_state></order_history></prestashop>"
    );
    let (status, answer) = sim.admin_call("POST", "order_histories", Some(&body));
    assert_eq!(status, 201, "{answer}");
}

/// What the source's back office does when the wholesaler types a tracking number.
fn set_tracking(sim: &Simulator, order: u64, tracking: &str) {
    let v = json_of(sim, &format!("order_carriers?filter[id_order]=[{order}]&display=[id]"));
    let id = v["order_carriers"][0]["id"].as_u64().expect("the order's carrier row");
    let body = format!(
        "<prestashop><order_carrier><id>{id}</id><tracking_number>{tracking}</tracking_number></order_carrier></prestashop>"
    );
    let (status, answer) = sim.admin_call("PATCH", &format!("order_carriers/{id}"), Some(&body));
    assert_eq!(status, 200, "{answer}");
}

/// The body the source's connector posts to `/api/sync/order-status` for `r`'s source order.
fn status_body(event_id: &str, sequence: u64, r: &Replicated, state: &str, tracking: Option<&str>) -> String {
    json!({
        "event_id": event_id,
        "occurred_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "sequence": sequence,
        "order": {
            "id": r.source, "reference": r.source_reference, "cart_id": r.cart, "state": state,
            "state_name": match state { "4" => "Shipped", "5" => "Delivered", "6" => "Canceled", _ => "Processing in progress" },
            "tracking_number": tracking, "carrier_id": 1,
            "updated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }
    })
    .to_string()
}

/// Places an order of two WHS-0001 at retail-1, posts its webhook as retail-1's connector does, and waits
/// for its source order.
async fn replicated(app: &TestApp, n: &Network) -> Replicated {
    let placed = n.r1.place_order(&[("WHS-0001", 2)], 2);
    set_carrier_url(&n.r1, placed.id);
    let mut body: Value = serde_json::from_str(&order(
        &new_id(),
        placed.id,
        json!([{"reference": "WHS-0001", "quantity": 2, "unit_price_tax_incl": "15.60"}]),
    ))
    .unwrap();
    body["order"]["reference"] = placed.reference.clone().into();
    body["order"]["state"] = "2".into();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &body.to_string()).await.status(), 202);
    let mut source = 0;
    for _ in 0..300 {
        let l = order_link(app, placed.id).await;
        if l["status"] == "created" {
            source = l["source_order_id"].as_u64().unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(source > 0, "the order was replicated");
    let o = json_of(&n.source, &format!("orders/{source}"));
    Replicated {
        client: placed.id,
        client_reference: placed.reference,
        source,
        source_reference: o["order"]["reference"].as_str().unwrap().to_owned(),
        cart: o["order"]["id_cart"].as_str().unwrap().parse().unwrap(),
    }
}

async fn processed(app: &TestApp, event: &str) {
    eventually(30, &format!("event {event} processed"), || async {
        app.status_of(event).await == Some(EventStatus::Processed)
    })
    .await;
}

fn mails_of(sim: &Simulator, order: u64, template: &str) -> Vec<prestashop_sim::SentMail> {
    sim.mails().into_iter().filter(|m| m.id_order == order && m.template == template).collect()
}

/// The hub, wired to the network's shops, with the dashboard open to [`ADMIN_TOKEN`].
async fn hub(env: &Env, n: &Network) -> TestApp {
    env.spawn_with(Mode::All, |s| {
        wire(s, n);
        s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
    })
    .await
}

async fn shipped_with_tracking_reaches_the_client_order(backend: Backend) {
    let n = network().await;
    let env = Env::new(backend).await;
    let app = hub(&env, &n).await;
    let r = replicated(&app, &n).await;
    // The wholesaler ships in its back office: the tracking number, then the state; its connector reports it.
    set_tracking(&n.source, r.source, "1Z999AA10123456784");
    move_order(&n.source, r.source, 4);
    let event = new_id();
    let res = app
        .post("/api/sync/order-status", Some(SOURCE_KEY), &status_body(&event, 10, &r, "4", Some("1Z999AA10123456784")))
        .await;
    assert_eq!(res.status(), 202);
    processed(&app, &event).await;

    assert_eq!(n.r1.order_state(r.client), Some(4), "the retailer's order is shipped");
    assert_eq!(n.r1.tracking_number(r.client).as_deref(), Some("1Z999AA10123456784"), "on its order carrier");
    // As when the retailer ships in its back office: the tracking link, then the shipped e-mail.
    let in_transit = mails_of(&n.r1, r.client, "in_transit");
    assert_eq!(in_transit.len(), 1, "the tracking e-mail went to the customer: {:?}", n.r1.mails());
    assert_eq!(in_transit[0].followup, "https://track.example/parcel?n=1Z999AA10123456784", "with the tracking link");
    assert_eq!(mails_of(&n.r1, r.client, "shipped").len(), 1, "and the shop's own shipped e-mail");

    let l = order_link(&app, r.client).await;
    assert_eq!(
        (&l["source_state"], &l["source_state_name"], &l["source_stage"], &l["client_state"], &l["client_stage"]),
        (&json!("4"), &json!("Shipped"), &json!("shipped"), &json!("4"), &json!("shipped"))
    );
    assert_eq!(l["tracking_number"], "1Z999AA10123456784");
    assert!(l["status_updated_at"].is_string(), "{l}");
    assert_eq!(l["attention"], Value::Null);
    assert_eq!(l["client_reference"], r.client_reference);

    // The operator's Orders page shows the same.
    let page = dashboard_page(&app, ADMIN_TOKEN, "/dashboard/orders").await;
    assert!(page.contains("Shipped (#4)") && page.contains("1Z999AA10123456784"), "{page}");

    // A state its key may not post: a retailer cannot report the source's orders.
    let forged = app.post("/api/sync/order-status", Some(CLIENT_KEY), &status_body(&new_id(), 11, &r, "5", None)).await;
    assert_eq!(forged.status(), 403);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_with_tracking_reaches_the_client_order_on_sqlite() {
    shipped_with_tracking_reaches_the_client_order(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_with_tracking_reaches_the_client_order_on_mariadb_and_redis() {
    shipped_with_tracking_reaches_the_client_order(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_status_after_a_newer_one_changes_nothing() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let r = replicated(&app, &n).await;
    let delivered = new_id();
    app.post("/api/sync/order-status", Some(SOURCE_KEY), &status_body(&delivered, 20, &r, "5", Some("TRK-2"))).await;
    processed(&app, &delivered).await;
    assert_eq!(n.r1.order_state(r.client), Some(5));
    // The report of the shipment, sent before, arrives after (sequence 15 < 20).
    let shipped = new_id();
    app.post("/api/sync/order-status", Some(SOURCE_KEY), &status_body(&shipped, 15, &r, "4", Some("TRK-1"))).await;
    processed(&app, &shipped).await;
    assert_eq!(n.r1.order_state(r.client), Some(5), "still delivered");
    assert_eq!(n.r1.tracking_number(r.client).as_deref(), Some("TRK-2"), "the newer tracking number stays");
    let l = order_link(&app, r.client).await;
    assert_eq!((&l["source_state"], &l["tracking_number"]), (&json!("5"), &json!("TRK-2")));
    assert_eq!(history(&n.r1, r.client), vec!["2", "5"], "one move only");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_the_retailer_moved_further_is_not_overwritten() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    let r = replicated(&app, &n).await;
    // The retailer marks it delivered itself (its customer collected it) before the wholesaler's report.
    move_order(&n.r1, r.client, 5);
    n.r1.clear_mails();
    let shipped = new_id();
    app.post("/api/sync/order-status", Some(SOURCE_KEY), &status_body(&shipped, 30, &r, "4", Some("TRK-9"))).await;
    processed(&app, &shipped).await;
    assert_eq!(n.r1.order_state(r.client), Some(5), "the retailer's later state is kept");
    assert!(mails_of(&n.r1, r.client, "shipped").is_empty(), "no shipped e-mail for a delivered order");
    assert_eq!(n.r1.tracking_number(r.client).as_deref(), Some("TRK-9"), "the tracking number still helps");
    let l = order_link(&app, r.client).await;
    assert_eq!((&l["source_state"], &l["client_state"]), (&json!("4"), &json!("5")));
    app.stop().await;
}

async fn cancelled(app: &TestApp, r: &Replicated, n: &Network) -> String {
    // The retailer cancels in its back office; its connector posts the order with its new state.
    move_order(&n.r1, r.client, 6);
    let mut body: Value = serde_json::from_str(&order(
        &new_id(),
        r.client,
        json!([{"reference": "WHS-0001", "quantity": 2, "unit_price_tax_incl": "15.60"}]),
    ))
    .unwrap();
    body["order"]["reference"] = r.client_reference.clone().into();
    body["order"]["state"] = "6".into();
    body["order"]["valid"] = false.into();
    let event = body["event_id"].as_str().unwrap().to_owned();
    assert_eq!(app.post("/api/sync/order", Some(CLIENT_KEY), &body.to_string()).await.status(), 202);
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_before_shipment_cancels_the_source_order_and_restocks_every_retailer() {
    let n = network().await;
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &n)).await;
    app.post(
        "/api/sync/product",
        Some(SOURCE_KEY),
        &product_event(&new_id(), "WHS-0001", "10.00", 50, "2026-11-27T09:00:00Z"),
    )
    .await;
    let (c1, c2) = (id_of(&n.r1, "WHS-0001"), id_of(&n.r2, "WHS-0001"));
    let r = replicated(&app, &n).await;
    eventually(30, "every retailer shows 48 after the order", || async {
        stock(&n.source, n.products.0) == 48 && stock(&n.r1, c1) == 48 && stock(&n.r2, c2) == 48
    })
    .await;
    let event = cancelled(&app, &r, &n).await;
    processed(&app, &event).await;
    let orders = source_orders(&n.source);
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (&orders[0]["current_state"], &orders[0]["valid"]),
        (&json!("6"), &json!("0")),
        "cancelled on the source"
    );
    assert_eq!(stock(&n.source, n.products.0), 50, "PrestaShop restocked the source");
    eventually(30, "the restored stock reaches every retailer", || async {
        stock(&n.r1, c1) == 50 && stock(&n.r2, c2) == 50
    })
    .await;
    let l = order_link(&app, r.client).await;
    assert_eq!((&l["source_state"], &l["client_state"], &l["attention"]), (&json!("6"), &json!("6"), &Value::Null));
    // The same cancellation again (a repeated webhook, another event of the same state) changes nothing.
    let again = cancelled(&app, &r, &n).await;
    processed(&app, &again).await;
    assert_eq!(history(&n.source, r.source), vec!["11", "6"], "cancelled once");
    assert_eq!(stock(&n.source, n.products.0), 50);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_after_shipment_is_flagged_not_applied() {
    let n = network().await;
    let env = Env::new(Backend::Sqlite).await;
    let app = hub(&env, &n).await;
    let r = replicated(&app, &n).await;
    move_order(&n.source, r.source, 4);
    let shipped = new_id();
    app.post("/api/sync/order-status", Some(SOURCE_KEY), &status_body(&shipped, 40, &r, "4", Some("TRK-5"))).await;
    processed(&app, &shipped).await;
    let stock_before = stock(&n.source, n.products.0);
    let event = cancelled(&app, &r, &n).await;
    processed(&app, &event).await;
    assert_eq!(n.source.order_state(r.source), Some(4), "a shipped order is not cancelled on the source");
    assert_eq!(stock(&n.source, n.products.0), stock_before, "nor restocked");
    let l = order_link(&app, r.client).await;
    let attention = l["attention"].as_str().unwrap_or_default();
    assert!(
        attention.starts_with("cancelled at the retailer after the wholesaler shipped it (source state 4, shipped)"),
        "{l}"
    );
    let page = dashboard_page(&app, ADMIN_TOKEN, "/dashboard/orders").await;
    assert!(page.contains("cancelled at the retailer after the wholesaler shipped it"), "flagged for the wholesaler");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_and_a_worker_killed_mid_update_move_the_retailers_order_once() {
    let n = network().await;
    let env = Env::new(Backend::MariaDbRedis).await;
    let mut toml = with_webservices(&env.toml, &[("wholesaler", &n.source), ("retail-1", &n.r1), ("retail-2", &n.r2)]);
    toml = toml
        .replace("backoff_min_ms = 50", "backoff_min_ms = 4000")
        .replace("backoff_max_ms = 500", "backoff_max_ms = 8000");
    // The worker processes read the file: no scheduled reconciliation in the middle of what is counted.
    toml.push_str("\n[reconcile]\nschedule = false\n");
    let env = Env { toml, ..env };
    let api = env.spawn(Mode::Api).await;
    let mut worker = env.process("hub-worker", "status-kill-worker");
    let r = replicated(&api, &n).await;
    n.r1.clear_mails();
    // The retailer's shop moves the order, and the answer is lost: the worker backs off for seconds.
    n.r1.inject(Failure::new(FailureKind::ProcessThenDrop).on_resource("order_histories").on_method("POST").times(1));
    let event = new_id();
    let body = status_body(&event, 50, &r, "4", Some("TRK-KILL"));
    // Five deliveries of the same webhook, and three more reports of the same state (sequence not newer).
    let bodies: Vec<String> = (0..5)
        .map(|_| body.clone())
        .chain((0..3).map(|_| status_body(&new_id(), 50, &r, "4", Some("TRK-KILL"))))
        .collect();
    let statuses: Vec<u16> = futures::stream::iter(bodies.iter())
        .map(|b| {
            let api = &api;
            async move { api.post("/api/sync/order-status", Some(SOURCE_KEY), b).await.status().as_u16() }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    eventually(30, "the retailer's order is moved", || async { n.r1.order_state(r.client) == Some(4) }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.kill().unwrap();
    worker.wait().unwrap();
    let mut restarted = env.process("hub-worker", "status-kill-worker");
    eventually(60, "every report processed after the restart", || async {
        api.count("SELECT COUNT(*) FROM inbox_events WHERE kind = 'order_status' AND status <> 'processed'").await == 0
    })
    .await;
    assert_eq!(history(&n.r1, r.client), vec!["2", "4"], "moved exactly once");
    assert_eq!(mails_of(&n.r1, r.client, "shipped").len(), 1, "one shipped e-mail");
    assert_eq!(mails_of(&n.r1, r.client, "in_transit").len(), 1, "one tracking e-mail");
    assert_eq!(n.r1.tracking_number(r.client).as_deref(), Some("TRK-KILL"));
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_status_and_cancellation_webhooks_are_repaired_by_reconciliation() {
    let n = network().await;
    let mut env = Env::new(Backend::Sqlite).await;
    env.toml = with_webservices(&env.toml, &[("wholesaler", &n.source), ("retail-1", &n.r1), ("retail-2", &n.r2)]);
    let app = env.spawn(Mode::All).await;
    let shipped = replicated(&app, &n).await;
    let dropped = replicated(&app, &n).await;
    // Behind the hub's back: the wholesaler ships one order (its connector's report is lost), the retailer
    // cancels the other (its webhook is lost).
    set_tracking(&n.source, shipped.source, "LOST-1");
    move_order(&n.source, shipped.source, 4);
    move_order(&n.r1, dropped.client, 6);
    let out = hub_reconcile(&env, "retail-1");
    assert!(out.contains("1 cancellations handed over"), "{out}");
    assert!(out.contains("order statuses: 2 source orders compared, 1 changed (queued)"), "{out}");
    eventually(30, "the shipped order reached the retailer", || async {
        n.r1.order_state(shipped.client) == Some(4) && n.r1.tracking_number(shipped.client).as_deref() == Some("LOST-1")
    })
    .await;
    eventually(30, "the cancelled order is cancelled on the source", || async {
        n.source.order_state(dropped.source) == Some(6)
    })
    .await;
    assert_eq!(mails_of(&n.r1, shipped.client, "shipped").len(), 1);
    // Again: nothing left to repair.
    eventually(30, "the repairs are recorded", || async {
        app.count("SELECT COUNT(*) FROM inbox_events WHERE status <> 'processed'").await == 0
    })
    .await;
    let again = hub_reconcile(&env, "retail-1");
    assert!(again.contains("0 cancellations handed over"), "{again}");
    assert!(again.contains("order statuses: 2 source orders compared, 0 changed (queued)"), "{again}");
    app.stop().await;
}
