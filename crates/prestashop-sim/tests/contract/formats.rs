//! Output formats, the JSON rules of PrestaShop 8, headers, and the error and empty bodies.

use crate::support::{Auth, HUB_KEY, Shop, demo_catalog, product_xml};

async fn shop_with_one_product() -> Shop {
    let shop = Shop::new().await;
    shop.create("products", "product", &product_xml("Mug", "MUG-1", "9.5", 2)).await;
    shop
}

#[tokio::test]
async fn xml_is_the_default_and_json_needs_upper_case() {
    let shop = shop_with_one_product().await;
    let xml = shop.get("/api/products/1").await;
    assert_eq!(xml.header("content-type"), Some("text/xml;charset=utf-8"));
    assert!(xml.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink="));
    for q in ["output_format=JSON", "io_format=JSON"] {
        let r = shop.get(&format!("/api/products/1?{q}")).await;
        assert_eq!(r.header("content-type"), Some("application/json"), "{q}");
    }
    let lower = shop.get("/api/products/1?output_format=json").await;
    assert_eq!(lower.header("content-type"), Some("text/xml;charset=utf-8"));
}

#[tokio::test]
async fn headers_win_over_parameters_in_prestashop_order() {
    let shop = shop_with_one_product().await;
    let h = |k: &'static str, v: &'static str| [(k, v)];
    let io = shop.call("GET", "/api/products/1", None, &h("Io-Format", "JSON"), Auth::Basic(HUB_KEY)).await;
    let out = shop.call("GET", "/api/products/1", None, &h("Output-Format", "JSON"), Auth::Basic(HUB_KEY)).await;
    let io_xml = shop
        .call("GET", "/api/products/1?output_format=JSON", None, &h("Io-Format", "XML"), Auth::Basic(HUB_KEY))
        .await;
    assert_eq!(io.header("content-type"), Some("application/json"));
    assert_eq!(out.header("content-type"), Some("application/json"));
    assert_eq!(io_xml.header("content-type"), Some("text/xml;charset=utf-8"));
}

#[tokio::test]
async fn single_json_objects_drop_falsy_fields_but_lists_keep_them() {
    let shop = shop_with_one_product().await;
    let single = shop.get("/api/stock_availables/1?output_format=JSON").await;
    assert_eq!(single.body, r#"{"stock_available":{"id":1,"id_product":"1","id_shop":"1","out_of_stock":"2"}}"#);
    let list = shop.get("/api/stock_availables?display=full&output_format=JSON").await;
    assert_eq!(
        list.body,
        r#"{"stock_availables":[{"id":1,"id_product":"1","id_product_attribute":"0","id_shop":"1","id_shop_group":"0","quantity":"0","depends_on_stock":"0","out_of_stock":"2","location":""}]}"#
    );
}

#[tokio::test]
async fn json_language_fields_collapse_to_a_string_with_one_language() {
    let shop = shop_with_one_product().await;
    let r = shop.get("/api/products?display=[id,name]&output_format=JSON").await;
    assert_eq!(r.body, r#"{"products":[{"id":1,"name":"Mug"}]}"#);
}

#[tokio::test]
async fn json_escapes_slashes_like_php() {
    let shop = Shop::new().await;
    shop.create("products", "product", "<price>1</price><name><language id=\"1\">Widget</language></name><description_short>&lt;p&gt;a/b&lt;/p&gt;</description_short>")
        .await;
    let r = shop.get("/api/products?display=[description_short]&output_format=JSON").await;
    assert_eq!(r.body, r#"{"products":[{"description_short":"<p>a\/b<\/p>"}]}"#);
}

#[tokio::test]
async fn an_empty_json_list_is_a_bare_array_and_xml_keeps_the_wrapper() {
    let shop = Shop::new().await;
    assert_eq!(shop.get("/api/products?output_format=JSON").await.body, "[]");
    let xml = shop.get("/api/products").await;
    assert!(xml.body.contains("<products>\n</products>"));
}

#[tokio::test]
async fn a_missing_object_is_404_with_an_empty_body_and_content_type() {
    let shop = Shop::new().await;
    let r = shop.get("/api/products/99999").await;
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), Some(""));
}

#[tokio::test]
async fn answers_carry_the_webservice_headers_and_a_body_hash() {
    let shop = shop_with_one_product().await;
    let r = shop.get("/api/products/1").await;
    assert_eq!(r.header("x-powered-by"), Some("PrestaShop Webservice"));
    assert_eq!(r.header("psws-version"), Some("8.2.1"));
    assert!(r.header("access-time").is_some_and(|t| t.parse::<u64>().is_ok()));
    assert!(r.header("execution-time").is_some());
    let sha = r.header("content-sha1").expect("hash").to_owned();
    assert_eq!(sha.len(), 40);
    let again = shop.call("GET", "/api/products/1", None, &[("Local-Content-Sha1", &sha)], Auth::Basic(HUB_KEY)).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn head_answers_headers_only() {
    let shop = shop_with_one_product().await;
    let get = shop.get("/api/products/1").await;
    let head = shop.call("HEAD", "/api/products/1", None, &[], Auth::Basic(HUB_KEY)).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-sha1"), get.header("content-sha1"));
}

#[tokio::test]
async fn a_json_body_is_refused_as_unparsable_xml() {
    let shop = shop_with_one_product().await;
    let r = shop
        .send("PUT", "/api/stock_availables/1?output_format=JSON", r#"{"stock_available":{"id":1,"quantity":10}}"#)
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.codes(), vec![3, 3, 3, 127]);
    assert!(r.body.contains("String could not be parsed as XML"));
}

#[tokio::test]
async fn an_xml_prefix_on_the_body_is_stripped() {
    let shop = Shop::new().await;
    let r =
        shop.send("POST", "/api/products", "xml=<prestashop><product><price>3</price><name><language id=\"1\">Widget</language></name></product></prestashop>").await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn getting_one_object_with_display_gives_a_list_wrapper() {
    let shop = Shop::new().await;
    demo_catalog(&shop).await;
    let r = shop.get("/api/products/6?output_format=JSON&display=[id,reference]").await;
    assert_eq!(r.body, r#"{"products":[{"id":6,"reference":"demo_11"}]}"#);
}

#[tokio::test]
async fn write_answers_render_the_id_as_a_string_in_json() {
    let shop = shop_with_one_product().await;
    let r = shop
        .send(
            "PATCH",
            "/api/stock_availables/1?output_format=JSON",
            "<prestashop><stock_available><id>1</id><quantity>7</quantity></stock_available></prestashop>",
        )
        .await;
    assert_eq!(
        r.body,
        r#"{"stock_available":{"id":"1","id_product":"1","id_shop":"1","quantity":"7","out_of_stock":"2"}}"#
    );
}
