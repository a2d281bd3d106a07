//! The carrier of a replicated order and the shipping the source charged for it, on its order link: shown
//! to the operator (dashboard) and to the retailer (`GET /api/orders/{store}/{id}`). One column per
//! statement: SQLite adds a single column per `ALTER TABLE`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(OrderLinks::CarrierId).big_integer().null().to_owned(),
            ColumnDef::new(OrderLinks::CarrierName).string_len(64).null().to_owned(),
            // Decimal text as the source gave it ("8.400000" → "8.40"): exact on every backend.
            ColumnDef::new(OrderLinks::ShippingTaxIncl).string_len(32).null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(OrderLinks::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [OrderLinks::CarrierId, OrderLinks::CarrierName, OrderLinks::ShippingTaxIncl] {
            manager.alter_table(Table::alter().table(OrderLinks::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OrderLinks {
    Table,
    CarrierId,
    CarrierName,
    ShippingTaxIncl,
}
