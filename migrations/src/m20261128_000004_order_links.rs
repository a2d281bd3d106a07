//! Client orders and what became of them on the source: the exactly-once record of order replication.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderLinks::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(OrderLinks::ClientStore).string_len(64).not_null())
                    .col(ColumnDef::new(OrderLinks::ClientOrderId).big_integer().not_null())
                    .col(ColumnDef::new(OrderLinks::Status).string_len(24).not_null())
                    .col(ColumnDef::new(OrderLinks::SourceCartId).big_integer().null())
                    .col(ColumnDef::new(OrderLinks::SourceOrderId).big_integer().null())
                    .col(ColumnDef::new(OrderLinks::Data).text().null())
                    .col(ColumnDef::new(OrderLinks::LeaseOwner).string_len(128).null())
                    .col(ColumnDef::new(OrderLinks::LeaseUntilUs).big_integer().not_null().default(0))
                    .col(ColumnDef::new(OrderLinks::UpdatedAtUs).big_integer().not_null())
                    .primary_key(Index::create().col(OrderLinks::ClientStore).col(OrderLinks::ClientOrderId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_links_status")
                    .table(OrderLinks::Table)
                    .col(OrderLinks::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OrderLinks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum OrderLinks {
    Table,
    ClientStore,
    ClientOrderId,
    Status,
    SourceCartId,
    SourceOrderId,
    Data,
    LeaseOwner,
    LeaseUntilUs,
    UpdatedAtUs,
}
