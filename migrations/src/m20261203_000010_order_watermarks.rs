//! Per client store, the `date_upd` (the shop's own wall-clock time, as PrestaShop stores it) up to which
//! the reconciliation of orders has listed its valid orders: the next run lists from there.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderWatermarks::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(OrderWatermarks::Store).string_len(64).not_null().primary_key())
                    // `YYYY-MM-DD HH:MM:SS`: the shop's time carries no zone, so it is kept as the shop wrote it
                    // (that text orders as the time does).
                    .col(ColumnDef::new(OrderWatermarks::DateUpd).string_len(19).not_null())
                    .col(ColumnDef::new(OrderWatermarks::UpdatedAtUs).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OrderWatermarks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum OrderWatermarks {
    Table,
    Store,
    DateUpd,
    UpdatedAtUs,
}
