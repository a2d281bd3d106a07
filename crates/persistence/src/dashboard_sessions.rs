//! The dashboard's open sessions (by the digest of their id), on sea-orm with portable SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_domain::{StorageError, operations::DashboardSessions};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{micros, storage_error};

/// [`DashboardSessions`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmDashboardSessions {
    db: DatabaseConnection,
}

impl SeaOrmDashboardSessions {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl DashboardSessions for SeaOrmDashboardSessions {
    async fn open(&self, key: &str, expires_at: DateTime<Utc>) -> Result<(), StorageError> {
        crate::execute(
            &self.db,
            "INSERT INTO dashboard_sessions (digest, expires_at_us, created_at_us) VALUES (?, ?, ?)",
            vec![key.into(), micros(expires_at).into(), micros(Utc::now()).into()],
        )
        .await
        .map(|_| ())
    }

    async fn is_open(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let stmt = Statement::from_sql_and_values(
            self.db.get_database_backend(),
            "SELECT 1 FROM dashboard_sessions WHERE digest = ? AND expires_at_us > ?",
            vec![key.into(), micros(now).into()],
        );
        self.db.query_one_raw(stmt).await.map(|row| row.is_some()).map_err(storage_error)
    }

    async fn close(&self, key: &str) -> Result<(), StorageError> {
        crate::execute(&self.db, "DELETE FROM dashboard_sessions WHERE digest = ?", vec![key.into()]).await.map(|_| ())
    }

    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StorageError> {
        crate::execute(&self.db, "DELETE FROM dashboard_sessions WHERE expires_at_us <= ?", vec![micros(now).into()])
            .await
    }
}
