//! The report: what was sent and answered, the fault timeline, how long the hub took to settle, and every
//! loss, duplicate, orphan or wrong product the checks found; printed as a table, and the reasons the run
//! fails.

use std::{fmt, path::PathBuf, time::Duration};

use crate::{
    checks::{EventCheck, FailedJob, OrderCheck, ProductCheck},
    faults::Entry,
    observe::{Settled, Snapshot},
    sender::SenderStats,
};

/// Sizes of the run.
#[derive(Debug, Clone, Default)]
pub struct Size {
    /// Distinct product events.
    pub events: usize,
    /// Distinct retailer orders.
    pub orders: usize,
    /// Product SKUs.
    pub skus: usize,
    /// Ordered SKUs.
    pub order_skus: usize,
    /// Deliveries in the load.
    pub deliveries: usize,
    /// Product events delivered late.
    pub late: usize,
    /// Product events sent twice.
    pub product_resends: usize,
    /// Orders sent twice.
    pub order_resends: usize,
}

/// Everything a run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Sizes.
    pub size: Size,
    /// What the senders saw.
    pub sender: SenderStats,
    /// Set-up time (servers, shops, migrations, first states).
    pub setup: Duration,
    /// How long the load took (since its start).
    pub load: Duration,
    /// When the faults stopped (since the load's start).
    pub faults_stopped: Duration,
    /// How the wait for quiescence ended.
    pub settled: Settled,
    /// When the hub reached its final state (quiet, or where it stalled), since the load's start.
    pub settled_at: Duration,
    /// When the wait ended.
    pub waited_until: Duration,
    /// The hub's state then.
    pub final_state: Snapshot,
    /// The faults, in order.
    pub timeline: Vec<Entry>,
    /// Accepted events.
    pub events: EventCheck,
    /// Products no order buys.
    pub products: ProductCheck,
    /// Products the orders buy.
    pub ordered_products: ProductCheck,
    /// Orders.
    pub orders: OrderCheck,
    /// `failed_jobs`.
    pub failed_jobs: Vec<FailedJob>,
    /// Events failed for good with no `failed_jobs` row.
    pub failed_without_record: Vec<String>,
    /// The work directory, when kept.
    pub work_dir: Option<PathBuf>,
}

impl Report {
    /// Every reason the run fails; empty when it passes.
    pub fn problems(&self) -> Vec<String> {
        let e = &self.events;
        let o = &self.orders;
        let mut p = Vec::new();
        let mut add = |n: usize, what: &str| {
            if n > 0 {
                p.push(format!("{n} {what}"));
            }
        };
        add(e.lost(), "accepted events not processed (lost)");
        add(e.queued_twice.len(), "events answered `queued` twice (accepted as new twice: the inbox lost one?)");
        add(e.refused.len(), "deliveries refused with a 4xx");
        add(e.gave_up.len(), "deliveries never accepted (the sender gave up)");
        add(self.products.wrong.len(), "wrong client products (SKUs no order buys)");
        add(self.ordered_products.wrong.len(), "wrong client products (ordered SKUs)");
        add(o.missing.len(), "retailer orders missing on the source");
        add(o.duplicated.len(), "retailer orders duplicated on the source");
        add(o.unexpected.len(), "source orders matching no retailer order");
        add(o.orphan_carts.len(), "orphan carts on the source");
        add(o.orphan_addresses.len(), "orphan addresses on the source");
        add(o.stock_wrong.len(), "ordered SKUs with a wrong source stock");
        add(self.failed_without_record.len(), "failed jobs without a failed_jobs record");
        if self.final_state.queues.is_none_or(|q| q.waiting > 0 || q.in_flight > 0) {
            p.push(format!("queues not empty at the end ({})", self.final_state.brief()));
        }
        p
    }

    /// Whether the run passed.
    pub fn passed(&self) -> bool {
        self.problems().is_empty()
    }
}

/// `12,345`.
fn n(x: impl Into<u128>) -> String {
    let digits = x.into().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}.{}", s / 60, s % 60, d.subsec_millis() / 100)
}

fn some<T: fmt::Display>(f: &mut fmt::Formatter<'_>, title: &str, items: &[T]) -> fmt::Result {
    const SHOWN: usize = 8;
    if items.is_empty() {
        return Ok(());
    }
    writeln!(f, "    {title}:")?;
    for item in items.iter().take(SHOWN) {
        writeln!(f, "      {item}")?;
    }
    if items.len() > SHOWN {
        writeln!(f, "      … and {} more", items.len() - SHOWN)?;
    }
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, k: &str, v: String| writeln!(f, "  {k:<48} {v}");
        let (s, e, o) = (&self.sender, &self.events, &self.orders);
        writeln!(f, "== hub-chaos report ==========================================================")?;
        writeln!(f, "load")?;
        row(
            f,
            "product events (distinct)",
            format!(
                "{} on {} SKUs ({} delivered late, {} re-sent)",
                n(self.size.events as u64),
                self.size.skus,
                n(self.size.late as u64),
                n(self.size.product_resends as u64)
            ),
        )?;
        row(
            f,
            "retailer orders (distinct)",
            format!(
                "{} on {} SKUs ({} re-sent)",
                n(self.size.orders as u64),
                self.size.order_skus,
                n(self.size.order_resends as u64)
            ),
        )?;
        row(f, "deliveries / HTTP requests", format!("{} / {}", n(self.size.deliveries as u64), n(s.requests)))?;
        row(f, "answered 202 queued / 202 duplicate", format!("{} / {}", n(s.queued), n(s.duplicate)))?;
        row(f, "503s / other retried answers seen", format!("{} / {}", n(s.unavailable), n(s.other_retryable)))?;
        row(f, "connection errors and timeouts seen", n(s.connection_errors))?;
        row(f, "refused (4xx) / given up", format!("{} / {}", e.refused.len(), e.gave_up.len()))?;
        writeln!(f, "timing")?;
        row(f, "set-up", format!("{:.1} s", self.setup.as_secs_f64()))?;
        row(f, "load (from t=0)", clock(self.load))?;
        row(f, "faults stopped at", clock(self.faults_stopped))?;
        let after = self.settled_at.saturating_sub(self.faults_stopped).as_secs_f64();
        let quiescence = match self.settled {
            Settled::Quiet => format!("quiet at {} ({after:.1} s after the faults stopped)", clock(self.settled_at)),
            Settled::Stalled => format!(
                "NOT REACHED: nothing moved after {} ({after:.1} s after the faults stopped); waited until {}",
                clock(self.settled_at),
                clock(self.waited_until)
            ),
            Settled::Deadline => format!(
                "NOT REACHED by the deadline at {} (last change at {})",
                clock(self.waited_until),
                clock(self.settled_at)
            ),
        };
        row(f, "quiescence", quiescence)?;
        row(f, "hub state then", self.final_state.brief())?;
        writeln!(f, "fault timeline")?;
        for entry in &self.timeline {
            writeln!(f, "  {:>8}  {}", clock(entry.at), entry.what)?;
        }
        writeln!(f, "events")?;
        row(f, "accepted (+ stored without a 202)", format!("{} (+ {})", n(e.accepted as u64), e.stored_without_202))?;
        row(f, "processed", n(e.processed as u64))?;
        row(
            f,
            "LOST: failed / still pending / not in the inbox",
            format!("{} / {} / {}", e.failed.len(), e.pending.len(), e.missing.len()),
        )?;
        row(f, "answered `queued` twice", e.queued_twice.len().to_string())?;
        some(f, "failed", &e.failed.iter().map(|(id, err)| format!("{id}: {err}")).collect::<Vec<_>>())?;
        some(f, "pending", &e.pending.iter().map(|(id, st)| format!("{id}: {st}")).collect::<Vec<_>>())?;
        some(f, "not in the inbox", &e.missing)?;
        some(f, "answered queued twice", &e.queued_twice)?;
        some(f, "refused", &e.refused.iter().map(|(id, a)| format!("{id}: {a}")).collect::<Vec<_>>())?;
        writeln!(f, "client products")?;
        row(
            f,
            "SKUs no order buys: wrong / checked",
            format!("{} / {}", self.products.wrong.len(), self.products.checked),
        )?;
        some(f, "wrong", &self.products.wrong)?;
        row(
            f,
            "ordered SKUs: wrong / checked",
            format!("{} / {}", self.ordered_products.wrong.len(), self.ordered_products.checked),
        )?;
        some(f, "wrong", &self.ordered_products.wrong)?;
        writeln!(f, "orders")?;
        row(
            f,
            "retailer orders accepted / source orders",
            format!("{} / {}", n(o.expected as u64), n(o.source_orders as u64)),
        )?;
        row(
            f,
            "missing / duplicated / unexpected",
            format!("{} / {} / {}", o.missing.len(), o.duplicated.len(), o.unexpected.len()),
        )?;
        row(f, "orphan carts / orphan addresses", format!("{} / {}", o.orphan_carts.len(), o.orphan_addresses.len()))?;
        row(f, "ordered SKUs with a wrong source stock", o.stock_wrong.len().to_string())?;
        some(f, "missing", &o.missing)?;
        some(f, "duplicated", &o.duplicated.iter().map(|(k, c)| format!("{k} ×{c}")).collect::<Vec<_>>())?;
        some(f, "unexpected", &o.unexpected)?;
        some(f, "orphan carts", &o.orphan_carts)?;
        some(f, "orphan addresses", &o.orphan_addresses)?;
        some(f, "source stock", &o.stock_wrong)?;
        writeln!(f, "failed jobs")?;
        row(f, "failed_jobs rows", self.failed_jobs.len().to_string())?;
        row(f, "failed events without a failed_jobs row", self.failed_without_record.len().to_string())?;
        some(
            f,
            "failed_jobs",
            &self
                .failed_jobs
                .iter()
                .map(|j| {
                    format!("#{} {} {} ({} attempts, {}): {}", j.id, j.job, j.subject, j.attempts, j.status, j.error)
                })
                .collect::<Vec<_>>(),
        )?;
        some(f, "without a record", &self.failed_without_record)?;
        if let Some(dir) = &self.work_dir {
            writeln!(f, "work directory kept: {} (process logs in logs/)", dir.display())?;
        }
        let problems = self.problems();
        if problems.is_empty() {
            writeln!(f, "RESULT: PASSED — nothing lost, nothing duplicated, no orphan, every product right")
        } else {
            writeln!(f, "RESULT: FAILED")?;
            for p in problems {
                writeln!(f, "  - {p}")?;
            }
            Ok(())
        }
    }
}
