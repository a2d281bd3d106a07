//! The inbox of accepted events, on sea-orm.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_domain::{
    EventId, EventKind, EventStatus, NewEvent, StoreCode, StoredEvent,
    event::EventPayload,
    ports::{Inbox, PendingEvent, Recorded, StorageError},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    Value,
};

use crate::{entities::inbox_events, from_micros, insert_ignore, micros, storage_error};

/// [`Inbox`] on a sea-orm connection (MySQL/MariaDB or SQLite).
#[derive(Debug, Clone)]
pub struct SeaOrmInbox {
    db: DatabaseConnection,
}

impl SeaOrmInbox {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        let stmt = Statement::from_sql_and_values(self.db.get_database_backend(), sql, values);
        self.db.execute_raw(stmt).await.map(|r| r.rows_affected()).map_err(storage_error)
    }
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
        let payload = serde_json::to_string(&event.payload).map_err(|e| StorageError::Unexpected(e.to_string()))?;
        let sql = format!(
            "{} INTO inbox_events (event_id, store, kind, payload, status, sequence, occurred_at_us, received_at_us, attempts) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            insert_ignore(self.db.get_database_backend())
        );
        let inserted = self
            .exec(
                &sql,
                vec![
                    event.event_id.as_str().into(),
                    event.store.as_str().into(),
                    event.kind().as_str().into(),
                    payload.into(),
                    EventStatus::Received.as_str().into(),
                    event.sequence.map(|s| s as i64).into(),
                    micros(event.occurred_at).into(),
                    micros(Utc::now()).into(),
                ],
            )
            .await?;
        Ok(if inserted == 1 { Recorded::New } else { Recorded::Duplicate })
    }

    async fn mark_queued(&self, ids: &[EventId]) -> Result<(), StorageError> {
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
        self.exec(
            "UPDATE inbox_events SET status = 'processed', processed_at_us = ? WHERE event_id = ?",
            vec![micros(Utc::now()).into(), id.as_str().into()],
        )
        .await
        .map(|_| ())
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
        rows.into_iter()
            .map(|r| {
                Ok(PendingEvent {
                    event_id: EventId::parse(&r.event_id)
                        .map_err(|_| StorageError::Unexpected(format!("inbox row {}: bad event_id", r.id)))?,
                    kind: EventKind::from_name(&r.kind)
                        .ok_or_else(|| StorageError::Unexpected(format!("inbox row {}: bad kind", r.id)))?,
                })
            })
            .collect()
    }

    async fn ping(&self) -> Result<(), StorageError> {
        crate::ping(&self.db).await
    }
}
