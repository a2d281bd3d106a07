//! Named leases for periodic tasks (reconciliation): one process at a time runs them, and the end of the
//! last run is kept so several workers do not each run one per interval.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RunLeases::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(RunLeases::Name).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(RunLeases::LeaseOwner).string_len(128).null())
                    .col(ColumnDef::new(RunLeases::LeaseUntilUs).big_integer().not_null().default(0))
                    .col(ColumnDef::new(RunLeases::LastFinishedUs).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RunLeases::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum RunLeases {
    Table,
    Name,
    LeaseOwner,
    LeaseUntilUs,
    LastFinishedUs,
}
