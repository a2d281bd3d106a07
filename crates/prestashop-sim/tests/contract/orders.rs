//! Orders through the Webservice: `validateOrder` semantics, the state-8 "Payment error" trap, one order
//! per cart, the carrier from `delivery_option`, the echoed answer, and state changes.

use crate::support::{Shop, order_flow, order_xml};

async fn order_state(shop: &Shop, id: u64) -> String {
    shop.get(&format!("/api/orders/{id}")).await.field("current_state")
}

#[tokio::test]
async fn a_wrong_total_creates_the_order_in_payment_error_without_taking_stock() {
    let shop = Shop::new().await;
    order_flow(&shop, &[]).await;
    let (mugs, shirt) = (shop.stock_of(6, 0).await, shop.stock_of(1, 1).await);
    let r = shop.send("POST", "/api/orders", &order_xml(6, "1.00")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.id();
    assert_eq!(order_state(&shop, id).await, "8");
    let o = shop.get(&format!("/api/orders/{id}")).await;
    assert_eq!(o.field("total_paid_real"), "1.000000");
    assert_eq!(o.field("total_paid"), "54.140000");
    assert_eq!(o.field("valid"), "0");
    assert_eq!((shop.stock_of(6, 0).await, shop.stock_of(1, 1).await), (mugs, shirt));
}

#[tokio::test]
async fn the_right_total_is_accepted_and_takes_stock_from_every_row() {
    let shop = Shop::new().await;
    order_flow(&shop, &[]).await;
    let (mugs, shirt, shirts) = (shop.stock_of(6, 0).await, shop.stock_of(1, 1).await, shop.stock_of(1, 0).await);
    let r = shop.send("POST", "/api/orders", &order_xml(7, "54.14")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.id();
    assert_eq!(order_state(&shop, id).await, "11");
    let o = shop.get(&format!("/api/orders/{id}?output_format=JSON")).await.json();
    assert_eq!(o["order"]["valid"], "1");
    assert_eq!(o["order"]["total_products"], "45.120000");
    assert_eq!(o["order"]["total_products_wt"], "54.140000");
    assert_eq!(o["order"]["id_carrier"], "1");
    assert_eq!(
        o["order"]["associations"]["order_rows"][0]["product_name"],
        "Hummingbird printed t-shirt (Size: S - Color: White)"
    );
    assert_eq!(o["order"]["associations"]["order_rows"][0]["unit_price_tax_incl"], "22.944000");
    assert_eq!(shop.stock_of(6, 0).await, mugs - 2);
    assert_eq!(shop.stock_of(1, 1).await, shirt - 1);
    assert_eq!(shop.stock_of(1, 0).await, shirts - 1);
}

#[tokio::test]
async fn the_answer_echoes_the_posted_values_not_the_stored_order() {
    let shop = Shop::new().await;
    order_flow(&shop, &[]).await;
    let r = shop.send("POST", "/api/orders", &order_xml(7, "54.14")).await;
    assert_eq!(r.field("current_state"), "");
    assert_eq!(r.field("reference"), "");
    assert_eq!(r.field("total_paid"), "54.14");
    assert_eq!(r.field("id_carrier"), "2");
    assert!(r.body.contains("<order_rows nodeType=\"order_row\" virtualEntity=\"true\">"));
    let stored = shop.get(&format!("/api/orders/{}", r.id())).await;
    assert_eq!(stored.field("reference").len(), 9);
    assert_eq!(stored.field("id_carrier"), "1");
}

#[tokio::test]
async fn a_cart_can_be_ordered_only_once() {
    let shop = Shop::new().await;
    order_flow(&shop, &[7]).await;
    let r = shop.send("POST", "/api/orders", &order_xml(7, "54.14")).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.body, "Cart cannot be loaded or an order has already been placed using this cart");
}

#[tokio::test]
async fn the_carrier_comes_from_delivery_option_and_its_shipping_counts() {
    let shop = Shop::new().await;
    order_flow(&shop, &[]).await;
    let products_only = shop.send("POST", "/api/orders", &order_xml(8, "54.14")).await;
    let id = products_only.id();
    let o = shop.get(&format!("/api/orders/{id}?output_format=JSON")).await.json();
    assert_eq!(o["order"]["current_state"], "8");
    assert_eq!(o["order"]["id_carrier"], "2");
    assert_eq!(o["order"]["total_shipping_tax_incl"], "8.400000");
    assert_eq!(o["order"]["total_paid_tax_incl"], "62.540000");
    let cart = shop.send("POST", "/api/carts", &crate::support::body_file("cart_post_delivery_option.xml")).await.id();
    let with_shipping = shop.send("POST", "/api/orders", &order_xml(cart, "62.54")).await;
    assert_eq!(order_state(&shop, with_shipping.id()).await, "11");
}

#[tokio::test]
async fn missing_required_fields_and_unknown_modules_fail_like_prestashop() {
    let shop = Shop::new().await;
    order_flow(&shop, &[]).await;
    let missing = shop
        .send("POST", "/api/orders", &order_xml(7, "54.14").replace("<total_paid_real>54.14</total_paid_real>", ""))
        .await;
    assert_eq!((missing.status, missing.codes()), (400, vec![41]));
    assert!(missing.body.contains("parameter \"total_paid_real\" required"));
    let module =
        shop.send("POST", "/api/orders", &order_xml(7, "54.14").replace("ps_wirepayment", "nonexistentpay")).await;
    assert_eq!((module.status, module.body.as_str()), (500, ""));
    let ok = shop.send("POST", "/api/orders", &order_xml(7, "54.14")).await;
    assert_eq!(ok.status, 201, "the failed attempts did not consume the cart");
}

#[tokio::test]
async fn cancelling_through_order_histories_restocks_and_records_the_state() {
    let shop = Shop::new().await;
    order_flow(&shop, &[6, 7]).await;
    let before = shop.stock_of(6, 0).await;
    let processing = "<prestashop><order_history><id_order>7</id_order><id_order_state>3</id_order_state></order_history></prestashop>";
    let r = shop.send("POST", "/api/order_histories", processing).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(order_state(&shop, 7).await, "3");
    assert_eq!(shop.stock_of(6, 0).await, before);
    let cancel = processing.replace("<id_order_state>3<", "<id_order_state>6<");
    assert_eq!(shop.send("POST", "/api/order_histories", &cancel).await.status, 201);
    assert_eq!(order_state(&shop, 7).await, "6");
    assert_eq!(shop.stock_of(6, 0).await, before + 2);
    let history =
        shop.get("/api/order_histories?filter[id_order]=[7]&display=[id_order_state]&output_format=JSON").await;
    assert_eq!(
        history.body,
        r#"{"order_histories":[{"id_order_state":"11"},{"id_order_state":"3"},{"id_order_state":"6"}]}"#
    );
}

#[tokio::test]
async fn cancelling_an_order_in_payment_error_does_not_restock() {
    let shop = Shop::new().await;
    order_flow(&shop, &[6]).await;
    let before = shop.stock_of(6, 0).await;
    let cancel = "<prestashop><order_history><id_order>6</id_order><id_order_state>6</id_order_state></order_history></prestashop>";
    assert_eq!(shop.send("POST", "/api/order_histories", cancel).await.status, 201);
    assert_eq!(shop.stock_of(6, 0).await, before);
}

#[tokio::test]
async fn a_patch_of_current_state_changes_the_state() {
    let shop = Shop::new().await;
    order_flow(&shop, &[6, 7]).await;
    let before = shop.stock_of(6, 0).await;
    shop.patch("orders", "order", 7, "<current_state>6</current_state>").await;
    assert_eq!(order_state(&shop, 7).await, "6");
    assert_eq!(shop.stock_of(6, 0).await, before + 2);
}

/// The list the hub's reconciliation of orders reads (FACTS.md §2.3: date fields filter and sort only with
/// `date=1`, `[a,b]` is an inclusive range, `limit=offset,count`).
fn valid_since(since: &str, limit: &str) -> String {
    format!(
        "/api/orders?date=1&filter[valid]=[1]&filter[date_upd]=[{since},9999-12-31 23:59:59]\
         &sort=[date_upd_ASC,id_ASC]&display=full&limit={limit}&output_format=JSON"
    )
}

fn ids(r: &crate::support::Resp) -> Vec<u64> {
    r.json()["orders"].as_array().map(|a| a.iter().filter_map(|o| o["id"].as_u64()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn valid_orders_list_by_date_upd_page_by_page_and_a_paid_order_joins_them() {
    let shop = Shop::new().await;
    order_flow(&shop, &[6, 7]).await;
    let first = shop.get(&valid_since("2000-01-01 00:00:00", "0,4")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(ids(&first), vec![1, 2, 3, 4], "order 6 is in payment error (valid 0)");
    let row = &first.json()["orders"][0];
    assert_eq!(row["associations"]["order_rows"][0]["product_reference"], "demo_11");
    assert!(row["date_upd"].as_str().is_some_and(|d| d.len() == 19), "{row}");
    assert_eq!(ids(&shop.get(&valid_since("2000-01-01 00:00:00", "4,4")).await), vec![5, 7]);
    let none = shop.get(&valid_since("2999-01-01 00:00:00", "0,4")).await;
    assert_eq!((none.status, none.body.as_str()), (200, "[]"));
    // Without date=1 the shop refuses the date filter (error 32 and the 500 quirk).
    let undated = shop.get(&valid_since("2000-01-01 00:00:00", "0,4").replace("date=1&", "")).await;
    assert_eq!((undated.status, undated.codes().first().copied()), (500, Some(32)));
    // Payment accepted later: the order becomes valid and its date_upd moves.
    let paid = "<prestashop><order_history><id_order>6</id_order><id_order_state>2</id_order_state></order_history></prestashop>";
    assert_eq!(shop.send("POST", "/api/order_histories", paid).await.status, 201);
    assert!(ids(&shop.get(&valid_since("2000-01-01 00:00:00", "0,10")).await).contains(&6));
}
