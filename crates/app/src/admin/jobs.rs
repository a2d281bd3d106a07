//! `hub jobs failed`, `hub jobs retry` and `hub jobs discard`: the failed jobs waiting for an operator, and
//! what the operator decides for them.

use std::process::ExitCode;

use anyhow::Context;
use hub_domain::operations::OperationError;

use super::{
    Admin,
    cli::{FailedArgs, ResolveArgs},
    progress,
};
use crate::settings::Settings;

/// What to do with failed jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Queue them again.
    Retry,
    /// Drop them.
    Discard,
}

impl Action {
    /// The command's word, shown by the progress bar.
    fn name(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Discard => "discard",
        }
    }

    /// What became of a job it was done to.
    fn done(self) -> &'static str {
        match self {
            Self::Retry => "queued again",
            Self::Discard => "discarded",
        }
    }
}

/// Prints the failed jobs waiting for an operator, newest first.
///
/// # Errors
/// `--limit` is not a number; the database or the queue cannot be reached.
pub(super) async fn failed(settings: &Settings, args: &FailedArgs) -> anyhow::Result<ExitCode> {
    let limit: u32 = args.limit.parse().context("--limit: a number")?;
    let admin = Admin::connect(settings).await?;
    let jobs = admin.failed.waiting(limit).await?;
    if jobs.is_empty() {
        println!("no failed job is waiting");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<8} {:<22} {:<32} {:<8} {:<20} ERROR", "ID", "JOB", "SUBJECT", "ATTEMPTS", "FAILED AT (UTC)");
    for j in jobs {
        let error: String = j.error.replace('\n', " ").chars().take(120).collect();
        println!(
            "{:<8} {:<22} {:<32} {:<8} {:<20} {error}",
            j.id,
            j.job,
            j.subject,
            j.attempts,
            j.failed_at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Retries or discards the named failed jobs (or all of them), a line each; fails when one of them could
/// not be (unknown, already resolved), after the others were.
///
/// # Errors
/// An id is not a number; the database or the queue cannot be reached.
pub(super) async fn resolve(settings: &Settings, action: Action, args: &ResolveArgs) -> anyhow::Result<ExitCode> {
    let admin = Admin::connect(settings).await?;
    let ids: Vec<i64> = if args.all {
        admin.failed.waiting(u32::MAX).await?.into_iter().map(|j| j.id).collect()
    } else {
        args.ids
            .iter()
            .map(|i| i.parse().with_context(|| format!("`{i}` is not a job id")))
            .collect::<Result<_, _>>()?
    };
    let bar = progress::bar(ids.len() as u64, action.name());
    let mut failed = 0;
    for id in ids {
        let result = match action {
            Action::Retry => admin.failed.retry(id).await,
            Action::Discard => admin.failed.discard(id).await,
        };
        match result {
            Ok(()) => progress::say(&bar, format!("job {id}: {}", action.done())),
            Err(e @ (OperationError::Storage(_) | OperationError::Queue(_))) => {
                bar.abandon();
                return Err(e.into());
            }
            Err(e) => {
                failed += 1;
                progress::say(&bar, format!("job {id}: {e}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
