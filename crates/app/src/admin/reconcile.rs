//! `hub reconcile [--since <TIME>] [--store <CODE>]`: one reconciliation now (catalogs, and clients'
//! orders the hub never heard of), with progress bars on a terminal (hidden when stdout is not one) and a
//! summary. Refused while another process runs one.

use std::{
    collections::HashMap,
    io::IsTerminal,
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cli::ReconcileArgs;
use crate::{
    Settings,
    reconcile::{ReconcileProgress, Reconciler, RunError, Stage},
};

/// Progress bars, one per stage.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn new() -> Self {
        let target =
            if std::io::stdout().is_terminal() { ProgressDrawTarget::stdout() } else { ProgressDrawTarget::hidden() };
        Self { multi: MultiProgress::with_draw_target(target), bars: Mutex::new(HashMap::new()) }
    }

    fn with_bar(&self, stage: &Stage, f: impl FnOnce(&ProgressBar)) {
        let bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bar) = bars.get(&stage.to_string()) {
            f(bar);
        }
    }
}

impl ReconcileProgress for Bars {
    fn started(&self, stage: &Stage, expected: Option<u64>) {
        let noun = if matches!(stage, Stage::Orders(_)) { "orders" } else { "products" };
        let bar = match expected.filter(|n| *n > 0) {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix:>18}} [{{bar:30}}] {{pos}}/{{len}} {noun} {{per_sec}} {{msg}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template(&format!("{{prefix:>18}} {{spinner}} {{pos}} {noun} {{per_sec}} {{msg}}"))
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        let bar = self.multi.add(bar.with_prefix(stage.to_string()));
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bars.lock().unwrap_or_else(|p| p.into_inner()).insert(stage.to_string(), bar);
    }

    fn advanced(&self, stage: &Stage, products: u64) {
        self.with_bar(stage, |bar| {
            bar.inc(products);
            // A client's length is the source's count, an estimate: grow it rather than overflow.
            if bar.length().is_some_and(|len| bar.position() > len) {
                bar.set_length(bar.position());
            }
        });
    }

    fn finished(&self, stage: &Stage, error: Option<&str>) {
        self.with_bar(stage, |bar| match error {
            None => bar.finish_with_message("done"),
            Some(e) => bar.abandon_with_message(format!("failed: {e}")),
        });
    }
}

/// Runs `hub reconcile` and prints its summary. The caller sets up telemetry as for the other commands.
///
/// # Errors
/// An unreadable `--since` or `--store`, unreachable database, queue or source, a reconciliation running
/// elsewhere, or a client that could not be compared (after the others were).
pub(super) async fn run(settings: Settings, args: &ReconcileArgs) -> anyhow::Result<()> {
    let request = crate::reconcile::request(args.since.as_deref(), args.store.as_deref())?;
    let reconciler = Reconciler::connect(&settings).await?;
    let bars = Bars::new();
    let started = Instant::now();
    let report = match reconciler.run_once(&request, &bars).await {
        Ok(report) => report,
        Err(RunError::Busy(secs)) => {
            anyhow::bail!("another reconciliation is running; try again later (its lease lasts up to {secs} s)")
        }
        Err(RunError::Failed(e)) => return Err(e),
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "reconciled in {secs:.1} s: {} source products ({} skipped), {} states updated; {} client(s) checked, \
         {} client products; {} drifted, {} to link, {} links to check; {} syncs queued",
        report.source_products,
        report.source_skipped,
        report.states_updated,
        report.clients_checked,
        report.client_products,
        report.drifted,
        report.to_link,
        report.to_check,
        report.syncs_queued
    );
    println!(
        "orders: {} listed, {} already linked, {} replicated now (queued), {} handed over before and still \
         queued, {} failed, {} cancellations handed over",
        report.orders_listed,
        report.orders_linked,
        report.orders_queued,
        report.orders_pending,
        report.orders_failed.len(),
        report.order_states_queued
    );
    println!(
        "order statuses: {} source orders compared, {} changed (queued), {} handed over before and still queued",
        report.statuses_checked, report.statuses_queued, report.statuses_pending
    );
    let calls: Vec<String> = report.calls.iter().map(|(store, n)| format!("{store} {n}")).collect();
    println!(
        "cost: {:.1} s, {} Webservice calls ({})",
        report.elapsed.as_secs_f64(),
        report.total_calls(),
        calls.join(", ")
    );
    for (sku, ids) in &report.ambiguous_references {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        println!(
            "ambiguous source reference {sku}: products {} (applied for none; give each its own reference)",
            ids.join(", ")
        );
    }
    for (store, order, reason) in &report.orders_failed {
        eprintln!("order {store}/{order} cannot be replicated: {reason}");
    }
    for (store, reason) in &report.failed_clients {
        eprintln!("client {store} not compared: {reason}");
    }
    if !report.failed_clients.is_empty() {
        anyhow::bail!("{} client(s) could not be compared", report.failed_clients.len());
    }
    if !report.orders_failed.is_empty() {
        anyhow::bail!("{} client order(s) cannot be replicated (see above)", report.orders_failed.len());
    }
    Ok(())
}
