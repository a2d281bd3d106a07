//! The `fulfillment_connector` module of decision 0004: a payment module `validateOrder` accepts, and its
//! `carttotal` front controller (both URL forms) whose total is exactly the one `validateOrder` compares
//! `total_paid` with; its key, signature, errors, the request log and injected failures.

use std::time::{SystemTime, UNIX_EPOCH};

use prestashop_sim::{Failure, FailureKind, SimConfig, connector_signature, connector_signature_of};

use crate::support::{Auth, HUB_KEY, Resp, Shop, order_flow};

const CONNECTOR_KEY: &str = "source-store-api-key-0123456789abcdef";
const SECRET: &str = "s3cret-signing-secret";
const INDEX: &str = "/index.php?fc=module&module=fulfillment_connector&controller=carttotal";
const FRIENDLY: &str = "/module/fulfillment_connector/carttotal";

async fn connector_shop(secret: Option<&str>) -> Shop {
    Shop::with_config(SimConfig {
        key: HUB_KEY.to_owned(),
        connector_key: Some(CONNECTOR_KEY.to_owned()),
        connector_secret: secret.map(str::to_owned),
        ..SimConfig::default()
    })
    .await
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `GET {path_and_query}` with the given headers and no Webservice credentials.
async fn front(shop: &Shop, path_and_query: &str, headers: &[(&str, &str)]) -> Resp {
    shop.call("GET", path_and_query, None, headers, Auth::None).await
}

/// `carttotal` for `id_cart` by the `index.php` form with the connector key.
async fn carttotal(shop: &Shop, id_cart: u64) -> Resp {
    front(shop, &format!("{INDEX}&id_cart={id_cart}"), &[("X-API-KEY", CONNECTOR_KEY)]).await
}

fn assert_json(r: &Resp, status: u16, body: &str) {
    assert_eq!((r.status, r.body.as_str()), (status, body));
    assert_eq!(r.header("content-type"), Some("application/json"));
}

/// What the hub creates on the source shop: a customer, the end customer's address, a cart with two rows
/// (a widget at 9.00 and a gadget at 12.345, both taxed 20 %) and carrier 2 (7.00 + 20 %) chosen by
/// `delivery_option`.
struct Built {
    customer: u64,
    address: u64,
    cart: u64,
    widget: u64,
    gadget: u64,
}

/// `{"id_cart":…}` of [`build`]'s cart: 2 × 10.80 + 3 × 14.814 (44.442 → 44.44) + 8.40 shipping.
fn built_total_json(cart: u64) -> String {
    format!(
        r#"{{"id_cart":{cart},"id_currency":1,"currency":"EUR","total_paid_tax_incl":"74.44","total_products_tax_excl":"55.04","total_products_tax_incl":"66.04","total_shipping_tax_incl":"8.40"}}"#
    )
}

async fn build(shop: &Shop) -> Built {
    let widget = shop.sim.seed_product("W-1", "Widget", "9.00", 10);
    let gadget = shop.sim.seed_product("G-1", "Gadget", "12.345", 20);
    let customer = shop
        .create(
            "customers",
            "customer",
            "<passwd>RetailerHub#2024</passwd><lastname>Retailer</lastname><firstname>Shop</firstname>\
             <email>retailer-1@example.com</email><active>1</active>",
        )
        .await;
    let address = shop
        .create(
            "addresses",
            "address",
            &format!(
                "<id_customer>{customer}</id_customer><id_country>8</id_country><alias>End customer</alias>\
                 <lastname>Doe</lastname><firstname>Jane</firstname><address1>12 rue de la Paix</address1>\
                 <postcode>75002</postcode><city>Paris</city>"
            ),
        )
        .await;
    let row = |product: u64, quantity: u32| {
        format!(
            "<cart_row><id_product>{product}</id_product><id_product_attribute>0</id_product_attribute>\
             <id_address_delivery>{address}</id_address_delivery><quantity>{quantity}</quantity></cart_row>"
        )
    };
    let cart = shop
        .create(
            "carts",
            "cart",
            &format!(
                "<id_address_delivery>{address}</id_address_delivery><id_address_invoice>{address}</id_address_invoice>\
                 <id_currency>1</id_currency><id_customer>{customer}</id_customer><id_lang>1</id_lang>\
                 <id_carrier>2</id_carrier><delivery_option>{{\"{address}\":\"2,\"}}</delivery_option>\
                 <associations><cart_rows>{}{}</cart_rows></associations>",
                row(widget, 2),
                row(gadget, 3)
            ),
        )
        .await;
    Built { customer, address, cart, widget, gadget }
}

fn connector_order_xml(b: &Built, total: &str) -> String {
    format!(
        "<prestashop><order><id_address_delivery>{a}</id_address_delivery><id_address_invoice>{a}</id_address_invoice>\
         <id_cart>{c}</id_cart><id_currency>1</id_currency><id_lang>1</id_lang><id_customer>{cu}</id_customer>\
         <id_carrier>2</id_carrier><module>fulfillment_connector</module><payment>Fulfillment Hub</payment>\
         <total_paid>{total}</total_paid><total_paid_real>{total}</total_paid_real><total_products>{total}</total_products>\
         <total_products_wt>{total}</total_products_wt><conversion_rate>1</conversion_rate></order></prestashop>",
        a = b.address,
        c = b.cart,
        cu = b.customer,
    )
}

#[tokio::test]
async fn the_connector_total_is_accepted_by_validate_order_and_takes_stock() {
    let shop = connector_shop(None).await;
    let b = build(&shop).await;
    let r = carttotal(&shop, b.cart).await;
    assert_json(&r, 200, &built_total_json(b.cart));
    let friendly = front(&shop, &format!("{FRIENDLY}?id_cart={}", b.cart), &[("X-API-KEY", CONNECTOR_KEY)]).await;
    assert_json(&friendly, 200, &r.body);
    let total = r.json()["total_paid_tax_incl"].as_str().expect("a string").to_owned();

    let posted = shop.send("POST", "/api/orders", &connector_order_xml(&b, &total)).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let id = posted.id();
    let o = shop.get(&format!("/api/orders/{id}?output_format=JSON")).await.json();
    assert_eq!(o["order"]["current_state"], "11");
    assert_eq!(o["order"]["valid"], "1");
    assert_eq!(o["order"]["module"], "fulfillment_connector");
    assert_eq!(o["order"]["payment"], "Fulfillment Hub");
    assert_eq!(o["order"]["id_carrier"], "2");
    assert_eq!(o["order"]["total_paid_tax_incl"], "74.440000");
    assert_eq!(o["order"]["total_shipping_tax_incl"], "8.400000");
    assert_eq!((shop.stock_of(b.widget, 0).await, shop.stock_of(b.gadget, 0).await), (8, 17));

    let again = carttotal(&shop, b.cart).await;
    assert_json(&again, 409, &format!(r#"{{"error":"cart_already_ordered","id_order":{id}}}"#));
    let second = shop.send("POST", "/api/orders", &connector_order_xml(&b, &total)).await;
    assert_eq!(second.status, 500, "PrestaShop refuses a second order for the cart");
}

#[tokio::test]
async fn another_total_gives_payment_error_without_stock_move() {
    let shop = connector_shop(None).await;
    let b = build(&shop).await;
    assert_json(&carttotal(&shop, b.cart).await, 200, &built_total_json(b.cart));
    let posted = shop.send("POST", "/api/orders", &connector_order_xml(&b, "74.43")).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let o = shop.get(&format!("/api/orders/{}?output_format=JSON", posted.id())).await.json();
    assert_eq!(o["order"]["current_state"], "8");
    assert_eq!(o["order"].get("valid"), None, "a falsy field drops out of single-object JSON");
    assert_eq!(o["order"]["total_paid_real"], "74.430000");
    assert_eq!(shop.get(&format!("/api/orders/{}", posted.id())).await.field("valid"), "0");
    assert_eq!((shop.stock_of(b.widget, 0).await, shop.stock_of(b.gadget, 0).await), (10, 20));
    let again = carttotal(&shop, b.cart).await;
    assert_json(&again, 409, &format!(r#"{{"error":"cart_already_ordered","id_order":{}}}"#, posted.id()));
}

#[tokio::test]
async fn the_decision_example_is_the_captured_cart_7() {
    let shop = connector_shop(None).await;
    order_flow(&shop, &[6]).await;
    assert_json(
        &carttotal(&shop, 7).await,
        200,
        r#"{"id_cart":7,"id_currency":1,"currency":"EUR","total_paid_tax_incl":"54.14","total_products_tax_excl":"45.12","total_products_tax_incl":"54.14","total_shipping_tax_incl":"0.00"}"#,
    );
    assert_json(&carttotal(&shop, 6).await, 409, r#"{"error":"cart_already_ordered","id_order":6}"#);
    assert_json(
        &carttotal(&shop, 8).await,
        200,
        r#"{"id_cart":8,"id_currency":1,"currency":"EUR","total_paid_tax_incl":"62.54","total_products_tax_excl":"45.12","total_products_tax_incl":"54.14","total_shipping_tax_incl":"8.40"}"#,
    );
}

#[tokio::test]
async fn orders_of_a_cart_are_found_by_filter() {
    let shop = connector_shop(None).await;
    let b = build(&shop).await;
    let q = format!(
        "/api/orders?filter[id_cart]=[{}]&display=[id,reference,current_state,valid,total_paid_tax_incl]&output_format=JSON",
        b.cart
    );
    assert_eq!(shop.get(&q).await.body, "[]");
    let id = shop.send("POST", "/api/orders", &connector_order_xml(&b, "74.44")).await.id();
    // `display` lists the fields in the resource's order, `reference` last.
    let listed = shop.get(&q).await;
    let v = listed.json();
    let reference = v["orders"][0]["reference"].as_str().expect("a reference").to_owned();
    assert_eq!(reference.len(), 9);
    assert_eq!(
        listed.body,
        format!(
            r#"{{"orders":[{{"id":{id},"current_state":"11","valid":"1","total_paid_tax_incl":"74.440000","reference":"{reference}"}}]}}"#
        )
    );
    let xml = shop.get(&q.replace("&output_format=JSON", "")).await;
    assert_eq!(xml.status, 200);
    assert_eq!(xml.field("current_state"), "11");
}

#[tokio::test]
async fn the_key_is_required_and_must_match() {
    let shop = connector_shop(None).await;
    let b = build(&shop).await;
    let unauthorized = r#"{"error":"unauthorized"}"#;
    let url = format!("{INDEX}&id_cart={}", b.cart);
    assert_json(&front(&shop, &url, &[]).await, 401, unauthorized);
    assert_json(
        &front(&shop, &url, &[("X-API-KEY", "source-store-api-key-0123456789abcdeX")]).await,
        401,
        unauthorized,
    );
    assert_json(&front(&shop, &url, &[("X-API-KEY", "short")]).await, 401, unauthorized);
    assert_json(&front(&shop, &url, &[("X-API-KEY", "")]).await, 401, unauthorized);
    assert_json(&front(&shop, &url, &[("X-API-KEY", HUB_KEY)]).await, 401, unauthorized);
    let ws_key = shop.call("GET", &url, None, &[], Auth::Basic(HUB_KEY)).await;
    assert_json(&ws_key, 401, unauthorized);
    assert_json(&front(&shop, &url, &[("x-api-key", CONNECTOR_KEY)]).await, 200, &built_total_json(b.cart));
}

#[tokio::test]
async fn with_a_secret_the_signature_is_required_fresh_and_for_this_cart() {
    let shop = connector_shop(Some(SECRET)).await;
    let b = build(&shop).await;
    let unauthorized = r#"{"error":"unauthorized"}"#;
    let url = format!("{FRIENDLY}?id_cart={}", b.cart);
    let key = ("X-API-KEY", CONNECTOR_KEY);
    let signed = |t: i64, cart: u64, secret: &str| connector_signature(secret, t, cart);
    assert_json(&front(&shop, &url, &[key]).await, 401, unauthorized);
    for bad in [
        signed(now(), b.cart, "another secret"),
        signed(now(), b.cart + 1, SECRET),
        signed(now() - 400, b.cart, SECRET),
        signed(now() + 400, b.cart, SECRET),
        format!("t={},v1=", now()),
        format!("v1={}", &signed(now(), b.cart, SECRET)[13..]),
        "garbage".to_owned(),
    ] {
        assert_json(&front(&shop, &url, &[key, ("X-Hub-Signature", &bad)]).await, 401, unauthorized);
    }
    let wrong_key = [("X-API-KEY", "nope"), ("X-Hub-Signature", &signed(now(), b.cart, SECRET))];
    assert_json(&front(&shop, &url, &wrong_key).await, 401, unauthorized);
    for t in [now(), now() - 250] {
        let ok = front(&shop, &url, &[key, ("X-Hub-Signature", &signed(t, b.cart, SECRET))]).await;
        assert_json(&ok, 200, &built_total_json(b.cart));
    }
    assert_eq!(
        connector_signature("secret", 1_700_000_000, 7),
        "t=1700000000,v1=a5856648c4f771b2be32d47af91d635d0f073fc9c0280b2fdf7fe07ccaebbc48"
    );
}

#[tokio::test]
async fn unknown_carts_and_missing_ids_are_refused() {
    let shop = connector_shop(Some(SECRET)).await;
    let key = ("X-API-KEY", CONNECTOR_KEY);
    let sig = connector_signature(SECRET, now(), 999);
    let r = front(&shop, &format!("{INDEX}&id_cart=999"), &[key, ("X-Hub-Signature", &sig)]).await;
    assert_json(&r, 404, r#"{"error":"cart_not_found"}"#);
    for raw in ["", "0", "abc", "-3", "07", "4294967296"] {
        let query = format!("{INDEX}&id_cart={raw}");
        // The signature is checked first, over the value as received: unsigned, any id is 401.
        assert_json(&front(&shop, &query, &[key]).await, 401, r#"{"error":"unauthorized"}"#);
        let sig = connector_signature_of(SECRET, now(), raw);
        let r = front(&shop, &query, &[key, ("X-Hub-Signature", &sig)]).await;
        assert_json(&r, 400, r#"{"error":"invalid_id_cart"}"#);
    }
    let unsigned = connector_shop(None).await;
    let r = front(&unsigned, INDEX, &[key]).await;
    assert_json(&r, 400, r#"{"error":"invalid_id_cart"}"#);
    let r = front(&shop, &format!("{INDEX}&id_cart=999"), &[key]).await;
    assert_json(&r, 401, r#"{"error":"unauthorized"}"#);
    let post = shop.call("POST", &format!("{INDEX}&id_cart=999"), Some(""), &[key], Auth::None).await;
    assert_eq!((post.status, post.body.as_str()), (405, r#"{"error":"method_not_allowed"}"#));
}

#[tokio::test]
async fn without_a_connector_key_the_controller_does_not_exist() {
    let shop = Shop::new().await;
    order_flow(&shop, &[]).await;
    for url in [format!("{INDEX}&id_cart=7"), format!("{FRIENDLY}?id_cart=7")] {
        let r = front(&shop, &url, &[("X-API-KEY", CONNECTOR_KEY)]).await;
        assert_eq!(r.status, 404, "{url}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    }
    let ordered = shop
        .send(
            "POST",
            "/api/orders",
            &crate::support::order_xml(7, "54.14")
                .replace("ps_wirepayment", "fulfillment_connector")
                .replace("Bank wire", "Fulfillment Hub"),
        )
        .await;
    assert_eq!(ordered.status, 201, "the payment module is installed all the same: {}", ordered.body);
    assert_eq!(shop.get(&format!("/api/orders/{}", ordered.id())).await.field("current_state"), "11");
}

#[tokio::test]
async fn other_controllers_and_modules_get_the_404_page() {
    let shop = connector_shop(None).await;
    let key = [("X-API-KEY", CONNECTOR_KEY)];
    for url in [
        "/module/fulfillment_connector/cron?id_cart=1",
        "/module/ps_wirepayment/carttotal?id_cart=1",
        "/index.php?fc=module&module=other&controller=carttotal&id_cart=1",
        "/index.php?fc=module&module=fulfillment_connector&controller=nope&id_cart=1",
    ] {
        let r = front(&shop, url, &key).await;
        assert_eq!(r.status, 404, "{url}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"), "{url}");
    }
}

#[tokio::test]
async fn requests_are_logged_and_failures_apply() {
    let shop = connector_shop(None).await;
    let b = build(&shop).await;
    shop.sim.clear_requests();
    shop.sim.inject(Failure::status(503).on_resource("orders").times(1));
    assert_eq!(carttotal(&shop, b.cart).await.status, 200, "a failure on orders leaves carttotal alone");
    shop.sim.clear_failures();
    shop.sim.inject(Failure::status(503).on_resource("carttotal").on_method("GET").times(2));
    let first = carttotal(&shop, b.cart).await;
    assert_eq!((first.status, first.header("retry-after")), (503, Some("1")));
    let url = format!("{FRIENDLY}?id_cart={}", b.cart);
    assert_eq!(front(&shop, &url, &[("X-API-KEY", CONNECTOR_KEY)]).await.status, 503);
    assert_eq!(front(&shop, &url, &[("X-API-KEY", CONNECTOR_KEY)]).await.status, 200);
    shop.sim.inject(Failure::new(FailureKind::Drop).times(1));
    let dropped = shop.http.get(shop.url(&url)).header("X-API-KEY", CONNECTOR_KEY).send().await;
    assert!(dropped.is_err(), "a dropped connection gives no answer");

    let log = shop.sim.requests();
    let statuses: Vec<(&str, &str, u16)> = log.iter().map(|r| (r.path.as_str(), r.resource(), r.status)).collect();
    assert_eq!(
        statuses,
        [
            ("/index.php", "carttotal", 200),
            ("/index.php", "carttotal", 503),
            (FRIENDLY, "carttotal", 503),
            (FRIENDLY, "carttotal", 200),
            (FRIENDLY, "carttotal", 0),
        ]
    );
    assert_eq!(log[0].query_param("id_cart"), Some(b.cart.to_string()));
    assert!(log[0].headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("x-api-key") && v == CONNECTOR_KEY));
}
