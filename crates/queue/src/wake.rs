//! Waking a queue's idle worker when a job is pushed, instead of leaving it to its next poll.
//!
//! apalis 1.0 wakes a worker on its poll strategy and its heartbeat only (its own wake-on-push works for pushes
//! through the very backend value the worker owns, never through the clones the API holds). So each queue has
//! a [`Pushed`] signal: a push through this process's [`ApalisJobQueue`](crate::ApalisJobQueue) raises it at
//! once (the embedded hub: API and workers in one process); on Redis the push script also publishes on the
//! queue's `<queue>:pushed` channel, and every worker process subscribes ([`listen`]) and raises its own
//! signal, so a `hub-worker` wakes on a `hub-api`'s push. Pub/sub may lose a message (a reconnect): the poll
//! tick stays as the safety net, so a lost signal costs one poll interval, never a job.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use apalis::prelude::{PollSnapshot, PollStrategy};
use futures::{StreamExt, task::AtomicWaker};
use tokio::sync::{Notify, watch};

/// A queue's "jobs were pushed" signal, for this process's worker and feeder of that queue.
#[derive(Debug, Default)]
pub(crate) struct Pushed {
    raised: AtomicBool,
    worker: AtomicWaker,
    feeder: Notify,
}

impl Pushed {
    /// Jobs were pushed: wake the worker (and the Redis feeder) now.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.worker.wake();
        self.feeder.notify_one();
    }

    /// Resolves at the next push (or at once if one came since the last call).
    pub(crate) async fn feeder_woken(&self) {
        self.feeder.notified().await;
    }
}

/// The signals of the three queues, by queue name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Signals(Arc<HashMap<String, Arc<Pushed>>>);

impl Signals {
    pub(crate) fn new<'a>(queues: impl IntoIterator<Item = &'a String>) -> Self {
        Self(Arc::new(queues.into_iter().map(|q| (q.clone(), Arc::default())).collect()))
    }

    /// The signal of `queue` (a fresh, unconnected one for a queue this process does not know).
    pub(crate) fn of(&self, queue: &str) -> Arc<Pushed> {
        self.0.get(queue).cloned().unwrap_or_default()
    }

    pub(crate) fn raise(&self, queue: &str) {
        if let Some(p) = self.0.get(queue) {
            p.raise();
        }
    }

    fn raise_all(&self) {
        self.0.values().for_each(|p| p.raise());
    }
}

/// The Redis channel a push to `queue` is announced on.
pub(crate) fn channel(queue: &str) -> String {
    format!("{queue}:pushed")
}

/// How soon after a push the worker looks once more: a push that committed while a fetch was already in
/// flight is not in that fetch's answer, and the signal it raised was spent on it.
const LOOK_AGAIN: Duration = Duration::from_millis(3);

/// Wakes a worker every `period`, on every push, and once more shortly after a push; always leaves its next
/// tick armed.
///
/// apalis 1.0's `IntervalStrategy` replaces its timer after a tick without polling the new one, so that timer
/// wakes nobody; and its `Persisted` backend polls the heartbeat timer only between fetches. A fetch slower
/// than the period (a loaded machine, a busy SQLite file) therefore left an idle worker asleep until its next
/// heartbeat (the 0.5–0.9 s single-change tail in docs/benchmarks.md) — and one whose heartbeat fired during
/// that fetch asleep for good: no heartbeat, no poll, no log (the embedded workers seen wedged on a real shop,
/// reproduced by holding the queue file's write lock on and off; the watchdog was the stopgap). A
/// `tokio::time::Interval` registers the next tick on every poll that finds none due. (apalis ignores what a
/// strategy returns: every wake of the worker is a chance to fetch.)
pub(crate) struct Wake {
    tick: tokio::time::Interval,
    pushed: Arc<Pushed>,
    again: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Wake {
    pub(crate) fn new(period: Duration, pushed: Arc<Pushed>) -> Self {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { tick, pushed, again: None }
    }
}

impl PollStrategy for Wake {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut due = false;
        // Ends on `Pending`, which registers the waker for the next tick.
        while self.tick.poll_tick(cx).is_ready() {
            due = true;
        }
        self.pushed.worker.register(cx.waker());
        if self.pushed.raised.swap(false, Ordering::AcqRel) {
            due = true;
            self.again = Some(Box::pin(tokio::time::sleep(LOOK_AGAIN)));
        }
        if let Some(again) = self.again.as_mut()
            && again.as_mut().poll(cx).is_ready()
        {
            self.again = None;
            due = true;
        }
        if due { Poll::Ready(Some(())) } else { Poll::Pending }
    }
}

/// Raises this process's signals on the pushes announced on Redis, until `shutdown` turns true; reconnects
/// after a lost connection (and raises every signal then: pushes may have been missed meanwhile).
pub(crate) async fn listen(client: redis::Client, signals: Signals, mut shutdown: watch::Receiver<bool>) {
    let channels: HashMap<String, String> = signals.0.keys().map(|q| (channel(q), q.clone())).collect();
    let mut failing = false;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            for c in channels.keys() {
                pubsub.subscribe(c).await?;
            }
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(Duration::from_secs(5), subscribed).await {
            Ok(Ok(mut pubsub)) => {
                if failing {
                    tracing::info!("listening for pushes again");
                    failing = false;
                }
                signals.raise_all();
                let mut messages = pubsub.on_message();
                loop {
                    tokio::select! {
                        msg = messages.next() => match msg {
                            Some(msg) => if let Some(q) = channels.get(msg.get_channel_name()) { signals.raise(q) },
                            None => break,
                        },
                        changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { return },
                    }
                }
            }
            Ok(Err(e)) if !failing => {
                tracing::warn!(error = %e, "cannot listen for pushes; workers poll meanwhile");
                failing = true;
            }
            Err(_) if !failing => {
                tracing::warn!("cannot listen for pushes (no answer); workers poll meanwhile");
                failing = true;
            }
            _ => {}
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            changed = shutdown.changed() => if changed.is_err() { return },
        }
    }
}
