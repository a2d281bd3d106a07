//! Operations: Prometheus metrics, failed jobs kept and retried from the dashboard (by HTTP and in a real
//! headless Chromium), and the admin commands of the `hub` binary.

use std::{collections::BTreeMap, process::Command, time::Duration};

use hub_app::{Mode, Settings, settings::WebserviceSettings};
use hub_domain::Secret;
use prestashop_sim::{Failure, SimConfig, Simulator};

use crate::helpers::*;

const ADMIN_TOKEN: &str = "admin-token-0123456789";

fn wire(s: &mut Settings, retail: &Simulator) {
    for store in &mut s.stores {
        if store.code == "retail-1" {
            store.webservice = Some(WebserviceSettings { url: retail.base_url(), key: Secret::new(retail.key()) });
            store.limits.breaker_open_secs = 1;
            store.limits.timeout_ms = 2_000;
        }
    }
    s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
}

/// The TOML of `env` with retail-1's Webservice and the admin token, for child processes.
fn config_with_shop(env: &Env, retail: &Simulator, extra_worker: &str) -> std::path::PathBuf {
    let toml = env
        .toml
        .replace(
            "markup_percent = \"30\"\n",
            &format!(
                "markup_percent = \"30\"\n[stores.webservice]\nurl = \"{}\"\nkey = \"{}\"\n",
                retail.base_url(),
                retail.key()
            ),
        )
        .replace("[server]\n", &format!("[server]\nadmin_token = \"{ADMIN_TOKEN}\"\n"))
        .replace("[worker]\n", &format!("[worker]\n{extra_worker}"));
    let path = env.dir.join(format!("hub-{}.toml", unique("c")));
    std::fs::write(&path, toml).unwrap();
    path
}

/// A strict reading of the Prometheus text format (0.0.4): `# HELP`/`# TYPE` lines, and samples
/// `name{label="value",…} number`. Returns every sample keyed by `name{labels}` as rendered.
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    let mut typed = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            assert!(matches!(kind, "HELP" | "TYPE"), "line {n}: unknown comment `{line}`");
            assert!(valid_name(name), "line {n}: bad metric name in `{line}`");
            if kind == "TYPE" {
                let t = parts.next().unwrap_or("");
                assert!(matches!(t, "counter" | "gauge" | "histogram" | "summary" | "untyped"), "line {n}: type `{t}`");
                typed.insert(name.to_owned(), t.to_owned());
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("line {n}: no value in `{line}`"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("line {n}: value `{v}` is not a number")),
        };
        let name = series.split('{').next().unwrap();
        assert!(valid_name(name), "line {n}: bad name `{name}`");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or_else(|| panic!("line {n}: labels `{labels}`"));
            let mut rest = inner;
            while !rest.is_empty() {
                let (label, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("line {n}: label in `{inner}`"));
                assert!(valid_name(label), "line {n}: label name `{label}`");
                let mut end = None;
                let mut escaped = false;
                for (i, c) in after.char_indices() {
                    match (escaped, c) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.unwrap_or_else(|| panic!("line {n}: unterminated label value"));
                rest = after[end + 1..].strip_prefix(',').unwrap_or(&after[end + 1..]);
            }
        }
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        assert!(typed.contains_key(name) || typed.contains_key(family), "line {n}: `{name}` has no # TYPE");
        samples.insert(series.to_owned(), value);
    }
    samples
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn sum(samples: &BTreeMap<String, f64>, name: &str, with: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(k, _)| k.split('{').next() == Some(name) && with.iter().all(|w| k.contains(w)))
        .map(|(_, v)| v)
        .sum()
}

async fn scrape(base: &str) -> BTreeMap<String, f64> {
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "content type {ct}");
    parse_prometheus(&r.text().await.unwrap())
}

async fn post(base: &str, key: &str, body: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/sync/product"))
        .header("Content-Type", "application/json")
        .header("X-API-KEY", key)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The metrics of a `hub` process of its own: the counters are per process, and this test's process runs
/// other hubs at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_and_the_counters_move() {
    let retail = Simulator::start(SimConfig::default()).await.unwrap();
    let product = retail.seed_product("MET-0001", "Metered mug", "5.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let config = config_with_shop(&env, &retail, "");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _hub = KillOnDrop(
        Command::new(binary("hub"))
            .env("HUB_CONFIG", &config)
            .env("HUB_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    eventually(20, "the hub answers", || async {
        reqwest::get(format!("{base}/health")).await.is_ok_and(|r| r.status() == 200)
    })
    .await;

    let before = scrape(&base).await;
    let event = ["hub_events_total", "kind=\"product\"", "store=\"wholesaler\"", "result=\"queued\""];
    assert_eq!(sum(&before, event[0], &event[1..]), 0.0);
    let body = product_event(&new_id(), "MET-0001", "10.00", 42, "2026-11-27T10:00:00Z");
    assert_eq!(post(&base, SOURCE_KEY, &body).await, 202);
    assert_eq!(post(&base, SOURCE_KEY, &body).await, 202, "a duplicate");
    // A rejected call moves the error counter.
    assert_eq!(post(&base, "not-a-key-at-all-123", &body).await, 401);
    eventually(30, "retail-1 shows the new stock", || async {
        retail.product_state(product).is_some_and(|s| s.2 == 42)
    })
    .await;

    // The job's figures are counted once it is done, a moment after its last write reached the shop.
    eventually(10, "the sync counted", || async {
        sum(&scrape(&base).await, "hub_jobs_total", &["job=\"sync_product_to_store\"", "outcome=\"succeeded\""]) >= 1.0
    })
    .await;
    let after = scrape(&base).await;
    assert_eq!(sum(&after, event[0], &event[1..]), 1.0, "one product event accepted");
    assert_eq!(sum(&after, "hub_events_total", &["result=\"duplicate\""]), 1.0, "one duplicate");
    assert_eq!(sum(&after, "hub_http_errors_total", &["status=\"401\""]), 1.0);
    assert_eq!(sum(&after, "hub_jobs_total", &["job=\"fan_out_product\"", "outcome=\"succeeded\""]), 1.0);
    assert!(sum(&after, "hub_jobs_total", &["job=\"sync_product_to_store\"", "outcome=\"succeeded\""]) >= 1.0);
    assert!(sum(&after, "hub_job_duration_seconds_count", &["job=\"sync_product_to_store\""]) >= 1.0);
    assert_eq!(sum(&after, "hub_job_wait_seconds_count", &["job=\"fan_out_product\""]), 1.0);
    assert!(
        sum(
            &after,
            "hub_webservice_calls_total",
            &["store=\"retail-1\"", "resource=\"stock_availables\"", "status=\"200\""]
        ) >= 1.0,
        "the stock write is counted by store, resource and status"
    );
    assert!(after.keys().any(|k| k.starts_with("hub_queue_depth{job=\"sync_product_to_store\"}")), "queue depth");
    assert!(after.keys().any(|k| k.starts_with("hub_webservice_circuit_open{store=\"retail-1\"}")), "circuit");
}

/// Pushes one product event whose sync to retail-1 fails for good (the shop answers 500, one attempt
/// allowed); returns once the failed job is kept.
async fn a_failed_sync(app: &TestApp, retail: &Simulator, sku: &str) -> i64 {
    retail.inject(Failure::status(500).on_method("PATCH"));
    let body = product_event(&new_id(), sku, "20.00", 7, "2026-11-27T11:00:00Z");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    let mut id = 0;
    for _ in 0..300 {
        id = app
            .count(&format!(
                "SELECT COALESCE(MAX(id), 0) FROM failed_jobs WHERE status = 'failed' AND subject = 'retail-1/{sku}'"
            ))
            .await;
        if id > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(id > 0, "the failed sync is kept for an operator");
    id
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form token") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_needs_the_admin_token_shows_a_failed_job_and_retries_it() {
    let retail = Simulator::start(SimConfig::default()).await.unwrap();
    let product = retail.seed_product("DASH-0001", "Dashboard mug", "5.00", 0);
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &retail);
            s.worker.max_attempts = 1;
        })
        .await;
    let failed = a_failed_sync(&app, &retail, "DASH-0001").await;

    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = |p: &str| format!("{}{p}", app.base);
    // No session: every page sends to the login form; a wrong token is refused.
    for page in ["/dashboard", "/dashboard/jobs", "/dashboard/stores", "/dashboard/orders"] {
        let r = browser.get(url(page)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{page}");
        assert_eq!(r.headers()["location"], "/dashboard/login");
    }
    let r = browser
        .post(url("/dashboard/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}", "wrong-token-0123456789"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/dashboard/login?failed=1");
    assert!(r.headers().get("set-cookie").is_none());
    let r = browser
        .post(url("/dashboard/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}", ADMIN_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    assert!(!r.headers()["set-cookie"].to_str().unwrap().contains("Secure"), "plain HTTP here");
    let behind_tls = browser
        .post(url("/dashboard/login"))
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert!(behind_tls.headers()["set-cookie"].to_str().unwrap().contains("; Secure"), "Secure behind a TLS proxy");
    let get = |p: &'static str| {
        let (b, c, u) = (browser.clone(), cookie.clone(), url(p));
        async move { b.get(u).header("cookie", c).send().await.unwrap() }
    };
    // A forged cookie is not a session.
    let forged = browser.get(url("/dashboard")).header("cookie", "hub_session=99999999999.00ff").send().await.unwrap();
    assert_eq!(forged.status(), 303);

    let jobs = get("/dashboard/jobs").await;
    assert_eq!(jobs.status(), 200);
    let page = jobs.text().await.unwrap();
    assert!(page.contains(&format!("data-failed-id=\"{failed}\"")), "the failed job is listed");
    assert!(page.contains("retail-1/DASH-0001") && page.contains("500"), "with its subject and error");
    for secret in [SOURCE_KEY, CLIENT_KEY, ADMIN_TOKEN, retail.key().as_str()] {
        assert!(!page.contains(secret), "no secret on the page");
    }
    for p in ["/dashboard", "/dashboard/stores", "/dashboard/orders"] {
        let r = get(p).await;
        assert_eq!(r.status(), 200, "{p}");
        let body = r.text().await.unwrap();
        assert!(!body.contains(&retail.key()) && !body.contains(CLIENT_KEY), "{p} shows no key");
    }
    let overview = get("/dashboard").await.text().await.unwrap();
    assert!(overview.contains("<svg") && overview.contains("data-queue=\"sync_product_to_store\""));

    // A form without its token is refused; with it, the job is queued again and succeeds.
    let action = url(&format!("/dashboard/jobs/{failed}/retry"));
    let r = browser
        .post(&action)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", "00"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    retail.clear_failures();
    let r = browser
        .post(&action)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", csrf_of(&page)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/dashboard/jobs?done=retry&id={failed}"));
    eventually(30, "the retried sync reached retail-1", || async {
        retail.product_state(product).is_some_and(|s| s.2 == 7)
    })
    .await;
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM failed_jobs WHERE id = {failed} AND status = 'retried'")).await,
        1
    );
    // Retrying twice queues nothing more.
    let again = browser
        .post(&action)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}", csrf_of(&page)))
        .send()
        .await
        .unwrap();
    assert!(again.headers()["location"].to_str().unwrap().contains("error="));
    eventually(10, "the recent jobs show the success", || async {
        let body = get("/dashboard/jobs").await.text().await.unwrap();
        body.contains("data-subject=\"retail-1/DASH-0001\" data-outcome=\"succeeded\"")
            && !body.contains(&format!("data-failed-id=\"{failed}\""))
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_headless_chromium_retries_a_failed_job() {
    let retail = Simulator::start(SimConfig::default()).await.unwrap();
    let product = retail.seed_product("BROWSER-01", "Browser mug", "5.00", 0);
    retail.seed_product("BROWSER-02", "Twin", "5.00", 0);
    retail.seed_product("BROWSER-02", "Twin again", "5.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &retail);
            s.worker.max_attempts = 1;
        })
        .await;
    // Something on every page: an ambiguous SKU for the stores page, a failed job to retry.
    let body = product_event(&new_id(), "BROWSER-02", "9.00", 3, "2026-11-27T11:00:00Z");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    let failed = a_failed_sync(&app, &retail, "BROWSER-01").await;
    retail.clear_failures();

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tests/browser/dashboard.mjs");
    let shots =
        std::env::var("SCREENSHOT_DIR").map_or_else(|_| root.join("target/screenshots"), std::path::PathBuf::from);
    let out = Command::new("node")
        .arg(&script)
        .env("BASE_URL", &app.base)
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("FAILED_ID", failed.to_string())
        .env("SUBJECT", "retail-1/BROWSER-01")
        .env("SHOTS_DIR", &shots)
        .output()
        .expect("node runs (tests/browser: npm ci; Debian's chromium installed — .ci/run does both)");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser test failed:\n{log}");
    assert!(retail.product_state(product).is_some_and(|s| s.2 == 7), "the retried sync reached the shop");
    for page in ["login", "overview", "jobs-failed", "jobs-retried", "stores", "orders", "skus"] {
        assert!(shots.join(format!("dashboard-{page}.png")).exists(), "screenshot of {page}:\n{log}");
    }
    app.stop().await;
}

fn hub(config: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(binary("hub"))
        .args(args)
        .env("HUB_CONFIG", config)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the hub binary is built (cargo build --bins)");
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_commands_list_check_retry_discard_and_replay() {
    let retail = Simulator::start(SimConfig::default()).await.unwrap();
    let product = retail.seed_product("CLI-0001", "CLI mug", "5.00", 0);
    retail.seed_product("CLI-0002", "Other mug", "5.00", 0);
    let env = Env::new(Backend::MariaDbRedis).await;
    let app = env
        .spawn_with(Mode::All, |s| {
            wire(s, &retail);
            s.worker.max_attempts = 1;
        })
        .await;
    let config = config_with_shop(&env, &retail, "max_attempts = 1\n");

    let (code, out) = hub(&config, &["stores", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wholesaler") && out.contains("retail-1") && out.contains(&retail.base_url()), "{out}");
    assert!(!out.contains(CLIENT_KEY) && !out.contains(&retail.key()), "no key listed: {out}");

    let (code, out) = hub(&config, &["stores", "check"]);
    assert_eq!(code, 0, "every reachable store passes: {out}");
    assert!(out.contains("retail-1") && out.contains("ok: PrestaShop"), "{out}");
    assert!(out.contains("no Webservice configured"), "{out}");
    // A wrong key is reported, without the key.
    let bad = config_with_shop(&env, &retail, "").to_string_lossy().to_string();
    let text = std::fs::read_to_string(&bad).unwrap().replace(&retail.key(), "WRONGKEYWRONGKEYWRONGKEYWRONGKEY");
    std::fs::write(&bad, text).unwrap();
    let (code, out) = hub(std::path::Path::new(&bad), &["stores", "check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("retail-1") && out.contains("FAILED") && out.contains("401"), "{out}");
    assert!(!out.contains("WRONGKEY"), "{out}");

    let first = a_failed_sync(&app, &retail, "CLI-0001").await;
    let second = a_failed_sync(&app, &retail, "CLI-0002").await;
    retail.clear_failures();
    let (code, out) = hub(&config, &["jobs", "failed"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("retail-1/CLI-0001") && out.contains("retail-1/CLI-0002"), "{out}");
    let (code, out) = hub(&config, &["jobs", "retry", &first.to_string()]);
    assert_eq!(code, 0, "{out}");
    eventually(30, "the retried sync reached retail-1", || async {
        retail.product_state(product).is_some_and(|s| s.2 == 7)
    })
    .await;
    let (code, out) = hub(&config, &["jobs", "discard", &second.to_string()]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = hub(&config, &["jobs", "discard", &second.to_string()]);
    assert_eq!(code, 1, "a discarded job cannot be discarded again: {out}");
    assert!(out.contains("already discarded"), "{out}");
    let (_, out) = hub(&config, &["jobs", "failed"]);
    assert!(!out.contains("retail-1/"), "retail-1's failed jobs are resolved (retail-2 has no Webservice): {out}");

    // Replay: every product event since the start is processed again.
    let fan_outs = "SELECT CAST(COALESCE(SUM(runs), 0) AS SIGNED) FROM job_minutes WHERE job = 'fan_out_product' AND outcome = 'succeeded'";
    eventually(10, "the fan-outs are counted", || async { app.count(fan_outs).await == 2 }).await;
    let (code, out) = hub(&config, &["replay", "--since", "2000-01-01", "--kind", "product"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 event(s)"), "{out}");
    eventually(30, "both events ran again", || async { app.count(fan_outs).await == 4 }).await;
    let (code, out) = hub(&config, &["replay", "--since", "yesterday"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not a time"), "{out}");
    let (code, _) = hub(&config, &["jobs", "explode"]);
    assert_eq!(code, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_serves_health_and_metrics_and_the_healthcheck_command_reads_them() {
    let env = Env::new(Backend::Sqlite).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = env.dir.join("worker.toml");
    std::fs::write(&config, env.toml.replace("[worker]\n", &format!("[worker]\nlisten = \"127.0.0.1:{port}\"\n")))
        .unwrap();
    let _worker = KillOnDrop(
        Command::new(binary("hub-worker")).env("HUB_CONFIG", &config).env("RUST_LOG", "warn").spawn().unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    eventually(20, "the worker answers /health", || async {
        reqwest::get(format!("{base}/health")).await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert_eq!(reqwest::get(format!("{base}/ready")).await.unwrap().status(), 200);
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    let samples = parse_prometheus(&metrics);
    assert!(samples.keys().any(|k| k.starts_with("hub_queue_depth")), "{metrics}");
    let (code, out) = hub(&config, &["healthcheck", &format!("{base}/health")]);
    assert_eq!(code, 0, "{out}");
    let (code, _) = hub(&config, &["healthcheck", &format!("{base}/nowhere")]);
    assert_eq!(code, 1);
    let (code, _) = hub(&config, &["healthcheck", "http://127.0.0.1:1/health"]);
    assert_eq!(code, 1);
}

async fn finished_jobs_are_pruned_from_the_queue_storage(backend: Backend) {
    let retail = Simulator::start(SimConfig::default()).await.unwrap();
    retail.seed_product("PRUNE-0001", "Pruned mug", "5.00", 0);
    let env = Env::new(backend).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &retail)).await;
    let id = new_id();
    let body = product_event(&id, "PRUNE-0001", "10.00", 5, "2026-11-27T10:00:00Z");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    eventually(30, "the event is processed", || async {
        app.status_of(&id).await == Some(hub_domain::EventStatus::Processed)
    })
    .await;
    // Kept a while: a young job is not pruned.
    assert_eq!(app.queue.prune_finished(Duration::from_secs(3600), Duration::from_secs(3600)).await.unwrap(), 0);
    // The fan-out and the two syncs (retail-2 has no Webservice: its sync is dead) are stored as finished…
    let mut pruned = 0;
    for _ in 0..50 {
        pruned += app.queue.prune_finished(Duration::ZERO, Duration::ZERO).await.unwrap();
        if pruned >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pruned >= 3, "finished jobs pruned: {pruned}");
    // …and nothing is left of them.
    assert_eq!(app.queue.prune_finished(Duration::ZERO, Duration::ZERO).await.unwrap(), 0);
    if backend == Backend::MariaDbRedis {
        let mut redis = redis::Client::open(redis_url()).unwrap().get_multiplexed_async_connection().await.unwrap();
        let prefix = env.toml.split("fan_out_product = \"").nth(1).unwrap().split(':').next().unwrap().to_owned();
        let keys: Vec<String> = redis::cmd("KEYS").arg(format!("*{prefix}*")).query_async(&mut redis).await.unwrap();
        for key in keys {
            let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut redis).await.unwrap();
            let len: u64 = match kind.as_str() {
                "set" => redis::cmd("SCARD").arg(&key).query_async(&mut redis).await.unwrap(),
                "hash" if key.contains("data") => redis::cmd("HLEN").arg(&key).query_async(&mut redis).await.unwrap(),
                _ => 0,
            };
            assert!(len == 0 || key.contains("worker") || key.contains("inflight"), "{key} still holds {len}");
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_are_pruned_from_redis() {
    finished_jobs_are_pruned_from_the_queue_storage(Backend::MariaDbRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_are_pruned_from_the_sqlite_queue() {
    finished_jobs_are_pruned_from_the_queue_storage(Backend::Sqlite).await;
}

const METRICS_TOKEN: &str = "metrics-token-0123456789";

/// `/metrics` at `base` answers only `Authorization: Bearer <METRICS_TOKEN>`; `/health` stays open.
async fn only_the_metrics_token_opens_metrics(base: &str) {
    let http = reqwest::Client::new();
    let url = format!("{base}/metrics");
    let wrong = [
        None,
        Some("Bearer wrong-token-0123456789".to_owned()),
        Some(format!("Bearer {}", &METRICS_TOKEN[1..])),
        Some(format!("Bearer {METRICS_TOKEN}x")),
        Some(format!("Basic {METRICS_TOKEN}")),
        Some(METRICS_TOKEN.to_owned()),
    ];
    for auth in wrong {
        let mut req = http.get(&url);
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{base}: {auth:?}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{auth:?}");
        assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"), "{auth:?}");
        let text = r.text().await.unwrap();
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{text}");
        assert!(!text.contains(METRICS_TOKEN), "the token is not echoed: {text}");
    }
    for scheme in ["Bearer", "bearer"] {
        let r = http.get(&url).header("authorization", format!("{scheme} {METRICS_TOKEN}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{base}: {scheme}");
        let samples = parse_prometheus(&r.text().await.unwrap());
        assert!(samples.keys().any(|k| k.starts_with("hub_queue_depth")), "{base}: the metrics are served");
    }
    assert_eq!(http.get(format!("{base}/health")).send().await.unwrap().status(), 200, "{base}: /health is open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_only_the_bearer_of_the_metrics_token_on_the_api_and_on_a_worker() {
    let mut env = Env::new(Backend::Sqlite).await;
    env.toml = env.toml.replace("[server]\n", &format!("[server]\nmetrics_token = \"{METRICS_TOKEN}\"\n"));
    let api = env.spawn(Mode::Api).await;
    only_the_metrics_token_opens_metrics(&api.base).await;
    api.stop().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = env.dir.join("worker.log");
    let _worker = KillOnDrop(
        Command::new(binary("hub-worker"))
            .env("HUB_CONFIG", env.config_file())
            .env("HUB_WORKER__LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "debug")
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    eventually(20, "the worker answers /health", || async {
        reqwest::get(format!("{base}/health")).await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    only_the_metrics_token_opens_metrics(&base).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.is_empty() && !text.contains(METRICS_TOKEN), "the token is never logged");
}

/// The dashboard's login form posted with `token`, without following the redirect.
async fn log_in(browser: &reqwest::Client, base: &str, token: &str) -> reqwest::Response {
    browser
        .post(format!("{base}/dashboard/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_dashboard_logins_are_limited_answered_429_and_logged_with_the_address_but_no_token() {
    let env = Env::new(Backend::Sqlite).await;
    let config = env.dir.join("login.toml");
    std::fs::write(&config, env.toml.replace("[server]\n", &format!("[server]\nadmin_token = \"{ADMIN_TOKEN}\"\n")))
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = env.dir.join("api.log");
    let _api = KillOnDrop(
        Command::new(binary("hub-api"))
            .env("HUB_CONFIG", &config)
            .env("HUB_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    eventually(20, "the API answers", || async {
        reqwest::get(format!("{base}/health")).await.is_ok_and(|r| r.status() == 200)
    })
    .await;

    // 300 wrong tokens at once, from one address.
    let browser = no_redirects();
    let wrong: Vec<String> = (0..300).map(|i| format!("wrong-token-{i:04}-abcdef")).collect();
    let answers = futures::future::join_all(wrong.iter().map(|token| log_in(&browser, &base, token))).await;
    let refused =
        answers.iter().filter(|r| r.status() == 303 && r.headers()["location"] == "/dashboard/login?failed=1").count();
    let limited: Vec<&reqwest::Response> = answers.iter().filter(|r| r.status() == 429).collect();
    assert_eq!(refused + limited.len(), 300, "every attempt is refused, as wrong or as too many");
    assert!((1..=6).contains(&refused), "only the first few wrong tokens are even compared: {refused}");
    for r in &limited {
        let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    let page = answers.into_iter().find(|r| r.status() == 429).unwrap();
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Too many failed logins"));

    // While the address is limited, even the right token is not looked at.
    let right = log_in(&browser, &base, ADMIN_TOKEN).await;
    assert_eq!(right.status(), 429, "the right token after 300 wrong ones is refused");
    assert!(right.headers().get("set-cookie").is_none());
    assert!(right.headers().contains_key("retry-after"));

    // Each wrong token is logged with the address it came from; no token is ever logged.
    eventually(10, "the failed logins are logged", || async {
        std::fs::read_to_string(&log).unwrap().lines().filter(|l| l.contains("dashboard login refused")).count()
            >= refused
    })
    .await;
    let text = std::fs::read_to_string(&log).unwrap();
    let failed: Vec<&str> = text.lines().filter(|l| l.contains("dashboard login refused")).collect();
    assert!(failed.iter().all(|l| l.contains("127.0.0.1")), "{failed:?}");
    assert!(!text.contains("wrong-token-") && !text.contains(ADMIN_TOKEN), "no token in the log:\n{text}");
}

async fn a_cookie_captured_before_logout_is_refused_after_it(backend: Backend) {
    let env = Env::new(backend).await;
    let admin = |s: &mut Settings| s.server.admin_token = Some(Secret::new(ADMIN_TOKEN));
    // Two API processes behind one load balancer: each request may land on either.
    let one = env.spawn_with(Mode::Api, admin).await;
    let two = env.spawn_with(Mode::Api, admin).await;
    let browser = no_redirects();
    let session = |r: reqwest::Response| {
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/dashboard");
        r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
    };
    let get = |base: String, path: &'static str, cookie: String| {
        let b = browser.clone();
        async move { b.get(format!("{base}{path}")).header("cookie", cookie).send().await.unwrap() }
    };

    let cookie = session(log_in(&browser, &one.base, ADMIN_TOKEN).await);
    let jobs = get(two.base.clone(), "/dashboard/jobs", cookie.clone()).await;
    assert_eq!(jobs.status(), 200, "a session opened on one process is valid on the other");
    let form = csrf_of(&jobs.text().await.unwrap());

    let out = browser
        .post(format!("{}/dashboard/logout", two.base))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={form}"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/dashboard/login");
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));

    // The cookie captured before the logout opens nothing any more, on either process.
    for base in [&one.base, &two.base] {
        for path in ["/dashboard", "/dashboard/jobs", "/dashboard/stores", "/dashboard/orders"] {
            let r = get(base.clone(), path, cookie.clone()).await;
            assert_eq!(r.status(), 303, "{base}{path} after logout");
            assert_eq!(r.headers()["location"], "/dashboard/login");
        }
        let retry = browser
            .post(format!("{base}/dashboard/jobs/1/retry"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={form}"))
            .send()
            .await
            .unwrap();
        assert_eq!(retry.status(), 303, "{base}: a form of the ended session does nothing");
        assert_eq!(retry.headers()["location"], "/dashboard/login");
    }

    // Another session is untouched by that logout, and still ends with its time.
    let other = session(log_in(&browser, &two.base, ADMIN_TOKEN).await);
    assert_eq!(get(one.base.clone(), "/dashboard", other.clone()).await.status(), 200);
    expire_every_dashboard_session(&one).await;
    assert_eq!(get(one.base.clone(), "/dashboard", other.clone()).await.status(), 303, "expired on the server");
    one.stop().await;
    two.stop().await;
}

/// Moves every dashboard session's end into the past, as time would.
async fn expire_every_dashboard_session(app: &TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE dashboard_sessions SET expires_at_us = 1".to_owned(),
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_captured_before_logout_is_refused_after_it_on_sqlite() {
    a_cookie_captured_before_logout_is_refused_after_it(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_captured_before_logout_is_refused_after_it_on_every_api_process_on_mariadb() {
    a_cookie_captured_before_logout_is_refused_after_it(Backend::MariaDbRedis).await;
}

/// The wait the dashboard and `/metrics` show is the time a job spent queued, not queued plus running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_wait_ends_when_its_run_starts() {
    let retail = Simulator::start(SimConfig::default()).await.unwrap();
    let product = retail.seed_product("WAIT-0001", "Slow mug", "5.00", 0);
    let env = Env::new(Backend::Sqlite).await;
    let app = env.spawn_with(Mode::All, |s| wire(s, &retail)).await;
    // A slow shop: the sync's three calls (look-up, stock rows, stock write) take over a second.
    retail.set_latency(Duration::from_millis(400));
    let body = product_event(&new_id(), "WAIT-0001", "10.00", 42, "2026-11-27T10:00:00Z");
    assert_eq!(app.post("/api/sync/product", Some(SOURCE_KEY), &body).await.status(), 202);
    eventually(30, "retail-1 synced", || async { retail.product_state(product).is_some_and(|s| s.2 == 42) }).await;
    let runs = "SELECT COUNT(*) FROM job_runs WHERE job = 'sync_product_to_store' AND outcome = 'succeeded'";
    eventually(10, "the sync's run recorded", || async { app.count(runs).await >= 1 }).await;
    let slow = app.count(&format!("{runs} AND duration_ms >= 1000")).await;
    assert!(slow >= 1, "the premise: a run of over a second");
    let counted_its_run = app.count(&format!("{runs} AND wait_ms >= duration_ms")).await;
    assert_eq!(counted_its_run, 0, "a wait that includes the job's own run time");
    app.stop().await;
}

/// `env`'s TOML with the wholesaler's Webservice on `source` (and its signing secret when given), for
/// `hub stores check`.
fn config_with_source(env: &Env, url: &str, key: &str, secret: Option<&str>) -> std::path::PathBuf {
    let secret = secret.map(|s| format!("signing_secret = \"{s}\"\n")).unwrap_or_default();
    let toml = env.toml.replace(
        &format!("api_key = \"{SOURCE_KEY}\"\n"),
        &format!("api_key = \"{SOURCE_KEY}\"\n{secret}[stores.webservice]\nurl = \"{url}\"\nkey = \"{key}\"\n"),
    );
    let path = env.dir.join(format!("hub-{}.toml", unique("s")));
    std::fs::write(&path, toml).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_check_asks_the_source_connector_with_the_hubs_key_and_signature() {
    let env = Env::new(Backend::Sqlite).await;
    let source = |key: Option<&str>, secret: Option<&str>| {
        let config = SimConfig {
            connector_key: key.map(str::to_owned),
            connector_secret: secret.map(str::to_owned),
            ..SimConfig::default()
        };
        async move { Simulator::start(config).await.unwrap() }
    };
    let check = |sim: &Simulator, secret: Option<&str>| {
        hub(&config_with_source(&env, &sim.base_url(), &sim.key(), secret), &["stores", "check"])
    };
    let connector_line = |out: &str| {
        out.lines().find(|l| l.starts_with("wholesaler") && l.contains("carttotal")).unwrap_or_default().to_owned()
    };

    // The module holds the hub's key and secret: accepted.
    let good = source(Some(SOURCE_KEY), Some(SIGNING_SECRET)).await;
    let (code, out) = check(&good, Some(SIGNING_SECRET));
    assert_eq!(code, 0, "{out}");
    assert!(connector_line(&out).contains("ok: carttotal accepts the hub's key and signature"), "{out}");
    assert_eq!(good.requests().iter().filter(|r| r.resource() == "carttotal").count(), 1);

    // The hub signs with no secret, or another one: refused.
    for secret in [None, Some("another-signing-secret-0123")] {
        let (code, out) = check(&good, secret);
        assert_eq!(code, 1, "{out}");
        assert!(connector_line(&out).contains("FAILED: carttotal refused the hub's key or signature"), "{out}");
        assert!(!out.contains(SIGNING_SECRET) && !out.contains(SOURCE_KEY), "no secret shown: {out}");
    }

    // The module holds another key: refused, and neither key is shown.
    let other = source(Some("the-modules-own-key-0123456789"), None).await;
    let (code, out) = check(&other, None);
    assert_eq!(code, 1, "{out}");
    assert!(connector_line(&out).contains("refused"), "{out}");
    assert!(!out.contains(SOURCE_KEY) && !out.contains("the-modules-own-key"), "no key shown: {out}");

    // No module on the shop, or no shop at all.
    let bare = source(None, None).await;
    let (code, out) = check(&bare, None);
    assert_eq!(code, 1, "{out}");
    assert!(connector_line(&out).contains("carttotal not found (404)"), "{out}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (code, out) = hub(
        &config_with_source(&env, &format!("http://{closed}"), "HUBKEY0123456789ABCDEFGHIJKLMNOP", None),
        &["stores", "check"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(connector_line(&out).contains("carttotal unreachable"), "{out}");
}
