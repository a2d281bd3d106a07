//! The inbox of accepted events, on sea-orm.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_domain::{
    EventId, EventKind, EventPayload, EventStatus, NewEvent, StorageError, StoreCode, StoredEvent,
    ingest::{Inbox, PendingEvent, Recorded},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    Value,
};

use tokio::sync::mpsc;

use crate::{entities::inbox_events, from_micros, insert_ignore, micros, storage_error};

/// [`Inbox`] on a sea-orm connection (MySQL/MariaDB or SQLite).
///
/// With group commit, concurrent `record` calls are gathered into one multi-row `INSERT` (one commit for
/// many events; each caller still returns only once its row is durable), and `mark_queued` is applied in
/// the background in batches (it only spares the sweeper work).
#[derive(Debug, Clone)]
pub struct SeaOrmInbox {
    db: DatabaseConnection,
    records: Option<crate::batch::Batcher<NewEvent, Recorded>>,
    marks: Option<mpsc::Sender<EventId>>,
    processed: Option<crate::batch::Batcher<EventId, ()>>,
}

impl SeaOrmInbox {
    /// Wraps a connection whose schema is migrated; one statement per call.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, records: None, marks: None, processed: None }
    }

    /// Wraps a connection with group commit of up to `max_batch` events per statement and `writers`
    /// statements in flight. Needs a tokio runtime (it spawns the batching tasks).
    pub fn with_group_commit(db: DatabaseConnection, max_batch: usize, writers: usize) -> Self {
        let max_batch = max_batch.clamp(1, 1000);
        let (mtx, mut mrx) = mpsc::channel::<EventId>(max_batch * 64);
        let plain = Self::new(db.clone());
        let writer = plain.clone();
        let records = crate::batch::Batcher::spawn(max_batch, writers, move |events: Vec<NewEvent>| {
            let writer = writer.clone();
            async move { writer.record_batch(&events).await }
        });
        let processor = plain.clone();
        let processed = crate::batch::Batcher::spawn(max_batch, writers, move |ids: Vec<EventId>| {
            let processor = processor.clone();
            async move { processor.mark_processed_now(&ids).await.map(|()| vec![(); ids.len()]) }
        });
        let marker = plain;
        tokio::spawn(async move {
            while let Some(first) = mrx.recv().await {
                let mut ids = vec![first];
                while ids.len() < max_batch {
                    match mrx.try_recv() {
                        Ok(next) => ids.push(next),
                        Err(_) => break,
                    }
                }
                if let Err(e) = marker.mark_queued_now(&ids).await {
                    tracing::warn!(error = %e, count = ids.len(), "could not mark events queued; the sweeper will");
                }
            }
        });
        Self { db, records: Some(records), marks: Some(mtx), processed: Some(processed) }
    }

    /// Records several events in one statement; returns, per event, whether it was new.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn record_batch(&self, events: &[NewEvent]) -> Result<Vec<Recorded>, StorageError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // A batch may hold one event_id twice: only its first occurrence can be new.
        let mut first_of: HashMap<&str, usize> = HashMap::new();
        let mut unique = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            if let std::collections::hash_map::Entry::Vacant(slot) = first_of.entry(e.event_id.as_str()) {
                slot.insert(i);
                unique.push(e);
            }
        }
        let batch_id: i64 = rand::random::<i64>() & i64::MAX;
        let now = micros(Utc::now());
        let marks = vec!["(?, ?, ?, ?, 'received', ?, ?, ?, 0, ?)"; unique.len()].join(", ");
        let sql = format!(
            "{} INTO inbox_events (event_id, store, kind, payload, status, sequence, occurred_at_us, received_at_us, attempts, batch_id) \
             VALUES {marks}",
            insert_ignore(self.db.get_database_backend())
        );
        let mut values: Vec<Value> = Vec::with_capacity(unique.len() * 8);
        for e in &unique {
            let payload = serde_json::to_string(&e.payload).map_err(|x| StorageError::Unexpected(x.to_string()))?;
            values.extend([
                e.event_id.as_str().into(),
                e.store.as_str().into(),
                e.kind().as_str().into(),
                payload.into(),
                e.sequence.map(|s| s as i64).into(),
                micros(e.occurred_at).into(),
                now.into(),
                batch_id.into(),
            ]);
        }
        let inserted = self.exec(&sql, values).await?;
        let new: HashSet<String> = if inserted as usize == unique.len() {
            unique.iter().map(|e| e.event_id.as_str().to_owned()).collect()
        } else {
            let stmt = Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "SELECT event_id FROM inbox_events WHERE batch_id = ?",
                vec![batch_id.into()],
            );
            let rows = self.db.query_all_raw(stmt).await.map_err(storage_error)?;
            rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect()
        };
        Ok(events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let first = first_of.get(e.event_id.as_str()) == Some(&i);
                if first && new.contains(e.event_id.as_str()) { Recorded::New } else { Recorded::Duplicate }
            })
            .collect())
    }

    async fn mark_queued_now(&self, ids: &[EventId]) -> Result<(), StorageError> {
        if ids.is_empty() {
            return Ok(());
        }
        let marks = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "UPDATE inbox_events SET status = 'queued', queued_at_us = ? \
             WHERE status IN ('received', 'queued') AND event_id IN ({marks})"
        );
        let mut values: Vec<Value> = vec![micros(Utc::now()).into()];
        values.extend(ids.iter().map(|i| Value::from(i.as_str())));
        self.exec(&sql, values).await.map(|_| ())
    }

    async fn mark_processed_now(&self, ids: &[EventId]) -> Result<(), StorageError> {
        let marks = vec!["?"; ids.len()].join(",");
        let sql =
            format!("UPDATE inbox_events SET status = 'processed', processed_at_us = ? WHERE event_id IN ({marks})");
        let mut values: Vec<Value> = vec![micros(Utc::now()).into()];
        values.extend(ids.iter().map(|i| Value::from(i.as_str())));
        self.exec(&sql, values).await.map(|_| ())
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        crate::execute(&self.db, sql, values).await
    }
}

/// An inbox row as an event to queue.
fn pending(row: &inbox_events::Model) -> Result<PendingEvent, StorageError> {
    let bad = |what: &str| StorageError::Unexpected(format!("inbox row {}: bad {what}", row.id));
    Ok(PendingEvent {
        event_id: EventId::parse(&row.event_id).map_err(|_| bad("event_id"))?,
        kind: EventKind::from_name(&row.kind).ok_or_else(|| bad("kind"))?,
    })
}

fn decode(row: inbox_events::Model) -> Result<StoredEvent, StorageError> {
    let bad = |what: &str| StorageError::Unexpected(format!("inbox row {}: bad {what}", row.event_id));
    let payload: EventPayload = serde_json::from_str(&row.payload).map_err(|_| bad("payload"))?;
    let event = NewEvent::new(
        EventId::parse(&row.event_id).map_err(|_| bad("event_id"))?,
        StoreCode::parse(&row.store).map_err(|_| bad("store"))?,
        from_micros(row.occurred_at_us),
        row.sequence.map(|s| s as u64),
        payload,
    );
    let status = EventStatus::from_name(&row.status).ok_or_else(|| bad("status"))?;
    Ok(StoredEvent::new(event, status, from_micros(row.received_at_us), row.attempts.max(0) as u32, row.last_error))
}

#[async_trait]
impl Inbox for SeaOrmInbox {
    async fn record(&self, event: &NewEvent) -> Result<Recorded, StorageError> {
        let Some(records) = &self.records else {
            return self.record_batch(std::slice::from_ref(event)).await.map(|r| r[0]);
        };
        records.call(event.clone()).await
    }

    async fn mark_queued(&self, ids: &[EventId]) -> Result<(), StorageError> {
        match &self.marks {
            Some(marks) => {
                for id in ids {
                    // Full channel: leave it to the sweeper rather than slow the request down.
                    let _ = marks.try_send(id.clone());
                }
                Ok(())
            }
            None => self.mark_queued_now(ids).await,
        }
    }

    async fn load(&self, id: &EventId) -> Result<Option<StoredEvent>, StorageError> {
        inbox_events::Entity::find()
            .filter(inbox_events::Column::EventId.eq(id.as_str()))
            .one(&self.db)
            .await
            .map_err(storage_error)?
            .map(decode)
            .transpose()
    }

    async fn mark_processed(&self, id: &EventId) -> Result<(), StorageError> {
        // With group commit, the marks of concurrent jobs share one statement; each returns once it is durable.
        match &self.processed {
            Some(batch) => batch.call(id.clone()).await,
            None => self.mark_processed_now(std::slice::from_ref(id)).await,
        }
    }

    async fn record_failure(&self, id: &EventId, error: &str, give_up: bool) -> Result<(), StorageError> {
        let error: String = error.chars().take(4000).collect();
        let sql = if give_up {
            "UPDATE inbox_events SET attempts = attempts + 1, last_error = ?, status = 'failed' WHERE event_id = ? AND status <> 'processed'"
        } else {
            "UPDATE inbox_events SET attempts = attempts + 1, last_error = ? WHERE event_id = ?"
        };
        self.exec(sql, vec![error.into(), id.as_str().into()]).await.map(|_| ())
    }

    async fn due_for_queueing(
        &self,
        received_before: DateTime<Utc>,
        stale_queued_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingEvent>, StorageError> {
        let rows = inbox_events::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        sea_orm::Condition::all()
                            .add(inbox_events::Column::Status.eq(EventStatus::Received.as_str()))
                            .add(inbox_events::Column::ReceivedAtUs.lt(micros(received_before))),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(inbox_events::Column::Status.eq(EventStatus::Queued.as_str()))
                            .add(inbox_events::Column::QueuedAtUs.lt(micros(stale_queued_before))),
                    ),
            )
            .order_by_asc(inbox_events::Column::Id)
            .limit(u64::from(limit))
            .all(&self.db)
            .await
            .map_err(storage_error)?;
        rows.iter().map(pending).collect()
    }

    async fn requeue(&self, ids: &[EventId]) -> Result<(), StorageError> {
        if ids.is_empty() {
            return Ok(());
        }
        let marks = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "UPDATE inbox_events SET status = 'queued', queued_at_us = ?, processed_at_us = NULL, attempts = 0, \
             last_error = NULL WHERE event_id IN ({marks})"
        );
        let mut values: Vec<Value> = vec![micros(Utc::now()).into()];
        values.extend(ids.iter().map(|i| Value::from(i.as_str())));
        self.exec(&sql, values).await.map(|_| ())
    }

    async fn received_since(
        &self,
        since: DateTime<Utc>,
        kind: Option<EventKind>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, PendingEvent)>, StorageError> {
        let mut query = inbox_events::Entity::find()
            .filter(inbox_events::Column::ReceivedAtUs.gte(micros(since)))
            .filter(inbox_events::Column::Id.gt(after));
        if let Some(k) = kind {
            query = query.filter(inbox_events::Column::Kind.eq(k.as_str()));
        }
        let rows = query
            .order_by_asc(inbox_events::Column::Id)
            .limit(u64::from(limit))
            .all(&self.db)
            .await
            .map_err(storage_error)?;
        rows.iter().map(|r| Ok((r.id, pending(r)?))).collect()
    }

    async fn ping(&self) -> Result<(), StorageError> {
        crate::ping(&self.db).await
    }
}
