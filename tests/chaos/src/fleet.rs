//! The hub under test: the real `hub-api` and `hub-worker` binaries, run as processes on one shared TOML
//! configuration, killed with SIGKILL and started again. Like an orchestrator, the fleet also restarts a
//! process that exited by itself (and says so), but never one the scenario took down on purpose.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitStatus},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::instances::{Proc, free_port};

/// The connector keys of the three stores.
pub const SOURCE_KEY: &str = "chaos-source-key-0123456789";
/// retail-1's connector key.
pub const RETAIL1_KEY: &str = "chaos-retail-1-key-0123456789";
/// retail-2's connector key.
pub const RETAIL2_KEY: &str = "chaos-retail-2-key-0123456789";

/// The workspace's built binary `name`, beside the running executable (`target/<profile>/`, or its
/// parent when running from `deps/` as a test does).
///
/// # Errors
/// When it is not there: the hub must be built first.
pub fn hub_binary(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running executable")?;
    let mut dir = exe.parent().context("the executable has no directory")?.to_owned();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    if !path.is_file() {
        bail!("{} not found: build the hub first (`cargo build --workspace --bins`, or `make chaos`)", path.display());
    }
    Ok(path)
}

/// One simulated shop as the hub sees it.
#[derive(Debug, Clone)]
pub struct ShopWiring {
    /// Its Webservice base URL.
    pub url: String,
    /// Its Webservice key.
    pub key: String,
}

/// Everything the hub's configuration names.
#[derive(Debug, Clone)]
pub struct HubWiring {
    /// `database.url`.
    pub database_url: String,
    /// `queue.url`.
    pub redis_url: String,
    /// The wholesaler's shop.
    pub source: ShopWiring,
    /// retail-1's shop (+30 %).
    pub retail1: ShopWiring,
    /// retail-2's shop (price rounded to the cent, 2 units held back).
    pub retail2: ShopWiring,
    /// `sweeper.stale_queued_secs`.
    pub stale_queued_secs: u64,
    /// `sweeper.owed_after_secs`.
    pub owed_after_secs: u64,
    /// `sweeper.owed_retry_secs`.
    pub owed_retry_secs: u64,
}

/// The queue names the run configures (`[queue.names]`): setting → Redis key prefix.
pub const QUEUES: [(&str, &str); 3] = [
    ("fan_out_product", "chaos:fan-out-product"),
    ("replicate_order", "chaos:replicate-order"),
    ("sync_product_to_store", "chaos:sync-product-to-store"),
];

/// retail-1's markup in percent.
pub const RETAIL1_MARKUP: i64 = 30;
/// retail-2's stock buffer.
pub const RETAIL2_BUFFER: i64 = 2;

impl HubWiring {
    /// The TOML every hub process reads.
    pub fn toml(&self) -> String {
        let limits = "limits = { concurrency = 8, rate_per_sec = 0.0, timeout_ms = 5000, breaker_failures = 5, breaker_open_secs = 2 }";
        format!(
            r#"# Written by hub-chaos for one run.
[server]
listen = "127.0.0.1:0"

[database]
url = "{db}"
max_connections = 8

[queue]
backend = "redis"
url = "{redis}"
push_timeout_ms = 2000
poll_interval_ms = 50
heartbeat_secs = 1
missed_heartbeats = 3
[queue.names]
{names}

[worker]
concurrency = 8
max_attempts = 20
backoff_min_ms = 100
backoff_max_ms = 3000
job_timeout_secs = 60

[sweeper]
interval_secs = 2
grace_secs = 2
stale_queued_secs = {stale}
batch = 500
owed_after_secs = {owed}
owed_retry_secs = {owed_retry}

# The scenario's product events are made up: the simulated source shop's own catalog does not follow them,
# so a scheduled reconciliation (on by default) would rightly bring the source's real catalog back and the
# checks, which compare with the newest event, could not tell right from wrong. Faults here are the subject.
[reconcile]
schedule = false

[log]
format = "text"
level = "warn"

[[stores]]
code = "wholesaler"
role = "source"
api_key = "{SOURCE_KEY}"
webservice = {{ url = "{su}", key = "{sk}" }}
{limits}

[[stores]]
code = "retail-1"
role = "client"
api_key = "{RETAIL1_KEY}"
markup_percent = "{RETAIL1_MARKUP}"
webservice = {{ url = "{r1u}", key = "{r1k}" }}
{limits}

[[stores]]
code = "retail-2"
role = "client"
api_key = "{RETAIL2_KEY}"
stock_buffer = {RETAIL2_BUFFER}
webservice = {{ url = "{r2u}", key = "{r2k}" }}
{limits}
"#,
            db = self.database_url,
            redis = self.redis_url,
            stale = self.stale_queued_secs,
            owed = self.owed_after_secs,
            owed_retry = self.owed_retry_secs,
            names = QUEUES.iter().map(|(k, v)| format!("{k} = \"{v}\"")).collect::<Vec<_>>().join("\n"),
            su = self.source.url,
            sk = self.source.key,
            r1u = self.retail1.url,
            r1k = self.retail1.key,
            r2u = self.retail2.url,
            r2k = self.retail2.key,
        )
    }
}

/// Which binary a member of the fleet runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `hub-api` on a fixed port.
    Api(u16),
    /// `hub-worker`.
    Worker,
}

/// One hub process: how to start it, and the running one if it is up.
#[derive(Debug)]
struct Member {
    name: String,
    role: Role,
    proc: Option<Proc>,
}

/// The hub's processes.
#[derive(Debug)]
pub struct Fleet {
    config: PathBuf,
    logs: PathBuf,
    api_bin: PathBuf,
    worker_bin: PathBuf,
    members: Vec<Member>,
}

impl Fleet {
    /// Writes the configuration to `dir/hub.toml` and prepares `apis` API and `workers` worker processes
    /// (not started yet).
    ///
    /// # Errors
    /// When a binary is missing or the file cannot be written.
    pub fn new(dir: &Path, wiring: &HubWiring, apis: usize, workers: usize) -> Result<Self> {
        let config = dir.join("hub.toml");
        std::fs::write(&config, wiring.toml()).with_context(|| format!("writing {}", config.display()))?;
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let mut members = Vec::new();
        for n in 1..=apis {
            members.push(Member { name: format!("hub-api-{n}"), role: Role::Api(free_port()?), proc: None });
        }
        for n in 1..=workers {
            members.push(Member { name: format!("hub-worker-{n}"), role: Role::Worker, proc: None });
        }
        Ok(Self { config, logs, api_bin: hub_binary("hub-api")?, worker_bin: hub_binary("hub-worker")?, members })
    }

    /// Applies the migrations with `hub migrate` before any server starts.
    ///
    /// # Errors
    /// When the command fails.
    pub fn migrate(&self) -> Result<()> {
        let mut cmd = Command::new(hub_binary("hub")?);
        cmd.arg("migrate").env("HUB_CONFIG", &self.config).env("RUST_LOG", "warn");
        let log = self.logs.join("migrate.log");
        let file = std::fs::File::create(&log)?;
        cmd.stdout(file.try_clone()?).stderr(file);
        let status = cmd.status().context("cannot run `hub migrate`")?;
        if !status.success() {
            bail!("`hub migrate` failed ({status}); see {}", log.display());
        }
        Ok(())
    }

    /// The API base URLs.
    pub fn api_bases(&self) -> Vec<String> {
        self.members
            .iter()
            .filter_map(|m| match m.role {
                Role::Api(port) => Some(format!("http://127.0.0.1:{port}")),
                Role::Worker => None,
            })
            .collect()
    }

    /// The names of the API processes (`apis`) or of the workers.
    pub fn names(&self, apis: bool) -> Vec<String> {
        self.members.iter().filter(|m| matches!(m.role, Role::Api(_)) == apis).map(|m| m.name.clone()).collect()
    }

    /// Starts every member that is not running.
    ///
    /// # Errors
    /// When a process cannot be started.
    pub fn start_all(&mut self) -> Result<()> {
        let names: Vec<String> = self.members.iter().filter(|m| m.proc.is_none()).map(|m| m.name.clone()).collect();
        for name in names {
            self.start(&name)?;
        }
        Ok(())
    }

    /// Starts `name` (a worker keeps its id across restarts, so it takes back the jobs it held).
    ///
    /// # Errors
    /// When it cannot be started.
    pub fn start(&mut self, name: &str) -> Result<()> {
        let log = self.logs.join(format!("{name}.log"));
        let (config, api_bin, worker_bin) = (self.config.clone(), self.api_bin.clone(), self.worker_bin.clone());
        let member = self.members.iter_mut().find(|m| m.name == name).with_context(|| format!("no member {name}"))?;
        let mut cmd = Command::new(match member.role {
            Role::Api(_) => api_bin,
            Role::Worker => worker_bin,
        });
        cmd.env("HUB_CONFIG", &config)
            .env("HUB_WORKER__ID", format!("chaos-{name}"))
            .env("RUST_LOG", std::env::var("CHAOS_CHILD_LOG").unwrap_or_else(|_| "warn".into()));
        if let Role::Api(port) = member.role {
            cmd.env("HUB_SERVER__LISTEN", format!("127.0.0.1:{port}"));
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        cmd.stdin(std::process::Stdio::null()).stdout(file.try_clone()?).stderr(file);
        member.proc = Some(Proc::spawn(cmd, name)?);
        Ok(())
    }

    /// Kills `name` with SIGKILL; it stays down until [`Fleet::start`].
    pub fn kill(&mut self, name: &str) {
        if let Some(p) = self.members.iter_mut().find(|m| m.name == name).and_then(|m| m.proc.take()) {
            p.kill();
        }
    }

    /// Members that exited by themselves since the last call, started again; returns their names and
    /// exit statuses.
    ///
    /// # Errors
    /// When one cannot be started again.
    pub fn restart_exited(&mut self) -> Result<Vec<(String, ExitStatus)>> {
        let mut exited = Vec::new();
        for m in &mut self.members {
            if let Some(status) = m.proc.as_mut().and_then(Proc::exited) {
                m.proc = None;
                exited.push((m.name.clone(), status));
            }
        }
        for (name, _) in &exited {
            self.start(name)?;
        }
        Ok(exited)
    }

    /// Where the processes' logs are.
    pub fn logs(&self) -> &Path {
        &self.logs
    }
}

/// Waits until `base` answers `GET /health` with a 2xx.
///
/// # Errors
/// When it does not within `within`.
pub async fn wait_healthy(http: &reqwest::Client, base: &str, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    loop {
        if http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{base} did not answer /health within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
