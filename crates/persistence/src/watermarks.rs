//! Per store, how far a reconciliation has read: the source's changed products (`catalog_watermarks`, for
//! the incremental pass) and each client's valid orders (`order_watermarks`), on sea-orm. Both are a shop's
//! `date_upd`, kept in a table of the same shape.

use async_trait::async_trait;
use chrono::{NaiveDateTime, Utc};
use hub_domain::{
    StorageError, StoreCode,
    reconcile::{CatalogWatermarks, OrderWatermarks},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{insert_ignore, micros, storage_error};

/// How a watermark is stored: the shop's `date_upd` as it writes it.
const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// [`CatalogWatermarks`] (table `catalog_watermarks`) or [`OrderWatermarks`] (table `order_watermarks`) on a
/// sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmWatermarks {
    db: DatabaseConnection,
    table: &'static str,
}

impl SeaOrmWatermarks {
    /// The source's catalog watermarks, on a connection whose schema is migrated.
    pub fn catalog(db: DatabaseConnection) -> Self {
        Self { db, table: "catalog_watermarks" }
    }

    /// The clients' order watermarks, on a connection whose schema is migrated.
    pub fn orders(db: DatabaseConnection) -> Self {
        Self { db, table: "order_watermarks" }
    }

    async fn read(&self, store: &StoreCode) -> Result<Option<NaiveDateTime>, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            format!("SELECT date_upd FROM {} WHERE store = ?", self.table),
            vec![store.as_str().into()],
        );
        let Some(row) = self.db.query_one_raw(stmt).await.map_err(storage_error)? else {
            return Ok(None);
        };
        let text: String = row.try_get_by_index(0).map_err(storage_error)?;
        NaiveDateTime::parse_from_str(&text, FORMAT)
            .map(Some)
            .map_err(|e| StorageError::Unexpected(format!("{} {store}: bad date_upd `{text}`: {e}", self.table)))
    }

    async fn move_to(&self, store: &StoreCode, to: NaiveDateTime) -> Result<(), StorageError> {
        let to = to.format(FORMAT).to_string();
        let now = micros(Utc::now());
        let insert = format!(
            "{} INTO {} (store, date_upd, updated_at_us) VALUES (?, ?, ?)",
            insert_ignore(self.db.get_database_backend()),
            self.table
        );
        crate::execute(&self.db, &insert, vec![store.as_str().into(), to.clone().into(), now.into()]).await?;
        // Never backwards: two runs (or a run and a slower one) may finish pages out of order.
        let update =
            format!("UPDATE {} SET date_upd = ?, updated_at_us = ? WHERE store = ? AND date_upd < ?", self.table);
        crate::execute(&self.db, &update, vec![to.clone().into(), now.into(), store.as_str().into(), to.into()])
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl CatalogWatermarks for SeaOrmWatermarks {
    async fn get(&self, store: &StoreCode) -> Result<Option<NaiveDateTime>, StorageError> {
        self.read(store).await
    }

    async fn advance(&self, store: &StoreCode, to: NaiveDateTime) -> Result<(), StorageError> {
        self.move_to(store, to).await
    }
}

#[async_trait]
impl OrderWatermarks for SeaOrmWatermarks {
    async fn get(&self, store: &StoreCode) -> Result<Option<NaiveDateTime>, StorageError> {
        self.read(store).await
    }

    async fn advance(&self, store: &StoreCode, to: NaiveDateTime) -> Result<(), StorageError> {
        self.move_to(store, to).await
    }
}
