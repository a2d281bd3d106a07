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

use crate::{Lease, batch::Batcher, insert_ignore, micros, storage_error};

const LEASE: Lease = Lease { table: "product_links", key: "store = ? AND sku = ?" };

/// A lease asked for: (store, SKU, owner, until µs).
type LeaseAsk = (StoreCode, Sku, String, i64);

/// The group-commit writers of one connection.
#[derive(Debug, Clone)]
struct Groups {
    leases: Batcher<LeaseAsk, bool>,
    saves: Batcher<ProductLink, ()>,
    releases: Batcher<(StoreCode, Sku, String), ()>,
}

/// [`ProductLinks`] on a sea-orm connection.
///
/// With group commit (what the workers use), the leases, saves and releases of concurrent syncs are each
/// gathered into one statement: a sync costs its three writes divided by how many syncs run at once.
#[derive(Debug, Clone)]
pub struct SeaOrmProductLinks {
    db: DatabaseConnection,
    groups: Option<Groups>,
}

impl SeaOrmProductLinks {
    /// Wraps a connection whose schema is migrated; one statement per call.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, groups: None }
    }

    /// Wraps a connection with group commit of up to `max_batch` calls per statement and `writers` statements
    /// of each kind in flight. Needs a tokio runtime (it spawns the writers).
    pub fn with_group_commit(db: DatabaseConnection, max_batch: usize, writers: usize) -> Self {
        let max_batch = max_batch.clamp(1, 200);
        let (d1, d2, d3) = (db.clone(), db.clone(), db.clone());
        let groups = Groups {
            leases: Batcher::spawn(max_batch, writers, move |asks| {
                let db = d1.clone();
                async move { lease_batch(&db, &asks).await }
            }),
            saves: Batcher::spawn(max_batch, writers, move |links| {
                let db = d2.clone();
                async move { save_batch(&db, &links).await.map(|()| vec![(); links.len()]) }
            }),
            releases: Batcher::spawn(max_batch, writers, move |keys| {
                let db = d3.clone();
                async move { release_batch(&db, &keys).await.map(|()| vec![(); keys.len()]) }
            }),
        };
        Self { db, groups: Some(groups) }
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        crate::execute(&self.db, sql, values).await
    }

    /// Writes the link into its row; how many rows it changed (0: no row yet).
    async fn update(&self, link: &ProductLink) -> Result<u64, StorageError> {
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
        if let Some(g) = &self.groups {
            return g.saves.call(link.clone()).await;
        }
        // The row exists in the common case (a sync holds its lease): one statement, and a second only for a
        // new row. (It always changes a row it finds: `updated_at_us` moves.)
        if self.update(link).await? == 0 {
            self.ensure_row(&link.store, &link.sku).await?;
            self.update(link).await?;
        }
        Ok(())
    }

    async fn lease(&self, store: &StoreCode, sku: &Sku, owner: &str, ttl: Duration) -> Result<bool, StorageError> {
        if let Some(g) = &self.groups {
            let until = micros(Utc::now()) + i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX / 4);
            return g.leases.call((store.clone(), sku.clone(), owner.to_owned(), until)).await;
        }
        let key = || vec![store.as_str().into(), sku.as_str().into()];
        // One statement when the row exists; a lease needs one, so a first sync creates it and tries again.
        if LEASE.take(&self.db, key(), owner, ttl).await? {
            return Ok(true);
        }
        self.ensure_row(store, sku).await?;
        LEASE.take(&self.db, key(), owner, ttl).await
    }

    async fn release(&self, store: &StoreCode, sku: &Sku, owner: &str) -> Result<(), StorageError> {
        if let Some(g) = &self.groups {
            return g.releases.call((store.clone(), sku.clone(), owner.to_owned())).await;
        }
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

/// `(store = ? AND sku = ?) OR …` for `n` pairs: each an equality range of the primary key.
fn pairs(n: usize, extra: &str) -> String {
    vec![format!("(store = ? AND sku = ?{extra})"); n].join(" OR ")
}

/// Takes the leases of a batch: one upsert (a missing row is created holding the lease; an expired lease, or
/// one the same owner holds, is taken over), then one read of who holds each. Asks for one (store, SKU) are
/// applied in order, so the first of two owners wins. Returns, per ask, whether it got the lease.
async fn lease_batch(db: &DatabaseConnection, asks: &[LeaseAsk]) -> Result<Vec<bool>, StorageError> {
    let backend = db.get_database_backend();
    let now = micros(Utc::now());
    let rows = vec!["(?, ?, 'unlinked', ?, ?, ?)"; asks.len()].join(", ");
    let upsert = match backend {
        // Every expression reads the row as it was.
        sea_orm::DbBackend::Sqlite => {
            "ON CONFLICT (store, sku) DO UPDATE SET \
             lease_owner = CASE WHEN lease_until_us < ? OR lease_owner = excluded.lease_owner \
               THEN excluded.lease_owner ELSE lease_owner END, \
             lease_until_us = CASE WHEN lease_until_us < ? OR lease_owner = excluded.lease_owner \
               THEN excluded.lease_until_us ELSE lease_until_us END"
        }
        // MySQL assigns left to right: the second expression reads the owner the first one wrote (owners are
        // unique per run, so it is ours exactly when we took or held it).
        _ => {
            "ON DUPLICATE KEY UPDATE \
             lease_owner = IF(lease_until_us < ? OR lease_owner = VALUES(lease_owner), VALUES(lease_owner), lease_owner), \
             lease_until_us = IF(lease_owner = VALUES(lease_owner), VALUES(lease_until_us), lease_until_us)"
        }
    };
    let sql = format!(
        "INSERT INTO product_links (store, sku, status, lease_owner, lease_until_us, updated_at_us) VALUES {rows} {upsert}"
    );
    let mut values: Vec<Value> = Vec::with_capacity(asks.len() * 5 + 2);
    for (store, sku, owner, until) in asks {
        values.extend([store.as_str().into(), sku.as_str().into(), owner.as_str().into(), (*until).into(), now.into()]);
    }
    values.push(now.into());
    if backend == sea_orm::DbBackend::Sqlite {
        values.push(now.into());
    }
    crate::execute(db, &sql, values).await?;
    let sql = format!("SELECT store, sku, lease_owner FROM product_links WHERE {}", pairs(asks.len(), ""));
    let values: Vec<Value> =
        asks.iter().flat_map(|(store, sku, _, _)| [store.as_str().into(), sku.as_str().into()]).collect();
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(storage_error)?;
    let mut holders = std::collections::HashMap::new();
    for row in rows {
        let store: String = row.try_get_by_index(0).map_err(storage_error)?;
        let sku: String = row.try_get_by_index(1).map_err(storage_error)?;
        let owner: Option<String> = row.try_get_by_index(2).map_err(storage_error)?;
        holders.insert((store, sku), owner);
    }
    Ok(asks
        .iter()
        .map(|(store, sku, owner, _)| {
            holders
                .get(&(store.as_str().to_owned(), sku.as_str().to_owned()))
                .is_some_and(|o| o.as_deref() == Some(owner))
        })
        .collect())
}

/// Writes a batch of links in one upsert (a missing row is created); a link saved twice in a batch ends as its
/// last save.
async fn save_batch(db: &DatabaseConnection, links: &[ProductLink]) -> Result<(), StorageError> {
    let now = micros(Utc::now());
    let rows = vec!["(?, ?, ?, ?, ?, ?, ?, 0)"; links.len()].join(", ");
    let upsert = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "ON CONFLICT (store, sku) DO UPDATE SET status = excluded.status, \
             client_product_id = excluded.client_product_id, data = excluded.data, \
             applied_event_id = excluded.applied_event_id, updated_at_us = excluded.updated_at_us"
        }
        _ => {
            "ON DUPLICATE KEY UPDATE status = VALUES(status), client_product_id = VALUES(client_product_id), \
             data = VALUES(data), applied_event_id = VALUES(applied_event_id), updated_at_us = VALUES(updated_at_us)"
        }
    };
    let sql = format!(
        "INSERT INTO product_links (store, sku, status, client_product_id, data, applied_event_id, updated_at_us, \
         lease_until_us) VALUES {rows} {upsert}"
    );
    let mut values: Vec<Value> = Vec::with_capacity(links.len() * 7);
    for link in links {
        let data = serde_json::to_string(link).map_err(|e| StorageError::Unexpected(e.to_string()))?;
        values.extend([
            link.store.as_str().into(),
            link.sku.as_str().into(),
            link.status.as_str().into(),
            link.client_product_id.map(|i| i as i64).into(),
            data.into(),
            link.applied_event_id.clone().into(),
            now.into(),
        ]);
    }
    crate::execute(db, &sql, values).await.map(|_| ())
}

/// Gives back a batch of leases, each only if its owner still holds it.
async fn release_batch(db: &DatabaseConnection, keys: &[(StoreCode, Sku, String)]) -> Result<(), StorageError> {
    let sql = format!(
        "UPDATE product_links SET lease_owner = NULL, lease_until_us = 0 WHERE {}",
        pairs(keys.len(), " AND lease_owner = ?")
    );
    let values: Vec<Value> = keys
        .iter()
        .flat_map(|(store, sku, owner)| [store.as_str().into(), sku.as_str().into(), owner.as_str().into()])
        .collect();
    crate::execute(db, &sql, values).await.map(|_| ())
}
