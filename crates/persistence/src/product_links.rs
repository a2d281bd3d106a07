//! Links of source SKUs to client products, and the per-(store, SKU) write lease, on sea-orm.

use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use chrono::Utc;
use hub_domain::{
    EventId, Sku, StorageError, StoreCode,
    catalog::{OwedSyncs, ProductLink, ProductLinks},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

use crate::{Lease, insert_ignore, micros, storage_error};

const LEASE: Lease = Lease { table: "product_links", key: "store = ? AND sku = ?" };

/// [`ProductLinks`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmProductLinks {
    db: DatabaseConnection,
}

impl SeaOrmProductLinks {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        crate::execute(&self.db, sql, values).await
    }

    /// Makes sure the row exists (a lease needs one), as `unlinked` with no data.
    async fn ensure_row(&self, store: &StoreCode, sku: &Sku) -> Result<(), StorageError> {
        let sql = format!(
            "{} INTO product_links (store, sku, status, lease_until_us, updated_at_us) VALUES (?, ?, 'unlinked', 0, ?)",
            insert_ignore(self.db.get_database_backend())
        );
        self.exec(&sql, vec![store.as_str().into(), sku.as_str().into(), micros(Utc::now()).into()]).await.map(|_| ())
    }
}

#[async_trait]
impl ProductLinks for SeaOrmProductLinks {
    async fn get(&self, store: &StoreCode, sku: &Sku) -> Result<Option<ProductLink>, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT data FROM product_links WHERE store = ? AND sku = ?",
            vec![store.as_str().into(), sku.as_str().into()],
        );
        let Some(row) = self.db.query_one_raw(stmt).await.map_err(storage_error)? else {
            return Ok(None);
        };
        let data: Option<String> = row.try_get_by_index(0).map_err(storage_error)?;
        data.map(|d| {
            serde_json::from_str(&d)
                .map_err(|e| StorageError::Unexpected(format!("product_links {store}/{sku}: bad data: {e}")))
        })
        .transpose()
    }

    async fn save(&self, link: &ProductLink) -> Result<(), StorageError> {
        self.ensure_row(&link.store, &link.sku).await?;
        let data = serde_json::to_string(link).map_err(|e| StorageError::Unexpected(e.to_string()))?;
        self.exec(
            "UPDATE product_links SET status = ?, client_product_id = ?, data = ?, applied_event_id = ?, updated_at_us = ? \
             WHERE store = ? AND sku = ?",
            vec![
                link.status.as_str().into(),
                link.client_product_id.map(|i| i as i64).into(),
                data.into(),
                link.applied_event_id.clone().into(),
                micros(Utc::now()).into(),
                link.store.as_str().into(),
                link.sku.as_str().into(),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn lease(&self, store: &StoreCode, sku: &Sku, owner: &str, ttl: Duration) -> Result<bool, StorageError> {
        self.ensure_row(store, sku).await?;
        LEASE.take(&self.db, vec![store.as_str().into(), sku.as_str().into()], owner, ttl).await
    }

    async fn release(&self, store: &StoreCode, sku: &Sku, owner: &str) -> Result<(), StorageError> {
        LEASE.release(&self.db, vec![store.as_str().into(), sku.as_str().into()], owner).await
    }

    async fn of_store(&self, store: &StoreCode) -> Result<Vec<ProductLink>, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT sku, data FROM product_links WHERE store = ? AND data IS NOT NULL",
            vec![store.as_str().into()],
        );
        let rows = self.db.query_all_raw(stmt).await.map_err(storage_error)?;
        rows.iter()
            .map(|row| {
                let sku: String = row.try_get_by_index(0).map_err(storage_error)?;
                let data: String = row.try_get_by_index(1).map_err(storage_error)?;
                serde_json::from_str(&data)
                    .map_err(|e| StorageError::Unexpected(format!("product_links {store}/{sku}: bad data: {e}")))
            })
            .collect()
    }
}

#[async_trait]
impl OwedSyncs for SeaOrmProductLinks {
    async fn lagging(
        &self,
        store: &StoreCode,
        since: DateTime<Utc>,
        before: DateTime<Utc>,
        retry: Duration,
        limit: u32,
    ) -> Result<Vec<(Sku, EventId)>, StorageError> {
        let retry_us = i64::try_from(retry.as_micros()).unwrap_or(i64::MAX / 1024);
        // A range of the recorded-at index, joined to the store's links and re-queue marks by primary key.
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT s.sku, s.event_id FROM product_states s \
             LEFT JOIN product_links l ON l.store = ? AND l.sku = s.sku \
             LEFT JOIN sync_requeues r ON r.store = ? AND r.sku = s.sku \
             WHERE s.recorded_at_us >= ? AND s.recorded_at_us < ? \
             AND (l.applied_event_id IS NULL OR l.applied_event_id <> s.event_id) \
             AND (r.event_id IS NULL OR r.event_id <> s.event_id OR r.requeued_at_us + ? * r.attempts <= ?) \
             ORDER BY s.recorded_at_us LIMIT ?",
            vec![
                store.as_str().into(),
                store.as_str().into(),
                micros(since).into(),
                micros(before).into(),
                retry_us.into(),
                micros(Utc::now()).into(),
                i64::from(limit).into(),
            ],
        );
        let rows = self.db.query_all_raw(stmt).await.map_err(storage_error)?;
        rows.iter()
            .map(|row| {
                let sku: String = row.try_get_by_index(0).map_err(storage_error)?;
                let event: String = row.try_get_by_index(1).map_err(storage_error)?;
                let bad = |what: &str| StorageError::Unexpected(format!("product_states {sku}: bad {what}"));
                Ok((Sku::parse(&sku).map_err(|_| bad("sku"))?, EventId::parse(&event).map_err(|_| bad("event_id"))?))
            })
            .collect()
    }

    async fn mark_requeued(&self, store: &StoreCode, pairs: &[(Sku, EventId)]) -> Result<(), StorageError> {
        let now = micros(Utc::now());
        for chunk in pairs.chunks(200) {
            let rows = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let upsert = match self.db.get_database_backend() {
                // The count restarts with each new state; attempts is set before event_id changes (MySQL
                // assigns left to right; SQLite reads the old row throughout).
                sea_orm::DbBackend::Sqlite => {
                    "ON CONFLICT (store, sku) DO UPDATE SET \
                     attempts = CASE WHEN event_id = excluded.event_id THEN attempts + 1 ELSE 1 END, \
                     event_id = excluded.event_id, requeued_at_us = excluded.requeued_at_us"
                }
                _ => {
                    "ON DUPLICATE KEY UPDATE attempts = IF(event_id = VALUES(event_id), attempts + 1, 1), \
                     event_id = VALUES(event_id), requeued_at_us = VALUES(requeued_at_us)"
                }
            };
            let sql =
                format!("INSERT INTO sync_requeues (store, sku, event_id, requeued_at_us) VALUES {rows} {upsert}");
            let values = chunk
                .iter()
                .flat_map(|(sku, event)| {
                    [store.as_str().into(), sku.as_str().into(), event.as_str().into(), now.into()]
                })
                .collect();
            self.exec(&sql, values).await?;
        }
        Ok(())
    }
}
