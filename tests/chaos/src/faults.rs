//! The fault schedule and its timeline.
//!
//! While the load runs and while the workers drain: a random worker is killed (SIGKILL) every few seconds
//! and started again; retail-2's shop cycles through 503s, 3-second stalls, dropped connections and
//! requests processed whose answer is dropped. Once each, at fixed points: one API is killed and started
//! again; Redis is killed and restarted with its append-only file; MariaDB is killed and restarted during
//! the ingest; and after the load, Redis is killed and restarted with nothing (its data wiped) and MariaDB
//! is killed again while the workers process. Every fault is written to the timeline with the time since
//! the load started.

use std::{
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use anyhow::Result;
use prestashop_sim::{Failure, FailureKind, Simulator};
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio::sync::watch;

use crate::{
    fleet::Fleet,
    instances::{MariaDb, Persistence, Redis},
    observe::Probe,
};

/// One line of the timeline.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Time since the load started.
    pub at: Duration,
    /// What happened.
    pub what: String,
}

/// What happened when, since the load started.
#[derive(Debug)]
pub struct Timeline {
    start: Instant,
    start_unix_us: i64,
    entries: Mutex<Vec<Entry>>,
}

impl Timeline {
    /// A timeline starting now.
    pub fn start() -> Self {
        Self {
            start: Instant::now(),
            start_unix_us: chrono::Utc::now().timestamp_micros(),
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The time on the timeline of a wall-clock instant in Unix microseconds (as the hub's tables keep
    /// them), in seconds; negative before the start.
    pub fn at_unix_us(&self, unix_us: i64) -> f64 {
        (unix_us - self.start_unix_us) as f64 / 1e6
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The time on the timeline of `instant`.
    pub fn at(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.start)
    }

    /// Notes `what` now.
    pub fn note(&self, what: impl Into<String>) {
        let entry = Entry { at: self.start.elapsed(), what: what.into() };
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).push(entry);
    }

    /// Every entry so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// When the one-off faults happen and how long things stay down.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// How long the load is paced to last; the ingest faults happen at fractions of it.
    pub ingest: Duration,
    /// A worker is killed this often…
    pub worker_every: Duration,
    /// …and started again after this.
    pub worker_down: Duration,
    /// How long the killed API stays down.
    pub api_down: Duration,
    /// How long Redis stays down.
    pub redis_down: Duration,
    /// How long MariaDB stays down.
    pub mariadb_down: Duration,
    /// Faults go on for this long after the last one-off fault (workers still drain).
    pub tail: Duration,
}

/// What the faults act on.
pub struct Targets<'a> {
    /// The hub's processes.
    pub fleet: &'a Mutex<Fleet>,
    /// The queue's server.
    pub redis: &'a mut Redis,
    /// The database server.
    pub mariadb: &'a mut MariaDb,
    /// For the timeline's notes.
    pub probe: &'a Probe,
    /// Where faults are written.
    pub timeline: &'a Timeline,
}

fn lock(fleet: &Mutex<Fleet>) -> MutexGuard<'_, Fleet> {
    fleet.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps until `at` after `origin`, or returns at once if that has passed.
async fn at(origin: Instant, at: Duration) {
    tokio::time::sleep_until((origin + at).into()).await;
}

/// The one-off faults, in order; returns once the last one is over and `tail` has passed. `load_done`
/// turns true when every delivery is answered.
///
/// # Errors
/// When a killed server cannot be started again.
pub async fn one_off_faults(t: Targets<'_>, schedule: &Schedule, mut load_done: watch::Receiver<bool>) -> Result<()> {
    let origin = Instant::now();
    let ingest = schedule.ingest;
    let state = |t: &Targets<'_>| t.probe.last().brief();

    at(origin, ingest.mul_f64(0.25)).await;
    let api = lock(t.fleet).names(true).first().cloned().unwrap_or_default();
    t.timeline.note(format!("SIGKILL {api} during the ingest ({})", state(&t)));
    lock(t.fleet).kill(&api);
    tokio::time::sleep(schedule.api_down).await;
    lock(t.fleet).start(&api)?;
    t.timeline.note(format!("{api} started again"));

    at(origin, ingest.mul_f64(0.45)).await;
    t.timeline.note(format!("SIGKILL redis-server (append-only file on) during the ingest ({})", state(&t)));
    t.redis.kill();
    tokio::time::sleep(schedule.redis_down).await;
    t.redis.restart(Persistence::AppendOnly).await?;
    t.timeline.note("redis-server restarted with its append-only file");

    at(origin, ingest.mul_f64(0.65)).await;
    t.timeline.note(format!("SIGKILL mariadbd during the ingest ({})", state(&t)));
    t.mariadb.kill();
    tokio::time::sleep(schedule.mariadb_down).await;
    t.mariadb.restart().await?;
    t.timeline.note("mariadbd restarted");

    while !*load_done.borrow_and_update() {
        if load_done.changed().await.is_err() {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    t.timeline.note(format!("SIGKILL redis-server while the workers drain ({})", state(&t)));
    t.redis.kill();
    tokio::time::sleep(schedule.redis_down).await;
    t.redis.restart(Persistence::None).await?;
    t.timeline.note("redis-server restarted EMPTY, without persistence (queued jobs lost)");

    tokio::time::sleep(Duration::from_secs(4)).await;
    t.timeline.note(format!("SIGKILL mariadbd while the workers process ({})", state(&t)));
    t.mariadb.kill();
    tokio::time::sleep(schedule.mariadb_down).await;
    t.mariadb.restart().await?;
    t.timeline.note("mariadbd restarted");

    tokio::time::sleep(schedule.tail).await;
    Ok(())
}

/// Kills a random worker every `worker_every` and starts it again `worker_down` later, until `stop`.
///
/// # Errors
/// When a worker cannot be started again.
pub async fn kill_workers(
    fleet: &Mutex<Fleet>,
    timeline: &Timeline,
    schedule: &Schedule,
    seed: u64,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let workers = lock(fleet).names(false);
    loop {
        tokio::select! {
            () = tokio::time::sleep(schedule.worker_every) => {}
            _ = stop.changed() => return Ok(()),
        }
        let victim = &workers[rng.random_range(0..workers.len())];
        lock(fleet).kill(victim);
        timeline.note(format!("SIGKILL {victim} (started again {:?} later)", schedule.worker_down));
        tokio::time::sleep(schedule.worker_down).await;
        lock(fleet).start(victim)?;
    }
}

/// Starts again, like an orchestrator, any hub process that exited by itself, until `stop`.
///
/// # Errors
/// When one cannot be started again.
pub async fn restart_exited(fleet: &Mutex<Fleet>, timeline: &Timeline, mut stop: watch::Receiver<bool>) -> Result<()> {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => return Ok(()),
        }
        for (name, status) in lock(fleet).restart_exited()? {
            timeline.note(format!("{name} exited by itself ({status}); started again"));
        }
    }
}

/// retail-2's bad moments, cycled until `stop`: 503s, a 3-second stall on every answer, dropped
/// connections, and requests processed whose answer is dropped; calm in between.
pub async fn troubled_shop(shop: &Simulator, timeline: &Timeline, mut stop: watch::Receiver<bool>) {
    let calm = Duration::from_secs(4);
    let episodes: [(&str, Option<FailureKind>, Duration); 4] = [
        ("answers 503", Some(FailureKind::Status(503)), Duration::from_secs(2)),
        ("stalls 3 s on every answer", None, Duration::from_secs(4)),
        ("drops connections", Some(FailureKind::Drop), Duration::from_millis(1500)),
        (
            "processes requests, then drops the connection",
            Some(FailureKind::ProcessThenDrop),
            Duration::from_millis(1500),
        ),
    ];
    'cycle: for n in 0.. {
        let (what, kind, lasting) = episodes[n % episodes.len()];
        tokio::select! {
            () = tokio::time::sleep(calm) => {}
            _ = stop.changed() => break 'cycle,
        }
        timeline.note(format!("retail-2 {what} for {:.1} s", lasting.as_secs_f64()));
        match kind {
            Some(kind) => shop.inject(Failure::new(kind).for_duration(lasting)),
            None => shop.set_latency(Duration::from_secs(3)),
        }
        tokio::select! {
            () = tokio::time::sleep(lasting) => {}
            _ = stop.changed() => break 'cycle,
        }
        shop.set_latency(Duration::ZERO);
    }
    shop.clear_failures();
    shop.set_latency(Duration::ZERO);
}
