//! The inbox records events in batches (group commit): `batch_id` tells which rows a batch inserted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InboxEvents::Table)
                    .add_column(ColumnDef::new(InboxEvents::BatchId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_events_batch")
                    .table(InboxEvents::Table)
                    .col(InboxEvents::BatchId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_inbox_events_batch").table(InboxEvents::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(InboxEvents::Table).drop_column(InboxEvents::BatchId).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum InboxEvents {
    Table,
    BatchId,
}
