//! Reading lists: `display`, every filter operator (case-insensitive), `sort`, `limit`, `date=1`, and the
//! 500 quirk of a bad parameter.

use crate::support::{Shop, demo_catalog};

fn ids(body: &str) -> Vec<u64> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v.as_object()
        .and_then(|o| o.values().next())
        .and_then(|l| l.as_array())
        .map(|l| l.iter().filter_map(|p| p["id"].as_u64()).collect())
        .unwrap_or_default()
}

async fn catalog() -> Shop {
    let shop = Shop::new().await;
    demo_catalog(&shop).await;
    shop
}

#[tokio::test]
async fn every_filter_operator_works_over_http() {
    let shop = catalog().await;
    let cases: &[(&str, &[u64])] = &[
        ("filter[reference]=[DEMO_11]", &[6]),
        ("filter[reference]=demo_12", &[7]),
        ("filter[reference]=[demo_11|demo_12]", &[6, 7]),
        ("filter[id]=[1,3]", &[1, 2, 3]),
        ("filter[price]=>[30]", &[2, 15]),
        ("filter[price]=<[10]", &[12, 13, 14]),
        ("filter[name]=%[MUG]%", &[6, 7, 8, 15, 19]),
        ("filter[name]=[hummingbird]%", &[1, 2, 11, 14, 18]),
        ("filter[name]=%[cushion]", &[9, 10, 11]),
        ("filter[id_category_default]=![8|9]&filter[id]=[1,6]", &[1, 2]),
    ];
    for (q, want) in cases {
        let r = shop.get(&format!("/api/products?{q}&sort=[id_ASC]&output_format=JSON")).await;
        assert_eq!(ids(&r.body), *want, "{q}");
    }
}

#[tokio::test]
async fn filters_combine_and_sort_and_limit_page_the_result() {
    let shop = catalog().await;
    let r = shop
        .get("/api/products?filter[id]=[1,8]&sort=[price_DESC,id_ASC]&limit=2,3&display=[id,price]&output_format=JSON")
        .await;
    assert_eq!(ids(&r.body), [4, 5, 1]);
    let r = shop.get("/api/products?sort=id_DESC&limit=2&output_format=JSON").await;
    assert_eq!(ids(&r.body), [19, 18]);
}

#[tokio::test]
async fn display_lists_fields_in_the_resource_order_and_leaves_id_out_unless_asked() {
    let shop = catalog().await;
    let r = shop.get("/api/products?filter[id]=[6]&display=[name,price,reference]&output_format=JSON").await;
    assert_eq!(
        r.body,
        r#"{"products":[{"reference":"demo_11","price":"11.900000","name":"Mug The best is yet to come"}]}"#
    );
    let r = shop.get("/api/products?filter[id]=[1]&display=[id,stock_availables[id]]&output_format=JSON").await;
    let v = r.json();
    assert_eq!(v["products"][0]["associations"]["stock_availables"].as_array().map(Vec::len), Some(9));
    assert!(v["products"][0]["associations"]["stock_availables"][0].get("id_product_attribute").is_none());
}

#[tokio::test]
async fn date_fields_are_filtered_and_sorted_only_with_date_1() {
    let shop = catalog().await;
    let without = shop.get("/api/products?filter[date_upd]=>[2020-01-01]").await;
    assert_eq!((without.status, without.codes()), (500, vec![32, 3, 3, 3, 3]));
    let sort = shop.get("/api/products?sort=[date_upd_DESC]").await;
    assert_eq!(sort.codes()[0], 38);
    let all = shop.get("/api/products?date=1&filter[date_upd]=>[2020-01-01 00:00:00]&output_format=JSON").await;
    assert_eq!(ids(&all.body).len(), 19);
    let first = shop.get("/api/products?date=1&sort=[date_add_ASC,id_ASC]&limit=1&output_format=JSON").await;
    assert_eq!(ids(&first.body), [1]);
}

#[tokio::test]
async fn bad_parameters_give_500_with_the_real_error_first() {
    let shop = catalog().await;
    for (q, code) in [
        ("filter[foo]=[1]", 32),
        ("filter[quantity]=[1]", 34),
        ("display=[id,foo]", 35),
        ("display=id", 36),
        ("sort=reference", 37),
        ("sort=[foo_ASC]", 38),
        ("limit=x", 39),
    ] {
        let r = shop.get(&format!("/api/products?{q}")).await;
        assert_eq!((r.status, r.codes()), (500, vec![code, 3, 3, 3, 3]), "{q}");
    }
    let crash = shop.get("/api/products?display=[id,associations[stock_availables[id]]]").await;
    assert_eq!((crash.status, crash.body.as_str()), (500, ""));
}

#[tokio::test]
async fn lists_without_sort_come_in_id_order() {
    let shop = catalog().await;
    let r = shop.get("/api/products?limit=3&output_format=JSON").await;
    assert_eq!(r.body, r#"{"products":[{"id":1},{"id":2},{"id":3}]}"#);
}

#[tokio::test]
async fn combinations_are_found_by_the_shared_reference_and_named_by_their_options() {
    let shop = catalog().await;
    let r = shop.get("/api/combinations?filter[reference]=[demo_1]&display=[id]&output_format=JSON").await;
    assert_eq!(ids(&r.body).len(), 8);
    let c = shop.get("/api/combinations/1?output_format=JSON").await.json();
    assert_eq!(
        c["combination"]["associations"]["product_option_values"],
        serde_json::json!([{"id": "1"}, {"id": "8"}])
    );
    let o = shop.get("/api/product_option_values?filter[id]=[1|8]&display=[id,name]&output_format=JSON").await;
    assert_eq!(o.body, r#"{"product_option_values":[{"id":1,"name":"S"},{"id":8,"name":"White"}]}"#);
}

#[tokio::test]
async fn schemas_describe_the_fields() {
    let shop = Shop::new().await;
    let blank = shop.get("/api/products?schema=blank").await;
    assert!(!blank.body.contains("<manufacturer_name>"));
    assert!(blank.body.contains("<price><![CDATA[]]></price>"));
    let syn = shop.get("/api/stock_availables?schema=synopsis").await;
    assert!(syn.body.contains("<quantity required=\"true\" format=\"isInt\"><![CDATA[]]></quantity>"));
    let bad = shop.get("/api/products?schema=nope").await;
    assert_eq!((bad.status, bad.codes()), (400, vec![28]));
}
