//! "Where is my SKU?": `GET /api/skus/{reference}` and the dashboard's SKU page with its "re-check now",
//! after a product synced to two simulated clients of which one has no such reference.

use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::Secret;
use prestashop_sim::{SimConfig, Simulator};
use serde_json::Value;

use crate::{helpers::*, sync::seed_combination};

const ADMIN_TOKEN: &str = "admin-token-0123456789";
const SKU: &str = "WHERE-0001";

fn wire(s: &mut Settings, retail1: &Simulator, retail2: &Simulator) {
    for store in &mut s.stores {
        let sim = match store.code.as_str() {
            "retail-1" => retail1,
            "retail-2" => retail2,
            _ => continue,
        };
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.breaker_open_secs = 1;
        store.limits.timeout_ms = 2_000;
    }
    s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
}

pub(crate) async fn sku(app: &TestApp, reference: &str, key: Option<&str>) -> (u16, Value) {
    let mut req = app.http.get(format!("{}/api/skus/{reference}", app.base));
    if let Some(k) = key {
        req = req.header("X-API-KEY", k);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn row<'a>(report: &'a Value, store: &str) -> Option<&'a Value> {
    report["clients"].as_array()?.iter().find(|c| c["store"] == store)
}

fn price(v: &Value) -> f64 {
    v.as_str().and_then(|p| p.parse().ok()).unwrap_or(f64::NAN)
}

/// A browser without redirects, logged in: its session cookie.
async fn log_in(app: &TestApp) -> (reqwest::Client, String) {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser
        .post(format!("{}/dashboard/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    (browser, cookie)
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// Retail-1 has the product, retail-2 has not: the product is synced, and both sides are reported.
async fn synced_to_one_of_two() -> (Simulator, Simulator, u64, TestApp) {
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    let p1 = r1.seed_product(SKU, "Mug at retail 1", "9.00", 0);
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    let body = product_event(&new_id(), SKU, "10.00", 300, "2026-11-27T09:59:58Z");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    eventually(20, "retail-1 shows 13.00 and 300", || async {
        r1.product_state(p1) == Some(("13.000000".into(), true, 300))
    })
    .await;
    eventually(20, "retail-2 is recorded as unlinked", || async {
        let (_, report) = sku(&app, SKU, Some(SOURCE_KEY)).await;
        row(&report, "retail-2").is_some_and(|r| r["status"] == "unlinked")
    })
    .await;
    (r1, r2, p1, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sku_report_shows_the_source_key_every_client_and_a_client_key_only_its_own() {
    let (_r1, _r2, p1, app) = synced_to_one_of_two().await;

    let (status, report) = sku(&app, SKU, Some(SOURCE_KEY)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["reference"], SKU);
    assert_eq!(price(&report["source"]["price"]), 10.0);
    assert_eq!(report["source"]["quantity"], 300);
    assert_eq!(report["source"]["active"], true);
    assert!(report["source"]["event_id"].is_string() && report["source"]["updated_at"].is_string());
    let linked = row(&report, "retail-1").expect("retail-1's row");
    assert_eq!(linked["status"], "linked");
    assert_eq!(linked["client_product_id"], p1);
    assert_eq!(price(&linked["applied"]["price"]), 13.0, "+30 % applied: {linked}");
    assert_eq!(linked["applied"]["active"], true);
    assert!(linked["applied"]["stock"].as_array().unwrap().iter().any(|s| s["quantity"] == 300), "{linked}");
    assert_eq!(linked["applied_event_id"], report["source"]["event_id"]);
    assert_eq!(linked["pending"], "none");
    assert!(linked["applied_at"].is_string() && linked["failed_job"].is_null(), "{linked}");
    let unlinked = row(&report, "retail-2").expect("retail-2's row");
    assert_eq!(unlinked["status"], "unlinked");
    assert!(unlinked["client_product_id"].is_null());
    assert!(unlinked["note"].as_str().is_some_and(|n| n.contains("no product")), "{unlinked}");

    let (status, own) = sku(&app, SKU, Some(CLIENT2_KEY)).await;
    assert_eq!(status, 200);
    let stores: Vec<&Value> = own["clients"].as_array().unwrap().iter().map(|c| &c["store"]).collect();
    assert_eq!(stores, ["retail-2"], "a client key sees its own row only");
    assert_eq!(price(&own["source"]["price"]), 10.0, "and the source state");

    let (status, error) = sku(&app, "NOT-KNOWN-1", Some(SOURCE_KEY)).await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "not_found");
    assert_eq!(sku(&app, SKU, None).await.0, 401);
    assert_eq!(sku(&app, SKU, Some("wrong-key-0123456789")).await.0, 401);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sku_page_shows_each_client_and_re_check_now_links_a_product_the_retailer_added() {
    let (_r1, r2, p1, app) = synced_to_one_of_two().await;
    let (browser, cookie) = log_in(&app).await;
    let get = |path: String| {
        let (b, c, u) = (browser.clone(), cookie.clone(), format!("{}{path}", app.base));
        async move { b.get(u).header("cookie", c).send().await.unwrap() }
    };

    let r = get(format!("/dashboard/skus?reference={SKU}")).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("<a href=\"/dashboard/skus\" class=\"on\">SKUs</a>"), "in the navigation");
    assert!(page.contains("data-store=\"retail-1\" data-status=\"linked\""), "retail-1 linked");
    assert!(page.contains(&format!("<td>{p1}</td>")), "with its client product id");
    assert!(page.contains("data-store=\"retail-2\" data-status=\"unlinked\""), "retail-2 unlinked");
    assert!(page.contains("no product with this reference"), "with the reason");
    assert!(!page.contains(SOURCE_KEY) && !page.contains(&r2.key()), "no key on the page");

    let r = get("/dashboard/skus?reference=%3Cscript%3E".into()).await;
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("does not know SKU") && page.contains("&lt;script&gt;") && !page.contains("<script>"));

    // The retailer adds the product; an operator asks for a re-check instead of waiting for a change.
    let p2 = r2.seed_product(SKU, "Mug at retail 2", "9.00", 0);
    r2.clear_requests();
    let form = |csrf: &str| format!("csrf={csrf}&reference={SKU}&store=retail-2");
    let url = format!("{}/dashboard/skus/recheck", app.base);
    let forged = browser
        .post(&url)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "no re-check without the form token");
    assert!(r2.requests().is_empty());
    let token = csrf_of(&get(format!("/dashboard/skus?reference={SKU}")).await.text().await.unwrap());
    let done = browser
        .post(&url)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let back = done.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, format!("/dashboard/skus?reference={SKU}&rechecked=retail-2"));
    let flashed = get(back).await.text().await.unwrap();
    assert!(flashed.contains("id=\"flash\"") && flashed.contains("is queued"), "the page says what it did");

    eventually(20, "retail-2 now shows 10.00 and 300", || async {
        r2.product_state(p2) == Some(("10.000000".into(), true, 300))
    })
    .await;
    assert!(r2.requests().iter().any(|r| r.method == "GET"), "the simulator was asked");
    let (_, report) = sku(&app, SKU, Some(SOURCE_KEY)).await;
    let linked = row(&report, "retail-2").unwrap();
    assert_eq!(linked["status"], "linked", "{linked}");
    assert_eq!(linked["client_product_id"], p2);
    assert_eq!(price(&linked["applied"]["price"]), 10.0);
    let page = get(format!("/dashboard/skus?reference={SKU}")).await.text().await.unwrap();
    assert!(page.contains("data-store=\"retail-2\" data-status=\"linked\""));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_that_failed_for_good_is_shown_as_owed_with_its_failed_job() {
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    r1.seed_product(SKU, "Mug at retail 1", "9.00", 0);
    let env = Env::new(Backend::MariaDbRedis).await;
    // retail-2 has no Webservice: its sync fails for good and waits for an operator.
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &r1, &r1);
            for store in &mut s.stores {
                if store.code.as_str() == "retail-2" {
                    store.webservice = None;
                }
            }
        })
        .await;
    let body = product_event(&new_id(), SKU, "10.00", 300, "2026-11-27T09:59:58Z");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    eventually(30, "retail-2's failed sync is reported", || async {
        let (_, report) = sku(&app, SKU, Some(CLIENT2_KEY)).await;
        row(&report, "retail-2").is_some_and(|r| r["failed_job"]["id"].is_i64())
    })
    .await;
    let (_, report) = sku(&app, SKU, Some(CLIENT2_KEY)).await;
    let failing = row(&report, "retail-2").unwrap();
    assert_eq!(failing["status"], "not_looked_up", "{failing}");
    assert_eq!(failing["pending"], "owed");
    assert!(failing["failed_job"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{failing}");
    let (browser, cookie) = log_in(&app).await;
    let page = browser
        .get(format!("{}/dashboard/skus?reference={SKU}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id = failing["failed_job"]["id"].as_i64().unwrap();
    assert!(page.contains(&format!("data-failed-id=\"{id}\"")), "the page points at the failed job");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sku_report_maps_each_source_combination_and_names_those_a_client_lacks() {
    let r1 = Simulator::start(SimConfig::default()).await.unwrap();
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    let p1 = r1.seed_product("TEE", "T-shirt", "9.00", 0);
    let s1 = seed_combination(&r1, p1, "TEE-S", "");
    let m1 = seed_combination(&r1, p1, "", "4006381333931");
    let p2 = r2.seed_product("TEE", "T-shirt", "9.00", 0);
    let s2 = seed_combination(&r2, p2, "TEE-S", "");
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &r1, &r2)).await;
    let body = serde_json::json!({
        "event_id": new_id(), "occurred_at": "2026-11-27T10:00:00Z",
        "product": {"id": 1, "reference": "TEE", "name": "T-shirt", "price": "10.00", "quantity": 15, "active": true,
                    "updated_at": "2026-11-27T10:00:00Z",
                    "combinations": [
                        {"id": 11, "reference": "TEE-S", "quantity": 10},
                        {"id": 12, "reference": "", "ean13": "4006381333931", "attributes": {"Size": "M"}, "quantity": 5}
                    ]}
    });
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body.to_string()).await.status(), 202);
    eventually(20, "both clients linked", || async {
        let (_, report) = sku(&app, "TEE", Some(SOURCE_KEY)).await;
        ["retail-1", "retail-2"].iter().all(|s| row(&report, s).is_some_and(|r| r["status"] == "linked"))
    })
    .await;
    let (_, report) = sku(&app, "TEE", Some(SOURCE_KEY)).await;
    let quantities: Vec<(u64, i64)> = report["source"]["combinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_u64().unwrap(), c["quantity"].as_i64().unwrap()))
        .collect();
    assert_eq!(quantities, [(11, 10), (12, 5)]);
    let mapping = |store: &str| -> Vec<(u64, u64)> {
        row(&report, store).unwrap()["combinations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["source_combination_id"] != 0)
            .map(|c| (c["source_combination_id"].as_u64().unwrap(), c["client_combination_id"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(mapping("retail-1"), [(11, s1), (12, m1)]);
    assert_eq!(mapping("retail-2"), [(11, s2)]);
    assert_eq!(row(&report, "retail-2").unwrap()["unmatched_combinations"], serde_json::json!([12]));
    assert_eq!(row(&report, "retail-1").unwrap()["unmatched_combinations"], serde_json::json!([]));

    let (browser, cookie) = log_in(&app).await;
    let page = browser
        .get(format!("{}/dashboard/skus?reference=TEE", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("11 → combination {s2}")), "the mapping is shown");
    assert!(page.contains("unmatched: 12"), "and the combination retail-2 lacks");
    assert!(page.contains("Size: M"), "with the source's attributes");
    app.stop().await;
}
