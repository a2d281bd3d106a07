//! How a sea-orm error reaches the use cases: [`StorageError::Unavailable`] when the same call may succeed
//! later (the job is retried), [`StorageError::Unexpected`] otherwise (the job fails for good). The decision
//! is made on the error's type and the server's error code, never on its text: messages change with a
//! driver version or a locale, and a transient error read as permanent loses work. The text is kept as the
//! error's message, for the operator.

use hub_domain::StorageError;
use sea_orm::{
    DbErr, RuntimeErr,
    sqlx::{self, mysql::MySqlDatabaseError, sqlite::SqliteError},
};

/// Translates a sea-orm error at the adapters' boundary.
pub(crate) fn storage_error(e: DbErr) -> StorageError {
    if is_transient(&e) { StorageError::Unavailable(e.to_string()) } else { StorageError::Unexpected(e.to_string()) }
}

/// Whether `e` says the database could not be reached or was busy, rather than that the statement or the
/// data is wrong.
pub(crate) fn is_transient(e: &DbErr) -> bool {
    match e {
        // No connection could be had: the server is down, starting, or the pool is exhausted.
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => is_transient_sqlx(e),
        _ => false,
    }
}

/// Whether a driver error is transient: the connection broke (I/O, a truncated or garbled answer, TLS), no
/// connection was to be had, or the server refused for a reason that passes (see [`is_transient_mysql`] and
/// [`is_transient_sqlite`]).
fn is_transient_sqlx(e: &sqlx::Error) -> bool {
    match e {
        // `Protocol` is how a server that dies mid-answer reads ("expected to read 4 bytes, got 0
        // bytes at EOF" is an `Io` error of kind `UnexpectedEof`, a reset one of `ConnectionReset`).
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(mysql) = db.try_downcast_ref::<MySqlDatabaseError>() {
                is_transient_mysql(mysql.number())
            } else if db.try_downcast_ref::<SqliteError>().is_some() {
                // `code()` is SQLite's extended result code, in decimal.
                db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(is_transient_sqlite)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// MySQL/MariaDB server error numbers that pass on their own: the server going away or coming back, lock
/// conflicts (the statement was rolled back and may simply be run again), a read-only server during a
/// fail-over, and connection or resource limits.
pub(crate) fn is_transient_mysql(number: u16) -> bool {
    matches!(
        number,
        // ER_CON_COUNT_ERROR: too many connections.
        1040
        // ER_UNKNOWN_COM_ERROR: what a Galera node answers while it is not yet part of the cluster
        // ("WSREP has not yet prepared node for application use").
        | 1047
        // ER_SERVER_SHUTDOWN: shutdown in progress.
        | 1053
        // ER_ABORTING_CONNECTION, ER_NET_READ_ERROR, ER_NET_READ_INTERRUPTED, ER_NET_ERROR_ON_WRITE,
        // ER_NET_WRITE_INTERRUPTED, ER_NEW_ABORTING_CONNECTION: the connection broke.
        | 1152 | 1158 | 1159 | 1160 | 1161 | 1184
        // ER_TOO_MANY_USER_CONNECTIONS, ER_USER_LIMIT_REACHED.
        | 1203 | 1226
        // ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK, ER_XA_RBDEADLOCK.
        | 1205 | 1213 | 1614
        // ER_OPTION_PREVENTS_STATEMENT (--read-only), ER_READ_ONLY_MODE: a replica not yet promoted.
        | 1290 | 1836
        // ER_QUERY_INTERRUPTED (a shutdown or a KILL QUERY), ER_NEED_REPREPARE, ER_TOO_MANY_CONCURRENT_TRXS.
        | 1317 | 1615 | 1637
        // ER_CONNECTION_KILLED (MariaDB), ER_STATEMENT_TIMEOUT (MariaDB max_statement_time),
        // ER_QUERY_TIMEOUT (MySQL max_execution_time; unused by MariaDB).
        | 1927 | 1969 | 3024
        // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST: client-library
        // numbers, which reach here only when a proxy relays them.
        | 2002 | 2003 | 2006 | 2013
    )
}

/// SQLite result codes that pass on their own: `SQLITE_BUSY` (5, another connection writes; busy_timeout
/// ran out) and `SQLITE_LOCKED` (6, a conflict inside this process), with their extended codes
/// (`SQLITE_BUSY_SNAPSHOT` = 517…), whose low byte is the primary code.
pub(crate) fn is_transient_sqlite(extended_code: i32) -> bool {
    matches!(extended_code & 0xff, 5 | 6)
}

#[cfg(test)]
mod tests {
    use std::{io, sync::Arc, time::Duration};

    use sea_orm::{
        ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, SqliteTransactionMode,
        TransactionOptions, TransactionTrait,
    };

    use super::*;

    fn exec(e: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
    }

    fn query(e: sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
    }

    fn io(kind: io::ErrorKind, message: &str) -> sqlx::Error {
        sqlx::Error::Io(io::Error::new(kind, message.to_owned()))
    }

    #[test]
    fn a_connection_reset_by_the_server_is_transient() {
        let e = exec(io(io::ErrorKind::ConnectionReset, "Connection reset by peer (os error 104)"));
        assert!(matches!(storage_error(e), StorageError::Unavailable(_)));
    }

    #[test]
    fn a_server_that_closed_the_connection_mid_answer_is_transient() {
        let e = query(io(io::ErrorKind::UnexpectedEof, "expected to read 4 bytes, got 0 bytes at EOF"));
        assert!(matches!(storage_error(e), StorageError::Unavailable(_)));
    }

    #[test]
    fn every_broken_connection_kind_is_transient_whatever_its_text() {
        for kind in [
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::ConnectionRefused,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::TimedOut,
            io::ErrorKind::Other,
        ] {
            assert!(is_transient(&exec(io(kind, "some text no rule knows"))), "{kind:?}");
        }
        for e in [
            sqlx::Error::Protocol("garbled".into()),
            sqlx::Error::Tls("handshake".into()),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
        ] {
            let shown = e.to_string();
            assert!(is_transient(&query(e)), "{shown}");
        }
        assert!(is_transient(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)));
        assert!(is_transient(&DbErr::Conn(RuntimeErr::Internal("refused".into()))));
    }

    #[test]
    fn a_wrong_statement_or_bad_data_is_unexpected() {
        for e in [
            sqlx::Error::ColumnNotFound("price".into()),
            sqlx::Error::RowNotFound,
            sqlx::Error::Decode("not a number".into()),
            sqlx::Error::ColumnIndexOutOfBounds { index: 3, len: 2 },
        ] {
            assert!(matches!(storage_error(query(e)), StorageError::Unexpected(_)));
        }
        for e in [DbErr::Type("i64".into()), DbErr::Json("bad".into()), DbErr::RecordNotFound("x".into())] {
            assert!(matches!(storage_error(e), StorageError::Unexpected(_)));
        }
    }

    #[test]
    fn the_text_of_an_error_decides_nothing() {
        // sea-orm's own errors carry only text: even one that reads like a lost connection is not taken for one.
        let e =
            DbErr::Exec(RuntimeErr::Internal("Lost connection: Connection reset by peer; database is locked".into()));
        assert!(matches!(storage_error(e), StorageError::Unexpected(_)));
    }

    #[test]
    fn the_cause_stays_in_the_message() {
        let e = exec(io(io::ErrorKind::ConnectionReset, "Connection reset by peer (os error 104)"));
        let StorageError::Unavailable(message) = storage_error(e) else { panic!("transient") };
        assert!(message.contains("Connection reset by peer (os error 104)"), "{message}");
    }

    #[test]
    fn mysql_lock_conflicts_a_going_server_and_limits_are_transient() {
        for n in [1040, 1053, 1205, 1213, 1290, 1836, 1927, 2006, 2013] {
            assert!(is_transient_mysql(n), "{n}");
        }
    }

    #[test]
    fn mysql_errors_in_the_statement_or_the_data_are_not_transient() {
        // Duplicate entry, syntax error, unknown table, unknown column, data too long, foreign key.
        for n in [1062, 1064, 1146, 1054, 1406, 1452] {
            assert!(!is_transient_mysql(n), "{n}");
        }
    }

    #[test]
    fn sqlite_busy_and_locked_are_transient_with_their_extended_codes() {
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT,
        // SQLITE_LOCKED_SHAREDCACHE.
        for code in [5, 6, 261, 517, 773, 262] {
            assert!(is_transient_sqlite(code), "{code}");
        }
        // SQLITE_ERROR, SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_READONLY, SQLITE_FULL.
        for code in [1, 2067, 1555, 8, 13] {
            assert!(!is_transient_sqlite(code), "{code}");
        }
    }

    async fn sqlite_file(path: &std::path::Path) -> DatabaseConnection {
        let mut opts = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
        opts.max_connections(1).sqlx_logging(false).map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::ZERO));
        Database::connect(opts).await.unwrap()
    }

    #[tokio::test]
    async fn a_write_to_a_sqlite_file_another_connection_holds_is_transient() {
        let path = std::env::temp_dir().join(format!("hub-busy-{}-{}.db", std::process::id(), rand::random::<u64>()));
        let holder = sqlite_file(&path).await;
        holder.execute_unprepared("CREATE TABLE t (x INTEGER)").await.unwrap();
        let writer = sqlite_file(&path).await;
        writer.execute_unprepared("INSERT INTO t (x) VALUES (0)").await.unwrap();
        let backend = holder.get_database_backend();
        let exclusive = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive),
            ..Default::default()
        };
        let held = holder.begin_with_options(exclusive).await.unwrap();

        let e = writer
            .execute_raw(sea_orm::Statement::from_string(backend, "INSERT INTO t (x) VALUES (1)"))
            .await
            .expect_err("the file is locked by the other connection");

        assert!(matches!(storage_error(e), StorageError::Unavailable(_)));
        held.rollback().await.unwrap();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[tokio::test]
    async fn a_missing_sqlite_table_is_unexpected() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        let e = db.execute_unprepared("INSERT INTO nowhere (x) VALUES (1)").await.expect_err("no such table");
        assert!(matches!(storage_error(e), StorageError::Unexpected(_)));
    }
}
