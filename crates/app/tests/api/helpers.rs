//! Test harness: a hub on port 0 against a fresh SQLite pair or a fresh MariaDB database and a
//! private set of Redis queue names; plus child processes of the real binaries.

use std::{
    path::PathBuf,
    process::{Child, Command},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use figment::{
    Figment,
    providers::{Format, Toml},
};
use hub_app::{Application, Mode, RunningApp, Settings};
use hub_domain::JobType;
use hub_domain::{EventId, EventStatus, ingest::Inbox};
use hub_persistence::SeaOrmInbox;
use hub_queue::ApalisJobQueue;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

pub const SOURCE_KEY: &str = "source-key-0123456789";
pub const CLIENT_KEY: &str = "client-key-0123456789";
pub const CLIENT2_KEY: &str = "client2-key-0123456789";
pub const SIGNED_CLIENT_KEY: &str = "signed-client-key-0123456789";
pub const SIGNING_SECRET: &str = "signing-secret-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MariaDbRedis,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_000_000;
    format!("{prefix}{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::SeqCst))
}

pub fn mysql_base() -> String {
    std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        if std::env::var("TEST_LOG").is_ok() {
            hub_app::telemetry::init(&hub_app::settings::LogSettings::default());
        }
    });
}

/// One test's backends and configuration.
pub struct Env {
    pub dir: PathBuf,
    pub toml: String,
}

impl Env {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, "", &redis_url()).await
    }

    /// `extra` is appended to the generated TOML (before the stores), `redis` the queue URL.
    pub async fn with(backend: Backend, extra: &str, redis: &str) -> Self {
        Self::on(backend, &mysql_base(), extra, redis).await
    }

    /// Like [`Env::with`] on MariaDB and Redis, with a fresh database on the MariaDB server at `mysql` (a
    /// private one, say: `mysql://root@127.0.0.1:<port>`).
    pub async fn on_mariadb(mysql: &str, extra: &str, redis: &str) -> Self {
        Self::on(Backend::MariaDbRedis, mysql, extra, redis).await
    }

    async fn on(backend: Backend, mysql: &str, extra: &str, redis: &str) -> Self {
        init();
        let id = unique("t");
        let dir = std::env::temp_dir().join(format!("hub-test-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (db, queue) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/hub.db?mode=rwc", dir.display()),
                format!("backend = \"sqlite\"\nurl = \"sqlite://{}/queue.db\"", dir.display()),
            ),
            Backend::MariaDbRedis => {
                let name = format!("hub_test_{id}");
                let admin = sea_orm::Database::connect(format!("{mysql}/mysql")).await.expect("MariaDB reachable");
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE `{name}`"),
                    ))
                    .await
                    .unwrap();
                (
                    format!("{mysql}/{name}"),
                    format!(
                        "backend = \"redis\"\nurl = \"{redis}\"\n[queue.names]\nfan_out_product = \"{id}:fan-out\"\nreplicate_order = \"{id}:replicate\"\nsync_product_to_store = \"{id}:sync\""
                    ),
                )
            }
        };
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:0"
[database]
url = "{db}"
max_connections = 8
[queue]
poll_interval_ms = 20
push_timeout_ms = 5000
heartbeat_secs = 1
missed_heartbeats = 2
{queue}
[worker]
concurrency = 8
backoff_min_ms = 50
backoff_max_ms = 500
[sweeper]
interval_secs = 1
grace_secs = 1
stale_queued_secs = 600
{extra}
[[stores]]
code = "wholesaler"
role = "source"
api_key = "{SOURCE_KEY}"
[[stores]]
code = "retail-1"
role = "client"
api_key = "{CLIENT_KEY}"
markup_percent = "30"
[[stores]]
code = "retail-2"
role = "client"
api_key = "{CLIENT2_KEY}"
[[stores]]
code = "retail-signed"
role = "client"
active = false
api_key = "{SIGNED_CLIENT_KEY}"
signing_secret = "{SIGNING_SECRET}"
"#
        );
        // `[worker]` keys in `extra` must not repeat a table header: callers pass whole tables.
        Self { dir, toml }
    }

    pub fn settings(&self) -> Settings {
        let mut settings =
            Settings::from_figment(Figment::new().merge(Toml::string(&self.toml))).expect("valid test settings");
        // Scheduled reconciliation is on by default; a test that does not configure it must not meet a pass
        // (its calls and writes) in the middle of what it asserts.
        if !self.toml.contains("[reconcile]") {
            settings.reconcile.schedule = false;
        }
        settings
    }

    pub async fn spawn(&self, mode: Mode) -> TestApp {
        self.spawn_with(mode, |_| {}).await
    }

    /// Spawns with adjusted settings.
    pub async fn spawn_with(&self, mode: Mode, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings();
        adjust(&mut settings);
        let app = Application::build(settings.clone(), mode).await.expect("app starts").spawn();
        let db = hub_app::database(&settings).await.unwrap();
        let queue = ApalisJobQueue::connect(settings.queue.clone()).await.unwrap();
        TestApp {
            base: app.port.map(|p| format!("http://127.0.0.1:{p}")).unwrap_or_default(),
            http: reqwest::Client::new(),
            inbox: SeaOrmInbox::new(db.clone()),
            db,
            queue,
            app: Some(app),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        let path = self.dir.join("hub.toml");
        std::fs::write(&path, &self.toml).unwrap();
        path
    }

    /// Starts a real binary (`hub-worker`, `hub-api`, `hub`) on this environment's configuration; it is
    /// killed when the handle drops (a failing test leaves no process behind).
    pub fn process(&self, bin: &str, worker_id: &str) -> KillOnDrop {
        let exe = binary(bin);
        let child = Command::new(&exe)
            .env("HUB_CONFIG", self.config_file())
            .env("HUB_WORKER__ID", worker_id)
            .env("RUST_LOG", std::env::var("TEST_CHILD_LOG").unwrap_or_else(|_| "warn".into()))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e} (run `cargo build --bins` first)", exe.display()));
        KillOnDrop(child)
    }
}

/// A child process killed when dropped.
pub struct KillOnDrop(pub Child);

impl std::ops::Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The workspace's built binary `name` (beside this test's `deps/` folder).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join(name)
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub db: DatabaseConnection,
    pub inbox: SeaOrmInbox,
    pub queue: ApalisJobQueue,
    app: Option<RunningApp>,
}

impl TestApp {
    pub async fn post(&self, path: &str, key: Option<&str>, body: &str) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.base)).header("Content-Type", "application/json");
        if let Some(k) = key {
            req = req.header("X-API-KEY", k);
        }
        req.body(body.to_owned()).send().await.expect("request sent")
    }

    pub async fn status_of(&self, id: &str) -> Option<EventStatus> {
        self.inbox.load(&EventId::parse(id).unwrap()).await.unwrap().map(|e| e.status)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql.to_owned()))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    pub async fn depth(&self, kind: JobType) -> u64 {
        self.queue.depth(kind).await.unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }
}

/// Polls `check` until it holds or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn product_event(event_id: &str, sku: &str, price: &str, quantity: i64, updated_at: &str) -> String {
    serde_json::json!({
        "event_id": event_id,
        "occurred_at": "2026-11-27T10:00:00.000001Z",
        "product": {
            "id": 6, "reference": sku, "name": "Mug", "price": price, "quantity": quantity, "active": true,
            "updated_at": updated_at
        }
    })
    .to_string()
}

pub fn order_event(event_id: &str) -> serde_json::Value {
    serde_json::json!({
        "event_id": event_id,
        "occurred_at": "2026-11-27T10:00:00Z",
        "order": {
            "id": 42, "reference": "XKBKNABJK", "currency": "EUR",
            "customer": {"email": "ana@example.com", "firstname": "Ana", "lastname": "Garcia"},
            "delivery_address": {"firstname": "Ana", "lastname": "Garcia", "address1": "Calle Mayor 1",
                                 "postcode": "28013", "city": "Madrid", "country": "ES", "phone": "+34600000000"},
            "lines": [{"reference": "WHS-0001", "quantity": 2, "unit_price_tax_incl": "15.73"}],
            "total_paid_tax_incl": "31.46", "placed_at": "2026-11-27T10:00:00Z"
        }
    })
}

pub fn new_id() -> String {
    unique("evt-")
}

impl Env {
    /// Writes the configuration file atomically (a new file renamed over the old one), so that a child
    /// still reading it never sees it half written. [`Env::config_file`] rewrites it in place: fine for one
    /// child at a time, not for several started together.
    pub fn config_file_atomic(&self) -> PathBuf {
        let path = self.dir.join("hub.toml");
        let tmp = self.dir.join(format!("{}.toml", unique("hub-")));
        std::fs::write(&tmp, &self.toml).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        path
    }

    /// Like [`Env::process`], with extra environment variables for the child (its listen address, say), and
    /// safe to call for several children in a row.
    pub fn process_with_env(&self, bin: &str, worker_id: &str, vars: &[(&str, String)]) -> KillOnDrop {
        let exe = binary(bin);
        let child = Command::new(&exe)
            .env("HUB_CONFIG", self.config_file_atomic())
            .env("HUB_WORKER__ID", worker_id)
            .env("RUST_LOG", std::env::var("TEST_CHILD_LOG").unwrap_or_else(|_| "warn".into()))
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e} (run `cargo build --bins` first)", exe.display()));
        KillOnDrop(child)
    }
}

/// Sends `signal` (`TERM`, `INT`…) to a child process with `kill(1)`.
pub fn send_signal(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill -{signal} {}", child.id());
}

/// The admin token tests that read the dashboard configure.
pub const ADMIN_TOKEN: &str = "admin-token-0123456789";

/// Logs in to the dashboard of `app` with `token` as a browser does, then reads `path`.
pub async fn dashboard_page(app: &TestApp, token: &str, path: &str) -> String {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = browser
        .post(format!("{}/dashboard/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    browser.get(format!("{}{path}", app.base)).header("cookie", cookie).send().await.unwrap().text().await.unwrap()
}
