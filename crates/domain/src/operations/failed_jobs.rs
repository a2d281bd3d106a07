//! The operator's actions: Retry and Discard of failed jobs, and Replay of inbox events.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    ports::OperationsLog,
    read_models::{FailedJob, FailedStatus},
};
use crate::{
    errors::{QueueError, StorageError},
    ingest::Inbox,
    jobs::{JobQueue, JobType, SyncRequest},
    model::{EventId, EventKind, Sku, StoreCode},
};

/// Why an operator action did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    /// No such failed job.
    #[error("no failed job {0}")]
    NotFound(i64),
    /// Already retried or discarded.
    #[error("job {0} is already {1}")]
    AlreadyResolved(i64, &'static str),
    /// The stored job cannot be understood.
    #[error("job {0}: {1}")]
    Malformed(i64, String),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The payload of a sync job, as stored with a failed one.
#[derive(Debug, Deserialize)]
struct SyncPayload {
    store: String,
    sku: String,
}

/// Retry and Discard of failed jobs, and Replay of inbox events.
#[derive(Clone)]
pub struct FailedJobs {
    log: Arc<dyn OperationsLog>,
    inbox: Arc<dyn Inbox>,
    queue: Arc<dyn JobQueue>,
}

impl FailedJobs {
    /// Wires the use case.
    pub fn new(log: Arc<dyn OperationsLog>, inbox: Arc<dyn Inbox>, queue: Arc<dyn JobQueue>) -> Self {
        Self { log, inbox, queue }
    }

    async fn claim(&self, id: i64, to: FailedStatus) -> Result<FailedJob, OperationError> {
        let job = self.log.failed_job(id).await?.ok_or(OperationError::NotFound(id))?;
        if job.status != FailedStatus::Failed {
            return Err(OperationError::AlreadyResolved(id, job.status.as_str()));
        }
        if !self.log.resolve_failed(id, to).await? {
            let now = self.log.failed_job(id).await?.map_or(FailedStatus::Discarded, |j| j.status);
            return Err(OperationError::AlreadyResolved(id, now.as_str()));
        }
        Ok(job)
    }

    /// Queues a failed job again (its event back to `queued` in the inbox). Marked `retried` first, so two
    /// operators clicking at once queue it once; put back to `failed` if the queue refuses.
    ///
    /// # Errors
    /// Unknown or resolved job, a malformed payload, storage or queue failures.
    pub async fn retry(&self, id: i64) -> Result<(), OperationError> {
        let job = self.claim(id, FailedStatus::Retried).await?;
        let result = self.requeue(&job).await;
        if result.is_err() {
            self.log.reopen_failed(id).await?;
        } else {
            tracing::info!(failed_job = id, job = %job.job, subject = %job.subject, "failed job retried");
        }
        result
    }

    async fn requeue(&self, job: &FailedJob) -> Result<(), OperationError> {
        let malformed = |m: String| OperationError::Malformed(job.id, m);
        match JobType::from_name(&job.job) {
            Some(kind @ (JobType::FanOutProduct | JobType::ReplicateOrder)) => {
                let event = EventId::parse(&job.subject).map_err(|e| malformed(e.to_string()))?;
                self.inbox.requeue(std::slice::from_ref(&event)).await?;
                let kind = if kind == JobType::FanOutProduct { EventKind::Product } else { EventKind::Order };
                self.queue.enqueue_event(&event, kind).await?;
            }
            Some(JobType::SyncProductToStore) => {
                let p: SyncPayload = serde_json::from_str(&job.payload).map_err(|e| malformed(e.to_string()))?;
                let store = StoreCode::parse(&p.store).map_err(|e| malformed(e.to_string()))?;
                let sku = Sku::parse(&p.sku).map_err(|e| malformed(e.to_string()))?;
                self.queue.enqueue_syncs(&[SyncRequest { store, sku }]).await?;
            }
            None => return Err(malformed(format!("unknown job type `{}`", job.job))),
        }
        Ok(())
    }

    /// Drops a failed job for good.
    ///
    /// # Errors
    /// Unknown or resolved job, storage failures.
    pub async fn discard(&self, id: i64) -> Result<(), OperationError> {
        let job = self.claim(id, FailedStatus::Discarded).await?;
        tracing::info!(failed_job = id, job = %job.job, subject = %job.subject, "failed job discarded");
        Ok(())
    }

    /// The failed jobs waiting for an operator, newest first.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn waiting(&self, limit: u32) -> Result<Vec<FailedJob>, OperationError> {
        Ok(self.log.failed_jobs(FailedStatus::Failed, limit).await?)
    }

    /// Processes again every event received since `since` (of `kind`, or all), a page at a time: each is
    /// put back to `queued` and its job queued. Jobs are idempotent, so an order is still created once.
    /// `progress` is called with the running total after each page.
    ///
    /// # Errors
    /// Storage or queue failures (what was queued before stays queued).
    pub async fn replay(
        &self,
        since: DateTime<Utc>,
        kind: Option<EventKind>,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<u64, OperationError> {
        let mut after = 0_i64;
        let mut done = 0_u64;
        loop {
            let page = self.inbox.received_since(since, kind, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            let ids: Vec<EventId> = page.iter().map(|(_, e)| e.event_id.clone()).collect();
            self.inbox.requeue(&ids).await?;
            for (_, event) in &page {
                self.queue.enqueue_event(&event.event_id, event.kind).await?;
            }
            done += page.len() as u64;
            progress(done);
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ingest::{MockInbox, PendingEvent},
        jobs::MockJobQueue,
        operations::ports::MockOperationsLog,
    };

    fn failed(id: i64, job: JobType, subject: &str, payload: &str, status: FailedStatus) -> FailedJob {
        FailedJob {
            id,
            job: job.as_str().into(),
            subject: subject.into(),
            payload: payload.into(),
            error: "boom".into(),
            attempts: 8,
            status,
            failed_at: Utc::now(),
            resolved_at: None,
        }
    }

    #[tokio::test]
    async fn retrying_a_sync_queues_it_once_and_marks_it_retried() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job().returning(|id| {
            Ok(Some(failed(
                id,
                JobType::SyncProductToStore,
                "retailer-1/SKU-1",
                r#"{"store":"retailer-1","sku":"SKU-1"}"#,
                FailedStatus::Failed,
            )))
        });
        log.expect_resolve_failed()
            .withf(|id, to| *id == 7 && *to == FailedStatus::Retried)
            .times(1)
            .returning(|_, _| Ok(true));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_syncs()
            .withf(|jobs| jobs.len() == 1 && jobs[0].store.as_str() == "retailer-1" && jobs[0].sku.as_str() == "SKU-1")
            .times(1)
            .returning(|_| Ok(()));
        let uc = FailedJobs::new(Arc::new(log), Arc::new(MockInbox::new()), Arc::new(queue));
        uc.retry(7).await.unwrap();
    }

    #[tokio::test]
    async fn retrying_an_event_job_requeues_the_inbox_row_and_the_event() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job()
            .returning(|id| Ok(Some(failed(id, JobType::ReplicateOrder, "order-evt-1", "{}", FailedStatus::Failed))));
        log.expect_resolve_failed().returning(|_, _| Ok(true));
        let mut inbox = MockInbox::new();
        inbox
            .expect_requeue()
            .withf(|ids| ids.len() == 1 && ids[0].as_str() == "order-evt-1")
            .times(1)
            .returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue_event()
            .withf(|id, kind| id.as_str() == "order-evt-1" && *kind == EventKind::Order)
            .times(1)
            .returning(|_, _| Ok(()));
        let uc = FailedJobs::new(Arc::new(log), Arc::new(inbox), Arc::new(queue));
        uc.retry(3).await.unwrap();
    }

    #[tokio::test]
    async fn a_refused_queue_puts_the_job_back_to_failed() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job().returning(|id| {
            Ok(Some(failed(
                id,
                JobType::SyncProductToStore,
                "retailer-1/SKU-1",
                r#"{"store":"retailer-1","sku":"SKU-1"}"#,
                FailedStatus::Failed,
            )))
        });
        log.expect_resolve_failed().returning(|_, _| Ok(true));
        log.expect_reopen_failed().withf(|id| *id == 9).times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_syncs().returning(|_| Err(QueueError::Unavailable("down".into())));
        let uc = FailedJobs::new(Arc::new(log), Arc::new(MockInbox::new()), Arc::new(queue));
        assert!(matches!(uc.retry(9).await, Err(OperationError::Queue(_))));
    }

    #[tokio::test]
    async fn a_resolved_job_is_neither_retried_nor_discarded_again() {
        let mut log = MockOperationsLog::new();
        log.expect_failed_job()
            .returning(|id| Ok(Some(failed(id, JobType::FanOutProduct, "evt-1", "{}", FailedStatus::Discarded))));
        log.expect_resolve_failed().never();
        let uc = FailedJobs::new(Arc::new(log), Arc::new(MockInbox::new()), Arc::new(MockJobQueue::new()));
        assert_eq!(uc.retry(1).await, Err(OperationError::AlreadyResolved(1, "discarded")));
        assert_eq!(uc.discard(1).await, Err(OperationError::AlreadyResolved(1, "discarded")));
    }

    #[tokio::test]
    async fn replay_pages_through_the_inbox() {
        let mut inbox = MockInbox::new();
        inbox.expect_received_since().returning(|_, _, after, _| {
            Ok(if after == 0 {
                vec![
                    (1, PendingEvent { event_id: EventId::parse("event-0001").unwrap(), kind: EventKind::Product }),
                    (2, PendingEvent { event_id: EventId::parse("event-0002").unwrap(), kind: EventKind::Order }),
                ]
            } else {
                Vec::new()
            })
        });
        inbox.expect_requeue().times(1).returning(|_| Ok(()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue_event().times(2).returning(|_, _| Ok(()));
        let uc = FailedJobs::new(Arc::new(MockOperationsLog::new()), Arc::new(inbox), Arc::new(queue));
        let mut seen = Vec::new();
        assert_eq!(uc.replay(Utc::now(), None, |n| seen.push(n)).await.unwrap(), 2);
        assert_eq!(seen, vec![2]);
    }
}
