//! A shop with two languages, as real shops have them (`Simulator::add_language`), against captures of the
//! real-shop kit (English 1, French 2): the `languages` row, language fields read in XML and JSON,
//! `language=`, and what a write does with the languages its body leaves out.

use crate::{
    capture::{Capture, Rules, assert_like, replay_as, without_ids, xml_languages},
    support::{Resp, Shop, body_file, demo_catalog},
};

fn strict() -> Rules {
    Rules { languages: true, ..Rules::default() }
}

/// The demo catalog, then French added: every language field gets its English value in French.
async fn catalog() -> Shop {
    let shop = Shop::new().await;
    demo_catalog(&shop).await;
    assert_eq!(shop.sim.add_language("fr", "Français (French)"), 2);
    shop
}

#[tokio::test]
async fn the_added_language_row_is_the_captured_french_one() {
    let shop = Shop::bilingual().await;
    let c = Capture::load("languages_full_json");
    let got = c.replay(&shop).await;
    assert_like(&c, &got, &strict());
    assert_eq!(got.body, c.response_body.trim_end());
}

#[tokio::test]
async fn adding_a_language_copies_the_default_language_into_every_language_field() {
    let shop = catalog().await;
    let p = shop.get("/api/products/1?output_format=JSON").await.json();
    assert_eq!(
        p["product"]["name"],
        serde_json::json!([{"id":"1","value":"Hummingbird printed t-shirt"},{"id":"2","value":"Hummingbird printed t-shirt"}])
    );
    let c = shop.get("/api/categories/3?output_format=JSON").await.json();
    assert_eq!(c["category"]["link_rewrite"][1]["value"], "clothes");
    let s = shop.get("/api/order_states/8?output_format=JSON").await.json();
    assert_eq!(s["order_state"]["name"][1], serde_json::json!({"id":"2","value":"Payment error"}));
    // A third language copies language 1 too, and gets the next id.
    assert_eq!(shop.sim.add_language("de", "Deutsch (German)"), 3);
    let l = shop.get("/api/languages/3?output_format=JSON").await.json();
    assert_eq!((l["language"]["locale"].as_str(), l["language"]["iso_code"].as_str()), (Some("de-DE"), Some("de")));
    let v = shop.get("/api/product_option_values/1?output_format=JSON").await.json();
    assert_eq!(v["product_option_value"]["name"][2], serde_json::json!({"id":"3","value":"S"}));
}

#[tokio::test]
async fn language_fields_read_per_language_as_captured() {
    let shop = catalog().await;
    // Demo values the simulated catalog does not set.
    shop.patch(
        "products",
        "product",
        1,
        "<id_manufacturer>1</id_manufacturer><id_supplier>1</id_supplier><additional_delivery_times>1</additional_delivery_times>\
         <pack_stock_type>3</pack_stock_type>",
    )
    .await;
    for name in ["product_1_json", "product_1_xml", "category_3_json", "product_option_values_full_json"] {
        let c = Capture::load(name);
        let got = c.replay(&shop).await;
        // The demo product's manufacturer is not simulated (empty, so dropped from the JSON).
        assert_like(&c, &got, &Rules { ignore_keys: vec!["manufacturer_name"], ..strict() });
    }
}

/// `language=`: one id (a collapsed value), a list in the order given, a range whose first id stays a
/// string and the next are numbers, `[12]` read as its last digit, and the 79/81 errors.
#[tokio::test]
async fn the_language_parameter_follows_filter_language() {
    let shop = catalog().await;
    shop.patch(
        "products",
        "product",
        1,
        "<name><language id=\"1\">Hummingbird printed t-shirt</language><language id=\"2\">T-shirt imprimé colibri</language></name>",
    )
    .await;
    for name in [
        "language_range_json",
        "language_list_json",
        "language_unknown_json",
        "language_bad",
        "language_last_digit_json",
    ] {
        let c = Capture::load(name);
        let got = c.replay(&shop).await;
        assert_like(&c, &got, &strict());
        assert_eq!(got.body.trim_end(), c.response_body.trim_end(), "{name}");
    }
    let r = shop.get("/api/products/1?language=[1,2,3]").await;
    assert_eq!((r.status, r.codes()), (400, vec![78, 81]), "{}", r.body);
    let r = shop.get("/api/products/1?language=[1|x]").await;
    assert_eq!((r.status, r.codes()), (400, vec![80, 81]), "{}", r.body);
    // A non-numeric first id goes unnoticed (`array_search` returns index 0), and is dropped.
    let r = shop.get("/api/products/1?language=[x|2]&display=[name]&output_format=JSON").await;
    assert_eq!(r.body, r#"{"products":[{"name":"T-shirt imprimé colibri"}]}"#);
    // Checked before the resource: an unknown resource with a bad language is 81, not 27.
    assert_eq!(shop.get("/api/productz?language=9").await.codes(), vec![81]);
}

/// A POST that gives one language: the answer is the in-memory object, whose arrays lack language 2 (XML:
/// an empty value, still linked). A non-required field is saved empty in French; a required one
/// (category `name`, `link_rewrite`) gets the English value (`ObjectModel::formatFields`).
#[tokio::test]
async fn a_post_with_one_language_saves_the_other_empty_unless_the_field_is_required() {
    let shop = catalog().await;
    let c = Capture::load("post_product_one_language");
    let got = c.replay(&shop).await;
    assert_like(&c, &got, &strict());
    assert_eq!(xml_languages(&got.body), xml_languages(&c.response_body));
    let c = Capture::load("product_one_language_after_post");
    let got = replay_as(&shop, &c, &[("%5B21%5D", format!("%5B{}%5D", got.id()))]).await;
    assert_like(&c, &got, &strict());
    assert_eq!(without_ids(&got.body), without_ids(&c.response_body));

    let c = Capture::load("post_category_one_language");
    let got = c.replay(&shop).await;
    assert_like(&c, &got, &strict());
    assert_eq!(xml_languages(&got.body), xml_languages(&c.response_body));
    let after = Capture::load("category_one_language_after_post");
    let stored = replay_as(&shop, &after, &[]).await;
    assert_like(&after, &stored, &strict());
    let (want, have) = (Resp { body: after.response_body.clone(), ..stored.clone() }.json(), stored.json());
    for f in ["name", "link_rewrite", "description", "meta_title"] {
        assert_eq!(have["category"][f], want["category"][f], "{f}");
    }
}

/// In JSON, rendering that in-memory object reads `$value[2]` of each array that lacks it: one PHP warning
/// per field, so the answer is a 500 listing them after the object — which was created all the same.
#[tokio::test]
async fn a_json_post_with_one_language_is_a_500_with_warnings_but_creates_the_product() {
    let shop = catalog().await;
    let c = Capture::load("post_product_one_language_json");
    let got = c.replay(&shop).await;
    assert_like(&c, &got, &Rules { skip_messages: vec![3], ..strict() });
    let errors = got.json()["errors"].clone();
    assert_eq!(errors.as_array().map(Vec::len), Some(3), "{}", got.body);
    for e in errors.as_array().into_iter().flatten() {
        let m = e["message"].as_str().unwrap_or_default();
        assert!(
            m.starts_with("[PHP Warning #2] Undefined array key 2 (")
                && m.ends_with("WebserviceOutputJSON.php, line 98)")
        );
    }
    assert_eq!(
        got.json()["product"]["name"],
        serde_json::json!([{"id":"1","value":"CAPTURE-One language"},{"id":"2","value":null}])
    );
    let id = got.json()["product"]["id"].as_str().and_then(|s| s.parse::<u64>().ok()).expect("id");
    assert_eq!(shop.get(&format!("/api/products/{id}")).await.status, 200);
}

#[tokio::test]
async fn a_category_without_the_default_language_is_refused_with_84() {
    let shop = Shop::bilingual().await;
    let c = Capture::load("post_category_without_default_language");
    assert_like(&c, &c.replay(&shop).await, &strict());
}

/// A PATCH (or PUT) that gives a language field for language 1 only: `saveEntityFromXml` first sets a
/// non-required field to `null`, so the product's French name is emptied; a required one (the category's
/// `name`) keeps its French value.
#[tokio::test]
async fn a_patch_with_one_language_empties_the_other_unless_the_field_is_required() {
    let shop = Shop::bilingual().await;
    let product = shop.send("POST", "/api/products", &body_file("product_two_languages_post.xml")).await;
    assert_eq!(product.status, 201, "{}", product.body);
    let id = product.id().to_string();
    let c = Capture::load("patch_product_one_language");
    let got = replay_as(&shop, &c, &[("27", id.clone())]).await;
    assert_like(&c, &got, &strict());
    assert_eq!(xml_languages(&got.body), xml_languages(&c.response_body));
    let c = Capture::load("product_after_patch_one_language");
    let got = replay_as(&shop, &c, &[("%5B27%5D", format!("%5B{id}%5D"))]).await;
    assert_eq!(without_ids(&got.body), without_ids(&c.response_body));

    let category = shop.send("POST", "/api/categories", &body_file("category_two_languages_post.xml")).await;
    assert_eq!(category.status, 201, "{}", category.body);
    let id = category.id().to_string();
    let c = Capture::load("patch_category_one_language");
    let got = replay_as(&shop, &c, &[("11", id.clone())]).await;
    assert_like(&c, &got, &strict());
    assert_eq!(xml_languages(&got.body), xml_languages(&c.response_body));
    let c = Capture::load("category_after_patch_one_language");
    let got = replay_as(&shop, &c, &[("%5B11%5D", format!("%5B{id}%5D"))]).await;
    assert_eq!(without_ids(&got.body), without_ids(&c.response_body));
}

/// A product POST whose `name` is not per language (absent here) trips `modifierWsLinkRewrite`'s
/// `foreach`: 500, nothing created.
#[tokio::test]
async fn a_product_post_without_a_name_per_language_is_a_500() {
    let shop = Shop::bilingual().await;
    let c = Capture::load("post_product_without_name");
    let got = c.replay(&shop).await;
    assert_like(&c, &got, &Rules { skip_messages: vec![3], ..strict() });
    assert!(got.body.contains("foreach() argument must be of type array|object, string given"), "{}", got.body);
    assert!(got.body.contains("classes/Product.php, line 8101)"), "{}", got.body);
    let plain = c.body.as_deref().unwrap_or_default().replace("<state>1</state>", "<state>1</state><name>Plain</name>");
    assert_eq!(shop.send("POST", "/api/products", &plain).await.status, 500);
    assert_eq!(shop.get("/api/products?output_format=JSON").await.body, "[]");
}
