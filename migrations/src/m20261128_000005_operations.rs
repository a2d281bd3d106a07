//! What the dashboard and the admin commands read: job counts per minute, a sample of recent job runs,
//! failed jobs kept for an operator, and Webservice health per store. Workers write them in batches.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobMinutes::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(JobMinutes::Minute).big_integer().not_null())
                    .col(ColumnDef::new(JobMinutes::Job).string_len(32).not_null())
                    .col(ColumnDef::new(JobMinutes::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(JobMinutes::Runs).big_integer().not_null())
                    .col(ColumnDef::new(JobMinutes::WaitMsSum).big_integer().not_null())
                    .col(ColumnDef::new(JobMinutes::WaitRuns).big_integer().not_null())
                    .col(ColumnDef::new(JobMinutes::DurationMsSum).big_integer().not_null())
                    .primary_key(Index::create().col(JobMinutes::Minute).col(JobMinutes::Job).col(JobMinutes::Outcome))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(JobRuns::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(JobRuns::Job).string_len(32).not_null())
                    .col(ColumnDef::new(JobRuns::Subject).string_len(191).not_null())
                    .col(ColumnDef::new(JobRuns::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(JobRuns::Attempt).integer().not_null())
                    .col(ColumnDef::new(JobRuns::WaitMs).big_integer().null())
                    .col(ColumnDef::new(JobRuns::DurationMs).big_integer().not_null())
                    .col(ColumnDef::new(JobRuns::Error).text().null())
                    .col(ColumnDef::new(JobRuns::Worker).string_len(128).not_null())
                    .col(ColumnDef::new(JobRuns::FinishedAtUs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_runs_finished")
                    .table(JobRuns::Table)
                    .col(JobRuns::FinishedAtUs)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FailedJobs::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(FailedJobs::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(FailedJobs::Job).string_len(32).not_null())
                    .col(ColumnDef::new(FailedJobs::Subject).string_len(191).not_null())
                    .col(ColumnDef::new(FailedJobs::Payload).text().not_null())
                    .col(ColumnDef::new(FailedJobs::Error).text().not_null())
                    .col(ColumnDef::new(FailedJobs::Attempts).integer().not_null())
                    .col(ColumnDef::new(FailedJobs::Status).string_len(16).not_null())
                    .col(ColumnDef::new(FailedJobs::FailedAtUs).big_integer().not_null())
                    .col(ColumnDef::new(FailedJobs::ResolvedAtUs).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_failed_jobs_status")
                    .table(FailedJobs::Table)
                    .col(FailedJobs::Status)
                    .col(FailedJobs::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoreMinutes::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StoreMinutes::Minute).big_integer().not_null())
                    .col(ColumnDef::new(StoreMinutes::Store).string_len(64).not_null())
                    .col(ColumnDef::new(StoreMinutes::Calls).big_integer().not_null())
                    .col(ColumnDef::new(StoreMinutes::Errors).big_integer().not_null())
                    .primary_key(Index::create().col(StoreMinutes::Minute).col(StoreMinutes::Store))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StoreHealth::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(StoreHealth::Store).string_len(64).not_null())
                    .col(ColumnDef::new(StoreHealth::Worker).string_len(128).not_null())
                    .col(ColumnDef::new(StoreHealth::Circuit).string_len(16).not_null())
                    .col(ColumnDef::new(StoreHealth::LastSuccessUs).big_integer().null())
                    .col(ColumnDef::new(StoreHealth::LastErrorUs).big_integer().null())
                    .col(ColumnDef::new(StoreHealth::LastError).text().null())
                    .col(ColumnDef::new(StoreHealth::UpdatedAtUs).big_integer().not_null())
                    .primary_key(Index::create().col(StoreHealth::Store).col(StoreHealth::Worker))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobMinutes::Table.into_iden(),
            JobRuns::Table.into_iden(),
            FailedJobs::Table.into_iden(),
            StoreMinutes::Table.into_iden(),
            StoreHealth::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum JobMinutes {
    Table,
    Minute,
    Job,
    Outcome,
    Runs,
    WaitMsSum,
    WaitRuns,
    DurationMsSum,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Job,
    Subject,
    Outcome,
    Attempt,
    WaitMs,
    DurationMs,
    Error,
    Worker,
    FinishedAtUs,
}

#[derive(DeriveIden)]
enum FailedJobs {
    Table,
    Id,
    Job,
    Subject,
    Payload,
    Error,
    Attempts,
    Status,
    FailedAtUs,
    ResolvedAtUs,
}

#[derive(DeriveIden)]
enum StoreMinutes {
    Table,
    Minute,
    Store,
    Calls,
    Errors,
}

#[derive(DeriveIden)]
enum StoreHealth {
    Table,
    Store,
    Worker,
    Circuit,
    LastSuccessUs,
    LastErrorUs,
    LastError,
    UpdatedAtUs,
}
