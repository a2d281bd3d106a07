//! What is owed to each client, in the database: the source state each link last dealt with (a column, so
//! lagging pairs are found by a join), states found by when the hub recorded them, and the states the
//! owed-sync sweeper already queued again per pair (how often, so it waits longer each time).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProductLinks::Table)
                    .add_column(ColumnDef::new(ProductLinks::AppliedEventId).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_states_recorded")
                    .table(ProductStates::Table)
                    .col(ProductStates::RecordedAtUs)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncRequeues::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(SyncRequeues::Store).string_len(64).not_null())
                    .col(ColumnDef::new(SyncRequeues::Sku).string_len(64).not_null())
                    .col(ColumnDef::new(SyncRequeues::EventId).string_len(64).not_null())
                    .col(ColumnDef::new(SyncRequeues::RequeuedAtUs).big_integer().not_null())
                    .col(ColumnDef::new(SyncRequeues::Attempts).integer().not_null().default(1))
                    .primary_key(Index::create().col(SyncRequeues::Store).col(SyncRequeues::Sku))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SyncRequeues::Table).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("idx_product_states_recorded").table(ProductStates::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(ProductLinks::Table).drop_column(ProductLinks::AppliedEventId).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ProductLinks {
    Table,
    AppliedEventId,
}

#[derive(DeriveIden)]
enum ProductStates {
    Table,
    RecordedAtUs,
}

#[derive(DeriveIden)]
enum SyncRequeues {
    Table,
    Store,
    Sku,
    EventId,
    RequeuedAtUs,
    Attempts,
}
