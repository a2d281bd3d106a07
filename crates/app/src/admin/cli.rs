//! The `hub` command line as clap reads it: the commands, their flags and a one-line help for each.
//!
//! Clap refuses what it can see in the shape of a command line (an unknown command or flag, a missing or
//! repeated one, ids with `--all`) with exit code 2. The values themselves (a time, a number, a job id, an
//! event kind, a store code) are read by the commands, which refuse a bad one with exit code 1 and the
//! same words as before clap.

use clap::{Args, Parser, Subcommand};

/// Where the settings come from, shown under the top-level help.
const SETTINGS: &str =
    "settings: hub.toml, or the file named by HUB_CONFIG; HUB_SECTION__KEY environment variables override it";

/// How `reconcile --since` reads a time, what an incremental run misses, and how orders are read.
const RECONCILE_SINCE: &str = "\
--since <TIME> is `YYYY-MM-DD HH:MM:SS` in the source shop's own clock, or RFC 3339 (taken as UTC).
Stock-only changes do not move a product's date_upd, so a --since run misses them;
without --since the whole catalog is read (the workers' scheduled incremental passes compare stock rows).
A reference two source products share is applied for neither and reported with their ids.
Each client's valid orders changed since its watermark (the first time: reconcile.orders_lookback_hours
back) are listed too, and those the hub never heard of are replicated, once.";

/// API and workers in one process (the zero-setup default on SQLite), plus the admin commands
#[derive(Debug, Parser)]
#[command(name = "hub", bin_name = "hub", after_help = SETTINGS)]
pub struct Cli {
    /// The command to run; `serve` when none is named.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API and the workers in one process (the default)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// The configured stores: list them, or check their Webservice keys
    #[command(subcommand)]
    Stores(StoresCommand),
    /// Jobs that failed for good: list them, queue them again or drop them
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Process again every event received since a time (orders are still created once)
    Replay(ReplayArgs),
    /// Compare the source catalog with every client, queue syncs for what drifted, replicate missed orders
    #[command(after_help = RECONCILE_SINCE)]
    Reconcile(ReconcileArgs),
    /// Create the source's selected products a publishing client lacks (queued for the workers), or list
    /// what would be created and why some cannot be
    #[command(after_help = PUBLISH)]
    Publish(PublishArgs),
    /// GET a URL and exit 0 on a 2xx answer (container probes)
    Healthcheck(HealthcheckArgs),
}

/// What `hub publish` does.
const PUBLISH: &str = "\
Without --dry-run: reconciles the client first (the hub learns the source catalog), then queues a sync for
every selected source product the client has not linked; the workers create each missing product (texts,
categories, combinations, images, stock) within the client's caps, and link the ones it already has by
reference. The command waits for them with a progress bar (--no-wait returns at once; the work goes on).
Stopping it, or a worker, never creates a product twice: a retry finds it by its reference.
With --dry-run nothing is written: each selected product not linked yet is listed as to link, to create
(price, combinations, images, categories) or impossible, with the reason.";

/// `hub publish --store <CODE> [--dry-run] [--no-wait]`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The client store to publish to
    #[arg(long, value_name = "CODE")]
    pub store: String,
    /// List what would be done, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Queue the work and return without waiting for it
    #[arg(long)]
    pub no_wait: bool,
}

/// `hub stores …`.
#[derive(Debug, Subcommand)]
pub enum StoresCommand {
    /// The configured stores (never their keys)
    List,
    /// Reach each store's Webservice with its key (report what the key may do) and the source's connector
    Check,
}

/// `hub jobs …`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Jobs that failed for good, waiting for an operator
    Failed(FailedArgs),
    /// Queue failed jobs again
    Retry(ResolveArgs),
    /// Drop failed jobs
    Discard(ResolveArgs),
}

/// `hub jobs failed [--limit N]`.
#[derive(Debug, Args)]
pub struct FailedArgs {
    /// List at most N jobs, the newest first
    #[arg(long, value_name = "N", default_value = "100")]
    pub limit: String,
}

/// `hub jobs retry|discard <ID>...|--all`.
#[derive(Debug, Args)]
#[group(id = "which", required = true, multiple = false)]
pub struct ResolveArgs {
    /// The failed jobs, by the ids `hub jobs failed` shows
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Every failed job waiting for an operator
    #[arg(long)]
    pub all: bool,
}

/// `hub replay --since <TIME> [--kind product|order]`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Events received since then: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or `YYYY-MM-DD`
    #[arg(long, value_name = "TIME")]
    pub since: String,
    /// Only the events of this kind: `product` or `order`
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
}

/// `hub reconcile [--since <TIME>] [--store <CODE>]`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Read only the source products changed since then (see below)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Compare this client store only (the source's changes still reach every client)
    #[arg(long, value_name = "CODE")]
    pub store: Option<String>,
}

/// `hub healthcheck [URL]`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The http:// URL to GET
    #[arg(default_value = "http://127.0.0.1:8080/health")]
    pub url: String,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
