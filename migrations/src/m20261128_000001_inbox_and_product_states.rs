//! The inbox of accepted events and the latest known state of each source product.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// A `LONGTEXT` on MySQL (a `TEXT` stops at 64 KiB, a body may be 1 MiB); any name is TEXT to SQLite.
const LONG_TEXT: &str = "LONGTEXT";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InboxEvents::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(InboxEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(InboxEvents::EventId).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(InboxEvents::Store).string_len(64).not_null())
                    .col(ColumnDef::new(InboxEvents::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(InboxEvents::Payload).custom(Alias::new(LONG_TEXT)).not_null())
                    .col(ColumnDef::new(InboxEvents::Status).string_len(16).not_null())
                    .col(ColumnDef::new(InboxEvents::Sequence).big_integer().null())
                    .col(ColumnDef::new(InboxEvents::OccurredAtUs).big_integer().not_null())
                    .col(ColumnDef::new(InboxEvents::ReceivedAtUs).big_integer().not_null())
                    .col(ColumnDef::new(InboxEvents::QueuedAtUs).big_integer().null())
                    .col(ColumnDef::new(InboxEvents::ProcessedAtUs).big_integer().null())
                    .col(ColumnDef::new(InboxEvents::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(InboxEvents::LastError).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_events_status_received")
                    .table(InboxEvents::Table)
                    .col(InboxEvents::Status)
                    .col(InboxEvents::ReceivedAtUs)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductStates::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ProductStates::Sku).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(ProductStates::SourceProductId).big_integer().not_null())
                    .col(ColumnDef::new(ProductStates::UpdatedAtUs).big_integer().not_null())
                    .col(ColumnDef::new(ProductStates::OccurredAtUs).big_integer().not_null())
                    .col(ColumnDef::new(ProductStates::Sequence).big_integer().null())
                    .col(ColumnDef::new(ProductStates::EventId).string_len(64).not_null())
                    .col(ColumnDef::new(ProductStates::Data).custom(Alias::new(LONG_TEXT)).not_null())
                    .col(ColumnDef::new(ProductStates::RecordedAtUs).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProductStates::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(InboxEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum InboxEvents {
    Table,
    Id,
    EventId,
    Store,
    Kind,
    Payload,
    Status,
    Sequence,
    OccurredAtUs,
    ReceivedAtUs,
    QueuedAtUs,
    ProcessedAtUs,
    Attempts,
    LastError,
}

#[derive(DeriveIden)]
enum ProductStates {
    Table,
    Sku,
    SourceProductId,
    UpdatedAtUs,
    OccurredAtUs,
    Sequence,
    EventId,
    Data,
    RecordedAtUs,
}
