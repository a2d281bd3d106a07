//! The short chaos run, in CI: 2,000 product events and 200 orders through every fault; nothing accepted
//! may be lost or duplicated, no orphan left on the source, every client product right. Needs the hub's
//! binaries (`cargo build --workspace --bins`) and MariaDB's and Redis's programs, like `make test`.

use hub_chaos::{Scenario, report::Report};

fn saw(report: &Report, fault: &str) -> bool {
    report.timeline.iter().any(|e| e.what.contains(fault))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_chaos_run_loses_nothing_duplicates_nothing_and_leaves_every_product_right() {
    let mut scenario = Scenario::short();
    scenario.keep_dir = std::env::var_os("CHAOS_KEEP_DIR").is_some();
    let report = hub_chaos::run(&scenario).await.expect("the scenario runs");
    eprintln!("{report}");

    for fault in [
        "SIGKILL hub-worker-",
        "SIGKILL hub-api-1",
        "SIGKILL redis-server (append-only file on)",
        "redis-server restarted EMPTY",
        "SIGKILL mariadbd during the ingest",
        "SIGKILL mariadbd while the workers process",
        "retail-2 answers 503",
        "retail-2 stalls 3 s",
        "retail-2 drops connections",
        "retail-2 processes requests, then drops",
    ] {
        assert!(saw(&report, fault), "the run went through `{fault}`");
    }
    assert!(report.events.accepted >= 2_000 + 200, "every delivery was accepted");
    assert_eq!(report.events.lost(), 0, "accepted events lost");
    assert!(report.events.queued_twice.is_empty(), "accepted events forgotten by the inbox");
    assert!(report.products.wrong.is_empty(), "wrong client products");
    assert!(report.ordered_products.wrong.is_empty(), "wrong client products (ordered SKUs)");
    assert!(report.orders.missing.is_empty(), "retailer orders missing on the source");
    assert!(report.orders.duplicated.is_empty(), "retailer orders duplicated on the source");
    assert!(report.orders.orphan_carts.is_empty() && report.orders.orphan_addresses.is_empty(), "orphans");
    assert!(report.failed_without_record.is_empty(), "failed jobs without a record");
    assert!(report.passed(), "{:?}", report.problems());
}
