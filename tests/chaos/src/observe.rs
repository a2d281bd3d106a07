//! Watching the hub from outside: its inbox and what it still owes the clients (read in MariaDB), its
//! queues (read in Redis), and the wait for quiescence — every accepted event settled, nothing owed,
//! nothing waiting or running — bounded by a deadline, and cut short when nothing moves any more.

use std::{
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use tokio::sync::watch;

use crate::{
    fleet::QUEUES,
    instances::{RedisCli, Sql},
};

/// The inbox by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxCounts {
    /// Stored, not queued.
    pub received: i64,
    /// Queued, not processed.
    pub queued: i64,
    /// Processed.
    pub processed: i64,
    /// Failed for good.
    pub failed: i64,
}

impl InboxCounts {
    /// Every stored event.
    pub fn total(&self) -> i64 {
        self.received + self.queued + self.processed + self.failed
    }
}

/// Jobs in the queues, all job types together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Waiting to run (ready or scheduled for a retry).
    pub waiting: u64,
    /// Held by a worker (running, or held by a dead worker until its heartbeat expires).
    pub in_flight: u64,
}

/// One look at the hub; `None` where the store did not answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The inbox.
    pub inbox: Option<InboxCounts>,
    /// (client, SKU) pairs whose link has not dealt with the SKU's latest known state.
    pub owed: Option<i64>,
    /// The queues.
    pub queues: Option<QueueCounts>,
}

impl Snapshot {
    /// Whether everything accepted (`accepted` events) is settled and nothing is left to do.
    pub fn quiet(&self, accepted: i64) -> bool {
        let inbox = self.inbox.is_some_and(|i| i.received == 0 && i.queued == 0 && i.total() >= accepted);
        let queues = self.queues.is_some_and(|q| q.waiting == 0 && q.in_flight == 0);
        inbox && queues && self.owed == Some(0)
    }

    /// One line for the timeline.
    pub fn brief(&self) -> String {
        let inbox = self.inbox.map_or("inbox ?".to_owned(), |i| {
            format!("{} processed of {} stored, {} not yet queued", i.processed, i.total(), i.received)
        });
        let queues = self.queues.map_or("queues ?".to_owned(), |q| format!("{} jobs waiting", q.waiting));
        let owed = self.owed.map_or("owed ?".to_owned(), |o| format!("{o} client syncs owed"));
        format!("{inbox}; {queues}; {owed}")
    }
}

/// Reads the hub's state and remembers the last reading.
#[derive(Debug)]
pub struct Probe {
    sql: Sql,
    redis: RedisCli,
    last: Mutex<Snapshot>,
}

const QUEUE_SCRIPT: &str = "local out = {} \
    for _, q in ipairs(ARGV) do \
      local waiting = redis.call('LLEN', q .. ':active') + redis.call('ZCARD', q .. ':scheduled') \
      local flying = 0 \
      for _, k in ipairs(redis.call('KEYS', q .. ':inflight:*')) do flying = flying + redis.call('SCARD', k) end \
      out[#out + 1] = waiting \
      out[#out + 1] = flying \
    end \
    return out";

impl Probe {
    /// A probe on the hub's database and queue.
    pub fn new(sql: Sql, redis: RedisCli) -> Self {
        Self { sql, redis, last: Mutex::new(Snapshot::default()) }
    }

    /// Reads the inbox counts.
    ///
    /// # Errors
    /// When MariaDB does not answer.
    pub async fn inbox(&self) -> Result<InboxCounts> {
        let mut counts = InboxCounts::default();
        for row in self.sql.rows("SELECT status, COUNT(*) FROM inbox_events GROUP BY status").await? {
            let n: i64 = row.get(1).and_then(|n| n.parse().ok()).unwrap_or_default();
            match row.first().map(String::as_str) {
                Some("received") => counts.received = n,
                Some("queued") => counts.queued = n,
                Some("processed") => counts.processed = n,
                Some("failed") => counts.failed = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    async fn owed(&self) -> Result<i64> {
        self.sql
            .number(
                "SELECT COUNT(*) FROM product_states s \
                 CROSS JOIN (SELECT 'retail-1' AS store UNION ALL SELECT 'retail-2') c \
                 LEFT JOIN product_links l ON l.store = c.store AND l.sku = s.sku \
                 WHERE l.applied_event_id IS NULL OR l.applied_event_id <> s.event_id",
            )
            .await
    }

    async fn queues(&self) -> Result<QueueCounts> {
        let mut args = vec!["EVAL", QUEUE_SCRIPT, "0"];
        args.extend(QUEUES.iter().map(|(_, name)| *name));
        let answer = self.redis.command(&args).await?;
        let numbers: Vec<u64> =
            answer.split_whitespace().map(str::parse).collect::<Result<_, _>>().context("queue counts")?;
        Ok(QueueCounts { waiting: numbers.iter().step_by(2).sum(), in_flight: numbers.iter().skip(1).step_by(2).sum() })
    }

    /// Reads everything now (and remembers it).
    pub async fn read(&self) -> Snapshot {
        let (inbox, owed, queues) = tokio::join!(self.inbox(), self.owed(), self.queues());
        let snapshot = Snapshot { inbox: inbox.ok(), owed: owed.ok(), queues: queues.ok() };
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = snapshot;
        snapshot
    }

    /// The last reading.
    pub fn last(&self) -> Snapshot {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads once a second until `stop` turns true.
    pub async fn watch(&self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            self.read().await;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// How the wait for quiescence ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Everything accepted settled, nothing owed, queues empty (seen twice in a row).
    Quiet,
    /// Not quiet, and nothing changed for the stall period: waiting longer would not help.
    Stalled,
    /// The deadline passed first.
    Deadline,
}

/// How the wait ended, the hub's state then, and when that state was first seen (for a stall: when the
/// hub last moved).
#[derive(Debug, Clone, Copy)]
pub struct Quiescence {
    /// How the wait ended.
    pub settled: Settled,
    /// The last reading.
    pub state: Snapshot,
    /// When the last reading's state was first seen.
    pub since: Instant,
}

/// Waits until the hub is quiet for `accepted` events, nothing changes for `stall_after`, or `deadline`.
pub async fn wait_quiet(probe: &Probe, accepted: i64, stall_after: Duration, deadline: Instant) -> Quiescence {
    let mut quiet_reads = 0;
    let mut last = probe.read().await;
    let mut unchanged_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = probe.read().await;
        if now != last {
            last = now;
            unchanged_since = Instant::now();
        }
        let end = |settled| Quiescence { settled, state: now, since: unchanged_since };
        if now.quiet(accepted) {
            quiet_reads += 1;
            if quiet_reads >= 2 {
                return end(Settled::Quiet);
            }
        } else {
            quiet_reads = 0;
        }
        if unchanged_since.elapsed() >= stall_after {
            return end(Settled::Stalled);
        }
        if Instant::now() >= deadline {
            return end(Settled::Deadline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_needs_every_event_settled_nothing_owed_and_empty_queues() {
        let settled = Snapshot {
            inbox: Some(InboxCounts { processed: 10, failed: 1, ..InboxCounts::default() }),
            owed: Some(0),
            queues: Some(QueueCounts::default()),
        };
        assert!(settled.quiet(11));
        assert!(!settled.quiet(12), "an accepted event missing from the inbox");
        assert!(!Snapshot { owed: Some(1), ..settled }.quiet(11));
        assert!(!Snapshot { queues: Some(QueueCounts { waiting: 0, in_flight: 1 }), ..settled }.quiet(11));
        assert!(!Snapshot { inbox: None, ..settled }.quiet(11), "an unreadable inbox is not quiet");
    }
}
