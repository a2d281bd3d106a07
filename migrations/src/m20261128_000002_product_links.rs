//! Where each source SKU lives on each client store, and the lease that serialises writes to it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductLinks::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(ProductLinks::Store).string_len(64).not_null())
                    .col(ColumnDef::new(ProductLinks::Sku).string_len(64).not_null())
                    .col(ColumnDef::new(ProductLinks::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ProductLinks::ClientProductId).big_integer().null())
                    .col(ColumnDef::new(ProductLinks::Data).text().null())
                    .col(ColumnDef::new(ProductLinks::LeaseOwner).string_len(128).null())
                    .col(ColumnDef::new(ProductLinks::LeaseUntilUs).big_integer().not_null().default(0))
                    .col(ColumnDef::new(ProductLinks::UpdatedAtUs).big_integer().not_null())
                    .primary_key(Index::create().col(ProductLinks::Store).col(ProductLinks::Sku))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_links_store_status")
                    .table(ProductLinks::Table)
                    .col(ProductLinks::Store)
                    .col(ProductLinks::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProductLinks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProductLinks {
    Table,
    Store,
    Sku,
    Status,
    ClientProductId,
    Data,
    LeaseOwner,
    LeaseUntilUs,
    UpdatedAtUs,
}
