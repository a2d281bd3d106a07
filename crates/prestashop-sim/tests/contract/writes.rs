//! Write semantics: POST, PUT as a full replace, PATCH, setters and read-only fields, stock rows that
//! follow products and combinations, associations, customers, DELETE.

use crate::support::{Auth, HUB_KEY, Shop, product_xml};

fn product_body(id: u64, inner: &str) -> String {
    format!("<prestashop><product><id>{id}</id>{inner}</product></prestashop>")
}

async fn shop_with_product() -> (Shop, u64) {
    let shop = Shop::new().await;
    let id = shop.create("products", "product", &product_xml("Widget", "W-1", "10.000000", 2)).await;
    (shop, id)
}

#[tokio::test]
async fn posting_a_product_creates_its_stock_row_with_quantity_zero() {
    let (shop, id) = shop_with_product().await;
    let r = shop.get(&format!("/api/stock_availables?filter[id_product]=[{id}]&display=full")).await;
    assert_eq!(r.field("id_product_attribute"), "0");
    assert_eq!(r.field("quantity"), "0");
    assert_eq!(r.field("out_of_stock"), "2");
    assert_eq!(r.field("id_shop"), "1");
    let p = shop.get(&format!("/api/products/{id}")).await;
    assert!(p.body.contains("<stock_availables nodeType=\"stock_available\" api=\"stock_availables\">"));
    assert!(p.body.contains("<link_rewrite><language id=\"1\""), "{}", p.body);
    assert_eq!(p.field("link_rewrite").split("CDATA[").nth(1).map(|s| s.split(']').next()), Some(Some("widget")));
}

#[tokio::test]
async fn put_is_a_full_replace_and_wipes_what_is_left_out() {
    let (shop, id) = shop_with_product().await;
    let r = shop
        .send("PUT", &format!("/api/products/{id}"), &product_body(id, "<price>12</price><reference>W-1</reference>"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.field("active"), "");
    let p = shop.get(&format!("/api/products/{id}")).await;
    assert_eq!(p.field("price"), "12.000000");
    assert_eq!(p.field("active"), "0");
    assert_eq!(p.field("id_category_default"), "0");
    assert!(
        p.body.contains("<name><language id=\"1\" xlink:href=\"") && p.body.contains("<![CDATA[]]></language></name>")
    );
}

#[tokio::test]
async fn put_refuses_missing_required_and_read_only_fields() {
    let (shop, id) = shop_with_product().await;
    let missing =
        shop.send("PUT", &format!("/api/products/{id}"), &product_body(id, "<reference>W-1</reference>")).await;
    assert_eq!((missing.status, missing.codes()), (400, vec![41]));
    assert!(missing.body.contains("parameter \"price\" required"));
    let ro = shop
        .send("PUT", &format!("/api/products/{id}"), &product_body(id, "<price>1</price><quantity>5</quantity>"))
        .await;
    assert_eq!((ro.status, ro.codes()), (400, vec![93]));
    let noid = shop
        .send("PUT", &format!("/api/products/{id}"), "<prestashop><product><price>1</price></product></prestashop>")
        .await;
    assert_eq!((noid.status, noid.codes()), (400, vec![90]));
    let post_id = shop.send("POST", "/api/products", &product_body(5, "<price>1</price>")).await;
    assert_eq!((post_id.status, post_id.codes()), (400, vec![91]));
}

#[tokio::test]
async fn put_takes_the_id_from_the_body_not_the_url() {
    let shop = Shop::new().await;
    let a =
        shop.create("products", "product", "<price>1</price><name><language id=\"1\">Widget</language></name>").await;
    let b =
        shop.create("products", "product", "<price>2</price><name><language id=\"1\">Widget</language></name>").await;
    let r = shop.send("PUT", &format!("/api/products/{b}"), &product_body(a, "<price>5</price>")).await;
    assert_eq!(r.status, 200);
    assert_eq!(shop.get(&format!("/api/products/{a}")).await.field("price"), "5.000000");
    assert_eq!(shop.get(&format!("/api/products/{b}")).await.field("price"), "2.000000");
    // saveEntityFromXml never reads the URL's id, even one that does not exist.
    let url_missing = shop.send("PUT", "/api/products/999", &product_body(a, "<price>6</price>")).await;
    assert_eq!(url_missing.status, 200, "{}", url_missing.body);
    assert_eq!(shop.get(&format!("/api/products/{a}")).await.field("price"), "6.000000");
    let body_missing = shop.send("PUT", &format!("/api/products/{a}"), &product_body(999, "<price>5</price>")).await;
    assert_eq!((body_missing.status, body_missing.codes()), (404, vec![92]));
}

#[tokio::test]
async fn a_write_to_a_missing_id_is_404_with_an_errors_body_in_the_requested_format() {
    let shop = Shop::new().await;
    for method in ["PATCH", "PUT"] {
        let xml = shop.send(method, "/api/products/999", &product_body(999, "<price>5</price>")).await;
        assert_eq!((xml.status, xml.codes()), (404, vec![92]), "{method} XML: {}", xml.body);
        assert!(xml.header("content-type").is_some_and(|t| t.starts_with("text/xml")), "{method} XML");
        let json =
            shop.send(method, "/api/products/999?output_format=JSON", &product_body(999, "<price>5</price>")).await;
        assert_eq!(json.status, 404, "{method} JSON");
        assert_eq!(json.body, r#"{"errors":[{"code":92,"message":"Invalid ID"}]}"#, "{method} JSON");
    }
    let xml = shop.send("DELETE", "/api/products/999", "").await;
    assert_eq!((xml.status, xml.codes()), (404, vec![87]), "DELETE XML: {}", xml.body);
    let json = shop.send("DELETE", "/api/products/999?output_format=JSON", "").await;
    assert_eq!(json.status, 404);
    assert_eq!(json.body, r#"{"errors":[{"code":87,"message":"Id(s) not exists: 999"}]}"#);
}

#[tokio::test]
async fn patch_changes_only_the_fields_sent() {
    let (shop, id) = shop_with_product().await;
    let r = shop.send("PATCH", &format!("/api/products/{id}"), &product_body(id, "<price>13</price>")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = shop.get(&format!("/api/products/{id}")).await;
    assert_eq!(p.field("price"), "13.000000");
    assert_eq!(p.field("reference"), "W-1");
    assert_eq!(p.field("active"), "1");
}

#[tokio::test]
async fn a_language_field_sent_as_plain_text_fills_every_language() {
    let (shop, id) = shop_with_product().await;
    shop.patch("products", "product", id, "<name>Plain name</name>").await;
    let r = shop.get(&format!("/api/products/{id}?display=[name]&output_format=JSON")).await;
    assert_eq!(r.body, r#"{"products":[{"name":"Plain name"}]}"#);
}

#[tokio::test]
async fn an_empty_position_in_category_is_refused_with_134() {
    let (shop, id) = shop_with_product().await;
    let r = shop
        .send(
            "PATCH",
            &format!("/api/products/{id}"),
            &product_body(id, "<position_in_category></position_in_category>"),
        )
        .await;
    assert_eq!((r.status, r.codes()), (500, vec![134]));
}

#[tokio::test]
async fn stock_puts_need_every_required_field_and_zero_the_shop_when_it_is_left_out() {
    let (shop, id) = shop_with_product().await;
    let sa = |inner: &str| format!("<prestashop><stock_available><id>{id}</id>{inner}</stock_available></prestashop>");
    let min = shop.send("PUT", &format!("/api/stock_availables/{id}"), &sa("<quantity>5</quantity>")).await;
    assert_eq!((min.status, min.codes()), (400, vec![41]));
    let required = format!(
        "<id_product>{id}</id_product><id_product_attribute>0</id_product_attribute><quantity>5</quantity>\
         <depends_on_stock>0</depends_on_stock><out_of_stock>2</out_of_stock>"
    );
    let r = shop.send("PUT", &format!("/api/stock_availables/{id}"), &sa(&required)).await;
    assert_eq!(r.status, 200);
    let gone = shop.get(&format!("/api/stock_availables/{id}")).await;
    assert_eq!((gone.status, gone.codes()), (404, vec![131]));
    let listed = shop.get(&format!("/api/stock_availables?filter[id_product]=[{id}]&display=full")).await;
    assert_eq!(listed.field("id_shop"), "0");
}

#[tokio::test]
async fn stock_that_depends_on_stock_cannot_be_updated() {
    let (shop, id) = shop_with_product().await;
    let r = shop
        .send(
            "PATCH",
            &format!("/api/stock_availables/{id}"),
            &format!("<prestashop><stock_available><id>{id}</id><depends_on_stock>1</depends_on_stock></stock_available></prestashop>"),
        )
        .await;
    assert_eq!((r.status, r.codes()), (500, vec![133, 46]));
}

#[tokio::test]
async fn a_bad_quantity_is_a_validation_error() {
    let (shop, id) = shop_with_product().await;
    let r = shop
        .send(
            "PATCH",
            &format!("/api/stock_availables/{id}"),
            &format!(
                "<prestashop><stock_available><id>{id}</id><quantity>abc</quantity></stock_available></prestashop>"
            ),
        )
        .await;
    assert_eq!((r.status, r.codes()), (400, vec![85]));
    assert!(r.body.contains("StockAvailable-&gt;quantity"));
}

#[tokio::test]
async fn combinations_get_stock_rows_summed_into_the_product_row() {
    let (shop, id) = shop_with_product().await;
    let c1 = shop
        .create(
            "combinations",
            "combination",
            &format!("<id_product>{id}</id_product><minimal_quantity>1</minimal_quantity>"),
        )
        .await;
    let c2 = shop
        .create(
            "combinations",
            "combination",
            &format!("<id_product>{id}</id_product><minimal_quantity>1</minimal_quantity>"),
        )
        .await;
    let row = |attr: u64| {
        format!("/api/stock_availables?filter[id_product]=[{id}]&filter[id_product_attribute]=[{attr}]&display=[id]")
    };
    let r1: u64 = shop.get(&row(c1)).await.field("id").parse().expect("row 1");
    let r2: u64 = shop.get(&row(c2)).await.field("id").parse().expect("row 2");
    shop.set_stock(r1, 4).await;
    let full = format!(
        "<prestashop><stock_available><id>{r2}</id><id_product>{id}</id_product><id_product_attribute>{c2}</id_product_attribute>\
         <id_shop>1</id_shop><id_shop_group>0</id_shop_group><quantity>6</quantity><depends_on_stock>0</depends_on_stock>\
         <out_of_stock>2</out_of_stock><location></location></stock_available></prestashop>"
    );
    assert_eq!(shop.send("PUT", &format!("/api/stock_availables/{r2}"), &full).await.status, 200);
    assert_eq!(shop.stock_of(id, 0).await, 10);
    let p = shop.get(&format!("/api/products/{id}")).await;
    assert_eq!(p.field("id_default_combination"), c1.to_string());
    assert!(p.body.contains(&format!("<combination xlink:href=\"{}/api/combinations/{c2}\">", shop.sim.base_url())));
}

#[tokio::test]
async fn associations_in_the_body_replace_the_set_and_unknown_ones_are_refused() {
    let (shop, id) = shop_with_product().await;
    let body =
        product_body(id, "<associations><categories><category><id>7</id></category></categories></associations>");
    assert_eq!(shop.send("PATCH", &format!("/api/products/{id}"), &body).await.status, 200);
    let r = shop.get(&format!("/api/products/{id}?output_format=JSON")).await;
    assert_eq!(r.json()["product"]["associations"]["categories"], serde_json::json!([{"id": "7"}]));
    let bad = product_body(id, "<associations><nope><x><id>1</id></x></nope></associations>");
    let r = shop.send("PATCH", &format!("/api/products/{id}"), &bad).await;
    assert_eq!((r.status, r.codes()), (400, vec![86]));
}

#[tokio::test]
async fn customers_get_a_hashed_password_a_secure_key_and_unique_emails() {
    let shop = Shop::new().await;
    let body =
        "<passwd>secret123</passwd><lastname>Doe</lastname><firstname>Jane</firstname><email>jane@example.com</email>";
    let id = shop.create("customers", "customer", body).await;
    let c = shop.get(&format!("/api/customers/{id}")).await;
    assert!(c.field("passwd").starts_with("$2y$10$"));
    assert_eq!(c.field("secure_key").len(), 32);
    let dup =
        shop.send("POST", "/api/customers", &format!("<prestashop><customer>{body}</customer></prestashop>")).await;
    assert_eq!((dup.status, dup.codes()), (500, vec![140, 46]));
    let bad = shop
        .send(
            "POST",
            "/api/customers",
            "<prestashop><customer><passwd>x1234567</passwd><lastname>D</lastname><firstname>J</firstname><email>nope</email></customer></prestashop>",
        )
        .await;
    assert_eq!((bad.status, bad.codes()), (400, vec![85]));
}

#[tokio::test]
async fn delete_answers_200_empty_and_removes_the_stock_rows() {
    let (shop, id) = shop_with_product().await;
    let r = shop.call("DELETE", &format!("/api/products/{id}"), None, &[], Auth::Basic(HUB_KEY)).await;
    assert_eq!((r.status, r.body.as_str(), r.header("content-type")), (200, "", Some("")));
    assert_eq!(shop.get(&format!("/api/products/{id}")).await.status, 404);
    assert_eq!(shop.get("/api/stock_availables?output_format=JSON").await.body, "[]");
    let again = shop.call("DELETE", &format!("/api/products/{id}"), None, &[], Auth::Basic(HUB_KEY)).await;
    assert_eq!((again.status, again.codes()), (404, vec![87]));
}

#[tokio::test]
async fn reference_resources_are_read_only_in_the_simulator() {
    let shop = Shop::new().await;
    let r = shop.send("POST", "/api/languages", "<prestashop><language><name>x</name></language></prestashop>").await;
    assert_eq!(r.status, 405);
    let carriers = shop.get("/api/carriers?display=[id,name]&output_format=JSON").await;
    assert_eq!(carriers.body, r#"{"carriers":[{"id":1,"name":"Click and collect"},{"id":2,"name":"My carrier"}]}"#);
}
