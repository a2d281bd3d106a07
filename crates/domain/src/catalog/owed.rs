//! The owed-sync sweeper: queues again the syncs the database says are owed (a client lagging behind a
//! SKU's latest state for longer than a job needs), so a queue that lost its jobs (Redis restarted empty, a
//! job dropped, even the re-queued job lost again) loses no product change.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

use super::ports::OwedSyncs;
use crate::{
    jobs::{JobError, JobQueue, SyncRequest},
    model::StoreDirectory,
};

/// Queues the syncs owed to every active client.
#[derive(Clone)]
pub struct SweepOwedSyncs {
    owed: Arc<dyn OwedSyncs>,
    queue: Arc<dyn JobQueue>,
    stores: Arc<dyn StoreDirectory>,
}

impl SweepOwedSyncs {
    /// Builds the use case.
    pub fn new(owed: Arc<dyn OwedSyncs>, queue: Arc<dyn JobQueue>, stores: Arc<dyn StoreDirectory>) -> Self {
        Self { owed, queue, stores }
    }

    /// For each active client, queues a sync for up to `limit` SKUs whose latest state was recorded in
    /// `[since, before)` and that the client still lags behind; a pair already queued again for its state
    /// is queued once more only after `retry` × the times it was. Returns how many were queued.
    ///
    /// # Errors
    /// [`JobError::Retryable`] when the database or the queue is down (what was queued before is kept).
    pub async fn execute(
        &self,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
        retry: Duration,
        limit: u32,
    ) -> Result<usize, JobError> {
        let mut queued = 0;
        for client in self.stores.active_clients() {
            let lagging = self.owed.lagging(&client.code, since, before, retry, limit).await?;
            if lagging.is_empty() {
                continue;
            }
            let jobs: Vec<SyncRequest> =
                lagging.iter().map(|(sku, _)| SyncRequest { store: client.code.clone(), sku: sku.clone() }).collect();
            self.queue.enqueue_syncs(&jobs).await?;
            // Marked after queueing: a failure here queues them once more next time, never zero times.
            self.owed.mark_requeued(&client.code, &lagging).await?;
            tracing::warn!(store = %client.code, count = jobs.len(), "owed syncs queued again");
            queued += jobs.len();
        }
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        catalog::ports::MockOwedSyncs,
        errors::QueueError,
        fixtures::store,
        jobs::MockJobQueue,
        model::{EventId, Sku, StaticStoreDirectory, StoreRole},
    };

    fn directory() -> Arc<dyn StoreDirectory> {
        let mut inactive = store("retail-3", StoreRole::Client);
        inactive.active = false;
        Arc::new(
            StaticStoreDirectory::new(vec![
                store("wholesaler", StoreRole::Source),
                store("retail-1", StoreRole::Client),
                inactive,
            ])
            .unwrap(),
        )
    }

    fn lag() -> Vec<(Sku, EventId)> {
        vec![(Sku::parse("WHS-0001").unwrap(), EventId::parse("event-0001").unwrap())]
    }

    #[tokio::test]
    async fn a_lagging_pair_is_queued_again_and_marked_for_its_state() {
        let mut owed = MockOwedSyncs::new();
        owed.expect_lagging()
            .withf(|s, _, _, _, _| s.as_str() == "retail-1")
            .times(1)
            .returning(|_, _, _, _, _| Ok(lag()));
        owed.expect_mark_requeued()
            .withf(|s, pairs| s.as_str() == "retail-1" && pairs == lag().as_slice())
            .times(1)
            .returning(|_, _| Ok(()));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].store.as_str() == "retail-1" && jobs[0].sku.as_str() == "WHS-0001")
            .times(1)
            .returning(|_| Ok(()));
        let uc = SweepOwedSyncs::new(Arc::new(owed), Arc::new(queue), directory());
        let now = Utc::now();
        assert_eq!(uc.execute(now - chrono::Duration::days(1), now, Duration::from_secs(900), 100).await, Ok(1));
    }

    #[tokio::test]
    async fn a_queue_outage_marks_nothing_so_the_pair_is_tried_again() {
        let mut owed = MockOwedSyncs::new();
        owed.expect_lagging().returning(|_, _, _, _, _| Ok(lag()));
        owed.expect_mark_requeued().never();
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().returning(|_| Err(QueueError::Unavailable("down".into())));
        let uc = SweepOwedSyncs::new(Arc::new(owed), Arc::new(queue), directory());
        let now = Utc::now();
        assert!(matches!(uc.execute(now, now, Duration::from_secs(900), 100).await, Err(JobError::Retryable(_))));
    }
}
