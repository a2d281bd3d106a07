//! `hub replay --since <TIME> [--kind product|order]`: every event received since then processed again
//! (jobs are idempotent, so an order is still created once).

use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hub_domain::EventKind;

use super::{Admin, cli::ReplayArgs, progress};
use crate::settings::Settings;

/// Queues again every event received since `--since` (of `--kind`, or all) and prints how many.
///
/// # Errors
/// An unreadable time or kind; the database or the queue cannot be reached.
pub(super) async fn run(settings: &Settings, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let since = parse_time(&args.since)?;
    let kind = match args.kind.as_deref() {
        None => None,
        Some("product") => Some(EventKind::Product),
        Some("order") => Some(EventKind::Order),
        Some("order_status") => Some(EventKind::OrderStatus),
        Some(other) => anyhow::bail!("--kind: `product`, `order` or `order_status`, not `{other}`"),
    };
    let admin = Admin::connect(settings).await?;
    let bar = progress::bar(0, "replay");
    bar.set_length(0);
    let done = admin
        .failed
        .replay(since, kind, |n| {
            bar.set_length(n);
            bar.set_position(n);
        })
        .await?;
    bar.finish_and_clear();
    println!("{done} event(s) since {} queued again", since.format("%Y-%m-%d %H:%M:%S UTC"));
    Ok(ExitCode::SUCCESS)
}

/// Parses `2026-11-28T10:00:00Z`, `2026-11-28 10:00:00` (UTC) or `2026-11-28`: the forms of `reconcile
/// --since`, plus a bare date.
fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&t));
    }
    crate::reconcile::parse_since(text).map(|t| Utc.from_utc_datetime(&t)).map_err(|_| {
        anyhow::anyhow!("`{text}` is not a time: use RFC 3339 (2026-11-28T10:00:00Z) or `2026-11-28 10:00:00` (UTC)")
    })
}
