//! `hub-chaos`: the whole fault scenario, run by itself on one machine.
//!
//! It starts a private MariaDB and Redis, three simulated PrestaShop shops in-process (the wholesaler,
//! retail-1 at +30 %, retail-2 behind failure injection), and the real `hub-api` (×2) and `hub-worker`
//! (×3) binaries on one configuration; sends product events and retailer orders through both APIs the
//! way the connector does, while workers, an API, Redis and MariaDB are killed and restarted; waits for
//! the hub to settle; and checks, from outside, that nothing accepted was lost or duplicated: every
//! event processed, every client product equal to its rule applied to the newest accepted source state,
//! every retailer order on the source exactly once with no orphan cart or address, every failed job
//! kept. `make chaos` runs the full size ([`Scenario::full`]); `tests/short.rs` the short one in CI.
//!
//! Modules: [`instances`] (the private servers), [`fleet`] (the hub's processes), [`load`] (the
//! webhooks) and [`sender`] (their delivery), [`faults`] (the schedule), [`observe`] (the hub seen from
//! outside, quiescence), [`checks`] and [`report`].

pub mod checks;
pub mod faults;
pub mod fleet;
pub mod instances;
pub mod load;
pub mod observe;
pub mod report;
pub mod sender;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use prestashop_sim::{SimConfig, Simulator};
use tokio::sync::watch;

pub use report::Report;

use crate::{
    checks::{
        ClientRule, ClientShop, EventCheck, check_ordered_products, check_orders, check_products, explain, failed_jobs,
        ids_of, inbox_rows,
    },
    faults::{Schedule, Targets, Timeline},
    fleet::{Fleet, HubWiring, RETAIL1_MARKUP, RETAIL2_BUFFER, SOURCE_KEY, ShopWiring, wait_healthy},
    instances::{MariaDb, Persistence, Redis, Sql, WorkDir},
    load::{LoadShape, Plan, micros_text, order_sku, order_sku_price, product_sku},
    observe::{Probe, Quiescence, wait_quiet},
    report::Size,
    sender::{Answer, Sender},
};

/// One run's size and timing.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Distinct product events.
    pub events: usize,
    /// Distinct retailer orders.
    pub orders: usize,
    /// SKUs the product events spread over (never ordered).
    pub skus: usize,
    /// SKUs the orders buy.
    pub order_skus: usize,
    /// The source's stock of each ordered SKU before the orders.
    pub order_stock: i64,
    /// Random seed of the load and of the worker kills.
    pub seed: u64,
    /// Faults and their timing.
    pub schedule: Schedule,
    /// `sweeper.stale_queued_secs`: how soon an event queued but lost by Redis is queued again.
    pub stale_queued_secs: u64,
    /// `sweeper.owed_after_secs`: how soon a client sync lost by Redis is queued again.
    pub owed_after_secs: u64,
    /// `sweeper.owed_retry_secs`: how soon such a sync, lost again, is queued once more.
    pub owed_retry_secs: u64,
    /// The longest wait for quiescence once the faults stop.
    pub settle_deadline: Duration,
    /// Keep the work directory (process logs, databases) after the run.
    pub keep_dir: bool,
}

impl Scenario {
    /// `make chaos`: 10,000 product events and 1,000 orders over two and a half minutes of ingest.
    pub fn full() -> Self {
        Self {
            events: 10_000,
            orders: 1_000,
            skus: 200,
            order_skus: 20,
            order_stock: 100_000,
            seed: 20_261_203,
            schedule: Schedule {
                ingest: Duration::from_secs(150),
                worker_every: Duration::from_secs(5),
                worker_down: Duration::from_secs(1),
                api_down: Duration::from_secs(3),
                redis_down: Duration::from_secs(3),
                mariadb_down: Duration::from_secs(5),
                tail: Duration::from_secs(20),
            },
            stale_queued_secs: 90,
            owed_after_secs: 15,
            owed_retry_secs: 30,
            settle_deadline: Duration::from_secs(900),
            keep_dir: false,
        }
    }

    /// CI: 2,000 product events and 200 orders, every fault at least once, in a few minutes.
    pub fn short() -> Self {
        Self {
            events: 2_000,
            orders: 200,
            schedule: Schedule {
                ingest: Duration::from_secs(50),
                tail: Duration::from_secs(10),
                ..Self::full().schedule
            },
            stale_queued_secs: 30,
            owed_after_secs: 10,
            owed_retry_secs: 15,
            settle_deadline: Duration::from_secs(150),
            ..Self::full()
        }
    }
}

const CLIENTS: [ClientRule; 2] = [
    ClientRule { code: "retail-1", markup_percent: RETAIL1_MARKUP, stock_buffer: 0 },
    ClientRule { code: "retail-2", markup_percent: 0, stock_buffer: RETAIL2_BUFFER },
];

fn wiring(shop: &Simulator) -> ShopWiring {
    ShopWiring { url: shop.base_url(), key: shop.key() }
}

/// The three simulated shops, every SKU seeded on each, and what the source held before the run.
struct Shops {
    source: Simulator,
    retail1: Simulator,
    retail2: Simulator,
    source_ids: BTreeMap<String, u64>,
    retail1_ids: BTreeMap<String, u64>,
    retail2_ids: BTreeMap<String, u64>,
    /// Cart and address ids on the source before the run.
    baseline: (BTreeSet<String>, BTreeSet<String>),
}

impl Shops {
    /// Starts the shops and seeds every SKU on the source and on both clients; the ordered SKUs have
    /// plenty of stock on the source.
    async fn start(scenario: &Scenario) -> Result<Self> {
        let source = Simulator::start(SimConfig { connector_key: Some(SOURCE_KEY.into()), ..SimConfig::default() })
            .await
            .context("starting the source shop")?;
        let retail1 = Simulator::start(SimConfig::default()).await.context("starting retail-1's shop")?;
        let retail2 = Simulator::start(SimConfig::default()).await.context("starting retail-2's shop")?;
        let mut source_ids = BTreeMap::new();
        for i in 0..scenario.skus {
            let sku = product_sku(i);
            source_ids.insert(sku.clone(), source.seed_product(&sku, "Chaos product", "10.00", 0));
        }
        for i in 0..scenario.order_skus {
            let (sku, price) = (order_sku(i), micros_text(order_sku_price(i)));
            let id = source.seed_product(&sku, "Chaos ordered product", &price, scenario.order_stock);
            source_ids.insert(sku, id);
        }
        let seed_client = |shop: &Simulator| -> BTreeMap<String, u64> {
            source_ids.keys().map(|sku| (sku.clone(), shop.seed_product(sku, "Retail product", "1.00", 0))).collect()
        };
        let (retail1_ids, retail2_ids) = (seed_client(&retail1), seed_client(&retail2));
        let baseline = (ids_of(&source, "carts"), ids_of(&source, "addresses"));
        Ok(Self { source, retail1, retail2, source_ids, retail1_ids, retail2_ids, baseline })
    }

    fn clients(&self) -> [ClientShop<'_>; 2] {
        [
            ClientShop { rule: CLIENTS[0], shop: &self.retail1, ids: &self.retail1_ids },
            ClientShop { rule: CLIENTS[1], shop: &self.retail2, ids: &self.retail2_ids },
        ]
    }
}

/// What the run itself produced, for the checks and the report.
struct Outcome {
    /// Every delivery's final answer, the first states' included.
    answers: Vec<(String, Answer)>,
    setup: Duration,
    load: Duration,
    faults_stopped: Duration,
    quiescence: Quiescence,
    waited_until: Duration,
}

/// Runs the scenario and checks the outcome. Every process it started and its work directory (unless
/// kept) are gone when it returns, whatever happened.
///
/// # Errors
/// When the scenario cannot run (a missing program or binary, a server that does not start or come
/// back); what the hub got wrong is in the report, not an error.
pub async fn run(scenario: &Scenario) -> Result<Report> {
    let setup_started = Instant::now();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let work = WorkDir::create(scenario.keep_dir)?;
    let mut mariadb = MariaDb::start(&work.sub("mariadb")?).await?;
    let mut redis = Redis::start(&work.sub("redis")?, Persistence::AppendOnly).await?;
    let shops = Shops::start(scenario).await?;
    let shape = LoadShape {
        events: scenario.events,
        orders: scenario.orders,
        skus: scenario.skus,
        order_skus: scenario.order_skus,
        order_stock: scenario.order_stock,
        seed: scenario.seed,
    };
    let run_tag = format!("{:x}", chrono::Utc::now().timestamp() % 0x10_0000);
    let plan = Plan::generate(&shape, &shops.source_ids, &run_tag);
    let hub = HubWiring {
        database_url: mariadb.url(),
        redis_url: redis.url(),
        source: wiring(&shops.source),
        retail1: wiring(&shops.retail1),
        retail2: wiring(&shops.retail2),
        stale_queued_secs: scenario.stale_queued_secs,
        owed_after_secs: scenario.owed_after_secs,
        owed_retry_secs: scenario.owed_retry_secs,
    };
    let mut fleet = Fleet::new(work.path(), &hub, 2, 3)?;
    fleet.migrate()?;
    fleet.start_all()?;
    let bases = fleet.api_bases();
    let http = reqwest::Client::new();
    for base in &bases {
        wait_healthy(&http, base, Duration::from_secs(60)).await?;
    }
    let fleet = Mutex::new(fleet);
    let sender = Sender::new(bases, Duration::from_secs(180))?;

    let (outcome, timeline) = {
        let sql = mariadb.sql();
        let probe = Probe::new(sql.clone(), redis.cli());
        // The hub learns the ordered SKUs first: the stock read back after an order builds on a known state.
        let prime_answers = sender.send_prime(&plan).await;
        let primed = format!(
            "SELECT COUNT(*) FROM inbox_events WHERE status = 'processed' AND event_id LIKE 'chaos-{run_tag}-prime-%'"
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while sql.number(&primed).await.unwrap_or(0) < plan.prime.len() as i64 {
            if Instant::now() > deadline {
                bail!("the first states of the ordered SKUs were not processed within 60 s (before any fault)");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let setup = setup_started.elapsed();
        let timeline = Timeline::start();
        let targets =
            Targets { fleet: &fleet, redis: &mut redis, mariadb: &mut mariadb, probe: &probe, timeline: &timeline };
        let mut outcome = load_under_faults(scenario, &plan, &sender, &shops.retail2, targets).await?;
        outcome.answers.splice(0..0, prime_answers);
        outcome.setup = setup;
        (outcome, timeline)
    };
    check(scenario, &plan, &shops, &mariadb.sql(), &sender, &timeline, outcome, &work).await
}

/// Sends the load while the faults run, then waits for quiescence.
async fn load_under_faults(
    scenario: &Scenario,
    plan: &Plan,
    sender: &Sender,
    troubled: &Simulator,
    targets: Targets<'_>,
) -> Result<Outcome> {
    let (fleet, probe, timeline) = (targets.fleet, targets.probe, targets.timeline);
    let schedule = &scenario.schedule;
    let (stop_faults, faults_stopped) = watch::channel(false);
    let (end_run, run_ended) = watch::channel(false);
    let (done_loading, load_done) = watch::channel(false);
    let pace = schedule.ingest.div_f64(plan.deliveries().max(1) as f64);

    let load = async {
        let answers = sender.send_load(plan, pace, 64).await;
        timeline.note(format!("load finished, every delivery answered ({})", probe.last().brief()));
        let _ = done_loading.send(true);
        Ok::<_, anyhow::Error>((answers, timeline.elapsed()))
    };
    let faults = async {
        let outcome = faults::one_off_faults(targets, schedule, load_done).await;
        let _ = stop_faults.send(true);
        timeline.note("faults stopped");
        outcome
    };
    let main = async {
        let outcome = async {
            let ((answers, load), ()) = futures::future::try_join(load, faults).await?;
            let faults_stopped = timeline.elapsed();
            fleet.lock().unwrap_or_else(PoisonError::into_inner).start_all()?;
            // The first states were accepted before; the inbox holds them too.
            let accepted = answers.iter().filter(|(_, a)| a.accepted()).map(|(id, _)| id).collect::<BTreeSet<_>>();
            let expected = (accepted.len() + plan.prime.len()) as i64;
            let stall_after = Duration::from_secs(
                scenario.stale_queued_secs.max(scenario.owed_after_secs + scenario.owed_retry_secs) + 26,
            );
            let quiescence = wait_quiet(probe, expected, stall_after, Instant::now() + scenario.settle_deadline).await;
            let waited_until = timeline.elapsed();
            Ok::<_, anyhow::Error>(Outcome {
                answers,
                setup: Duration::ZERO,
                load,
                faults_stopped,
                quiescence,
                waited_until,
            })
        }
        .await;
        let _ = end_run.send(true);
        outcome
    };
    let background = async {
        tokio::join!(
            probe.watch(run_ended.clone()),
            faults::restart_exited(fleet, timeline, run_ended.clone()),
            faults::kill_workers(fleet, timeline, schedule, scenario.seed, faults_stopped.clone()),
            faults::troubled_shop(troubled, timeline, faults_stopped.clone()),
        )
    };
    let (outcome, ((), restarts, kills, ())) = tokio::join!(main, background);
    restarts?;
    kills?;
    outcome
}

/// Checks what the hub did against what the senders were told, and builds the report.
#[allow(clippy::too_many_arguments)]
async fn check(
    scenario: &Scenario,
    plan: &Plan,
    shops: &Shops,
    sql: &Sql,
    sender: &Sender,
    timeline: &Timeline,
    outcome: Outcome,
    work: &WorkDir,
) -> Result<Report> {
    let inbox = inbox_rows(sql).await.context("reading the inbox for the checks")?;
    let events = EventCheck::new(&outcome.answers, &inbox);
    let accepted: BTreeSet<&str> =
        outcome.answers.iter().filter(|(_, a)| a.accepted()).map(|(id, _)| id.as_str()).collect();
    let counted = |id: &str| accepted.contains(id) || inbox.contains_key(id);
    let clients = shops.clients();
    let at = |unix_us: i64| timeline.at_unix_us(unix_us);
    let mut products = check_products(plan, &counted, &clients);
    explain(sql, &mut products, &inbox, &at).await.context("reading the hub's view of the products")?;
    let mut ordered_products = check_ordered_products(plan, &shops.source, &shops.source_ids, &clients);
    explain(sql, &mut ordered_products, &inbox, &at).await.context("reading the hub's view of the products")?;
    let orders = check_orders(plan, &counted, &shops.source, &shops.source_ids, scenario.order_stock, &shops.baseline);
    let failed_jobs = failed_jobs(sql).await.context("reading failed_jobs")?;
    let recorded: BTreeSet<&str> = failed_jobs.iter().map(|j| j.subject.as_str()).collect();
    let failed_without_record =
        events.failed.iter().filter(|(id, _)| !recorded.contains(id.as_str())).map(|(id, _)| id.clone()).collect();

    Ok(Report {
        size: Size {
            events: plan.products.len(),
            orders: plan.orders.len(),
            skus: scenario.skus,
            order_skus: scenario.order_skus,
            deliveries: plan.deliveries(),
            late: plan.late,
            product_resends: plan.product_resends,
            order_resends: plan.order_resends,
        },
        sender: sender.counters.snapshot(),
        setup: outcome.setup,
        load: outcome.load,
        faults_stopped: outcome.faults_stopped,
        settled: outcome.quiescence.settled,
        settled_at: timeline.at(outcome.quiescence.since),
        waited_until: outcome.waited_until,
        final_state: outcome.quiescence.state,
        timeline: timeline.entries(),
        events,
        products,
        ordered_products,
        orders,
        failed_jobs,
        failed_without_record,
        work_dir: work.kept().then(|| work.path().to_owned()),
    })
}
