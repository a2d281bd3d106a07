//! The sweeper: queues again what the inbox holds but the queue may have lost.

use std::sync::Arc;

use super::ports::Inbox;
use crate::jobs::{JobError, JobQueue};

/// Queues what the inbox holds but the queue may not: events stored while the queue was down (or by a
/// process that died between the two writes), and events queued long ago and still not processed (a queue
/// that lost them). Jobs are idempotent, so queueing one twice is harmless.
#[derive(Clone)]
pub struct SweepInbox {
    inbox: Arc<dyn Inbox>,
    queue: Arc<dyn JobQueue>,
}

impl SweepInbox {
    /// Builds the use case.
    pub fn new(inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self { inbox, queue }
    }

    /// Queues up to `limit` events: `received` more than `grace` ago, or `queued` more than `stale` ago.
    /// Returns how many were queued.
    ///
    /// # Errors
    /// [`JobError::Retryable`] when the database or the queue is down (what was queued before is kept).
    pub async fn execute(
        &self,
        grace: chrono::Duration,
        stale: chrono::Duration,
        limit: u32,
    ) -> Result<usize, JobError> {
        let now = chrono::Utc::now();
        let due = self.inbox.due_for_queueing(now - grace, now - stale, limit).await?;
        let mut queued = Vec::with_capacity(due.len());
        let mut outcome = Ok(());
        for pending in due {
            if let Err(e) = self.queue.enqueue_event(&pending.event_id, pending.kind).await {
                outcome = Err(JobError::from(e));
                break;
            }
            queued.push(pending.event_id);
        }
        self.inbox.mark_queued(&queued).await?;
        if !queued.is_empty() {
            tracing::info!(count = queued.len(), "sweeper queued events");
        }
        outcome.map(|()| queued.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        errors::QueueError,
        ingest::ports::{MockInbox, PendingEvent},
        jobs::MockJobQueue,
        model::{EventId, EventKind},
    };

    #[tokio::test]
    async fn the_sweeper_queues_what_the_queue_missed_and_marks_it() {
        let mut inbox = MockInbox::new();
        inbox.expect_due_for_queueing().times(1).returning(|_, _, _| {
            Ok(vec![
                PendingEvent { event_id: EventId::parse("event-0001").unwrap(), kind: EventKind::Product },
                PendingEvent { event_id: EventId::parse("event-0002").unwrap(), kind: EventKind::Order },
            ])
        });
        inbox.expect_mark_queued().withf(|ids| ids.len() == 2).times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(2).returning(|_, _| Ok(()));
        let uc = SweepInbox::new(Arc::new(inbox), Arc::new(queue));
        let n = uc.execute(chrono::Duration::seconds(10), chrono::Duration::minutes(10), 100).await;
        assert_eq!(n, Ok(2));
    }

    #[tokio::test]
    async fn the_sweeper_stops_at_a_queue_outage_and_marks_only_what_it_queued() {
        let mut inbox = MockInbox::new();
        inbox.expect_due_for_queueing().returning(|_, _, _| {
            Ok(vec![
                PendingEvent { event_id: EventId::parse("event-0001").unwrap(), kind: EventKind::Product },
                PendingEvent { event_id: EventId::parse("event-0002").unwrap(), kind: EventKind::Product },
            ])
        });
        inbox
            .expect_mark_queued()
            .withf(|ids| ids.len() == 1 && ids[0].as_str() == "event-0001")
            .times(1)
            .returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        let mut calls = 0;
        queue.expect_enqueue_event().times(2).returning(move |_, _| {
            calls += 1;
            if calls == 1 { Ok(()) } else { Err(QueueError::Unavailable("down".into())) }
        });
        let uc = SweepInbox::new(Arc::new(inbox), Arc::new(queue));
        let got = uc.execute(chrono::Duration::seconds(10), chrono::Duration::minutes(10), 100).await;
        assert!(matches!(got, Err(JobError::Retryable(_))));
    }
}
