//! The Webservice gateway against the PrestaShop simulator: lookups, writes that touch nothing else,
//! failure classification, the circuit breaker and the caps.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use hub_domain::{
    GatewayError, Money, Secret, Sku, StoreCode,
    catalog::{Lookup, StoreGateway},
};
use hub_prestashop::{Circuit, StoreLimits, WebserviceGateway, WebserviceTarget};
use prestashop_sim::{Failure, SimConfig, Simulator};
use reqwest::Method;

fn store() -> StoreCode {
    StoreCode::parse("retail-1").unwrap()
}

async fn setup(limits: StoreLimits) -> (Simulator, WebserviceGateway) {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let gw = WebserviceGateway::new(vec![WebserviceTarget {
        store: store(),
        url: sim.base_url(),
        key: Secret::new(sim.key()),
        limits,
        language_id: 1,
    }])
    .unwrap();
    (sim, gw)
}

async fn full(gw: &WebserviceGateway, path: &str) -> String {
    gw.client(&store()).unwrap().send(Method::GET, path, &[], None).await.unwrap().body
}

/// The XML with the given top-level fields of the object blanked out (to compare the rest).
fn without(xml_body: &str, fields: &[&str]) -> String {
    let mut out = xml_body.to_owned();
    for f in fields {
        if let (Some(a), Some(b)) = (out.find(&format!("<{f}")), out.find(&format!("</{f}>"))) {
            out.replace_range(a..b + f.len() + 3, "");
        }
    }
    out
}

#[tokio::test]
async fn a_reference_finds_its_one_product_with_its_stock_rows() {
    let (sim, gw) = setup(StoreLimits::default()).await;
    let id = sim.seed_product("WHS-0001", "Mug", "9.000000", 7);
    match gw.find_by_reference(&store(), &Sku::parse("whs-0001").unwrap()).await.unwrap() {
        Lookup::Found(p) => {
            assert_eq!(p.id, id);
            assert_eq!(p.price, Money::parse("9").unwrap());
            assert!(p.active);
            // A simple product: its one stock row comes with it, in one call, its quantity unread.
            assert_eq!(p.stock.len(), 1);
            assert_eq!(p.stock[0].combination_id, 0);
            assert!(!p.stock_read);
            let calls: Vec<String> = sim.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
            assert_eq!(calls, ["GET /api/products"], "one call");
            assert_eq!(sim.stock_row(id, 0), Some(p.stock[0].id), "the product's own row");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(gw.find_by_reference(&store(), &Sku::parse("NOPE").unwrap()).await.unwrap(), Lookup::NotFound);
}

#[tokio::test]
async fn a_reference_shared_by_two_products_is_ambiguous() {
    let (sim, gw) = setup(StoreLimits::default()).await;
    let a = sim.seed_product("DUP-1", "Mug", "1", 0);
    let b = sim.seed_product("DUP-1", "Mug", "1", 0);
    assert_eq!(
        gw.find_by_reference(&store(), &Sku::parse("DUP-1").unwrap()).await.unwrap(),
        Lookup::Ambiguous(vec![a, b])
    );
}

#[tokio::test]
async fn writes_change_the_synced_fields_and_nothing_else() {
    let (sim, gw) = setup(StoreLimits::default()).await;
    let id = sim.seed_product("KEEP-1", "Mug", "9.000000", 5);
    let Lookup::Found(p) = gw.find_by_reference(&store(), &Sku::parse("KEEP-1").unwrap()).await.unwrap() else {
        panic!()
    };
    let product_before = full(&gw, &format!("products/{id}")).await;
    let row_before = full(&gw, &format!("stock_availables/{}", p.stock[0].id)).await;

    gw.set_price_and_active(&store(), id, &Money::parse("13.00").unwrap(), false).await.unwrap();
    gw.set_stock(&store(), id, &p.stock[0], 42).await.unwrap();

    let product_after = full(&gw, &format!("products/{id}")).await;
    let row_after = full(&gw, &format!("stock_availables/{}", p.stock[0].id)).await;
    assert!(product_after.contains("<price><![CDATA[13.000000]]></price>"), "{product_after}");
    assert!(product_after.contains("<active><![CDATA[0]]></active>"));
    assert!(row_after.contains("<quantity><![CDATA[42]]></quantity>"));
    assert_eq!(
        without(&product_before, &["price", "active", "date_upd"]),
        without(&product_after, &["price", "active", "date_upd"])
    );
    assert_eq!(without(&row_before, &["quantity"]), without(&row_after, &["quantity"]));
}

#[tokio::test]
async fn failures_are_classified_retryable_gone_or_permanent() {
    let (sim, gw) = setup(StoreLimits { breaker_failures: 100, ..StoreLimits::default() }).await;
    let sku = Sku::parse("X-1").unwrap();
    for status in [500, 503, 429] {
        sim.inject(Failure::status(status).times(1));
        assert!(matches!(gw.find_by_reference(&store(), &sku).await, Err(GatewayError::Retryable(_))), "{status}");
    }
    sim.inject(Failure::new(prestashop_sim::FailureKind::Drop).times(1));
    assert!(matches!(gw.find_by_reference(&store(), &sku).await, Err(GatewayError::Retryable(_))));
    let row = hub_domain::catalog::RemoteStockRow { id: 999, combination_id: 0, quantity: 0 };
    assert!(matches!(gw.set_stock(&store(), 1, &row, 3).await, Err(GatewayError::Gone(_))));
    // A bad key is a configuration problem: retrying cannot fix it.
    let bad = WebserviceGateway::new(vec![WebserviceTarget {
        store: store(),
        url: sim.base_url(),
        key: Secret::new("WRONGKEY0123456789ABCDEFGHIJKLMN"),
        limits: StoreLimits::default(),
        language_id: 1,
    }])
    .unwrap();
    match bad.find_by_reference(&store(), &sku).await {
        Err(GatewayError::Permanent(m)) => {
            assert!(m.contains("401"), "{m}");
            assert!(!m.contains("WRONGKEY"), "no key in errors: {m}");
        }
        other => panic!("{other:?}"),
    }
    let unknown = StoreCode::parse("nowhere").unwrap();
    assert!(matches!(gw.find_by_reference(&unknown, &sku).await, Err(GatewayError::Permanent(_))));
}

#[tokio::test]
async fn a_failing_store_opens_the_circuit_and_costs_nothing_until_it_half_opens() {
    let limits = StoreLimits { breaker_failures: 3, breaker_open_secs: 1, ..StoreLimits::default() };
    let (sim, gw) = setup(limits).await;
    let sku = Sku::parse("X-1").unwrap();
    sim.inject(Failure::status(503).for_duration(Duration::from_secs(60)));
    for _ in 0..3 {
        assert!(gw.find_by_reference(&store(), &sku).await.is_err());
    }
    assert_eq!(gw.circuits()[0].1, Circuit::Open);
    sim.clear_requests();
    for _ in 0..20 {
        assert!(matches!(gw.find_by_reference(&store(), &sku).await, Err(GatewayError::Retryable(_))));
    }
    assert_eq!(sim.requests().len(), 0, "an open circuit sends nothing");
    sim.clear_failures();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(gw.circuits()[0].1, Circuit::HalfOpen);
    assert_eq!(gw.find_by_reference(&store(), &sku).await.unwrap(), Lookup::NotFound);
    assert_eq!(gw.circuits()[0].1, Circuit::Closed);
}

#[tokio::test]
async fn the_concurrency_cap_holds_requests_back() {
    let limits = StoreLimits { concurrency: 2, rate_per_sec: 0.0, ..StoreLimits::default() };
    let (sim, gw) = setup(limits).await;
    sim.set_latency(Duration::from_millis(100));
    let (sku, code) = (Sku::parse("X-1").unwrap(), store());
    let started = Instant::now();
    let calls = (0..6).map(|_| gw.find_by_reference(&code, &sku));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    // 6 requests of 100 ms, 2 at a time: at least 3 rounds.
    assert!(started.elapsed() >= Duration::from_millis(290), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_rate_cap_spaces_requests_out() {
    let limits = StoreLimits { rate_per_sec: 20.0, ..StoreLimits::default() };
    let (_sim, gw) = setup(limits).await;
    let (sku, code) = (Sku::parse("X-1").unwrap(), store());
    let started = Instant::now();
    let results = futures::future::join_all((0..11).map(|_| gw.find_by_reference(&code, &sku))).await;
    assert!(results.iter().all(Result::is_ok));
    // 11 requests at 20/s: the last leaves 500 ms after the first.
    assert!(started.elapsed() >= Duration::from_millis(490), "{:?}", started.elapsed());
}
