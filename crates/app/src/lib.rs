//! The composition root: settings, telemetry and the wiring of adapters into use cases that the three
//! binaries call. `Application::build` binds the listener first, so tests can use port 0.

pub mod admin;
pub mod demo;
pub mod monitoring;
pub mod outbound;
pub mod reconcile;
pub mod settings;
pub mod telemetry;

use std::{net::TcpListener, sync::Arc, time::Duration};

use anyhow::Context;
use hub_domain::{
    JobQueue, StoreDirectory, Timer,
    catalog::{
        FanOutProduct, ProductLinks, ProductStates, Publisher, StoreGateway, SweepOwedSyncs, SyncProductToStore,
    },
    ingest::{AcceptOrderEvent, AcceptOrderStatusEvent, AcceptProductEvent, Inbox, SweepInbox},
    operations::{FailedJobs, LocateSku, OperationsLog, Telemetry},
    replication::{FollowSourceOrder, OrderLinks, ReplicateOrder, SourceShop},
};
use hub_persistence::{
    SeaOrmDashboardSessions, SeaOrmInbox, SeaOrmOperations, SeaOrmOrderLinks, SeaOrmProductLinks, SeaOrmProductStates,
};
use hub_queue::{ApalisJobQueue, JobHandlers};
use tokio::{sync::watch, task::JoinHandle};

pub use settings::Settings;

/// Which parts run in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// HTTP ingress only (`hub-api`).
    Api,
    /// Workers and sweeper only (`hub-worker`).
    Worker,
    /// Both (`hub`).
    All,
}

/// A running hub.
pub struct Application {
    port: Option<u16>,
    server: Option<actix_web::dev::Server>,
    monitor: Option<actix_web::dev::ServerHandle>,
    background: Vec<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    if url.starts_with("sqlite:") {
        let path = settings::sqlite_path(url);
        if let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    Ok(())
}

/// Connects the database (and migrates when configured).
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn database(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let url = settings.database.url.expose();
    ensure_sqlite_dir(url)?;
    let db = hub_persistence::connect(url, settings.database.max_connections)
        .await
        .map_err(|e| anyhow::anyhow!("database.url: cannot connect: {}", redact(&e.to_string(), url)))?;
    if settings.database.auto_migrate {
        hub_persistence::migrate(&db).await.context("applying migrations")?;
    }
    Ok(db)
}

/// Removes a URL (which may hold a password) from an error message.
fn redact(message: &str, url: &str) -> String {
    message.replace(url, "[database.url]")
}

impl Application {
    /// Wires everything and starts it: binds the listener (API), spawns workers and the sweeper (worker).
    ///
    /// # Errors
    /// Invalid settings, an unreachable database, a port in use.
    pub async fn build(settings: Settings, mode: Mode) -> anyhow::Result<Self> {
        let stores: Arc<dyn StoreDirectory> = Arc::new(settings.store_directory()?);
        let db = database(&settings).await?;
        // SQLite has one writer at a time: parallel statements would only wait on each other's lock.
        let writers = if settings.database.url.expose().starts_with("sqlite:") {
            1
        } else {
            settings.database.group_commit_writers
        };
        let inbox: Arc<dyn Inbox> =
            Arc::new(SeaOrmInbox::with_group_commit(db.clone(), settings.database.group_commit_max, writers));
        let states: Arc<dyn ProductStates> = Arc::new(SeaOrmProductStates::new(db.clone()));
        ensure_sqlite_dir(&settings.queue.url)?;
        let queue = ApalisJobQueue::connect(settings.queue.clone()).await.context("queue")?;
        let queue_port: Arc<dyn JobQueue> = Arc::new(queue.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut background = Vec::new();
        let (mut port, mut server, mut monitor) = (None, None, None);
        let log: Arc<dyn OperationsLog> = Arc::new(SeaOrmOperations::new(db.clone()));
        let operations = hub_http::dashboard::Operations {
            log: log.clone(),
            failed: FailedJobs::new(log.clone(), inbox.clone(), queue_port.clone()),
            queue: queue_port.clone(),
            skus: LocateSku::new(
                states.clone(),
                Arc::new(SeaOrmProductLinks::new(db.clone())),
                log.clone(),
                stores.clone(),
                queue_port.clone(),
            ),
            admin_token: settings.server.admin_token.clone().filter(|t| !t.is_empty()),
            sessions: Arc::new(SeaOrmDashboardSessions::new(db.clone())),
            metrics: Some(monitoring::recorder()),
            metrics_token: settings.server.metrics_token.clone().filter(|t| !t.is_empty()),
        };

        if matches!(mode, Mode::Api | Mode::All) {
            let listener = TcpListener::bind(&settings.server.listen)
                .with_context(|| format!("server.listen: cannot bind {}", settings.server.listen))?;
            let bound = listener.local_addr()?.port();
            let state = hub_http::AppState {
                accept_product: AcceptProductEvent::new(inbox.clone(), queue_port.clone()),
                accept_order: AcceptOrderEvent::new(inbox.clone(), queue_port.clone()),
                accept_status: AcceptOrderStatusEvent::new(inbox.clone(), queue_port.clone()),
                inbox: inbox.clone(),
                queue: queue_port.clone(),
                orders: Arc::new(SeaOrmOrderLinks::new(db.clone())),
                stores: stores.clone(),
            };
            server =
                Some(hub_http::serve(listener, state, operations.clone(), stores.clone(), settings.server.clone())?);
            port = Some(bound);
            tracing::info!(
                port = bound,
                "listening on http://{}",
                settings.server.listen.replace(":0", &format!(":{bound}"))
            );
        }

        if matches!(mode, Mode::Worker | Mode::All) {
            let links: Arc<dyn ProductLinks> = Arc::new(SeaOrmProductLinks::with_group_commit(
                db.clone(),
                settings.database.group_commit_max,
                writers,
            ));
            let telemetry = Telemetry::new(settings.worker.name(), Arc::new(outbound::PrometheusMetrics));
            let timer: Arc<dyn Timer> = Arc::new(outbound::TokioTimer);
            let webservices = hub_prestashop::WebserviceGateway::new(settings.webservice_targets())
                .map_err(|e| anyhow::anyhow!(e))?
                .report_to(telemetry.clone());
            let gateway: Arc<dyn StoreGateway> = Arc::new(webservices.clone());
            let replicate = settings.source_shop().and_then(|(target, key, secret, orders)| {
                let client = webservices.client(&target.store).ok()?.clone();
                let source: Arc<dyn SourceShop> = Arc::new(
                    hub_prestashop::WebserviceSourceShop::new(client, key, secret, orders)
                        .with_carrier_maps(settings.carrier_maps()),
                );
                let links: Arc<dyn OrderLinks> = Arc::new(SeaOrmOrderLinks::new(db.clone()));
                let follow = FollowSourceOrder::new(
                    inbox.clone(),
                    links.clone(),
                    Arc::new(webservices.clone()),
                    stores.clone(),
                    timer.clone(),
                    settings.worker.name(),
                );
                Some(Arc::new(
                    ReplicateOrder::new(
                        inbox.clone(),
                        links,
                        source,
                        stores.clone(),
                        states.clone(),
                        queue_port.clone(),
                        timer.clone(),
                        settings.worker.name(),
                    )
                    .with_follow(follow),
                ))
            });
            // Publishing reads the source's products: only with a source Webservice.
            let publisher = stores.source().filter(|s| webservices.client(&s.code).is_ok()).map(|source| {
                Arc::new(Publisher::new(
                    Arc::new(hub_prestashop::WebserviceSheets::new(webservices.clone(), source.code.clone())),
                    Arc::new(webservices.clone()),
                    links.clone(),
                ))
            });
            let mut sync =
                SyncProductToStore::new(states.clone(), links, gateway, stores.clone(), timer, settings.worker.name())
                    .with_link_verify_after(Duration::from_secs(settings.sync.link_verify_secs));
            if let Some(publisher) = publisher {
                sync = sync.with_publisher(publisher);
            }
            let handlers = JobHandlers {
                fan_out: Arc::new(FanOutProduct::new(
                    inbox.clone(),
                    states.clone(),
                    queue_port.clone(),
                    stores.clone(),
                )),
                sync: Arc::new(sync),
                replicate,
                inbox: inbox.clone(),
                telemetry: telemetry.clone(),
                operations: log.clone(),
            };
            let worker = settings.worker.clone();
            let rx = shutdown_rx.clone();
            let q = queue.clone();
            background.push(tokio::spawn(async move { hub_queue::run_workers(q, handlers, worker, rx).await }));
            background.push(tokio::spawn(prune_queue(queue.clone(), shutdown_rx.clone())));
            let sweep = SweepInbox::new(inbox.clone(), queue_port.clone());
            let owed =
                SweepOwedSyncs::new(Arc::new(SeaOrmProductLinks::new(db.clone())), queue_port.clone(), stores.clone());
            background.push(tokio::spawn(run_sweeper(sweep, owed, settings.sweeper.clone(), shutdown_rx.clone())));
            // Without a Webservice on the source there is nothing to read: a pass would only fail each tick.
            let source_readable =
                settings.stores.iter().any(|s| s.role == hub_domain::StoreRole::Source && s.webservice.is_some());
            if settings.reconcile.scheduled() && !source_readable {
                tracing::info!("scheduled reconciliation off: the source store has no [stores.webservice]");
            }
            if settings.reconcile.scheduled() && source_readable {
                let reconciler = reconcile::Reconciler::new(
                    &settings,
                    db.clone(),
                    states.clone(),
                    queue_port.clone(),
                    stores.clone(),
                    webservices.clone(),
                )?;
                background.push(tokio::spawn(reconcile::run_schedule(reconciler, shutdown_rx.clone())));
            }
            background.push(tokio::spawn(monitoring::flush_telemetry(
                telemetry,
                webservices.clone(),
                log.clone(),
                shutdown_rx.clone(),
            )));
            if mode == Mode::Worker
                && let Some(listen) = &settings.worker.listen
            {
                let listener =
                    TcpListener::bind(listen).with_context(|| format!("worker.listen: cannot bind {listen}"))?;
                tracing::info!("worker monitoring on http://{listen} (/health, /ready, /metrics)");
                let server = hub_http::serve_monitor(listener, inbox.clone(), operations.clone(), &settings.server)?;
                monitor = Some(server.handle());
                background.push(tokio::spawn(async move {
                    let _ = server.await;
                }));
            }
            tracing::info!(worker = %settings.worker.name(), "workers started");
        }
        Ok(Self { port, server, monitor, background, shutdown })
    }

    /// The bound HTTP port (API modes).
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Runs until SIGINT/SIGTERM (or the server stops), then shuts down gracefully: the server stops taking
    /// requests and finishes those in flight, workers finish their jobs or hand them back.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let signal = async {
            #[cfg(unix)]
            {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            #[cfg(not(unix))]
            tokio::signal::ctrl_c().await?;
            Ok::<_, std::io::Error>(())
        };
        match self.server {
            Some(server) => {
                let handle = server.handle();
                // The server runs on its own task, so stopping it below drains it while it is still polled.
                let mut running = tokio::spawn(server);
                tokio::select! {
                    r = &mut running => r??,
                    r = signal => {
                        r?;
                        tracing::info!("shutting down: finishing requests in flight");
                        handle.stop(true).await;
                        running.await??;
                    }
                }
            }
            None => {
                signal.await?;
                tracing::info!("shutting down");
            }
        }
        tracing::info!("stopping workers: in-flight jobs finish or go back to the queue");
        let _ = self.shutdown.send(true);
        if let Some(m) = self.monitor {
            m.stop(true).await;
        }
        for task in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
        tracing::info!("stopped");
        Ok(())
    }

    /// Spawns the application on the current runtime and returns a handle that stops it (tests).
    pub fn spawn(self) -> RunningApp {
        let shutdown = self.shutdown.clone();
        let server_handle = self.server.as_ref().map(|s| s.handle());
        let port = self.port;
        let server = self.server;
        let background = self.background;
        let monitor = self.monitor;
        let task = tokio::spawn(async move {
            if let Some(server) = server {
                let _ = server.await;
            }
        });
        RunningApp { port, shutdown, server_handle, monitor, task, background }
    }
}

/// A hub spawned in the background.
pub struct RunningApp {
    /// The HTTP port.
    pub port: Option<u16>,
    shutdown: watch::Sender<bool>,
    server_handle: Option<actix_web::dev::ServerHandle>,
    monitor: Option<actix_web::dev::ServerHandle>,
    task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl RunningApp {
    /// Stops it and waits for its tasks.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        if let Some(h) = self.server_handle {
            h.stop(true).await;
        }
        if let Some(m) = self.monitor {
            m.stop(true).await;
        }
        let _ = self.task.await;
        for t in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
    }
}

/// Every ten minutes, deletes what the queue storage keeps of long-finished jobs (several workers doing
/// it at once is harmless).
async fn prune_queue(queue: ApalisJobQueue, mut shutdown: watch::Receiver<bool>) {
    let (done, dead) =
        (Duration::from_secs(queue.settings().keep_done_secs), Duration::from_secs(queue.settings().keep_dead_secs));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        match queue.prune_finished(done, dead).await {
            Ok(n) => tracing::debug!(pruned = n, "finished jobs pruned from the queue storage"),
            Err(e) => tracing::warn!(error = %e, "could not prune finished jobs; will retry"),
        }
    }
}

async fn run_sweeper(
    sweep: SweepInbox,
    owed: SweepOwedSyncs,
    settings: settings::SweeperSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let every = Duration::from_secs(settings.interval_secs.max(1));
    let grace = chrono::Duration::seconds(settings.grace_secs as i64);
    let stale = chrono::Duration::seconds(settings.stale_queued_secs as i64);
    let owed_after = chrono::Duration::seconds(settings.owed_after_secs as i64);
    let owed_window = chrono::Duration::seconds(settings.owed_window_secs as i64);
    let owed_retry = Duration::from_secs(settings.owed_retry_secs.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = sweep.execute(grace, stale, settings.batch).await {
            tracing::warn!(error = %e, "sweep incomplete; will retry");
        }
        let before = chrono::Utc::now() - owed_after;
        if let Err(e) = owed.execute(before - owed_window, before, owed_retry, settings.batch).await {
            tracing::warn!(error = %e, "owed-sync sweep incomplete; will retry");
        }
    }
}
