//! Authentication and permissions, as `dispatcher.php` and `WebserviceRequest::authenticate` do them.

use prestashop_sim::{KeySpec, SimConfig, Simulator};

use crate::support::{Auth, HUB_KEY, INACTIVE_KEY, READONLY_KEY, Shop, client};

#[tokio::test]
async fn the_key_works_as_basic_user_or_as_ws_key_parameter() {
    let shop = Shop::new().await;
    let basic = shop.call("GET", "/api/products", None, &[], Auth::Basic(HUB_KEY)).await;
    let param = shop.call("GET", &format!("/api/products?ws_key={HUB_KEY}"), None, &[], Auth::None).await;
    assert_eq!((basic.status, param.status), (200, 200));
    assert_eq!(basic.header("psws-version"), Some("8.2.1"));
}

#[tokio::test]
async fn a_request_without_key_gets_a_plain_text_challenge() {
    let shop = Shop::new().await;
    let r = shop.call("GET", "/api/products", None, &[], Auth::None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, "401 Unauthorized");
    assert!(
        r.header("www-authenticate").is_some_and(|h| h.starts_with("Basic realm=\"Welcome to PrestaShop Webservice"))
    );
    assert_eq!(r.header("psws-version"), None);
}

#[tokio::test]
async fn key_errors_carry_codes_17_18_and_20_21() {
    let shop = Shop::new().await;
    let empty = shop.call("GET", "/api/products", None, &[], Auth::Basic("")).await;
    let short = shop.call("GET", "/api/products", None, &[], Auth::Basic("short")).await;
    let unknown = shop.call("GET", "/api/products", None, &[], Auth::Basic(&"Z".repeat(32))).await;
    let inactive = shop.call("GET", "/api/products", None, &[], Auth::Basic(INACTIVE_KEY)).await;
    assert_eq!((empty.status, empty.codes()), (401, vec![17]));
    assert_eq!((short.status, short.codes()), (401, vec![18]));
    assert_eq!((unknown.status, unknown.codes()), (401, vec![20, 21]));
    assert_eq!((inactive.status, inactive.codes()), (401, vec![20, 21]));
    assert_eq!(short.header("psws-version"), Some("0"));
    assert!(short.header("www-authenticate").is_some());
}

#[tokio::test]
async fn a_key_is_limited_to_its_resources_and_methods() {
    let shop = Shop::new().await;
    let ro = Auth::Basic(READONLY_KEY);
    let orders = shop.call("GET", "/api/orders", None, &[], ro).await;
    assert_eq!((orders.status, orders.codes()), (401, vec![26]));
    let put = shop.call("PUT", "/api/products/1", Some("<prestashop/>"), &[], ro).await;
    assert_eq!((put.status, put.codes()), (405, vec![25]));
    assert!(put.body.contains("Method PUT is not allowed for the resource products with this authentication key"));
    let head = shop.call("HEAD", "/api/products", None, &[], ro).await;
    assert_eq!(head.status, 405);
    let list = shop.call("GET", "/api/products", None, &[], ro).await;
    assert_eq!(list.status, 200);
}

#[tokio::test]
async fn the_root_listing_shows_only_what_the_key_may_use() {
    let shop = Shop::new().await;
    let full = shop.get("/api/").await;
    assert!(full.body.contains("<orders xlink:href="));
    assert!(full.body.contains("<stock_availables xlink:href="));
    let ro = shop.call("GET", "/api/", None, &[], Auth::Basic(READONLY_KEY)).await;
    assert!(!ro.body.contains("<orders "));
    assert!(
        ro.body.contains("get=\"true\" put=\"false\" post=\"false\" patch=\"false\" delete=\"false\" head=\"false\"")
    );
}

#[tokio::test]
async fn stock_rows_can_be_neither_posted_nor_deleted() {
    let shop = Shop::new().await;
    let post = shop.send("POST", "/api/stock_availables", "<prestashop/>").await;
    let delete = shop.call("DELETE", "/api/stock_availables/1", None, &[], Auth::Basic(HUB_KEY)).await;
    assert_eq!((post.status, post.codes()), (405, vec![101]));
    assert_eq!((delete.status, delete.codes()), (405, vec![101]));
    assert!(delete.body.contains("Method DELETE is not allowed for the resource stock_availables"));
}

#[tokio::test]
async fn an_unknown_resource_suggests_the_closest_one() {
    let shop = Shop::new().await;
    let r = shop.get("/api/productz").await;
    assert_eq!((r.status, r.codes()), (400, vec![27]));
    assert!(r.body.contains("Did you mean: \"products\"?"));
}

#[tokio::test]
async fn the_default_config_uses_a_32_character_key() {
    let sim = Simulator::start(SimConfig::default()).await.expect("start");
    assert_eq!(sim.key().len(), 32);
    let r = client()
        .get(format!("{}/api/languages", sim.base_url()))
        .basic_auth(sim.key(), Some(""))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 200);
    sim.stop().await;
}

#[tokio::test]
async fn extra_keys_can_be_granted_writes_on_one_resource() {
    let key = "WRITERKEY0123456789ABCDEFGHIJKLM";
    let sim = Simulator::start(SimConfig {
        keys: vec![KeySpec::new(key).allow("products", &["GET", "POST"])],
        ..SimConfig::default()
    })
    .await
    .expect("start");
    let http = client();
    let post = http
        .post(format!("{}/api/products", sim.base_url()))
        .basic_auth(key, Some(""))
        .body("<prestashop><product><price>1</price><name><language id=\"1\">Widget</language></name></product></prestashop>")
        .send()
        .await
        .expect("answer");
    assert_eq!(post.status().as_u16(), 201);
    let customers =
        http.get(format!("{}/api/customers", sim.base_url())).basic_auth(key, Some("")).send().await.expect("answer");
    assert_eq!(customers.status().as_u16(), 401);
    sim.stop().await;
}
