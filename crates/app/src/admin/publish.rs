//! `hub publish --store <CODE> [--dry-run] [--no-wait]`: creates the source's selected products a
//! publishing client lacks, through the workers, and follows them with a progress bar; or, with
//! `--dry-run`, lists what would be done.

use std::{process::ExitCode, time::Duration};

use super::{
    cli::{PublishArgs, ReconcileArgs},
    progress::{bar, say},
};
use crate::{
    Settings,
    reconcile::{Planned, Reconciler, StoreCode},
};

/// How often the links are read while waiting.
const POLL: Duration = Duration::from_secs(2);

/// How long without any product settling before the command stops waiting (the work goes on).
const STALL: Duration = Duration::from_secs(120);

/// Runs the command.
///
/// # Errors
/// A bad `--store`, an unreachable database, queue or shop; products that cannot be published (exit 1
/// after the list).
pub(super) async fn run(settings: Settings, args: &PublishArgs) -> anyhow::Result<ExitCode> {
    let code =
        StoreCode::parse(&args.store).map_err(|_| anyhow::anyhow!("--store {}: not a store code", args.store))?;
    let directory = settings.store_directory()?;
    let publishes = hub_domain::StoreDirectory::get(&directory, &code).is_some_and(|s| s.catalog.publish);
    if !publishes && !args.dry_run {
        anyhow::bail!(
            "--store {code}: its [stores.catalog] has no `publish = true` (try --dry-run to see what it would get)"
        );
    }
    if !args.dry_run {
        // The hub learns the source catalog first; a new product's sync creates it on the client.
        super::reconcile::run(settings.clone(), &ReconcileArgs { since: None, store: Some(code.to_string()) }).await?;
    }
    let reconciler = Reconciler::connect(&settings).await?;
    let listing = bar(0, "reading the source catalog");
    let report = reconciler
        .publish(&code, args.dry_run, &|n| {
            listing.set_length(n);
            listing.set_position(n);
        })
        .await?;
    listing.finish_and_clear();
    println!(
        "{code}: {} source products, {} selected, {} linked already ({} Webservice calls)",
        report.listed, report.selected, report.linked, report.calls
    );
    if args.dry_run {
        let (mut link, mut create, mut cannot) = (0, 0, 0);
        for (sku, planned) in &report.planned {
            match planned {
                Planned::Link => {
                    link += 1;
                    println!("link    {sku}: the client has a product with this reference");
                }
                Planned::Create(what) => {
                    create += 1;
                    println!("create  {sku}: {what}");
                }
                Planned::Cannot(why) => {
                    cannot += 1;
                    println!("cannot  {sku}: {why}");
                }
            }
        }
        println!("dry run: {create} to create, {link} to link, {cannot} cannot be published; nothing was written");
        if !publishes {
            println!("note: {code} does not publish yet (set `publish = true` under its [stores.catalog])");
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} product(s) queued for {code}", report.queued.len());
    if args.no_wait || report.queued.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let progress = bar(report.queued.len() as u64, "publishing");
    let started = std::time::Instant::now();
    let (mut linked, mut refused, mut waiting);
    let (mut settled, mut moved) = (0, std::time::Instant::now());
    loop {
        (linked, refused, waiting) = reconciler.publication_progress(&code, &report.queued).await?;
        let now = linked + refused.len() as u64;
        if now != settled {
            (settled, moved) = (now, std::time::Instant::now());
        }
        progress.set_position(now);
        if waiting == 0 || moved.elapsed() > STALL {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    progress.finish_and_clear();
    if waiting > 0 {
        say(
            &progress,
            format!(
                "{waiting} product(s) still waiting after {} s without progress: see `hub jobs failed` and the \
                 dashboard's Stores page (the workers go on; a retried job finishes each one)",
                STALL.as_secs()
            ),
        );
    }
    for (sku, note) in &refused {
        say(&progress, format!("refused {sku}: {note}"));
    }
    println!(
        "{code}: {linked} published or linked, {} refused, in {:.1} s",
        refused.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(if refused.is_empty() && waiting == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
