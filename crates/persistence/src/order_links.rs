//! Order links (client order → source order) and the per-order replication lease, on sea-orm.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_domain::{
    StorageError, StoreCode,
    replication::{OrderLink, OrderLinks},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

use crate::{Lease, insert_ignore, micros, storage_error};

const LEASE: Lease = Lease { table: "order_links", key: "client_store = ? AND client_order_id = ?" };

/// [`OrderLinks`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmOrderLinks {
    db: DatabaseConnection,
}

impl SeaOrmOrderLinks {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        crate::execute(&self.db, sql, values).await
    }

    async fn ensure_row(&self, store: &StoreCode, id: u64) -> Result<(), StorageError> {
        let sql = format!(
            "{} INTO order_links (client_store, client_order_id, status, lease_until_us, updated_at_us) VALUES (?, ?, 'pending', 0, ?)",
            insert_ignore(self.db.get_database_backend())
        );
        self.exec(&sql, vec![store.as_str().into(), (id as i64).into(), micros(Utc::now()).into()]).await.map(|_| ())
    }
}

#[async_trait]
impl OrderLinks for SeaOrmOrderLinks {
    async fn get(&self, store: &StoreCode, client_order_id: u64) -> Result<Option<OrderLink>, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT data FROM order_links WHERE client_store = ? AND client_order_id = ?",
            vec![store.as_str().into(), (client_order_id as i64).into()],
        );
        let Some(row) = self.db.query_one_raw(stmt).await.map_err(storage_error)? else {
            return Ok(None);
        };
        let data: Option<String> = row.try_get_by_index(0).map_err(storage_error)?;
        data.map(|d| {
            serde_json::from_str(&d)
                .map_err(|e| StorageError::Unexpected(format!("order_links {store}/{client_order_id}: bad data: {e}")))
        })
        .transpose()
    }

    async fn save(&self, link: &OrderLink) -> Result<(), StorageError> {
        self.ensure_row(&link.client_store, link.client_order_id).await?;
        let data = serde_json::to_string(link).map_err(|e| StorageError::Unexpected(e.to_string()))?;
        self.exec(
            "UPDATE order_links SET status = ?, source_cart_id = ?, source_order_id = ?, carrier_id = ?, \
             carrier_name = ?, shipping_tax_incl = ?, data = ?, updated_at_us = ? \
             WHERE client_store = ? AND client_order_id = ?",
            vec![
                link.status.as_str().into(),
                link.source_cart_id.map(|i| i as i64).into(),
                link.source_order_id.map(|i| i as i64).into(),
                link.carrier_id.map(|i| i as i64).into(),
                link.carrier_name.clone().into(),
                link.shipping_tax_incl.map(|m| m.to_string()).into(),
                data.into(),
                micros(Utc::now()).into(),
                link.client_store.as_str().into(),
                (link.client_order_id as i64).into(),
            ],
        )
        .await
        .map(|_| ())
    }

    async fn lease(
        &self,
        store: &StoreCode,
        client_order_id: u64,
        owner: &str,
        ttl: Duration,
    ) -> Result<bool, StorageError> {
        self.ensure_row(store, client_order_id).await?;
        LEASE.take(&self.db, vec![store.as_str().into(), (client_order_id as i64).into()], owner, ttl).await
    }

    async fn release(&self, store: &StoreCode, client_order_id: u64, owner: &str) -> Result<(), StorageError> {
        LEASE.release(&self.db, vec![store.as_str().into(), (client_order_id as i64).into()], owner).await
    }

    async fn find_by_source(
        &self,
        source_order_id: u64,
        cart_id: Option<u64>,
    ) -> Result<Option<OrderLink>, StorageError> {
        let lookups = [Some(("source_order_id", source_order_id)), cart_id.map(|c| ("source_cart_id", c))];
        for (column, id) in lookups.into_iter().flatten() {
            let stmt = Statement::from_sql_and_values(
                self.db.get_database_backend(),
                format!("SELECT client_store, client_order_id FROM order_links WHERE {column} = ? LIMIT 1"),
                vec![(id as i64).into()],
            );
            if let Some(row) = self.db.query_one_raw(stmt).await.map_err(storage_error)? {
                let store: String = row.try_get_by_index(0).map_err(storage_error)?;
                let order: i64 = row.try_get_by_index(1).map_err(storage_error)?;
                let store = StoreCode::parse(&store).map_err(|e| {
                    StorageError::Unexpected(format!("order_links: bad store `{store}`: {}", e.message))
                })?;
                return self.get(&store, order as u64).await;
            }
        }
        Ok(None)
    }

    async fn created_since(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<OrderLink>, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT data FROM order_links WHERE status = 'created' AND updated_at_us >= ? \
             ORDER BY updated_at_us DESC LIMIT ?",
            vec![micros(since).into(), i64::from(limit).into()],
        );
        let rows = self.db.query_all_raw(stmt).await.map_err(storage_error)?;
        rows.iter()
            .filter_map(|r| r.try_get_by_index::<Option<String>>(0).transpose())
            .map(|d| {
                let d = d.map_err(storage_error)?;
                serde_json::from_str(&d).map_err(|e| StorageError::Unexpected(format!("order_links: bad data: {e}")))
            })
            .collect()
    }
}
