//! Per source store, how far incremental reconciliations have read its changed products, on sea-orm.

use async_trait::async_trait;
use chrono::{NaiveDateTime, Utc};
use hub_domain::{StorageError, StoreCode, reconcile::CatalogWatermarks};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{insert_ignore, micros, storage_error};

/// How a watermark is stored: the shop's `date_upd` as it writes it.
const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// [`CatalogWatermarks`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmCatalogWatermarks {
    db: DatabaseConnection,
}

impl SeaOrmCatalogWatermarks {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CatalogWatermarks for SeaOrmCatalogWatermarks {
    async fn get(&self, store: &StoreCode) -> Result<Option<NaiveDateTime>, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT date_upd FROM catalog_watermarks WHERE store = ?",
            vec![store.as_str().into()],
        );
        let Some(row) = self.db.query_one_raw(stmt).await.map_err(storage_error)? else {
            return Ok(None);
        };
        let text: String = row.try_get_by_index(0).map_err(storage_error)?;
        NaiveDateTime::parse_from_str(&text, FORMAT)
            .map(Some)
            .map_err(|e| StorageError::Unexpected(format!("catalog_watermarks {store}: bad date_upd `{text}`: {e}")))
    }

    async fn advance(&self, store: &StoreCode, to: NaiveDateTime) -> Result<(), StorageError> {
        let to = to.format(FORMAT).to_string();
        let now = micros(Utc::now());
        let insert = format!(
            "{} INTO catalog_watermarks (store, date_upd, updated_at_us) VALUES (?, ?, ?)",
            insert_ignore(self.db.get_database_backend())
        );
        crate::execute(&self.db, &insert, vec![store.as_str().into(), to.clone().into(), now.into()]).await?;
        // Never backwards: two runs (or a run and a slower one) may finish pages out of order.
        crate::execute(
            &self.db,
            "UPDATE catalog_watermarks SET date_upd = ?, updated_at_us = ? WHERE store = ? AND date_upd < ?",
            vec![to.clone().into(), now.into(), store.as_str().into(), to.into()],
        )
        .await
        .map(|_| ())
    }
}
