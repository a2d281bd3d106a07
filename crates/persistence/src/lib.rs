//! sea-orm adapters of the hub's storage ports, on MySQL/MariaDB and on SQLite.

mod batch;
mod dashboard_sessions;
mod entities;
mod errors;
mod inbox;
mod migrate;
mod operations;
mod order_links;
mod product_links;
mod product_states;
mod run_leases;
mod watermarks;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use hub_domain::StorageError;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

pub use dashboard_sessions::SeaOrmDashboardSessions;
pub(crate) use errors::storage_error;
pub use inbox::SeaOrmInbox;
pub use migrate::{MigrateError, migrate};
pub use operations::SeaOrmOperations;
pub use order_links::SeaOrmOrderLinks;
pub use product_links::SeaOrmProductLinks;
pub use product_states::SeaOrmProductStates;
pub use run_leases::SeaOrmRunLeases;
pub use watermarks::SeaOrmWatermarks;

/// Opens a pool on `url` (`mysql://…` or `sqlite://path?mode=rwc`). SQLite runs in WAL mode with
/// `synchronous=FULL`, so an accepted event survives a power cut, not only a crash.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        });
    Database::connect(opts).await
}

/// Checks the database answers.
///
/// # Errors
/// When it does not.
pub async fn ping(db: &DatabaseConnection) -> Result<(), StorageError> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), "SELECT 1"))
        .await
        .map(|_| ())
        .map_err(storage_error)
}

/// Runs one statement with `?` placeholders and returns the rows it changed.
pub(crate) async fn execute(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<u64, StorageError> {
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    db.execute_raw(stmt).await.map(|r| r.rows_affected()).map_err(storage_error)
}

/// `INSERT IGNORE` on MySQL, `INSERT OR IGNORE` on SQLite.
pub(crate) fn insert_ignore(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "INSERT OR IGNORE",
        _ => "INSERT IGNORE",
    }
}

/// A row-level lease: `table`'s row whose `key` columns equal `key_values` gets `owner` until now + `ttl`,
/// unless another owner holds an unexpired lease. Shared by product and order links.
pub(crate) struct Lease {
    pub(crate) table: &'static str,
    pub(crate) key: &'static str,
}

impl Lease {
    /// Takes the lease; false when someone else holds it.
    pub(crate) async fn take(
        &self,
        db: &DatabaseConnection,
        key_values: Vec<sea_orm::Value>,
        owner: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, StorageError> {
        let now = micros(Utc::now());
        let sql = format!(
            "UPDATE {} SET lease_owner = ?, lease_until_us = ? WHERE {} AND (lease_until_us < ? OR lease_owner = ?)",
            self.table, self.key
        );
        let mut values: Vec<sea_orm::Value> = vec![owner.into(), (now + ttl.as_micros() as i64).into()];
        values.extend(key_values);
        values.extend([now.into(), owner.into()]);
        let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
        db.execute_raw(stmt).await.map(|r| r.rows_affected() > 0).map_err(storage_error)
    }

    /// Gives it back (only if `owner` still holds it).
    pub(crate) async fn release(
        &self,
        db: &DatabaseConnection,
        key_values: Vec<sea_orm::Value>,
        owner: &str,
    ) -> Result<(), StorageError> {
        let sql = format!(
            "UPDATE {} SET lease_owner = NULL, lease_until_us = 0 WHERE {} AND lease_owner = ?",
            self.table, self.key
        );
        let mut values = key_values;
        values.push(owner.into());
        let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
        db.execute_raw(stmt).await.map(|_| ()).map_err(storage_error)
    }
}

pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}
