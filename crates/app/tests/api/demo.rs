//! The first ten minutes: `hub` with the repository's demo `hub.toml` starts two simulated shops, and the
//! README's quick start, run as written, shows a sync and an order happen.

use std::{
    io::Read,
    path::Path,
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::{helpers::*, instances::free_port};

/// One `curl` of the README's quick start that posts to the hub: its path, key and body, verbatim.
struct Sample {
    path: String,
    key: String,
    body: String,
}

/// The webhook samples of the README's quick start, in order.
fn readme_samples(readme: &str) -> Vec<Sample> {
    let start = readme.find("## Quick start").expect("a quick start");
    let end = readme[start..].find("\n## ").map_or(readme.len(), |i| start + i);
    let mut samples = Vec::new();
    let mut lines = readme[start..end].lines();
    while let Some(line) = lines.next() {
        let Some(at) = line.find("http://127.0.0.1:8080/api/sync/").filter(|_| line.starts_with("curl")) else {
            continue;
        };
        let path = line[at + "http://127.0.0.1:8080".len()..].split_whitespace().next().unwrap().to_owned();
        let mut command = String::new();
        for next in lines.by_ref() {
            command.push_str(next);
            command.push('\n');
            if next.trim_end().ends_with("}}'") {
                break;
            }
        }
        let key = command.split("X-API-KEY: ").nth(1).unwrap().split('\'').next().unwrap().to_owned();
        let body = command.split("-d '").nth(1).unwrap().trim_end().trim_end_matches('\'').to_owned();
        samples.push(Sample { path, key, body });
    }
    samples
}

/// `GET` on a simulated shop's Webservice with its key, as JSON.
async fn shop_get(http: &reqwest::Client, base: &str, key: &str, path: &str) -> Value {
    http.get(format!("{base}/api/{path}")).basic_auth(key, Some("")).send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_quick_start_runs_as_written() {
    init();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let samples = readme_samples(&readme);
    assert_eq!(samples.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(), ["/api/sync/product", "/api/sync/order"]);

    // The demo configuration as shipped, on free ports (a developer's own `make run` may hold the usual ones).
    let (api, source, retailer) = (free_port(), free_port(), free_port());
    let toml = std::fs::read_to_string(root.join("hub.toml"))
        .unwrap()
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{api}"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{source}"))
        .replace("127.0.0.1:8082", &format!("127.0.0.1:{retailer}"));
    let key_of = |url: &str| {
        let line = toml.lines().find(|l| l.contains(url)).unwrap();
        line.split("key = \"").nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let (source_url, retailer_url) = (format!("http://127.0.0.1:{source}"), format!("http://127.0.0.1:{retailer}"));
    let (source_key, retailer_key) = (key_of(&source_url), key_of(&retailer_url));
    let dir = std::env::temp_dir().join(unique("hub-demo-"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hub.toml"), &toml).unwrap();
    let mut hub = KillOnDrop(
        Command::new(binary("hub"))
            .current_dir(&dir)
            .env_remove("HUB_CONFIG")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the hub binary (cargo build --bins)"),
    );
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{api}");
    eventually(60, "the demo answers", || async {
        http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;

    let post = |s: &Sample| {
        http.post(format!("{base}{}", s.path))
            .header("Content-Type", "application/json")
            .header("X-API-KEY", &s.key)
            .body(s.body.clone())
            .send()
    };
    let r = post(&samples[0]).await.unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "queued");
    let query = "products?filter[reference]=[WHS-0001]&display=[id,reference,price]&output_format=JSON";
    eventually(20, "the retailer shows 11.90 + 30 %", || async {
        shop_get(&http, &retailer_url, &retailer_key, query).await["products"][0]["price"] == "15.470000"
    })
    .await;
    let stock = "stock_availables?filter[id_product]=[1]&display=[quantity]&output_format=JSON";
    eventually(20, "the retailer shows 300 in stock", || async {
        shop_get(&http, &retailer_url, &retailer_key, stock).await["stock_availables"][0]["quantity"] == "300"
    })
    .await;

    let r = post(&samples[1]).await.unwrap();
    assert_eq!(r.status(), 202);
    eventually(30, "the order is created on the wholesaler", || async {
        let link: Value = http
            .get(format!("{base}/api/orders/retailer-1/42"))
            .header("X-API-KEY", &samples[1].key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_default();
        link["status"] == "created"
    })
    .await;
    let orders = "orders?display=[id,current_state,valid,total_paid_tax_incl]&output_format=JSON";
    let on_source = shop_get(&http, &source_url, &source_key, orders).await;
    let on_source = on_source["orders"].as_array().unwrap();
    assert_eq!(on_source.len(), 1, "exactly one order on the wholesaler: {on_source:?}");
    assert_eq!((on_source[0]["valid"].as_str(), on_source[0]["current_state"].as_str()), (Some("1"), Some("11")));
    eventually(20, "the stock the order took flows back to the retailer", || async {
        shop_get(&http, &retailer_url, &retailer_key, stock).await["stock_availables"][0]["quantity"] == "298"
    })
    .await;
    // Sent again, each is a duplicate and nothing more happens.
    for s in &samples {
        assert_eq!(post(s).await.unwrap().json::<Value>().await.unwrap()["status"], "duplicate");
    }

    hub.kill().unwrap();
    hub.wait().unwrap();
    let mut out = String::new();
    hub.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    hub.stderr.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(out.contains("Fulfillment Hub demo") && out.contains(&retailer_url), "it says where things are: {out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "no ERROR line in a normal demo run: {errors:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}
