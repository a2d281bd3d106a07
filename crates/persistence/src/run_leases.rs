//! Named leases of periodic tasks (one reconciliation at a time across worker processes), on sea-orm.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use hub_domain::{StorageError, reconcile::RunLeases};
use sea_orm::DatabaseConnection;

use crate::{Lease, insert_ignore, micros};

/// The row of a name, held only when no run of it finished after the bound given as second key value.
const LEASE: Lease = Lease { table: "run_leases", key: "name = ? AND last_finished_us <= ?" };

/// [`RunLeases`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmRunLeases {
    db: DatabaseConnection,
}

impl SeaOrmRunLeases {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RunLeases for SeaOrmRunLeases {
    async fn try_start(&self, name: &str, owner: &str, ttl: Duration, min_gap: Duration) -> Result<bool, StorageError> {
        let sql = format!(
            "{} INTO run_leases (name, lease_until_us, last_finished_us) VALUES (?, 0, 0)",
            insert_ignore(self.db.get_database_backend())
        );
        crate::execute(&self.db, &sql, vec![name.into()]).await?;
        let finished_before = micros(Utc::now()) - min_gap.as_micros() as i64;
        LEASE.take(&self.db, vec![name.into(), finished_before.into()], owner, ttl).await
    }

    async fn finish(&self, name: &str, owner: &str) -> Result<(), StorageError> {
        crate::execute(
            &self.db,
            "UPDATE run_leases SET last_finished_us = ?, lease_owner = NULL, lease_until_us = 0 \
             WHERE name = ? AND lease_owner = ?",
            vec![micros(Utc::now()).into(), name.into(), owner.into()],
        )
        .await
        .map(|_| ())
    }
}
