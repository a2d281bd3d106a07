//! Every capture of the real shop, replayed against the simulator after creating, through the API, the
//! state it depends on; the answers must match by status, content type, headers, error codes and
//! messages, and body structure (see `capture::assert_like`).

use crate::{
    capture::{Capture, Rules, assert_like},
    support::{Shop, body_file, demo_catalog, order_flow},
};

/// The state a capture needs.
#[derive(Debug, Clone, Copy)]
enum Setup {
    None,
    Catalog,
    /// The demo catalog, then two more products (ids 20 and 21).
    TwoMoreProducts,
    /// The demo catalog, then product 20 posted as in the capture.
    NewProduct,
    /// The demo catalog, then the PUT with the required fields only that zeroes stock row 6's shop.
    PartialStockPut,
    /// The retailer customer already exists.
    CustomerExists,
    /// Category 10 posted as in `post_category`.
    NewCategory,
    /// The demo catalog, then product option 5 posted as in `post_product_option`.
    NewOption,
    /// The order scenario with these carts already ordered.
    Orders(&'static [u64]),
}

async fn prepare(shop: &Shop, setup: Setup) {
    match setup {
        Setup::None => {}
        Setup::Catalog => demo_catalog(shop).await,
        Setup::TwoMoreProducts | Setup::NewProduct => {
            demo_catalog(shop).await;
            let n = if matches!(setup, Setup::TwoMoreProducts) { 2 } else { 1 };
            for _ in 0..n {
                let r = shop.send("POST", "/api/products", &body_file("product_post.xml")).await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
        }
        Setup::PartialStockPut => {
            demo_catalog(shop).await;
            let r = shop.send("PUT", "/api/stock_availables/6", &body_file("sa_put_required_only.xml")).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        Setup::CustomerExists => {
            let r = shop.send("POST", "/api/customers", &body_file("customer_post.xml")).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        Setup::NewCategory => {
            let r = shop.send("POST", "/api/categories", &body_file("category_post.xml")).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        Setup::NewOption => {
            demo_catalog(shop).await;
            let r = shop.send("POST", "/api/product_options", &body_file("product_option_post.xml")).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        Setup::Orders(carts) => order_flow(shop, carts).await,
    }
}

/// Every capture comes from a shop with two languages (English, French): so does the simulator here, and
/// language fields are compared language by language.
async fn check(name: &str, setup: Setup, rules: Rules) {
    let shop = Shop::bilingual().await;
    let rules = Rules { languages: true, ..rules };
    prepare(&shop, setup).await;
    let capture = Capture::load(name);
    let got = capture.replay(&shop).await;
    assert_like(&capture, &got, &rules);
    shop.sim.stop().await;
}

macro_rules! replay {
    ($name:ident, $setup:expr) => {
        replay!($name, $setup, Rules::default());
    };
    ($name:ident, $setup:expr, $rules:expr) => {
        #[tokio::test]
        async fn $name() {
            check(stringify!($name), $setup, $rules).await;
        }
    };
}

replay!(api_root_listing, Setup::None, Rules { subset: true, ..Rules::default() });
replay!(combination_full_1, Setup::Catalog);
replay!(combination_quantity_not_displayable, Setup::None);
replay!(combination_synopsis, Setup::None);
replay!(combinations_by_shared_reference, Setup::Catalog);
replay!(combinations_list_display, Setup::Catalog);
replay!(combinations_list_display_json, Setup::Catalog);
replay!(combinations_of_product, Setup::Catalog);
replay!(delete_product, Setup::TwoMoreProducts);
replay!(display_assoc_subfields, Setup::Catalog);
replay!(display_stock_assoc, Setup::Catalog);
replay!(display_without_id, Setup::Catalog);
replay!(err_bad_display, Setup::None);
replay!(err_bad_filter, Setup::None);
replay!(err_bad_key_format, Setup::None);
replay!(err_bad_sort, Setup::None);
replay!(err_inactive_key, Setup::None);
replay!(err_method_not_allowed_key, Setup::None);
replay!(err_no_key, Setup::None);
replay!(err_not_found, Setup::None);
replay!(err_post_stock_available, Setup::None);
replay!(err_resource_not_allowed, Setup::None);
replay!(err_unknown_key, Setup::None);
replay!(err_unknown_resource, Setup::None, Rules { skip_messages: vec![27], ..Rules::default() });
replay!(err_unknown_resource_json, Setup::None, Rules { skip_messages: vec![27], ..Rules::default() });
replay!(filter_case, Setup::Catalog);
replay!(filter_gt, Setup::Catalog);
replay!(filter_like, Setup::Catalog);
replay!(filter_range_sort_limit, Setup::Catalog);
replay!(get_order_7, Setup::Orders(&[6, 7, 8]));
replay!(get_order_7_json, Setup::Orders(&[6, 7, 8]));
replay!(get_sa6_after_partial, Setup::PartialStockPut);
replay!(get_sa_filter_after_partial, Setup::PartialStockPut);
replay!(head_product, Setup::Catalog);
replay!(json_empty_list, Setup::None);
replay!(json_header_output_format, Setup::Catalog);
replay!(json_io_format, Setup::Catalog);
replay!(json_list_display_fields, Setup::Catalog);
replay!(json_list_min, Setup::Catalog);
replay!(json_lowercase_param, Setup::Catalog);
replay!(json_one_language, Setup::Catalog);
replay!(json_product6_full_list, Setup::Catalog);
// `manufacturer_name` is empty in the simulator, so the falsy-field drop removes it.
replay!(json_single, Setup::Catalog, Rules { ignore_keys: vec!["manufacturer_name"], ..Rules::default() });
replay!(json_single_with_display, Setup::Catalog);
replay!(json_stock_full, Setup::Catalog);
replay!(list_products_min, Setup::Catalog);
replay!(list_unsorted, Setup::Catalog);
replay!(ok_ws_key_param, Setup::Catalog);
replay!(orders_date_filter, Setup::Orders(&[6, 7, 8]));
replay!(orders_date_filter_without_date1, Setup::None);
replay!(patch_product_price, Setup::Catalog);
replay!(patch_sa_hooks, Setup::Catalog);
replay!(patch_sa_min, Setup::Catalog);
replay!(post_address, Setup::None);
replay!(post_address_badzip, Setup::None);
replay!(post_cart, Setup::None);
replay!(post_cart_2, Setup::None);
replay!(post_cart_delivery_option, Setup::None);
replay!(post_customer, Setup::None);
replay!(post_customer_duplicate_email, Setup::CustomerExists);
replay!(post_order_bad_module, Setup::Orders(&[]));
replay!(post_order_carrier2, Setup::Orders(&[6, 7]));
replay!(post_order_history, Setup::Orders(&[6, 7, 8]));
replay!(post_order_history_cancel, Setup::Orders(&[6, 7, 8]));
replay!(post_order_missing_required, Setup::None);
replay!(post_order_ok, Setup::Orders(&[6]));
replay!(post_order_same_cart_again, Setup::Orders(&[6, 7, 8]));
replay!(post_order_wrong_total, Setup::Orders(&[]));
replay!(post_product, Setup::None);
replay!(product_full_by_ref, Setup::Catalog);
replay!(product_option_values_display, Setup::Catalog);
replay!(product_options_display, Setup::Catalog);
replay!(put_json_body, Setup::Catalog);
replay!(put_product_clean, Setup::Catalog);
replay!(put_product_empty_position, Setup::Catalog);
replay!(put_product_minimal_destroys, Setup::Catalog);
replay!(put_product_noprice, Setup::Catalog);
replay!(put_product_roundtrip, Setup::Catalog);
replay!(put_product_with_quantity, Setup::Catalog);
replay!(put_sa_badqty, Setup::Catalog);
replay!(put_sa_combination_hooks, Setup::Catalog);
replay!(put_sa_full, Setup::Catalog);
replay!(put_sa_full_hooks, Setup::Catalog);
replay!(put_sa_malformed, Setup::Catalog);
replay!(put_sa_min, Setup::Catalog);
replay!(put_sa_noid, Setup::Catalog);
replay!(put_sa_required_only_json, Setup::Catalog);
replay!(put_sa_url_id_mismatch_and_required_only, Setup::Catalog);
replay!(schema_blank_addresses, Setup::None);
replay!(schema_blank_carts, Setup::None);
replay!(schema_blank_customers, Setup::None);
replay!(schema_blank_orders, Setup::None);
replay!(schema_blank_products, Setup::None);
replay!(schema_blank_stock_availables, Setup::None);
replay!(schema_synopsis_addresses, Setup::None);
replay!(schema_synopsis_carts, Setup::None);
replay!(schema_synopsis_customers, Setup::None);
replay!(schema_synopsis_orders, Setup::None);
replay!(schema_synopsis_products, Setup::None);
replay!(schema_synopsis_stock_availables, Setup::None);
replay!(stock_of_new_product, Setup::NewProduct);
replay!(stock_rows_product_with_combinations, Setup::Catalog);
replay!(xml_empty_list, Setup::None);
replay!(xml_product_6, Setup::Catalog);
replay!(xml_stock_available_6, Setup::Catalog);
replay!(xml_stock_by_product, Setup::Catalog);
replay!(categories_full_json, Setup::Catalog);
replay!(categories_list, Setup::None);
replay!(category_2, Setup::Catalog);
replay!(category_after_posts, Setup::NewCategory);
replay!(post_category, Setup::None);
replay!(post_category_missing_active, Setup::None);
// The warnings quote the shop's own path to `classes/Category.php`.
replay!(post_category_missing_name, Setup::None, Rules { skip_messages: vec![3], ..Rules::default() });
replay!(post_category_without_link_rewrite, Setup::None, Rules { skip_messages: vec![3], ..Rules::default() });
replay!(post_product_option, Setup::Catalog);
replay!(post_product_option_value, Setup::NewOption);
replay!(schema_blank_categories, Setup::None);
replay!(schema_blank_tax_rule_groups, Setup::None);
replay!(schema_synopsis_categories, Setup::None);
replay!(schema_synopsis_tax_rule_groups, Setup::None);
replay!(tax_rule_group_1, Setup::None);
replay!(tax_rule_groups_full, Setup::None);
replay!(images_of_product_1, Setup::Catalog);
replay!(images_of_product_without_images, Setup::NewProduct);
replay!(images_of_unknown_product, Setup::None);
