//! Per source store, the highest product `date_upd` (the shop's own wall-clock time, as PrestaShop stores it)
//! an incremental reconciliation has read: the next one lists the products changed from there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogWatermarks::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(CatalogWatermarks::Store).string_len(64).not_null().primary_key())
                    // `YYYY-MM-DD HH:MM:SS`: the shop's time carries no zone, so it is kept as the shop wrote it
                    // (that text orders as the time does).
                    .col(ColumnDef::new(CatalogWatermarks::DateUpd).string_len(19).not_null())
                    .col(ColumnDef::new(CatalogWatermarks::UpdatedAtUs).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CatalogWatermarks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum CatalogWatermarks {
    Table,
    Store,
    DateUpd,
    UpdatedAtUs,
}
