//! The reads reconciliation pages a catalog with (FACTS.md §2.1–2.3): `display=[…]` lists sorted by id and
//! cut with `limit=offset,count`, stock rows and combinations of a page's products in one
//! `filter[id_product]=[a|b|…]` list, and `date=1` with a `date_upd` interval.

use crate::support::{Shop, product_xml};

fn ids(v: &serde_json::Value, resource: &str) -> Vec<u64> {
    v[resource].as_array().map(|a| a.iter().filter_map(|r| r["id"].as_u64()).collect()).unwrap_or_default()
}

async fn five_products() -> (Shop, Vec<u64>) {
    let shop = Shop::new().await;
    let mut made = Vec::new();
    for k in 1..=5 {
        made.push(shop.create("products", "product", &product_xml("Mug", &format!("CAT-{k}"), "9.5", 2)).await);
    }
    (shop, made)
}

#[tokio::test]
async fn a_catalog_is_paged_in_id_order_with_offset_and_count() {
    let (shop, made) = five_products().await;
    let page = |offset: u32| {
        format!(
            "/api/products?display=[id,reference,price,active,date_upd]&sort=[id_ASC]&limit={offset},2&output_format=JSON"
        )
    };
    let first = shop.get(&page(0)).await.json();
    assert_eq!(ids(&first, "products"), made[0..2]);
    assert_eq!(first["products"][0]["reference"], "CAT-1");
    assert!(first["products"][0]["date_upd"].as_str().is_some_and(|d| d.len() == 19), "{first}");
    assert_eq!(ids(&shop.get(&page(2)).await.json(), "products"), made[2..4]);
    assert_eq!(ids(&shop.get(&page(4)).await.json(), "products"), made[4..5]);
    // Past the end: PrestaShop's bare empty JSON list.
    assert_eq!(shop.get(&page(6)).await.body.trim(), "[]");
}

#[tokio::test]
async fn the_stock_rows_of_a_page_come_in_one_any_of_list() {
    let (shop, made) = five_products().await;
    let wanted = format!("[{}|{}|{}]", made[0], made[2], made[4]);
    let r = shop
        .get(&format!(
            "/api/stock_availables?filter[id_product]={wanted}&display=[id,id_product,id_product_attribute,quantity]&sort=[id_ASC]&output_format=JSON"
        ))
        .await
        .json();
    let products: Vec<u64> = r["stock_availables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id_product"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(products, vec![made[0], made[2], made[4]]);
}

#[tokio::test]
async fn an_incremental_read_filters_date_upd_only_with_date_1() {
    let (shop, made) = five_products().await;
    let interval = "[2000-01-01 00:00:00,9999-12-31 23:59:59]";
    let with = shop
        .get(&format!("/api/products?date=1&filter[date_upd]={interval}&display=[id]&sort=[id_ASC]&output_format=JSON"))
        .await;
    assert_eq!(ids(&with.json(), "products"), made);
    let none = shop
        .get("/api/products?date=1&filter[date_upd]=[2999-01-01 00:00:00,9999-12-31 23:59:59]&display=[id]&output_format=JSON")
        .await;
    assert_eq!(none.body.trim(), "[]");
    let without = shop.get(&format!("/api/products?filter[date_upd]={interval}&display=[id]")).await;
    assert_eq!((without.status, without.codes().first().copied()), (500, Some(32)));
}
