//! Reconciliation wiring: its settings, the [`Reconciler`] built from [`Settings`] (the domain's
//! `Reconcile` over the database, the queue and the Webservice clients — with its orders pass unless
//! `reconcile.orders = false` — plus a lease so one process at a time runs it), and the scheduled loop the
//! workers run unless `reconcile.schedule = false` (or the older `interval_secs = 0`): an incremental pass
//! often, a full pass rarely.

use std::{collections::HashMap, future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use hub_domain::{
    JobQueue, Sku, StoreDirectory, StoreRole,
    catalog::{LinkStatus, ProductLink, ProductLinks, ProductStates},
    ingest::{AcceptOrderEvent, AcceptOrderStatusEvent},
    reconcile::{DryRun, OrderReconciliation, PublishReport, Reconcile, RunLeases, StoreCatalog},
};
use hub_persistence::{
    SeaOrmInbox, SeaOrmOrderLinks, SeaOrmProductLinks, SeaOrmProductStates, SeaOrmRunLeases, SeaOrmWatermarks,
};
use hub_prestashop::{WebserviceCatalog, WebserviceClientOrders, WebserviceGateway, WebserviceSheets};
use hub_queue::ApalisJobQueue;
use serde::Deserialize;
use tokio::sync::watch;

use crate::Settings;

pub use hub_domain::StoreCode;
pub use hub_domain::reconcile::{
    NoProgress, PassKind, Planned, ReconcileProgress, ReconcileReport, ReconcileRequest, Stage,
};

/// Reads a `--since` value: `YYYY-MM-DD HH:MM:SS` is the source shop's own wall-clock time, as its
/// `date_upd` is stored; RFC 3339 (`2026-11-27T10:00:00Z`) is converted to UTC, which is right for a shop
/// whose clock runs in UTC (PrestaShop's `date_upd` carries no zone).
///
/// # Errors
/// Neither form.
pub fn parse_since(raw: &str) -> anyhow::Result<chrono::NaiveDateTime> {
    let raw = raw.trim();
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S") {
        return Ok(t);
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .map_err(|_| anyhow::anyhow!("--since: `{raw}` is neither `YYYY-MM-DD HH:MM:SS` nor RFC 3339"))
}

/// A request from the command line's `--since` and `--store` values.
///
/// # Errors
/// An unreadable date or store code.
pub fn request(since: Option<&str>, store: Option<&str>) -> anyhow::Result<ReconcileRequest> {
    Ok(ReconcileRequest {
        since: since.map(parse_since).transpose()?,
        kind: PassKind::Full,
        store: store
            .map(|s| StoreCode::parse(s).map_err(|e| anyhow::anyhow!("--store: `{s}`: {}", e.message)))
            .transpose()?,
    })
}

/// The lease's name in `run_leases`: one pass at a time, of either kind.
const LEASE_NAME: &str = "reconcile";

/// The lease that records when the last scheduled full pass ended.
const FULL_LEASE_NAME: &str = "reconcile-full";

/// With `full_at_hour`, no second full pass starts within this long of the last one's end.
const FULL_AT_HOUR_GAP: Duration = Duration::from_secs(3 * 3600);

/// Reconciliation settings (`[reconcile]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconcileSettings {
    /// Scheduled passes in the workers (on by default).
    pub schedule: bool,
    /// The older form of `full_interval_secs`, except that 0 turns the whole schedule off (as it always
    /// did).
    pub interval_secs: Option<u64>,
    /// Seconds between incremental passes (changed source products and stock; clients' orders); 0: none.
    pub incremental_secs: u64,
    /// The hour (0–23, the hub's clock in UTC) in which the daily full pass (every product of every store)
    /// runs, unless `full_interval_secs` is set.
    pub full_at_hour: u32,
    /// When set, full passes run every that many seconds at any hour instead; 0: no full pass.
    pub full_interval_secs: Option<u64>,
    /// Milliseconds of pause before each catalog page a pass reads (0: none), on top of each store's
    /// rate and concurrency caps.
    pub page_pause_ms: u64,
    /// Products per Webservice list page (1–1000).
    pub page_size: u32,
    /// A run's lease, renewed every third of it while the run goes on; another worker takes over a run
    /// whose process died once it expires.
    pub lease_secs: u64,
    /// Seconds after start-up before the first scheduled run.
    pub first_run_delay_secs: u64,
    /// Also list each client's valid orders changed since its watermark and hand those the hub never heard
    /// of (a lost webhook) to replication.
    pub orders: bool,
    /// How far back (hours) the first reconciliation of a client's orders looks, before it has a watermark.
    pub orders_lookback_hours: u64,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        Self {
            schedule: true,
            interval_secs: None,
            incremental_secs: 60,
            full_at_hour: 2,
            full_interval_secs: None,
            page_pause_ms: 0,
            page_size: 100,
            lease_secs: 120,
            first_run_delay_secs: 30,
            orders: true,
            orders_lookback_hours: 168,
        }
    }
}

impl ReconcileSettings {
    /// Checks the values.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=1000).contains(&self.page_size) {
            anyhow::bail!("reconcile.page_size: between 1 and 1000");
        }
        if self.lease_secs < 10 {
            anyhow::bail!("reconcile.lease_secs: at least 10");
        }
        if !(1..=24 * 366).contains(&self.orders_lookback_hours) {
            anyhow::bail!("reconcile.orders_lookback_hours: between 1 and 8784 (a year)");
        }
        if self.full_at_hour > 23 {
            anyhow::bail!("reconcile.full_at_hour: between 0 and 23");
        }
        if self.page_pause_ms > 60_000 {
            anyhow::bail!("reconcile.page_pause_ms: at most 60000");
        }
        Ok(())
    }

    /// Whether the workers run scheduled passes at all.
    pub fn scheduled(&self) -> bool {
        self.schedule && self.interval_secs != Some(0) && (self.incremental_secs > 0 || self.full_every().is_some())
    }

    /// Seconds between full passes when they run at any hour (`None`: none, or once a day at an hour).
    fn full_every(&self) -> Option<u64> {
        match self.full_interval_secs.or(self.interval_secs) {
            Some(secs) => Some(secs).filter(|s| *s > 0),
            None => Some(24 * 3600),
        }
    }

    /// How often the schedule wakes up: every incremental pass, and every full pass at an interval
    /// shorter than that (at least once a minute, to meet `full_at_hour`).
    fn tick(&self) -> Duration {
        let incremental = Some(self.incremental_secs).filter(|s| *s > 0).unwrap_or(60);
        let full = self.full_hour().map_or(self.full_every(), |_| None).unwrap_or(u64::MAX);
        Duration::from_secs(incremental.min(full).max(1))
    }

    /// The hour the daily full pass runs in; `None` when full passes run at an interval.
    fn full_hour(&self) -> Option<u32> {
        match self.full_interval_secs.or(self.interval_secs) {
            Some(_) => None,
            None => Some(self.full_at_hour),
        }
    }
}

/// A reconciliation ready to run, with its cross-process lease.
#[derive(Clone)]
pub struct Reconciler {
    reconcile: Reconcile,
    leases: Arc<dyn RunLeases>,
    owner: String,
    settings: ReconcileSettings,
    /// The stores' Webservices (what `hub publish --dry-run` reads sheets and client shops with).
    webservices: WebserviceGateway,
    /// The stores, as configured.
    stores: Arc<dyn StoreDirectory>,
    /// The database, for what `hub publish` waits on.
    db: sea_orm::DatabaseConnection,
}

impl std::fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler").field("owner", &self.owner).field("settings", &self.settings).finish()
    }
}

/// Why [`Reconciler::run_once`] did not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Another process holds the lease: a reconciliation is running there.
    #[error("another reconciliation is running (its lease expires within {0} s)")]
    Busy(u64),
    /// The run failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl Reconciler {
    /// Wires the use case on adapters a process already has (the worker shares its Webservice clients, so
    /// per-store caps and circuit breakers count reconciliation calls too).
    ///
    /// # Errors
    /// Invalid `[reconcile]` settings.
    pub fn new(
        settings: &Settings,
        db: sea_orm::DatabaseConnection,
        states: Arc<dyn ProductStates>,
        queue: Arc<dyn JobQueue>,
        stores: Arc<dyn StoreDirectory>,
        webservices: WebserviceGateway,
    ) -> anyhow::Result<Self> {
        settings.reconcile.check()?;
        let owner = format!("{}-reconcile", settings.worker.name());
        let links: Arc<dyn ProductLinks> = Arc::new(SeaOrmProductLinks::new(db.clone()));
        let catalog: Arc<dyn StoreCatalog> = Arc::new(WebserviceCatalog::new(webservices.clone()));
        let mut reconcile = Reconcile::new(
            catalog,
            states,
            links,
            queue.clone(),
            stores.clone(),
            Arc::new(crate::outbound::TokioTimer),
            settings.reconcile.page_size,
            owner.clone(),
        );
        reconcile = reconcile
            .with_watermarks(Arc::new(SeaOrmWatermarks::catalog(db.clone())))
            .with_page_pause(Duration::from_millis(settings.reconcile.page_pause_ms));
        if settings.reconcile.orders {
            // The webhook's own intake: the same inbox and queue, so replication cannot tell the two apart.
            let inbox: Arc<SeaOrmInbox> = Arc::new(SeaOrmInbox::new(db.clone()));
            let accept = AcceptOrderEvent::new(inbox.clone(), queue.clone());
            reconcile = reconcile.with_orders(
                OrderReconciliation::new(
                    Arc::new(WebserviceClientOrders::new(webservices.clone())),
                    Arc::new(SeaOrmWatermarks::orders(db.clone())),
                    Arc::new(SeaOrmOrderLinks::new(db.clone())),
                    accept,
                    chrono::Duration::hours(settings.reconcile.orders_lookback_hours as i64),
                )
                .with_statuses(AcceptOrderStatusEvent::new(inbox, queue)),
            );
        }
        Ok(Self {
            reconcile,
            leases: Arc::new(SeaOrmRunLeases::new(db.clone())),
            owner,
            settings: settings.reconcile.clone(),
            webservices,
            stores,
            db,
        })
    }

    /// Connects what a stand-alone run needs (the `hub reconcile` command): database (migrated when
    /// `database.auto_migrate`), queue and Webservice clients.
    ///
    /// # Errors
    /// Invalid settings, an unreachable database or queue.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let stores: Arc<dyn StoreDirectory> = Arc::new(settings.store_directory()?);
        let db = crate::database(settings).await?;
        crate::ensure_sqlite_dir(&settings.queue.url)?;
        let queue = ApalisJobQueue::connect(settings.queue.clone()).await.context("queue")?;
        let webservices = WebserviceGateway::new(settings.webservice_targets()).map_err(|e| anyhow::anyhow!(e))?;
        let states: Arc<dyn ProductStates> = Arc::new(SeaOrmProductStates::new(db.clone()));
        Self::new(settings, db, states, Arc::new(queue), stores, webservices)
    }

    /// Runs one reconciliation now, holding the lease (refused while another process holds it).
    ///
    /// # Errors
    /// [`RunError::Busy`]; the run's own failures.
    pub async fn run_once(
        &self,
        request: &ReconcileRequest,
        progress: &dyn ReconcileProgress,
    ) -> Result<ReconcileReport, RunError> {
        match self.leased(Duration::ZERO, self.reconcile.execute(request, progress)).await? {
            Some(result) => result.map_err(|e| RunError::Failed(e.into())),
            None => Err(RunError::Busy(self.settings.lease_secs)),
        }
    }

    /// Runs `work` under the lease, renewing it meanwhile; `None` when the lease is held elsewhere or a run
    /// ended less than `min_gap` ago.
    async fn leased<F: Future>(&self, min_gap: Duration, work: F) -> anyhow::Result<Option<F::Output>> {
        let ttl = Duration::from_secs(self.settings.lease_secs);
        if !self.leases.try_start(LEASE_NAME, &self.owner, ttl, min_gap).await? {
            return Ok(None);
        }
        tokio::pin!(work);
        let mut renew = tokio::time::interval(ttl / 3);
        renew.tick().await;
        let out = loop {
            tokio::select! {
                out = &mut work => break out,
                _ = renew.tick() => {
                    match self.leases.try_start(LEASE_NAME, &self.owner, ttl, Duration::ZERO).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!("reconcile: lease lost to another process; finishing this run"),
                        Err(e) => tracing::warn!(error = %e, "reconcile: could not renew the lease"),
                    }
                }
            }
        };
        if let Err(e) = self.leases.finish(LEASE_NAME, &self.owner).await {
            tracing::warn!(error = %e, "reconcile: could not record the end of the run");
        }
        Ok(Some(out))
    }
}

impl Reconciler {
    /// `hub publish`'s pass for client `store` (see [`Reconcile::publish_pass`]): a dry run describes, else
    /// the selected products not linked yet are queued.
    ///
    /// # Errors
    /// No such publishing client, no source Webservice, the pass's own failures.
    pub async fn publish(
        &self,
        store: &StoreCode,
        dry_run: bool,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> anyhow::Result<PublishReport> {
        let client = self
            .stores
            .get(store)
            .filter(|s| s.role == StoreRole::Client && s.active)
            .ok_or_else(|| anyhow::anyhow!("--store {store}: no active client store has this code"))?;
        let source = self.stores.source().ok_or_else(|| anyhow::anyhow!("no source store is configured"))?;
        self.webservices.client(&source.code).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.webservices.client(&client.code).map_err(|e| anyhow::anyhow!("{e}"))?;
        let sheets = WebserviceSheets::new(self.webservices.clone(), source.code.clone());
        let dry = dry_run.then_some(DryRun { sheets: &sheets, clients: &self.webservices });
        Ok(self.reconcile.publish_pass(&source, &client, dry, progress).await?)
    }

    /// The link statuses of `skus` on `store`: (linked, refused with their notes, still waiting).
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn publication_progress(
        &self,
        store: &StoreCode,
        skus: &[Sku],
    ) -> anyhow::Result<(u64, Vec<(Sku, String)>, u64)> {
        let links = SeaOrmProductLinks::new(self.db.clone()).of_store(store).await?;
        let by_sku: HashMap<&Sku, &ProductLink> = links.iter().map(|l| (&l.sku, l)).collect();
        let (mut linked, mut refused, mut waiting) = (0, Vec::new(), 0);
        for sku in skus {
            match by_sku.get(sku) {
                Some(l) if l.status == LinkStatus::Linked => linked += 1,
                Some(l) if l.status == LinkStatus::Refused => {
                    refused.push((sku.clone(), l.note.clone().unwrap_or_default()))
                }
                _ => waiting += 1,
            }
        }
        Ok((linked, refused, waiting))
    }

    /// One scheduled pass under the lease: the full one when it is due (`full_due`, and no other process
    /// ran it within its interval), else the incremental one. `None` when nothing ran.
    async fn scheduled_pass(&self, full_due: bool) -> anyhow::Result<Option<(PassKind, ReconcileReport)>> {
        let s = &self.settings;
        let pass = async {
            let full_gap = match s.full_hour() {
                Some(_) => FULL_AT_HOUR_GAP,
                None => Duration::from_secs(s.full_every().unwrap_or(u64::MAX / 2)),
            };
            let ttl = Duration::from_secs(s.lease_secs);
            let full = full_due && self.leases.try_start(FULL_LEASE_NAME, &self.owner, ttl, full_gap).await?;
            let kind = match (full, s.incremental_secs > 0) {
                (true, _) => PassKind::Full,
                (false, true) => PassKind::Incremental,
                (false, false) => return Ok(None),
            };
            let request = ReconcileRequest { kind, ..ReconcileRequest::default() };
            let report = self.reconcile.execute(&request, &NoProgress).await?;
            if full {
                self.leases.finish(FULL_LEASE_NAME, &self.owner).await?;
            }
            anyhow::Ok(Some((kind, report)))
        };
        Ok(self.leased(s.tick() / 2, pass).await?.transpose()?.flatten())
    }
}

/// The scheduled loop: every `incremental_secs` (sooner for full passes at a shorter interval, every
/// minute when there is no incremental pass) a pass by whichever worker gets the lease — the full one when
/// due (every `full_interval_secs`, or once a day in `full_at_hour`), else an incremental one; no pass
/// starting within half a tick of the last pass's end (so N workers do not make N passes). Stops on
/// shutdown, abandoning a pass in progress (harmless: what it queued is queued, the rest waits).
pub async fn run_schedule(reconciler: Reconciler, mut shutdown: watch::Receiver<bool>) {
    let s = reconciler.settings.clone();
    let tick = s.tick();
    let mut wait = Duration::from_secs(s.first_run_delay_secs);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        wait = tick;
        let full_due =
            s.full_every().is_some() && s.full_hour().is_none_or(|h| chrono::Timelike::hour(&chrono::Utc::now()) == h);
        let outcome = tokio::select! {
            outcome = reconciler.scheduled_pass(full_due) => outcome,
            _ = shutdown.changed() => return,
        };
        match outcome {
            Ok(Some((kind, report))) => tracing::info!(
                kind = ?kind,
                seconds = report.elapsed.as_secs_f64(),
                calls = report.total_calls(),
                source_products = report.source_products,
                stock_rows = report.stock_rows,
                ambiguous_references = report.ambiguous_references.len(),
                states_updated = report.states_updated,
                drifted = report.drifted,
                syncs_queued = report.syncs_queued,
                orders_listed = report.orders_listed,
                orders_linked = report.orders_linked,
                orders_queued = report.orders_queued,
                orders_failed = report.orders_failed.len(),
                order_states_queued = report.order_states_queued,
                statuses_queued = report.statuses_queued,
                failed_clients = report.failed_clients.len(),
                "scheduled reconciliation done"
            ),
            Ok(None) => tracing::debug!("reconciliation ran elsewhere recently or is running there"),
            Err(e) => tracing::warn!(error = %e, "scheduled reconciliation failed; next at the next interval"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_shop_time_and_rfc3339() {
        let shop = parse_since("2026-11-27 10:00:00").unwrap();
        assert_eq!(shop.to_string(), "2026-11-27 10:00:00");
        assert_eq!(parse_since("2026-11-27T11:00:00+01:00").unwrap(), shop);
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn a_store_code_is_checked() {
        assert!(request(None, Some("Retail 1")).is_err());
        assert_eq!(request(None, Some("retail-1")).unwrap().store.unwrap().as_str(), "retail-1");
    }

    #[test]
    fn the_schedule_is_on_by_default_and_a_page_size_is_bounded() {
        let s = ReconcileSettings::default();
        assert!(s.scheduled(), "hookless changes converge with no operator");
        assert_eq!((s.incremental_secs, s.full_every(), s.full_hour()), (60, Some(86_400), Some(2)));
        assert!(s.check().is_ok());
        assert!(ReconcileSettings { page_size: 0, ..s.clone() }.check().is_err());
        assert!(ReconcileSettings { page_size: 5000, ..s.clone() }.check().is_err());
        assert!(s.orders && s.orders_lookback_hours == 168, "orders are reconciled, a week back at first");
        assert!(ReconcileSettings { orders_lookback_hours: 0, ..s }.check().is_err());
    }

    #[test]
    fn a_configuration_that_turned_the_schedule_off_keeps_it_off() {
        let off = |toml: &str| -> ReconcileSettings {
            use figment::providers::Format;
            figment::Figment::new().merge(figment::providers::Toml::string(toml)).extract().unwrap()
        };
        assert!(!off("interval_secs = 0").scheduled());
        assert!(!off("schedule = false").scheduled());
        let legacy = off("interval_secs = 21600");
        assert!(legacy.scheduled());
        assert_eq!((legacy.full_every(), legacy.full_hour()), (Some(21_600), None), "every 6 h at any hour");
        assert!(!off("incremental_secs = 0\nfull_interval_secs = 0").scheduled());
        assert!(ReconcileSettings { full_at_hour: 24, ..Default::default() }.check().is_err());
    }
}
