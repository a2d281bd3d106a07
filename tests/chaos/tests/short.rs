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
    let first = |items: Vec<String>| items.into_iter().next().unwrap_or_default();
    let e = &report.events;
    assert_eq!(
        e.lost(),
        0,
        "accepted events lost, e.g. {}",
        first(
            e.failed
                .iter()
                .map(|(id, error)| format!("{id} failed: {error}"))
                .chain(e.pending.iter().map(|(id, status)| format!("{id} still {status}")))
                .chain(e.missing.iter().map(|id| format!("{id} not in the inbox")))
                .collect()
        )
    );
    assert_eq!(e.queued_twice.len(), 0, "events accepted as new twice");
    let wrong = |c: &hub_chaos::checks::ProductCheck| c.wrong.iter().map(ToString::to_string).collect();
    assert_eq!(report.products.wrong.len(), 0, "wrong client products, e.g. {}", first(wrong(&report.products)));
    assert_eq!(
        report.ordered_products.wrong.len(),
        0,
        "wrong client products (ordered SKUs), e.g. {}",
        first(wrong(&report.ordered_products))
    );
    let o = &report.orders;
    assert_eq!(o.missing.len(), 0, "retailer orders missing on the source, e.g. {}", first(o.missing.clone()));
    assert_eq!(o.duplicated.len(), 0, "retailer orders duplicated on the source: {:?}", o.duplicated);
    assert_eq!(o.orphan_carts.len() + o.orphan_addresses.len(), 0, "orphan carts and addresses on the source");
    assert_eq!(
        report.failed_without_record.len(),
        0,
        "failed jobs without a record: {:?}",
        report.failed_without_record
    );
    assert!(report.passed(), "{:?}", report.problems());
}
