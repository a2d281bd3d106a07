//! The latest known state of each source product, on sea-orm.

use async_trait::async_trait;
use chrono::Utc;
use hub_domain::{
    EventId, ProductData, Sku, StorageError,
    catalog::{ProductStates, SourceProductState},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Value};

use crate::{entities::product_states, from_micros, insert_ignore, micros, storage_error};

/// [`ProductStates`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmProductStates {
    db: DatabaseConnection,
}

impl SeaOrmProductStates {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        crate::execute(&self.db, sql, values).await
    }

    /// Overwrites the row when `state` supersedes it or is the same event; returns rows changed.
    async fn update_if_newer(&self, state: &SourceProductState, data: &str) -> Result<u64, StorageError> {
        let updated = micros(state.product.updated_at);
        let occurred = micros(state.occurred_at);
        self.exec(
            "UPDATE product_states SET source_product_id = ?, updated_at_us = ?, occurred_at_us = ?, sequence = ?, \
             event_id = ?, data = ?, recorded_at_us = ? \
             WHERE sku = ? AND (event_id = ? OR updated_at_us < ? OR (updated_at_us = ? AND occurred_at_us < ?))",
            vec![
                (state.product.source_id as i64).into(),
                updated.into(),
                occurred.into(),
                state.sequence.map(|s| s as i64).into(),
                state.event_id.as_str().into(),
                data.into(),
                micros(Utc::now()).into(),
                state.product.sku.as_str().into(),
                state.event_id.as_str().into(),
                updated.into(),
                updated.into(),
                occurred.into(),
            ],
        )
        .await
    }
}

#[async_trait]
impl ProductStates for SeaOrmProductStates {
    async fn apply_if_newer(&self, state: &SourceProductState) -> Result<bool, StorageError> {
        let data = serde_json::to_string(&state.product).map_err(|e| StorageError::Unexpected(e.to_string()))?;
        if self.update_if_newer(state, &data).await? > 0 {
            return Ok(true);
        }
        let sql = format!(
            "{} INTO product_states (sku, source_product_id, updated_at_us, occurred_at_us, sequence, event_id, data, recorded_at_us) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            insert_ignore(self.db.get_database_backend())
        );
        let inserted = self
            .exec(
                &sql,
                vec![
                    state.product.sku.as_str().into(),
                    (state.product.source_id as i64).into(),
                    micros(state.product.updated_at).into(),
                    micros(state.occurred_at).into(),
                    state.sequence.map(|s| s as i64).into(),
                    state.event_id.as_str().into(),
                    data.clone().into(),
                    micros(Utc::now()).into(),
                ],
            )
            .await?;
        if inserted > 0 {
            return Ok(true);
        }
        // Someone inserted the row between our two statements: compare against it once more.
        Ok(self.update_if_newer(state, &data).await? > 0)
    }

    async fn latest(&self, sku: &Sku) -> Result<Option<SourceProductState>, StorageError> {
        product_states::Entity::find_by_id(sku.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(storage_error)?
            .map(decode)
            .transpose()
    }

    async fn latest_many(&self, skus: &[Sku]) -> Result<Vec<SourceProductState>, StorageError> {
        let mut out = Vec::with_capacity(skus.len());
        // Bounded IN lists: a catalog page is 100 products, but callers may pass more.
        for chunk in skus.chunks(500) {
            let rows = product_states::Entity::find()
                .filter(product_states::Column::Sku.is_in(chunk.iter().map(|s| s.as_str().to_owned())))
                .all(&self.db)
                .await
                .map_err(storage_error)?;
            for row in rows {
                out.push(decode(row)?);
            }
        }
        Ok(out)
    }
}

fn decode(row: product_states::Model) -> Result<SourceProductState, StorageError> {
    let bad = |what: &str| StorageError::Unexpected(format!("product_states row {}: bad {what}", row.sku));
    let product: ProductData = serde_json::from_str(&row.data).map_err(|_| bad("data"))?;
    Ok(SourceProductState::new(
        product,
        EventId::parse(&row.event_id).map_err(|_| bad("event_id"))?,
        from_micros(row.occurred_at_us),
        row.sequence.map(|s| s as u64),
    ))
}
