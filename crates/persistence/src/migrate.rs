//! Applying the schema's migrations one process at a time. Processes started together on a fresh database
//! (a scaled-out deployment's first start) would otherwise run the same migrations at once, and all but one
//! would fail ("Duplicate key name …"). On MySQL/MariaDB a named lock (`GET_LOCK`) is held by one session for
//! the whole run; on SQLite the run is one exclusive transaction, which SQLite serialises across processes.
//! A process that waited finds the migrations applied and has nothing left to do.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use hub_migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, RuntimeErr, SqliteTransactionMode, SqlxMySqlConnector,
    Statement, TransactionOptions, TransactionTrait, sqlx::mysql::MySqlPoolOptions,
};

use crate::errors::is_transient;

/// How long a process waits for another one's migrations before it gives up.
const LOCK_WAIT: Duration = Duration::from_secs(300);

/// The MySQL lock's name: one per database (lock names are server-wide; MySQL allows 64 characters).
const LOCK_NAME: &str = "LEFT(CONCAT('hub_migrate:', DATABASE()), 64)";

/// Why the migrations were not applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The lock that keeps two processes from migrating at once could not be taken or given back.
    #[error("the migration lock could not be taken or released")]
    Lock(#[source] DbErr),
    /// The server answered the lock request with an error (NULL: the session was killed, say).
    #[error("the server refused the migration lock")]
    LockRefused,
    /// Another process held the lock for longer than a process waits.
    #[error("another process held the migration lock for more than {} s", .0.as_secs())]
    LockTimeout(Duration),
    /// A migration failed.
    #[error("a migration failed")]
    Migration(#[source] DbErr),
}

/// Applies every pending migration, while no other process does (see the module's documentation).
///
/// # Errors
/// When the lock cannot be had (within five minutes when another process holds it), or a migration fails.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), MigrateError> {
    match db.get_database_backend() {
        DbBackend::MySql => migrate_mysql(db).await,
        DbBackend::Sqlite => migrate_sqlite(db).await,
        _ => Migrator::up(db, None).await.map_err(MigrateError::Migration),
    }
}

async fn migrate_mysql(db: &DatabaseConnection) -> Result<(), MigrateError> {
    // The lock belongs to a session, so the migrations run on the session that holds it: a pool of exactly
    // one connection, never tested, recycled or replaced behind our back. Should it break, the statement
    // fails and so does the run, and the server drops the lock with the session.
    let options = db.get_mysql_connection_pool().connect_options();
    let pool = MySqlPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with((*options).clone())
        .await
        .map_err(|e| MigrateError::Lock(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))))?;
    let session = SqlxMySqlConnector::from_sqlx_mysql_pool(pool);
    let result = async {
        match lock_value(&session, &format!("SELECT GET_LOCK({LOCK_NAME}, {})", LOCK_WAIT.as_secs())).await? {
            Some(1) => {}
            Some(_) => return Err(MigrateError::LockTimeout(LOCK_WAIT)),
            None => return Err(MigrateError::LockRefused),
        }
        let applied = Migrator::up(&session, None).await.map_err(MigrateError::Migration);
        let released = lock_value(&session, &format!("SELECT RELEASE_LOCK({LOCK_NAME})")).await;
        applied.and(released.map(|_| ()))
    }
    .await;
    // Closing the session also drops the lock, whatever happened above.
    let closed = session.close().await.map_err(MigrateError::Lock);
    result.and(closed)
}

/// Runs a `SELECT` of one lock function and returns its value (1 done, 0 timed out, NULL failed).
async fn lock_value(session: &DatabaseConnection, sql: &str) -> Result<Option<i64>, MigrateError> {
    let row = session
        .query_one_raw(Statement::from_string(DbBackend::MySql, sql.to_owned()))
        .await
        .map_err(MigrateError::Lock)?;
    match row {
        Some(row) => row.try_get_by_index::<Option<i64>>(0).map_err(MigrateError::Lock),
        None => Ok(None),
    }
}

async fn migrate_sqlite(db: &DatabaseConnection) -> Result<(), MigrateError> {
    let exclusive =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive), ..Default::default() };
    let deadline = Instant::now() + LOCK_WAIT;
    let transaction = loop {
        match db.begin_with_options(exclusive).await {
            Ok(transaction) => break transaction,
            // Busy past the busy timeout: another process is migrating (or writing at length).
            Err(e) if is_transient(&e) => {
                if Instant::now() >= deadline {
                    return Err(MigrateError::LockTimeout(LOCK_WAIT));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(MigrateError::Lock(e)),
        }
    };
    // SQLite's DDL is transactional: the run applies whole or not at all.
    match Migrator::up(&transaction, None).await {
        Ok(()) => transaction.commit().await.map_err(MigrateError::Migration),
        Err(e) => {
            // The migration's error is the one to report; a failed rollback leaves nothing applied either.
            let _ = transaction.rollback().await;
            Err(MigrateError::Migration(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pools_migrating_one_fresh_sqlite_file_at_once_all_succeed_and_apply_each_migration_once() {
        let path =
            std::env::temp_dir().join(format!("hub-migrate-{}-{}.db", std::process::id(), rand::random::<u64>()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut pools = Vec::new();
        for _ in 0..5 {
            pools.push(crate::connect(&url, 2).await.unwrap());
        }

        let mut runs = tokio::task::JoinSet::new();
        for db in pools.clone() {
            runs.spawn(async move { migrate(&db).await });
        }
        while let Some(run) = runs.join_next().await {
            run.unwrap().unwrap();
        }

        let db = &pools[0];
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT version FROM seaql_migrations ORDER BY version",
            ))
            .await
            .unwrap();
        let applied: Vec<String> = rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
        let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
        assert_eq!(applied, known);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
