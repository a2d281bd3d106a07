//! The dashboard's open sessions, shared by every API process, so that a logout on one ends the session on
//! all of them. A row holds the SHA-256 of the session id (the cookie carries the id, signed) and when the
//! session ends; logging out deletes it, and logins delete the rows whose end has passed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DashboardSessions::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(DashboardSessions::Digest).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(DashboardSessions::ExpiresAtUs).big_integer().not_null())
                    .col(ColumnDef::new(DashboardSessions::CreatedAtUs).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_dashboard_sessions_expires")
                    .table(DashboardSessions::Table)
                    .col(DashboardSessions::ExpiresAtUs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DashboardSessions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum DashboardSessions {
    Table,
    Digest,
    ExpiresAtUs,
    CreatedAtUs,
}
