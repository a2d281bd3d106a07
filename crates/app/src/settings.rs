//! Settings: built-in defaults → `hub.toml` (path from `HUB_CONFIG`) → `HUB_…` environment variables with
//! `__` between levels (`HUB_DATABASE__URL`). Validated at start-up; an error names the bad field.

use std::collections::{BTreeMap, HashMap};

use std::path::PathBuf;

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use hub_domain::{
    PriceRule, Secret, Sku, StaticStoreDirectory, Store, StoreCode, StoreRole,
    model::{CatalogPolicy, CategoryPriceRule, Selection},
};
use hub_http::HttpSettings;
use hub_queue::{QueueSettings, WorkerSettings};
use rust_decimal::Decimal;
use serde::Deserialize;

/// Everything the hub reads at start-up.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP ingress.
    pub server: HttpSettings,
    /// The hub's database.
    pub database: DatabaseSettings,
    /// The job queue.
    pub queue: QueueSettings,
    /// The workers.
    pub worker: WorkerSettings,
    /// The inbox sweeper.
    pub sweeper: SweeperSettings,
    /// Product sync.
    pub sync: SyncSettings,
    /// Logs.
    pub log: LogSettings,
    /// Scheduled reconciliation of the catalogs (off by default).
    pub reconcile: crate::reconcile::ReconcileSettings,
    /// The stores of the network.
    pub stores: Vec<StoreSettings>,
    /// The zero-setup demo (off unless asked for).
    pub demo: crate::demo::DemoSettings,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `mysql://user:pass@host:3306/db` or `sqlite://path/hub.db?mode=rwc`.
    pub url: Secret,
    /// Pool size.
    pub max_connections: u32,
    /// Apply pending migrations at start-up (`hub migrate` does it on its own).
    pub auto_migrate: bool,
    /// Most events written by one inbox statement (group commit of concurrent requests); 1 disables it.
    pub group_commit_max: usize,
    /// Inbox statements in flight at once (each waits for its commit's fsync).
    pub group_commit_writers: usize,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("sqlite://data/hub.db?mode=rwc"),
            max_connections: 16,
            auto_migrate: true,
            group_commit_max: 256,
            group_commit_writers: 4,
        }
    }
}

/// Product sync settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// A link to a client product older than this is checked against the client (reference still unique,
    /// combinations re-matched) before the next sync writes through it; reconciliation always checks.
    pub link_verify_secs: u64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self { link_verify_secs: hub_domain::catalog::LINK_VERIFY_AFTER.as_secs() }
    }
}

/// Sweeper settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweeperSettings {
    /// How often it runs.
    pub interval_secs: u64,
    /// An event `received` for longer than this was not queued (its API call died or the queue was down).
    pub grace_secs: u64,
    /// An event `queued` for longer than this and not processed is queued again (jobs are idempotent).
    pub stale_queued_secs: u64,
    /// Events per run; also syncs owed per client per run.
    pub batch: u32,
    /// A client still lagging behind a SKU's latest state this long after the hub recorded it is owed a
    /// sync that the queue lost (Redis restarted empty, a job dropped): it is queued again, once per state.
    pub owed_after_secs: u64,
    /// How far back the owed-sync sweep looks; older drift is what reconciliation repairs.
    pub owed_window_secs: u64,
    /// A pair queued again for a state and still behind is queued once more after this × the times it was
    /// (its job lost again, or failing for good).
    pub owed_retry_secs: u64,
}

impl Default for SweeperSettings {
    fn default() -> Self {
        Self {
            interval_secs: 5,
            grace_secs: 10,
            stale_queued_secs: 900,
            batch: 1000,
            owed_after_secs: 120,
            owed_window_secs: 86_400,
            owed_retry_secs: 900,
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

/// Log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// A store's PrestaShop Webservice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebserviceSettings {
    /// Shop base URL, e.g. `https://shop.example` (the Webservice is under `/api/`).
    pub url: String,
    /// Webservice key.
    pub key: Secret,
}

/// A store as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// Code, `a-z 0-9 - _`.
    pub code: String,
    /// `source` or `client`.
    pub role: StoreRole,
    /// The key its connector sends in `X-API-KEY` (at least 16 characters).
    pub api_key: Secret,
    /// When set, its requests must be signed (`X-Hub-Signature`).
    #[serde(default)]
    pub signing_secret: Option<Secret>,
    /// Whether it takes part.
    #[serde(default = "yes")]
    pub active: bool,
    /// Its PrestaShop Webservice.
    #[serde(default)]
    pub webservice: Option<WebserviceSettings>,
    /// Client price rule: markup over the source price, percent, as a decimal string (`"30"`).
    #[serde(default)]
    pub markup_percent: Option<String>,
    /// Client stock buffer: units held back.
    #[serde(default)]
    pub stock_buffer: i64,
    /// Client: the lowest margin over the source price, percent, as a decimal string (`"15"`): a price the
    /// markup puts under it is raised to it.
    #[serde(default)]
    pub min_margin_percent: Option<String>,
    /// Client: the cents every price ends in, rounded up to (`"0.99"`: 13.20 → 13.99; `"0.00"`: whole
    /// amounts).
    #[serde(default)]
    pub price_ending: Option<String>,
    /// Concurrency, rate, timeout and circuit breaker for calls to its Webservice.
    #[serde(default)]
    pub limits: hub_prestashop::StoreLimits,
    /// Client: forward an order only once it is valid (paid) at the retailer.
    #[serde(default = "yes")]
    pub forward_only_valid: bool,
    /// Source: how replicated orders are placed there.
    #[serde(default)]
    pub orders: hub_prestashop::SourceOrderSettings,
    /// Its order states by meaning: `processing`, `shipped`, `delivered`, `cancelled`, `refunded`, each a
    /// list of state ids (the first is the one the hub sets); PrestaShop's defaults 3, 4, 5, 6, 7.
    #[serde(default)]
    pub order_states: hub_domain::OrderStateMap,
    /// Client: which source products it carries, and whether missing ones are created on it.
    #[serde(default)]
    pub catalog: CatalogSettings,
    /// Client: price rules by source category, in order of precedence (the first naming one of a product's
    /// categories wins; else the store's own `markup_percent`, `min_margin_percent`, `price_ending`).
    #[serde(default)]
    pub price_rules: Vec<CategoryRuleSettings>,
}

/// A client's catalog (`[stores.catalog]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSettings {
    /// Create selected products the client lacks (else only products it has, by reference, are updated).
    #[serde(default)]
    pub publish: bool,
    /// Source category ids whose products it carries (with `products`; neither: every product).
    #[serde(default)]
    pub categories: Vec<u64>,
    /// References it carries whatever their categories.
    #[serde(default)]
    pub products: Vec<String>,
    /// References it never carries.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Source category ids whose products it never carries.
    #[serde(default)]
    pub exclude_categories: Vec<u64>,
    /// `once`: descriptive content written when the product is created, then the retailer's; `follow`:
    /// written again when the source product changes. Price, stock and active always follow.
    #[serde(default)]
    pub content: hub_domain::model::ContentPolicy,
    /// The client category under which source category paths are recreated.
    #[serde(default = "home_category")]
    pub root_category: u64,
    /// The source language (ISO code) whose texts fill client languages the source lacks.
    #[serde(default = "english")]
    pub fallback_language: String,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            publish: false,
            categories: Vec::new(),
            products: Vec::new(),
            exclude: Vec::new(),
            exclude_categories: Vec::new(),
            content: hub_domain::model::ContentPolicy::Once,
            root_category: home_category(),
            fallback_language: english(),
        }
    }
}

fn home_category() -> u64 {
    2
}

fn english() -> String {
    "en".into()
}

/// A client price rule for some source categories (`[[stores.price_rules]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryRuleSettings {
    /// Source category ids (a product in any of them).
    pub categories: Vec<u64>,
    /// Markup, percent, decimal string.
    pub markup_percent: String,
    /// Minimum margin, percent; absent: the store's.
    #[serde(default)]
    pub min_margin_percent: Option<String>,
    /// Price ending; absent: the store's.
    #[serde(default)]
    pub price_ending: Option<String>,
}

fn markup(field: &str, raw: &str) -> Result<Decimal, SettingsError> {
    raw.parse::<Decimal>()
        .ok()
        .filter(|d| *d > Decimal::from(-100) && *d < Decimal::from(10_000))
        .ok_or_else(|| SettingsError(format!("{field}: a decimal between -100 and 10000")))
}

fn min_margin(field: &str, raw: Option<&String>) -> Result<Option<Decimal>, SettingsError> {
    raw.map(|m| {
        m.parse::<Decimal>()
            .ok()
            .filter(|d| *d >= Decimal::ZERO && *d < Decimal::from(10_000))
            .ok_or_else(|| SettingsError(format!("{field}: a decimal between 0 and 10000")))
    })
    .transpose()
}

fn price_ending(field: &str, raw: Option<&String>) -> Result<Option<Decimal>, SettingsError> {
    raw.map(|e| {
        e.parse::<Decimal>()
            .ok()
            .filter(|d| *d >= Decimal::ZERO && *d < Decimal::ONE && d.scale() <= 2)
            .ok_or_else(|| SettingsError(format!("{field}: the cents a price ends in, from \"0.00\" to \"0.99\"")))
    })
    .transpose()
}

impl StoreSettings {
    /// The catalog policy and category rules of store `i`.
    fn catalog(&self, i: usize) -> Result<(CatalogPolicy, Vec<CategoryPriceRule>), SettingsError> {
        let c = &self.catalog;
        let is_default = !c.publish
            && c.categories.is_empty()
            && c.products.is_empty()
            && c.exclude.is_empty()
            && c.exclude_categories.is_empty();
        if self.role == StoreRole::Source && (!is_default || !self.price_rules.is_empty()) {
            return Err(SettingsError(format!(
                "stores[{i}].catalog: only client stores have a catalog or price rules"
            )));
        }
        for (j, r) in c.products.iter().chain(&c.exclude).enumerate() {
            Sku::parse(r)
                .map_err(|e| SettingsError(format!("stores[{i}].catalog: reference {j} `{r}`: {}", e.message)))?;
        }
        let iso = c.fallback_language.trim().to_lowercase();
        if iso.len() != 2 || !iso.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(SettingsError(format!(
                "stores[{i}].catalog.fallback_language: a two-letter ISO code such as \"en\""
            )));
        }
        if c.root_category == 0 {
            return Err(SettingsError(format!("stores[{i}].catalog.root_category: a category id (2 is Home)")));
        }
        let policy = CatalogPolicy {
            selection: Selection::new(
                c.categories.iter().copied(),
                c.products.iter().cloned(),
                c.exclude.iter().cloned(),
                c.exclude_categories.iter().copied(),
            ),
            publish: c.publish,
            content: c.content,
            root_category: c.root_category,
            fallback_language: iso,
        };
        let mut rules = Vec::with_capacity(self.price_rules.len());
        for (j, r) in self.price_rules.iter().enumerate() {
            let field = |f: &str| format!("stores[{i}].price_rules[{j}].{f}");
            if r.categories.is_empty() {
                return Err(SettingsError(format!("{}: at least one source category id", field("categories"))));
            }
            rules.push(CategoryPriceRule {
                categories: r.categories.iter().copied().collect(),
                rule: PriceRule {
                    markup_percent: markup(&field("markup_percent"), &r.markup_percent)?,
                    stock_buffer: 0,
                    min_margin_percent: min_margin(&field("min_margin_percent"), r.min_margin_percent.as_ref())?,
                    price_ending: price_ending(&field("price_ending"), r.price_ending.as_ref())?,
                },
            });
        }
        Ok((policy, rules))
    }
}

fn yes() -> bool {
    true
}

/// A configuration error, naming the field.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(pub String);

impl Settings {
    /// Loads the layers.
    ///
    /// # Errors
    /// An unreadable file, an unknown key, a wrong type: the message names the field.
    pub fn load() -> Result<Self, SettingsError> {
        let path = std::env::var("HUB_CONFIG").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("hub.toml"));
        if std::env::var("HUB_CONFIG").is_ok() && !path.exists() {
            return Err(SettingsError(format!("HUB_CONFIG: {} does not exist", path.display())));
        }
        Self::from_figment(
            Figment::new().merge(Toml::file(path)).merge(Env::prefixed("HUB_").split("__").ignore(&["config"])),
        )
    }

    /// Extracts from a prepared figment (tests).
    ///
    /// # Errors
    /// As [`Settings::load`].
    pub fn from_figment(figment: Figment) -> Result<Self, SettingsError> {
        let settings: Settings = figment.extract().map_err(|e| SettingsError(e.to_string()))?;
        settings.store_directory()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), SettingsError> {
        if self.server.body_limit_bytes < 1024 {
            return Err(SettingsError("server.body_limit_bytes: at least 1024".into()));
        }
        if self.server.header_limit_bytes < 1024 {
            return Err(SettingsError("server.header_limit_bytes: at least 1024".into()));
        }
        // actix-http refuses a request head over 128 KiB by itself, with no JSON body.
        if self.server.all_headers_limit_bytes < self.server.header_limit_bytes
            || self.server.all_headers_limit_bytes > 64 * 1024
        {
            return Err(SettingsError(
                "server.all_headers_limit_bytes: between server.header_limit_bytes and 65536".into(),
            ));
        }
        if self.worker.concurrency == 0 {
            return Err(SettingsError("worker.concurrency: at least 1".into()));
        }
        if self.worker.max_attempts == 0 {
            return Err(SettingsError("worker.max_attempts: at least 1".into()));
        }
        use hub_domain::JobType;
        if let Some(bad) = self.worker.jobs.iter().find(|j| JobType::from_name(j).is_none()) {
            let known: Vec<&str> = JobType::ALL.iter().map(|j| j.as_str()).collect();
            return Err(SettingsError(format!("worker.jobs: unknown job `{bad}` (known: {})", known.join(", "))));
        }
        if let Some(token) = &self.server.admin_token
            && !token.is_empty()
            && token.expose().len() < 16
        {
            return Err(SettingsError("server.admin_token: at least 16 characters".into()));
        }
        let login = &self.server.login_limit;
        if [login.address_burst, login.address_per_minute, login.global_burst, login.global_per_minute].contains(&0) {
            return Err(SettingsError("server.login_limit: every burst and rate at least 1".into()));
        }
        if let Some(token) = &self.server.metrics_token
            && !token.is_empty()
            && token.expose().len() < 16
        {
            return Err(SettingsError("server.metrics_token: at least 16 characters".into()));
        }
        if self.worker.backoff_min_ms > self.worker.backoff_max_ms {
            return Err(SettingsError("worker.backoff_min_ms: must not exceed worker.backoff_max_ms".into()));
        }
        let db = self.database.url.expose();
        if !(db.starts_with("mysql://") || db.starts_with("mariadb://") || db.starts_with("sqlite:")) {
            return Err(SettingsError("database.url: must start with mysql:// or sqlite:".into()));
        }
        let q = &self.queue.url;
        let ok = match self.queue.backend {
            hub_queue::QueueKind::Redis => q.starts_with("redis://") || q.starts_with("rediss://"),
            hub_queue::QueueKind::Sqlite => q.starts_with("sqlite:"),
        };
        if !ok {
            return Err(SettingsError(format!("queue.url: does not match queue.backend = {:?}", self.queue.backend)));
        }
        if self.queue.backend == hub_queue::QueueKind::Sqlite
            && db.starts_with("sqlite:")
            && sqlite_path(db) == sqlite_path(q)
        {
            return Err(SettingsError("queue.url: the SQLite queue needs its own file, not database.url's".into()));
        }
        for (i, store) in self.stores.iter().enumerate() {
            if let Err(e) = store.order_states.check() {
                return Err(SettingsError(format!("stores[{i}].order_states.{}: {}", e.field, e.message)));
            }
            if let Some(bad) = store.orders.carrier_map.keys().find(|k| k.trim().parse::<u64>().is_err()) {
                return Err(SettingsError(format!(
                    "stores[{i}].orders.carrier_map: key `{bad}` is not a carrier id (the retailer's id_carrier)"
                )));
            }
        }
        Ok(())
    }

    /// The stores, validated.
    ///
    /// # Errors
    /// A bad code, key, markup or duplicate: the message names `stores[i].field`.
    pub fn store_directory(&self) -> Result<StaticStoreDirectory, SettingsError> {
        let mut stores = Vec::with_capacity(self.stores.len());
        for (i, s) in self.stores.iter().enumerate() {
            let code =
                StoreCode::parse(&s.code).map_err(|e| SettingsError(format!("stores[{i}].code: {}", e.message)))?;
            let markup = match &s.markup_percent {
                None => Decimal::ZERO,
                Some(m) => markup(&format!("stores[{i}].markup_percent"), m)?,
            };
            let min_margin = min_margin(&format!("stores[{i}].min_margin_percent"), s.min_margin_percent.as_ref())?;
            let ending = price_ending(&format!("stores[{i}].price_ending"), s.price_ending.as_ref())?;
            let (catalog, category_rules) = s.catalog(i)?;
            if s.role == StoreRole::Source
                && (s.markup_percent.is_some()
                    || s.stock_buffer != 0
                    || s.min_margin_percent.is_some()
                    || s.price_ending.is_some())
            {
                return Err(SettingsError(format!("stores[{i}].markup_percent: only client stores have a price rule")));
            }
            if s.stock_buffer < 0 {
                return Err(SettingsError(format!("stores[{i}].stock_buffer: must not be negative")));
            }
            if let Some(ws) = &s.webservice
                && !(ws.url.starts_with("http://") || ws.url.starts_with("https://"))
            {
                return Err(SettingsError(format!("stores[{i}].webservice.url: must start with http:// or https://")));
            }
            if s.limits.concurrency == 0 || s.limits.timeout_ms == 0 || s.limits.rate_per_sec < 0.0 {
                return Err(SettingsError(format!(
                    "stores[{i}].limits: concurrency and timeout_ms at least 1, rate_per_sec not negative"
                )));
            }
            stores.push(
                Store::new(
                    code,
                    s.role,
                    s.api_key.clone(),
                    s.signing_secret.clone(),
                    s.active,
                    PriceRule {
                        markup_percent: markup,
                        stock_buffer: s.stock_buffer,
                        min_margin_percent: min_margin,
                        price_ending: ending,
                    },
                )
                .with_forward_only_valid(s.forward_only_valid)
                .with_order_states(s.order_states.clone())
                .with_catalog(catalog)
                .with_category_rules(category_rules),
            );
        }
        StaticStoreDirectory::new(stores).map_err(|e| SettingsError(e.to_string()))
    }
}

impl Settings {
    /// The stores' Webservices.
    pub fn webservice_targets(&self) -> Vec<hub_prestashop::WebserviceTarget> {
        self.stores
            .iter()
            .filter_map(|s| {
                let ws = s.webservice.as_ref()?;
                Some(hub_prestashop::WebserviceTarget {
                    store: StoreCode::parse(&s.code).ok()?,
                    url: ws.url.clone(),
                    key: ws.key.clone(),
                    limits: s.limits.clone(),
                    language_id: s.orders.language_id,
                })
            })
            .collect()
    }
}

impl Settings {
    /// The source store's order placement: its Webservice target, connector key and secret, settings.
    pub fn source_shop(
        &self,
    ) -> Option<(hub_prestashop::WebserviceTarget, Secret, Option<Secret>, hub_prestashop::SourceOrderSettings)> {
        let s = self.stores.iter().find(|s| s.role == StoreRole::Source)?;
        let target = self.webservice_targets().into_iter().find(|t| t.store.as_str() == s.code)?;
        Some((target, s.api_key.clone(), s.signing_secret.clone(), s.orders.clone()))
    }

    /// Per client store, its `[stores.orders] carrier_map`: the retailer's carrier id → the source carrier
    /// (keys checked at start-up).
    pub fn carrier_maps(&self) -> HashMap<StoreCode, BTreeMap<u64, u64>> {
        self.stores
            .iter()
            .filter(|s| s.role == StoreRole::Client && !s.orders.carrier_map.is_empty())
            .filter_map(|s| {
                let map = s.orders.carrier_map.iter().filter_map(|(k, v)| Some((k.trim().parse().ok()?, *v))).collect();
                Some((StoreCode::parse(&s.code).ok()?, map))
            })
            .collect()
    }
}

/// The file part of a `sqlite:` URL.
pub fn sqlite_path(url: &str) -> String {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    rest.split('?').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Toml;
    use hub_domain::StoreDirectory;

    fn load(toml: &str) -> Result<Settings, SettingsError> {
        Settings::from_figment(Figment::new().merge(Toml::string(toml)))
    }

    const STORES: &str = r#"
        [[stores]]
        code = "wholesaler"
        role = "source"
        api_key = "source-key-0123456789"
        [[stores]]
        code = "retail-1"
        role = "client"
        api_key = "client-key-0123456789"
        markup_percent = "30"
    "#;

    #[test]
    fn defaults_run_embedded() {
        let s = load(STORES).unwrap();
        assert_eq!(s.queue.backend, hub_queue::QueueKind::Sqlite);
        assert!(s.database.url.expose().starts_with("sqlite:"));
        assert_eq!(s.server.body_limit_bytes, 1024 * 1024);
        assert_eq!(s.store_directory().unwrap().active_clients().len(), 1);
    }

    #[test]
    fn a_client_stores_carrier_map_is_read_and_a_key_that_is_no_carrier_id_is_named() {
        let mapped = format!("{STORES}        [stores.orders]\n        carrier_map = {{ \"2\" = 3 }}\n");
        let s = load(&mapped).unwrap();
        let maps = s.carrier_maps();
        assert_eq!(maps.get(&StoreCode::parse("retail-1").unwrap()).and_then(|m| m.get(&2)), Some(&3));
        let e = load(&mapped.replace("\"2\" = 3", "\"post\" = 3")).unwrap_err();
        assert!(e.to_string().contains("stores[1].orders.carrier_map"), "{e}");
    }

    #[test]
    fn a_clients_minimum_margin_and_price_ending_are_read_and_bad_ones_named() {
        let with = |extra: &str| format!("{STORES}        {extra}\n");
        let s = load(&with("min_margin_percent = \"15\"\n        price_ending = \"0.99\"")).unwrap();
        let client = s.store_directory().unwrap().get(&StoreCode::parse("retail-1").unwrap()).unwrap();
        assert_eq!(client.price_rule.price_for(&hub_domain::Money::parse("10.00").unwrap()).to_string(), "13.99");
        for (bad, field) in [
            ("price_ending = \"1.00\"", "stores[1].price_ending"),
            ("price_ending = \"0.999\"", "stores[1].price_ending"),
            ("price_ending = \"-0.01\"", "stores[1].price_ending"),
            ("min_margin_percent = \"-5\"", "stores[1].min_margin_percent"),
            ("min_margin_percent = \"lots\"", "stores[1].min_margin_percent"),
        ] {
            let e = load(&with(bad)).unwrap_err();
            assert!(e.to_string().contains(field), "{bad}: {e}");
        }
    }

    #[test]
    fn links_are_verified_every_five_minutes_unless_configured() {
        assert_eq!(load(STORES).unwrap().sync.link_verify_secs, 300);
        let s = load(&format!("[sync]\nlink_verify_secs = 60\n{STORES}")).unwrap();
        assert_eq!(s.sync.link_verify_secs, 60);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let e = load("[server]\nlisten_on = \"x\"").unwrap_err();
        assert!(e.to_string().contains("listen_on"), "{e}");
    }

    #[test]
    fn a_bad_store_field_is_named() {
        let e = load(&STORES.replace("\"30\"", "\"lots\"")).unwrap_err();
        assert!(e.to_string().contains("stores[1].markup_percent"), "{e}");
        let e = load(&STORES.replace("retail-1", "Retail 1")).unwrap_err();
        assert!(e.to_string().contains("stores[1].code"), "{e}");
    }

    #[test]
    fn a_short_api_key_is_refused() {
        let e = load(&STORES.replace("client-key-0123456789", "short")).unwrap_err();
        assert!(e.to_string().contains("stores[1].api_key"), "{e}");
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = load(STORES).unwrap();
        let dump = format!("{s:?}");
        assert!(!dump.contains("source-key-0123456789"));
        assert!(dump.contains("[REDACTED]"));
    }

    #[test]
    fn header_limits_out_of_range_are_named() {
        let s = load(STORES).unwrap();
        assert_eq!((s.server.header_limit_bytes, s.server.all_headers_limit_bytes), (8192, 16384));
        let e = load(&format!("[server]\nheader_limit_bytes = 100\n{STORES}")).unwrap_err();
        assert!(e.to_string().contains("server.header_limit_bytes"), "{e}");
        let e = load(&format!("[server]\nall_headers_limit_bytes = 4096\n{STORES}")).unwrap_err();
        assert!(e.to_string().contains("server.all_headers_limit_bytes"), "{e}");
        let e = load(&format!("[server]\nall_headers_limit_bytes = 200000\n{STORES}")).unwrap_err();
        assert!(e.to_string().contains("server.all_headers_limit_bytes"), "{e}");
    }

    #[test]
    fn a_short_metrics_token_is_refused_and_never_printed() {
        let e = load(&format!("[server]\nmetrics_token = \"short\"\n{STORES}")).unwrap_err();
        assert!(e.to_string().contains("server.metrics_token") && !e.to_string().contains("short"), "{e}");
        let s = load(&format!("[server]\nmetrics_token = \"metrics-token-0123456789\"\n{STORES}")).unwrap();
        assert!(!format!("{s:?}").contains("metrics-token-0123456789"));
    }

    #[test]
    fn a_login_limit_of_zero_is_named() {
        let s = load(STORES).unwrap();
        assert_eq!((s.server.login_limit.address_burst, s.server.login_limit.global_burst), (5, 30));
        let e = load(&format!("[server.login_limit]\naddress_per_minute = 0\n{STORES}")).unwrap_err();
        assert!(e.to_string().contains("server.login_limit"), "{e}");
    }

    #[test]
    fn the_queue_may_not_share_the_database_file() {
        let e = load("[database]\nurl = \"sqlite://x.db?mode=rwc\"\n[queue]\nurl = \"sqlite://x.db\"").unwrap_err();
        assert!(e.to_string().contains("queue.url"), "{e}");
    }
}
