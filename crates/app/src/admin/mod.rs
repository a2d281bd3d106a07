//! The `hub` binary's commands: [`main`] reads the command line ([`cli`]) and runs one command (a module
//! per group); here too what they share: the stores as configured and as reachable, storage and queue.

pub mod cli;
mod healthcheck;
mod jobs;
mod progress;
mod publish;
mod reconcile;
mod replay;
mod stores;

use std::{process::ExitCode, sync::Arc};

use anyhow::Context;
use clap::Parser;
use hub_domain::{
    JobQueue,
    ingest::Inbox,
    operations::{FailedJobs, OperationsLog},
};
use hub_persistence::{SeaOrmInbox, SeaOrmOperations};
use hub_queue::ApalisJobQueue;

use crate::{Application, Mode, settings::Settings, telemetry};
use cli::{Cli, Command, JobsCommand, StoresCommand};

/// Runs `hub` with this process's arguments, on a tokio runtime of its own: the commands of [`cli::Cli`],
/// `serve` when none is named. Help exits 0 and a command line clap refuses 2, as clap does; a command
/// that fails prints `error: …` and exits 1.
pub fn main() -> ExitCode {
    let command = match Cli::try_parse() {
        Ok(cli) => cli.command.unwrap_or(Command::Serve),
        Err(e) => {
            // Help on stdout, a refusal on stderr.
            drop(e.print());
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        run(command).await.unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        })
    });
    // The command is done: exit without waiting for background tasks (a pool's, a connection's).
    runtime.shutdown_background();
    code
}

/// The settings, with telemetry set up from them.
fn settings() -> anyhow::Result<Settings> {
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    Ok(settings)
}

/// Runs one command: its exit code, or the error that stopped it.
async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let settings = settings()?;
            let shops = crate::demo::DemoShops::start(&settings).await?;
            let app = Application::build(settings.clone(), Mode::All).await?;
            if let Some(shops) = &shops {
                shops.announce(&settings, app.port());
            }
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let mut settings = settings()?;
            settings.database.auto_migrate = true;
            crate::database(&settings).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Stores(StoresCommand::List) => {
            stores::list(&settings()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Stores(StoresCommand::Check) => stores::check(&settings()?).await,
        Command::Jobs(JobsCommand::Failed(args)) => jobs::failed(&settings()?, &args).await,
        Command::Jobs(JobsCommand::Retry(args)) => jobs::resolve(&settings()?, jobs::Action::Retry, &args).await,
        Command::Jobs(JobsCommand::Discard(args)) => jobs::resolve(&settings()?, jobs::Action::Discard, &args).await,
        Command::Replay(args) => replay::run(&settings()?, &args).await,
        Command::Reconcile(args) => {
            reconcile::run(settings()?, &args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Publish(args) => publish::run(settings()?, &args).await,
        Command::Healthcheck(args) => healthcheck::run(&args.url),
    }
}

/// The hub's storage and queue, for one admin command.
pub struct Admin {
    /// Failed jobs and replay.
    pub failed: FailedJobs,
    /// Operations tables.
    pub log: Arc<dyn OperationsLog>,
}

impl Admin {
    /// Connects the database (applying pending migrations when `database.auto_migrate`) and the queue.
    ///
    /// # Errors
    /// Either cannot be reached.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let db = crate::database(settings).await?;
        let inbox: Arc<dyn Inbox> = Arc::new(SeaOrmInbox::new(db.clone()));
        let queue: Arc<dyn JobQueue> =
            Arc::new(ApalisJobQueue::connect(settings.queue.clone()).await.context("queue")?);
        let log: Arc<dyn OperationsLog> = Arc::new(SeaOrmOperations::new(db));
        Ok(Self { failed: FailedJobs::new(log.clone(), inbox, queue), log })
    }
}

/// A store as configured, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRow {
    /// Code.
    pub code: String,
    /// `source` or `client`.
    pub role: &'static str,
    /// Takes part.
    pub active: bool,
    /// Webservice base URL, when configured.
    pub webservice: Option<String>,
    /// Requests must be signed.
    pub signed: bool,
    /// Client price rule and stock buffer, in words.
    pub rule: String,
}

/// The configured stores.
pub fn stores(settings: &Settings) -> Vec<StoreRow> {
    settings
        .stores
        .iter()
        .map(|s| {
            let source = s.role == hub_domain::StoreRole::Source;
            StoreRow {
                code: s.code.clone(),
                role: if source { "source" } else { "client" },
                active: s.active,
                webservice: s.webservice.as_ref().map(|w| w.url.clone()),
                signed: s.signing_secret.is_some(),
                rule: if source {
                    String::new()
                } else {
                    format!(
                        "markup {}%, stock buffer {}",
                        s.markup_percent.clone().unwrap_or_else(|| "0".into()),
                        s.stock_buffer
                    )
                },
            }
        })
        .collect()
}

/// What `stores check` found for one store.
#[derive(Debug)]
pub struct CheckRow {
    /// Code.
    pub code: String,
    /// `source` or `client`.
    pub role: &'static str,
    /// `None`: no Webservice configured; else what the shop answered.
    pub result: Option<Result<hub_prestashop::StoreCheck, String>>,
    /// The source only: what its connector's `carttotal` answered the hub's key and signature.
    pub connector: Option<hub_prestashop::ConnectorCheck>,
}

/// Reaches every store's Webservice with its key, and the source's connector with the hub's key and
/// signature, all at once.
///
/// # Errors
/// The HTTP client cannot be built.
pub async fn check_stores(settings: &Settings) -> anyhow::Result<Vec<CheckRow>> {
    let gateway =
        hub_prestashop::WebserviceGateway::new(settings.webservice_targets()).map_err(|e| anyhow::anyhow!(e))?;
    let checks = settings.stores.iter().map(|s| {
        let gateway = gateway.clone();
        async move {
            let source = s.role == hub_domain::StoreRole::Source;
            let result = match hub_domain::StoreCode::parse(&s.code) {
                Ok(code) if s.webservice.is_some() => match gateway.client(&code) {
                    Ok(client) => {
                        // A publishing client, and the source of any, need the catalog's resources too.
                        let publish =
                            if source { settings.stores.iter().any(|c| c.catalog.publish) } else { s.catalog.publish };
                        Some(client.check(source, settings.reconcile.orders, publish).await.map_err(|e| e.to_string()))
                    }
                    Err(e) => Some(Err(e.to_string())),
                },
                _ => None,
            };
            let connector = match settings.source_shop().filter(|_| source) {
                Some((target, key, secret, orders)) => match gateway.client(&target.store) {
                    Ok(client) => Some(
                        hub_prestashop::WebserviceSourceShop::new(client.clone(), key, secret, orders)
                            .check_connector()
                            .await,
                    ),
                    Err(e) => Some(hub_prestashop::ConnectorCheck::Unreachable(e.to_string())),
                },
                None => None,
            };
            CheckRow { code: s.code.clone(), role: if source { "source" } else { "client" }, result, connector }
        }
    });
    Ok(futures::future::join_all(checks).await)
}
