//! The return path finds a client order's link from the source order (or cart) the source reports:
//! one index on each.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in [
            ("idx_order_links_source_order", OrderLinks::SourceOrderId),
            ("idx_order_links_source_cart", OrderLinks::SourceCartId),
        ] {
            manager
                .create_index(
                    Index::create().name(name).table(OrderLinks::Table).col(column).if_not_exists().to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_order_links_source_order", "idx_order_links_source_cart"] {
            manager.drop_index(Index::drop().name(name).table(OrderLinks::Table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OrderLinks {
    Table,
    SourceOrderId,
    SourceCartId,
}
