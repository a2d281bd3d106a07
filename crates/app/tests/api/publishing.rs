//! Catalog publishing against simulated shops: a client with `publish = true` gets the source's selected
//! products created — texts in its languages, categories, combinations, images, stock — exactly once, even
//! when answers are lost mid-way; a client without it gets nothing created.

use std::time::Duration;

use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::Secret;
use prestashop_sim::{Failure, FailureKind, SimConfig, Simulator};
use serde_json::Value;

use crate::helpers::*;

/// A 1×1 PNG and a 1×1 GIF: two different images.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

fn json(sim: &Simulator, path: &str) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, body) = sim.admin_call("GET", &format!("{path}{sep}output_format=JSON"), None);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn post(sim: &Simulator, resource: &str, xml: &str) -> u64 {
    let (status, body) = sim.admin_call("POST", &format!("{resource}?output_format=JSON"), Some(xml));
    assert_eq!(status, 201, "POST {resource}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let o = v.as_object().unwrap().values().next().unwrap();
    o["id"].as_str().map_or_else(|| o["id"].as_u64().unwrap(), |s| s.parse().unwrap())
}

/// `<name><language id="1">en</language><language id="2">fr</language></name>`.
fn lang(field: &str, en: &str, fr: &str) -> String {
    format!(
        "<{field}><language id=\"1\"><![CDATA[{en}]]></language><language id=\"2\"><![CDATA[{fr}]]></language></{field}>"
    )
}

async fn upload(sim: &Simulator, product: u64, file: &[u8], name: &str) {
    upload_answering(sim, product, file, name, 200).await;
}

async fn upload_answering(sim: &Simulator, product: u64, file: &[u8], name: &str, status: u16) {
    let boundary = "----test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = reqwest::Client::new()
        .post(format!("{}/api/images/products/{product}?ws_key={}", sim.base_url(), sim.key()))
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), status, "{}", r.text().await.unwrap_or_default());
}

/// The wholesaler's shop: English and French; a tee in Clothes › Men with sizes S and M (+2.00) and two
/// images; a mug in a new category Home › Outdoor › Camping with one image; a print in Art (9), which
/// retail-1 excludes.
struct Source {
    sim: Simulator,
    tee: u64,
    mug: u64,
    art: u64,
    sizes: [u64; 2],
}

async fn source() -> Source {
    init();
    let sim = bilingual_shop().await;
    let category = |parent: u64, en: &str, fr: &str| {
        let body = format!(
            "<prestashop><category><id_parent>{parent}</id_parent><active>1</active>{}{}</category></prestashop>",
            lang("name", en, fr),
            lang("link_rewrite", &en.to_lowercase(), &fr.to_lowercase().replace(' ', "-"))
        );
        post(&sim, "categories", &body)
    };
    let outdoor = category(2, "Outdoor", "Plein air");
    let camping = category(outdoor, "Camping", "Camping");
    let group = post(
        &sim,
        "product_options",
        &format!(
            "<prestashop><product_option><group_type>select</group_type>{}{}</product_option></prestashop>",
            lang("name", "Size", "Taille"),
            lang("public_name", "Size", "Taille")
        ),
    );
    let value = |name: &str| {
        let body = format!(
            "<prestashop><product_option_value><id_attribute_group>{group}</id_attribute_group>{}\
             </product_option_value></prestashop>",
            lang("name", name, name)
        );
        post(&sim, "product_option_values", &body)
    };
    let (s, m) = (value("S"), value("M"));
    let product = |reference: &str, price: &str, cats: &[u64], en: &str, fr: &str| {
        let assoc: String = cats.iter().map(|c| format!("<category><id>{c}</id></category>")).collect();
        format!(
            "<prestashop><product><id_category_default>{}</id_category_default><id_tax_rules_group>1</id_tax_rules_group>\
             <reference>{reference}</reference><ean13>4006381333931</ean13><weight>0.300000</weight><state>1</state>\
             <price>{price}</price><active>1</active><condition>new</condition><visibility>both</visibility>\
             {}{}{}{}{}<associations><categories>{assoc}</categories></associations></product></prestashop>",
            cats[0],
            lang("name", en, fr),
            lang("link_rewrite", &en.to_lowercase().replace(' ', "-"), &fr.to_lowercase().replace(' ', "-")),
            lang("description", &format!("<p>{en}, long</p>"), &format!("<p>{fr}, longue</p>")),
            lang("description_short", &format!("<p>{en}</p>"), &format!("<p>{fr}</p>")),
            lang("meta_title", &format!("Buy {en}"), &format!("Acheter {fr}")),
        )
    };
    let tee = post(&sim, "products", &product("PUB-TEE", "10.000000", &[4, 3], "Tee shirt", "T-shirt"));
    let mug = post(&sim, "products", &product("PUB-MUG", "5.000000", &[camping], "Camping mug", "Tasse de camping"));
    let art = post(&sim, "products", &product("PUB-ART", "20.000000", &[9], "Art print", "Affiche"));
    let mut sizes = [0; 2];
    for (i, (value, impact)) in [(s, "0.000000"), (m, "2.000000")].into_iter().enumerate() {
        sizes[i] = post(
            &sim,
            "combinations",
            &format!(
                "<prestashop><combination><id_product>{tee}</id_product><price>{impact}</price><minimal_quantity>1</minimal_quantity>\
                 <associations><product_option_values><product_option_value><id>{value}</id></product_option_value>\
                 </product_option_values></associations></combination></prestashop>"
            ),
        );
    }
    sim.seed_stock(tee, sizes[0], 7);
    sim.seed_stock(tee, sizes[1], 4);
    sim.seed_stock(mug, 0, 12);
    upload(&sim, tee, PNG, "front.png").await;
    upload(&sim, tee, GIF, "back.gif").await;
    upload(&sim, mug, PNG, "mug.png").await;
    // Text sent as an image: PrestaShop refuses it but keeps its image row, whose file then answers 500/61.
    upload_answering(&sim, mug, b"not an image at all", "broken.jpg", 400).await;
    Source { sim, tee, mug, art, sizes }
}

/// A retailer's shop in English and French.
async fn bilingual_shop() -> Simulator {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    sim.add_language("fr", "Français (French)");
    sim
}

/// The price, active flag and stock of the product `reference` on `sim`, when it has one.
fn shelf(sim: &Simulator, reference: &str) -> Option<(String, bool, i64)> {
    products(sim, reference).first().and_then(|p| p["id"].as_u64()).and_then(|id| sim.product_state(id))
}

fn wire(s: &mut Settings, source: &Simulator, retail1: &Simulator, retail2: &Simulator) {
    for store in &mut s.stores {
        let sim = match store.code.as_str() {
            "wholesaler" => source,
            "retail-1" => {
                store.catalog.publish = true;
                store.catalog.exclude_categories = vec![9];
                store.price_ending = Some("0.99".into());
                retail1
            }
            "retail-2" => retail2,
            _ => continue,
        };
        store.webservice = Some(WebserviceSettings { url: sim.base_url(), key: Secret::new(sim.key()) });
        store.limits.breaker_open_secs = 1;
        store.limits.timeout_ms = 2_000;
    }
}

/// The product event the source's connector sends, with its categories.
fn event(
    sku: &str,
    id: u64,
    (price, active, quantity): (&str, bool, i64),
    combinations: &[(u64, &str, i64)],
    cats: &[u64],
    at: &str,
) -> String {
    let combos: Vec<Value> = combinations
        .iter()
        .map(|(cid, size, q)| serde_json::json!({"id": cid, "reference": "", "ean13": "", "attributes": {"Size": size}, "quantity": q}))
        .collect();
    serde_json::json!({
        "event_id": new_id(),
        "occurred_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "product": {"id": id, "reference": sku, "name": sku, "price": price, "quantity": quantity, "active": active,
                    "updated_at": at, "combinations": combos, "categories": cats}
    })
    .to_string()
}

async fn send(app: &TestApp, body: String) {
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
}

async fn send_catalog(app: &TestApp, src: &Source, at: &str) {
    send(
        app,
        event("PUB-TEE", src.tee, ("10.00", true, 11), &[(src.sizes[0], "S", 7), (src.sizes[1], "M", 4)], &[4, 3], at),
    )
    .await;
    send(app, event("PUB-MUG", src.mug, ("5.00", true, 12), &[], &[10], at)).await;
    send(app, event("PUB-ART", src.art, ("20.00", true, 3), &[], &[9], at)).await;
}

fn products(sim: &Simulator, reference: &str) -> Vec<Value> {
    json(sim, &format!("products?filter[reference]=[{reference}]&display=full"))["products"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn language_value(v: &Value, id: &str) -> String {
    v.as_array()
        .and_then(|a| a.iter().find(|l| l["id"] == id))
        .and_then(|l| l["value"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn count(sim: &Simulator, resource: &str) -> usize {
    json(sim, &format!("{resource}?display=[id]"))[resource].as_array().map_or(0, Vec::len)
}

fn images(sim: &Simulator, product: u64) -> usize {
    let (status, body) = sim.admin_call("GET", &format!("images/products/{product}"), None);
    if status == 404 { 0 } else { body.matches("<declination").count() }
}

/// Everything retail-1 must show once publishing is done.
fn assert_published(r1: &Simulator) {
    let tee = products(r1, "PUB-TEE");
    assert_eq!(tee.len(), 1, "exactly one tee");
    let tee = &tee[0];
    let id: u64 = tee["id"].as_u64().unwrap();
    assert_eq!(language_value(&tee["name"], "1"), "Tee shirt");
    assert_eq!(language_value(&tee["name"], "2"), "T-shirt");
    assert_eq!(language_value(&tee["description"], "2"), "<p>T-shirt, longue</p>");
    assert_eq!(language_value(&tee["meta_title"], "1"), "Buy Tee shirt");
    assert_eq!(tee["price"], "13.990000", "10.00 + 30 %, up to .99");
    assert_eq!(tee["ean13"], "4006381333931");
    assert_eq!(tee["id_tax_rules_group"], "1");
    assert_eq!(tee["id_category_default"], "4", "Clothes › Men exists on the client: found by name, not created");
    let combos = json(r1, &format!("combinations?filter[id_product]=[{id}]&display=full"))["combinations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(combos.len(), 2, "two combinations, once each");
    let mut impacts: Vec<String> = combos.iter().map(|c| c["price"].as_str().unwrap_or_default().to_owned()).collect();
    impacts.sort();
    // M: 12.00 at the source → 15.60 → 15.99, so its impact is 2.00 over 13.99.
    assert_eq!(impacts, vec!["0.000000", "2.000000"]);
    assert_eq!(images(r1, id), 2, "two images, once each");
    let stock: Vec<i64> = combos
        .iter()
        .map(|c| {
            let cid = c["id"].as_str().map_or_else(|| c["id"].as_u64().unwrap(), |s| s.parse().unwrap());
            r1.stock_row(id, cid)
                .map(|row| {
                    json(r1, &format!("stock_availables/{row}"))["stock_available"]["quantity"]
                        .as_str()
                        .unwrap_or("0")
                        .parse()
                        .unwrap()
                })
                .unwrap_or(-1)
        })
        .collect();
    let mut stock = stock;
    stock.sort_unstable();
    assert_eq!(stock, vec![4, 7], "each combination's stock");

    let mug = products(r1, "PUB-MUG");
    assert_eq!(mug.len(), 1);
    let mug_id = mug[0]["id"].as_u64().unwrap();
    let camping: u64 = mug[0]["id_category_default"].as_str().unwrap().parse().unwrap();
    let cat = &json(r1, &format!("categories/{camping}"))["category"];
    assert_eq!(language_value(&cat["name"], "2"), "Camping");
    let parent: u64 = cat["id_parent"].as_str().unwrap().parse().unwrap();
    let outdoor = &json(r1, &format!("categories/{parent}"))["category"];
    assert_eq!(language_value(&outdoor["name"], "2"), "Plein air", "the path was created under Home");
    assert_eq!(outdoor["id_parent"], "2");
    assert_eq!(images(r1, mug_id), 1, "the source's image row without a file is skipped");
    assert_eq!(r1.product_state(mug_id).map(|s| s.2), Some(12));

    assert!(products(r1, "PUB-ART").is_empty(), "an excluded category is not published");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publishing_client_gets_every_selected_product_with_languages_categories_images_and_combinations() {
    let src = source().await;
    let r1 = bilingual_shop().await;
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &src.sim, &r1, &r2);
            for store in &mut s.stores {
                if store.code == "retail-1" {
                    // Outdoor (the mug's category in its events) sells at +50 %, the rest at the store's +30 %.
                    store.price_rules = vec![hub_app::settings::CategoryRuleSettings {
                        categories: vec![10],
                        markup_percent: "50".into(),
                        min_margin_percent: None,
                        price_ending: None,
                    }];
                }
            }
        })
        .await;
    send_catalog(&app, &src, "2026-12-03T10:00:00Z").await;
    eventually(30, "both products published and stocked", || async {
        shelf(&r1, "PUB-MUG").is_some_and(|s| s.2 == 12)
            && products(&r1, "PUB-TEE").len() == 1
            && app.count("SELECT COUNT(*) FROM product_links WHERE store = 'retail-1' AND status = 'linked'").await == 2
    })
    .await;
    assert_published(&r1);
    assert_eq!(count(&r2, "products"), 0, "a client without publish gets nothing created");

    let mug_id = products(&r1, "PUB-MUG")[0]["id"].as_u64().unwrap();
    assert_eq!(r1.product_state(mug_id).unwrap().0, "7.990000", "5.00 + 50 % by its category rule, up to .99");
    // A later change flows as a sync: one price write, no second product.
    r1.clear_requests();
    send(&app, event("PUB-MUG", src.mug, ("6.00", true, 9), &[], &[10], "2026-12-03T10:05:00Z")).await;
    eventually(20, "the mug follows the source", || async {
        r1.product_state(mug_id) == Some(("9.990000".into(), true, 9))
    })
    .await;
    assert!(r1.requests().iter().all(|r| r.method != "POST"), "nothing created again");

    // Deactivated at the source: deactivated on the client, never deleted.
    send(&app, event("PUB-MUG", src.mug, ("6.00", false, 9), &[], &[10], "2026-12-03T10:06:00Z")).await;
    eventually(20, "the mug is deactivated", || async { r1.product_state(mug_id).is_some_and(|s| !s.1) }).await;
    assert_eq!(products(&r1, "PUB-MUG").len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_while_publishing_leave_no_duplicate_product_image_or_combination() {
    let src = source().await;
    let r1 = bilingual_shop().await;
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    // Each creation is made and its answer lost, once: the hub's retry must find what exists.
    for resource in ["products", "combinations", "images", "categories", "product_options", "product_option_values"] {
        r1.inject(Failure::new(FailureKind::ProcessThenDrop).on_resource(resource).on_method("POST").times(1));
    }
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &src.sim, &r1, &r2)).await;
    send_catalog(&app, &src, "2026-12-03T10:00:00Z").await;
    eventually(60, "both products published and linked", || async {
        app.count("SELECT COUNT(*) FROM product_links WHERE store = 'retail-1' AND status = 'linked'").await == 2
            && shelf(&r1, "PUB-MUG").is_some_and(|s| s.2 == 12)
    })
    .await;
    assert_published(&r1);
    // The demo tree has 9 categories; only Outdoor and Camping were added, once.
    assert_eq!(count(&r1, "categories"), 11);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_publish_leaves_no_duplicate_and_its_successor_finishes_the_product() {
    let src = source().await;
    let r1 = bilingual_shop().await;
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    // Slow creations, so the kill lands between the product and its combinations and images.
    r1.set_latency(Duration::from_millis(300));
    let env = Env::new(Backend::Sqlite).await;
    let mut toml = crate::reconcile::with_webservices(
        &env.toml,
        &[("wholesaler", &src.sim), ("retail-1", &r1), ("retail-2", &r2)],
    );
    toml = toml.replacen("markup_percent = \"30\"\n", "markup_percent = \"30\"\nprice_ending = \"0.99\"\n", 1);
    toml = toml.replacen(
        "[[stores]]\ncode = \"retail-2\"",
        "[stores.catalog]\npublish = true\nexclude_categories = [9]\n[[stores]]\ncode = \"retail-2\"",
        1,
    );
    // The killed worker's lease on the SKU lasts 15 s: retries must outlast it.
    toml = toml
        .replace("backoff_min_ms = 50", "backoff_min_ms = 4000")
        .replace("backoff_max_ms = 500", "backoff_max_ms = 8000");
    toml.push_str("\n[reconcile]\nschedule = false\n");
    let env = Env { toml, ..env };
    let api = env.spawn(Mode::Api).await;
    let mut worker = env.process("hub-worker", "publish-kill-1");
    send(
        &api,
        event(
            "PUB-TEE",
            src.tee,
            ("10.00", true, 11),
            &[(src.sizes[0], "S", 7), (src.sizes[1], "M", 4)],
            &[4, 3],
            "2026-12-03T10:00:00Z",
        ),
    )
    .await;
    eventually(30, "the tee is created on the client", || async { products(&r1, "PUB-TEE").len() == 1 }).await;
    worker.0.kill().unwrap();
    let _ = worker.0.wait();
    let tee = products(&r1, "PUB-TEE")[0]["id"].as_u64().unwrap();
    let done_before = images(&r1, tee);
    assert!(done_before < 2, "killed before the images were all uploaded ({done_before})");
    r1.set_latency(Duration::ZERO);
    let _worker = env.process("hub-worker", "publish-kill-2");
    eventually(90, "the successor finishes and links the tee", || async {
        api.count(
            "SELECT COUNT(*) FROM product_links WHERE store = 'retail-1' AND sku = 'PUB-TEE' AND status = 'linked'",
        )
        .await
            == 1
    })
    .await;
    assert_eq!(products(&r1, "PUB-TEE").len(), 1, "one tee");
    assert_eq!(images(&r1, tee), 2, "two images");
    let combos = json(&r1, &format!("combinations?filter[id_product]=[{tee}]&display=[id]"))["combinations"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(combos, 2, "two combinations");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_the_client_cannot_take_is_refused_with_its_reason_and_the_dry_run_says_so() {
    let src = source().await;
    // A tax rules group the client has no match for.
    let (status, body) = src.sim.admin_call(
        "PATCH",
        &format!("products/{}", src.mug),
        Some(&format!(
            "<prestashop><product><id>{}</id><id_tax_rules_group>99</id_tax_rules_group></product></prestashop>",
            src.mug
        )),
    );
    assert_eq!(status, 200, "{body}");
    let r1 = bilingual_shop().await;
    let r2 = Simulator::start(SimConfig::default()).await.unwrap();
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &src.sim, &r1, &r2);
            s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
        })
        .await;
    send_catalog(&app, &src, "2026-12-03T10:00:00Z").await;
    eventually(30, "the tee linked, the mug refused", || async {
        app.count("SELECT COUNT(*) FROM product_links WHERE store = 'retail-1' AND status = 'linked'").await == 1
            && app.count("SELECT COUNT(*) FROM product_links WHERE store = 'retail-1' AND status = 'refused'").await
                == 1
    })
    .await;
    assert!(products(&r1, "PUB-MUG").is_empty(), "nothing created");
    let page = dashboard_page(&app, ADMIN_TOKEN, "/dashboard/stores").await;
    assert!(
        page.contains(
            "not published: no tax rules group named &quot;#99 (not an active group at the source)&quot; on the client"
        ) || page.contains("not published: no tax rules group named \"#99"),
        "the reason is shown"
    );
    assert!(page.contains("id=\"catalogs\""), "the catalog table");
    app.stop().await;

    // `hub publish --dry-run` for a hub that knows nothing yet, and a fresh client, says the same and
    // writes nothing.
    let r3 = bilingual_shop().await;
    let env = Env::new(Backend::Sqlite).await;
    let mut toml = crate::reconcile::with_webservices(
        &env.toml,
        &[("wholesaler", &src.sim), ("retail-1", &r3), ("retail-2", &r2)],
    );
    toml = toml.replacen(
        "[[stores]]\ncode = \"retail-2\"",
        "[stores.catalog]\npublish = true\nexclude_categories = [9]\n[[stores]]\ncode = \"retail-2\"",
        1,
    );
    let env = Env { toml, ..env };
    let out = std::process::Command::new(binary("hub"))
        .args(["publish", "--store", "retail-1", "--dry-run"])
        .env("HUB_CONFIG", env.config_file())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("create  PUB-TEE: at 13.00, 2 combination(s), 2 image(s), 2 categories"), "{stdout}");
    assert!(
        stdout.contains(
            "cannot  PUB-MUG: no tax rules group named \"#99 (not an active group at the source)\" on the client"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("PUB-ART"), "excluded: {stdout}");
    assert!(stdout.contains("dry run: 1 to create, 0 to link, 1 cannot be published; nothing was written"), "{stdout}");
    assert!(r3.requests().iter().all(|r| r.method == "GET"), "a dry run writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_follows_content_gets_the_sources_new_texts_and_one_that_does_not_keeps_its_own() {
    let src = source().await;
    let (r1, r2) = (bilingual_shop().await, bilingual_shop().await);
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &src.sim, &r1, &r2);
            for store in &mut s.stores {
                if store.code == "retail-2" {
                    store.catalog.publish = true;
                    store.catalog.content = hub_domain::model::ContentPolicy::Follow;
                    // Only Outdoor's products.
                    store.catalog.categories = vec![10];
                }
            }
        })
        .await;
    send(&app, event("PUB-MUG", src.mug, ("5.00", true, 12), &[], &[10], "2026-12-03T10:00:00Z")).await;
    eventually(30, "the mug is published on both", || async {
        app.count("SELECT COUNT(*) FROM product_links WHERE sku = 'PUB-MUG' AND status = 'linked'").await == 2
    })
    .await;
    // The wholesaler renames it.
    let body = format!(
        "<prestashop><product><id>{}</id>{}</product></prestashop>",
        src.mug,
        lang("name", "Camping mug XL", "Grande tasse de camping")
    );
    assert_eq!(src.sim.admin_call("PATCH", &format!("products/{}", src.mug), Some(&body)).0, 200);
    send(&app, event("PUB-MUG", src.mug, ("5.00", true, 11), &[], &[10], "2026-12-03T10:10:00Z")).await;
    let name = |sim: &Simulator, l: &str| language_value(&products(sim, "PUB-MUG")[0]["name"], l);
    eventually(30, "retail-2 follows the new name", || async { name(&r2, "2") == "Grande tasse de camping" }).await;
    eventually(30, "retail-1 got the stock change", || async { shelf(&r1, "PUB-MUG").is_some_and(|s| s.2 == 11) })
        .await;
    assert_eq!(name(&r1, "2"), "Tasse de camping", "content = once: the retailer's texts stay");
    assert_eq!(name(&r2, "1"), "Camping mug XL");

    // Deleted at the source: the connector's last word names no category, and the product is deactivated on
    // both clients — also on retail-2, which selects by category — and deleted on neither.
    send(&app, event("PUB-MUG", src.mug, ("5.00", false, 0), &[], &[], "2026-12-03T10:20:00Z")).await;
    for sim in [&r1, &r2] {
        eventually(30, "the mug is deactivated", || async { shelf(sim, "PUB-MUG").is_some_and(|s| !s.1 && s.2 == 0) })
            .await;
    }
    app.stop().await;
}
