//! The operations tables (job counts, recent runs, failed jobs, Webservice health) and the dashboard's
//! reads of product and order links, on sea-orm with portable SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_domain::{
    Sku, StorageError, StoreCode,
    catalog::ProductLink,
    operations::{
        Counts, FailedJob, FailedStatus, JobMinute, JobRun, LinkCount, NewFailedJob, OperationsLog, OrderLinkRow,
        SkuActivity, StoreHealth, StoreMinute, TelemetryBatch, UnlinkedSku, WaitingFailure,
    },
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement, Value};

use crate::{from_micros, micros, storage_error};

/// [`OperationsLog`] on a sea-orm connection.
#[derive(Debug, Clone)]
pub struct SeaOrmOperations {
    db: DatabaseConnection,
}

/// Rows per multi-row statement.
const CHUNK: usize = 200;

impl SeaOrmOperations {
    /// Wraps a connection whose schema is migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        crate::execute(&self.db, sql, values).await
    }

    async fn rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, StorageError> {
        let stmt = Statement::from_sql_and_values(self.backend(), sql, values);
        self.db.query_all_raw(stmt).await.map_err(storage_error)
    }

    /// `INSERT … VALUES …` of `rows` rows that, on an existing row with the same `key`, sets `set`: added
    /// to the stored values when `add` (counters), replacing them otherwise.
    fn upsert(&self, table: &str, columns: &[&str], key: &[&str], set: &[&str], add: bool, rows: usize) -> String {
        let one = format!("({})", vec!["?"; columns.len()].join(", "));
        let values = vec![one.as_str(); rows].join(", ");
        let head = format!("INSERT INTO {table} ({}) VALUES {values}", columns.join(", "));
        let (conflict, new) = match self.backend() {
            DbBackend::Sqlite => (format!("ON CONFLICT ({}) DO UPDATE SET", key.join(", ")), "excluded.{c}"),
            _ => ("ON DUPLICATE KEY UPDATE".to_owned(), "VALUES({c})"),
        };
        let assignments: Vec<String> = set
            .iter()
            .map(|c| {
                let value = new.replace("{c}", c);
                if add { format!("{c} = {c} + {value}") } else { format!("{c} = {value}") }
            })
            .collect();
        format!("{head} {conflict} {}", assignments.join(", "))
    }
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, i: usize) -> Result<T, StorageError> {
    row.try_get_by_index(i).map_err(storage_error)
}

fn failed_job(row: &QueryResult) -> Result<FailedJob, StorageError> {
    let id: i64 = get(row, 0)?;
    let status: String = get(row, 6)?;
    Ok(FailedJob {
        id,
        job: get(row, 1)?,
        subject: get(row, 2)?,
        payload: get(row, 3)?,
        error: get(row, 4)?,
        attempts: get::<i32>(row, 5)?.max(0) as u32,
        status: FailedStatus::from_name(&status)
            .ok_or_else(|| StorageError::Unexpected(format!("failed_jobs {id}: bad status")))?,
        failed_at: from_micros(get(row, 7)?),
        resolved_at: get::<Option<i64>>(row, 8)?.map(from_micros),
    })
}

const FAILED_COLUMNS: &str = "id, job, subject, payload, error, attempts, status, failed_at_us, resolved_at_us";

#[async_trait]
impl OperationsLog for SeaOrmOperations {
    async fn write(&self, batch: &TelemetryBatch) -> Result<(), StorageError> {
        for chunk in batch.minutes.chunks(CHUNK) {
            let sql = self.upsert(
                "job_minutes",
                &["minute", "job", "outcome", "runs", "wait_ms_sum", "wait_runs", "duration_ms_sum"],
                &["minute", "job", "outcome"],
                &["runs", "wait_ms_sum", "wait_runs", "duration_ms_sum"],
                true,
                chunk.len(),
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
            for m in chunk {
                values.extend([
                    m.minute.into(),
                    m.job.clone().into(),
                    m.outcome.clone().into(),
                    (m.counts.runs as i64).into(),
                    (m.counts.wait_ms_sum as i64).into(),
                    (m.counts.wait_runs as i64).into(),
                    (m.counts.duration_ms_sum as i64).into(),
                ]);
            }
            self.exec(&sql, values).await?;
        }
        for chunk in batch.runs.chunks(CHUNK) {
            let one = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
            let sql = format!(
                "INSERT INTO job_runs (job, subject, outcome, attempt, wait_ms, duration_ms, error, worker, finished_at_us) VALUES {}",
                vec![one; chunk.len()].join(", ")
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 9);
            for r in chunk {
                values.extend([
                    r.job.clone().into(),
                    r.subject.chars().take(191).collect::<String>().into(),
                    r.outcome.clone().into(),
                    (r.attempt as i32).into(),
                    r.wait_ms.map(|w| w as i64).into(),
                    (r.duration_ms as i64).into(),
                    r.error.clone().into(),
                    r.worker.chars().take(128).collect::<String>().into(),
                    micros(r.finished_at).into(),
                ]);
            }
            self.exec(&sql, values).await?;
        }
        for chunk in batch.store_minutes.chunks(CHUNK) {
            let sql = self.upsert(
                "store_minutes",
                &["minute", "store", "calls", "errors"],
                &["minute", "store"],
                &["calls", "errors"],
                true,
                chunk.len(),
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
            for m in chunk {
                values.extend([
                    m.minute.into(),
                    m.store.clone().into(),
                    (m.calls as i64).into(),
                    (m.errors as i64).into(),
                ]);
            }
            self.exec(&sql, values).await?;
        }
        for chunk in batch.health.chunks(CHUNK) {
            let sql = self.upsert(
                "store_health",
                &["store", "worker", "circuit", "last_success_us", "last_error_us", "last_error", "updated_at_us"],
                &["store", "worker"],
                &["circuit", "last_success_us", "last_error_us", "last_error", "updated_at_us"],
                false,
                chunk.len(),
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 7);
            for h in chunk {
                values.extend([
                    h.store.clone().into(),
                    h.worker.chars().take(128).collect::<String>().into(),
                    h.circuit.clone().into(),
                    h.last_success.map(micros).into(),
                    h.last_error.map(micros).into(),
                    h.last_error_message.clone().into(),
                    micros(h.updated_at).into(),
                ]);
            }
            self.exec(&sql, values).await?;
        }
        Ok(())
    }

    async fn record_failed(&self, job: &NewFailedJob) -> Result<i64, StorageError> {
        let values: Vec<Value> = vec![
            job.job.as_str().into(),
            job.subject.chars().take(191).collect::<String>().into(),
            job.payload.clone().into(),
            job.error.chars().take(4000).collect::<String>().into(),
            (job.attempts as i32).into(),
            micros(Utc::now()).into(),
        ];
        let sql = "INSERT INTO failed_jobs (job, subject, payload, error, attempts, status, failed_at_us) \
                   VALUES (?, ?, ?, ?, ?, 'failed', ?)";
        let stmt = Statement::from_sql_and_values(self.backend(), sql, values);
        let result = self.db.execute_raw(stmt).await.map_err(storage_error)?;
        Ok(result.last_insert_id() as i64)
    }

    async fn failed_jobs(&self, status: FailedStatus, limit: u32) -> Result<Vec<FailedJob>, StorageError> {
        let sql = format!("SELECT {FAILED_COLUMNS} FROM failed_jobs WHERE status = ? ORDER BY id DESC LIMIT ?");
        self.rows(&sql, vec![status.as_str().into(), i64::from(limit).into()]).await?.iter().map(failed_job).collect()
    }

    async fn failed_job(&self, id: i64) -> Result<Option<FailedJob>, StorageError> {
        let sql = format!("SELECT {FAILED_COLUMNS} FROM failed_jobs WHERE id = ?");
        self.rows(&sql, vec![id.into()]).await?.first().map(failed_job).transpose()
    }

    async fn resolve_failed(&self, id: i64, to: FailedStatus) -> Result<bool, StorageError> {
        let n = self
            .exec(
                "UPDATE failed_jobs SET status = ?, resolved_at_us = ? WHERE id = ? AND status = 'failed'",
                vec![to.as_str().into(), micros(Utc::now()).into(), id.into()],
            )
            .await?;
        Ok(n > 0)
    }

    async fn reopen_failed(&self, id: i64) -> Result<(), StorageError> {
        self.exec("UPDATE failed_jobs SET status = 'failed', resolved_at_us = NULL WHERE id = ?", vec![id.into()])
            .await
            .map(|_| ())
    }

    async fn job_minutes(&self, since: DateTime<Utc>) -> Result<Vec<JobMinute>, StorageError> {
        let rows = self
            .rows(
                "SELECT minute, job, outcome, runs, wait_ms_sum, wait_runs, duration_ms_sum FROM job_minutes \
                 WHERE minute >= ? ORDER BY minute",
                vec![since.timestamp().div_euclid(60).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(JobMinute {
                    minute: get(r, 0)?,
                    job: get(r, 1)?,
                    outcome: get(r, 2)?,
                    counts: Counts {
                        runs: get::<i64>(r, 3)?.max(0) as u64,
                        wait_ms_sum: get::<i64>(r, 4)?.max(0) as u64,
                        wait_runs: get::<i64>(r, 5)?.max(0) as u64,
                        duration_ms_sum: get::<i64>(r, 6)?.max(0) as u64,
                    },
                })
            })
            .collect()
    }

    async fn recent_runs(&self, limit: u32) -> Result<Vec<JobRun>, StorageError> {
        let rows = self
            .rows(
                "SELECT job, subject, outcome, attempt, wait_ms, duration_ms, error, worker, finished_at_us \
                 FROM job_runs ORDER BY id DESC LIMIT ?",
                vec![i64::from(limit).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(JobRun {
                    job: get(r, 0)?,
                    subject: get(r, 1)?,
                    outcome: get(r, 2)?,
                    attempt: get::<i32>(r, 3)?.max(0) as u32,
                    wait_ms: get::<Option<i64>>(r, 4)?.map(|w| w.max(0) as u64),
                    duration_ms: get::<i64>(r, 5)?.max(0) as u64,
                    error: get(r, 6)?,
                    worker: get(r, 7)?,
                    finished_at: from_micros(get(r, 8)?),
                })
            })
            .collect()
    }

    async fn store_minutes(&self, since: DateTime<Utc>) -> Result<Vec<StoreMinute>, StorageError> {
        let rows = self
            .rows(
                "SELECT minute, store, calls, errors FROM store_minutes WHERE minute >= ? ORDER BY minute",
                vec![since.timestamp().div_euclid(60).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StoreMinute {
                    minute: get(r, 0)?,
                    store: get(r, 1)?,
                    calls: get::<i64>(r, 2)?.max(0) as u64,
                    errors: get::<i64>(r, 3)?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn store_health(&self) -> Result<Vec<StoreHealth>, StorageError> {
        let rows = self
            .rows(
                "SELECT store, worker, circuit, last_success_us, last_error_us, last_error, updated_at_us \
                 FROM store_health ORDER BY store, worker",
                Vec::new(),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StoreHealth {
                    store: get(r, 0)?,
                    worker: get(r, 1)?,
                    circuit: get(r, 2)?,
                    last_success: get::<Option<i64>>(r, 3)?.map(from_micros),
                    last_error: get::<Option<i64>>(r, 4)?.map(from_micros),
                    last_error_message: get(r, 5)?,
                    updated_at: from_micros(get(r, 6)?),
                })
            })
            .collect()
    }

    async fn unlinked_skus(&self, limit: u32) -> Result<Vec<UnlinkedSku>, StorageError> {
        let rows = self
            .rows(
                "SELECT store, sku, status, updated_at_us, data FROM product_links WHERE status <> 'linked' \
                 ORDER BY store, sku LIMIT ?",
                vec![i64::from(limit).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UnlinkedSku {
                    store: get(r, 0)?,
                    sku: get(r, 1)?,
                    status: get(r, 2)?,
                    updated_at: from_micros(get(r, 3)?),
                    note: get::<Option<String>>(r, 4)?
                        .and_then(|d| serde_json::from_str::<ProductLink>(&d).ok())
                        .and_then(|l| l.note),
                })
            })
            .collect()
    }

    async fn link_counts(&self) -> Result<Vec<LinkCount>, StorageError> {
        // A link whose product the hub is creating carries `"publication":{…}` and is not linked yet.
        let rows = self
            .rows(
                "SELECT store, status, COUNT(*), \
                 COUNT(CASE WHEN status <> 'linked' AND data LIKE '%\"publication\":{%' THEN 1 END) \
                 FROM product_links GROUP BY store, status ORDER BY store, status",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LinkCount {
                    store: get(r, 0)?,
                    status: get(r, 1)?,
                    count: get::<i64>(r, 2)?.max(0) as u64,
                    publishing: get::<i64>(r, 3)?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn sku_activity(&self, store: &StoreCode, sku: &Sku) -> Result<SkuActivity, StorageError> {
        let key = || vec![store.as_str().into(), sku.as_str().into()];
        let saved = self
            .rows("SELECT updated_at_us FROM product_links WHERE store = ? AND sku = ? AND data IS NOT NULL", key())
            .await;
        let requeued = self
            .rows("SELECT requeued_at_us, event_id, attempts FROM sync_requeues WHERE store = ? AND sku = ?", key())
            .await;
        let failed = self
            .rows(
                "SELECT id, error, failed_at_us FROM failed_jobs WHERE status = 'failed' AND subject = ? \
                 ORDER BY id DESC LIMIT 1",
                vec![format!("{store}/{sku}").into()],
            )
            .await;
        let link_saved_at = saved?.first().map(|r| get::<i64>(r, 0).map(from_micros)).transpose()?;
        let requeued = requeued?
            .first()
            .map(|r| {
                let attempts: i64 = get(r, 2)?;
                Ok::<_, StorageError>((
                    from_micros(get(r, 0)?),
                    get(r, 1)?,
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                ))
            })
            .transpose()?;
        let waiting_failure = failed?
            .first()
            .map(|r| {
                Ok::<_, StorageError>(WaitingFailure {
                    id: get(r, 0)?,
                    error: get(r, 1)?,
                    failed_at: from_micros(get(r, 2)?),
                })
            })
            .transpose()?;
        Ok(SkuActivity { link_saved_at, requeued, waiting_failure })
    }

    async fn order_links(&self, limit: u32) -> Result<Vec<OrderLinkRow>, StorageError> {
        let rows = self
            .rows(
                "SELECT client_store, client_order_id, status, source_order_id, updated_at_us, carrier_id, \
                 carrier_name, shipping_tax_incl, data FROM order_links ORDER BY updated_at_us DESC LIMIT ?",
                vec![i64::from(limit).into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                // The reference and the reason live in the link's data (a JSON document).
                let data: serde_json::Value =
                    get::<Option<String>>(r, 8)?.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
                let text = |key: &str| data[key].as_str().map(str::to_owned);
                let carrier_id = get::<Option<i64>>(r, 5)?.map(|v| v.max(0) as u64);
                let carrier_name: Option<String> = get(r, 6)?;
                Ok(OrderLinkRow {
                    client_store: get(r, 0)?,
                    client_order_id: get::<i64>(r, 1)?.max(0) as u64,
                    status: get(r, 2)?,
                    source_order_id: get::<Option<i64>>(r, 3)?.map(|v| v.max(0) as u64),
                    source_reference: text("source_reference"),
                    error: text("error"),
                    carrier: carrier_id.map(|id| (id, carrier_name.unwrap_or_default())),
                    shipping_tax_incl: get(r, 7)?,
                    source_state: text("source_state").map(|s| (s, text("source_state_name"))),
                    client_state: text("client_state"),
                    tracking_number: text("tracking_number"),
                    status_updated_at: text("status_updated_at")
                        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                        .map(|t| t.with_timezone(&Utc)),
                    attention: text("attention"),
                    updated_at: from_micros(get(r, 4)?),
                })
            })
            .collect()
    }

    async fn prune(&self, runs_before: DateTime<Utc>, counts_before: DateTime<Utc>) -> Result<(), StorageError> {
        self.exec("DELETE FROM job_runs WHERE finished_at_us < ?", vec![micros(runs_before).into()]).await?;
        let minute = counts_before.timestamp().div_euclid(60);
        self.exec("DELETE FROM job_minutes WHERE minute < ?", vec![minute.into()]).await?;
        self.exec("DELETE FROM store_minutes WHERE minute < ?", vec![minute.into()]).await?;
        self.exec("DELETE FROM store_health WHERE updated_at_us < ?", vec![micros(counts_before).into()]).await?;
        Ok(())
    }
}
