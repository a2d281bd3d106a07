//! `hub-chaos` (`make chaos`): runs the fault scenario at full size by default, prints the report, and
//! exits 1 when the hub lost, duplicated or got anything wrong (2 when the scenario could not run).

use std::process::ExitCode;

use clap::Parser;
use hub_chaos::Scenario;

/// Runs the hub's fault scenario against private MariaDB and Redis servers and simulated shops, and
/// reports what was lost, duplicated or wrong. Needs the hub's binaries built beside this one
/// (`cargo build --workspace --bins`), and `mariadbd`, `mariadb-install-db`, `mariadb`, `redis-server`
/// and `redis-cli` on the PATH.
#[derive(Debug, Parser)]
#[command(name = "hub-chaos", version)]
struct Args {
    /// Distinct product events to send (full run: 10,000).
    #[arg(long)]
    events: Option<usize>,
    /// Distinct retailer orders to send (full run: 1,000).
    #[arg(long)]
    orders: Option<usize>,
    /// The short CI size (2,000 events, 200 orders, shorter ingest); `--events`/`--orders` still apply.
    #[arg(long)]
    short: bool,
    /// Random seed of the load and of the worker kills.
    #[arg(long)]
    seed: Option<u64>,
    /// How long the load is paced to last, in seconds.
    #[arg(long)]
    ingest_secs: Option<u64>,
    /// Keep the work directory (process logs, database and Redis files) after the run.
    #[arg(long)]
    keep_dir: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut scenario = if args.short { Scenario::short() } else { Scenario::full() };
    scenario.events = args.events.unwrap_or(scenario.events);
    scenario.orders = args.orders.unwrap_or(scenario.orders);
    scenario.seed = args.seed.unwrap_or(scenario.seed);
    scenario.keep_dir = args.keep_dir;
    if let Some(secs) = args.ingest_secs {
        scenario.schedule.ingest = std::time::Duration::from_secs(secs);
    }
    eprintln!(
        "hub-chaos: {} product events, {} orders, ingest over {:?}, seed {}",
        scenario.events, scenario.orders, scenario.schedule.ingest, scenario.seed
    );
    // Ctrl-C drops the run, whose guards kill every process it started and remove its directory.
    let outcome = tokio::select! {
        outcome = hub_chaos::run(&scenario) => outcome,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("hub-chaos: interrupted; everything it started is stopped");
            return ExitCode::from(130);
        }
    };
    match outcome {
        Ok(report) => {
            println!("{report}");
            if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("hub-chaos: the scenario could not run: {e:#}");
            ExitCode::from(2)
        }
    }
}
