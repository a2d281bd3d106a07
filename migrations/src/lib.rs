//! The hub's schema, one migration per change, portable across MySQL/MariaDB and SQLite.
//!
//! Times are stored as microseconds since the Unix epoch (`BIGINT`): exact ordering and the same
//! precision on every backend (MySQL `TIMESTAMP` would drop the microseconds).

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_inbox_and_product_states;
mod m20261128_000002_product_links;
mod m20261128_000003_inbox_batch_id;
mod m20261128_000004_order_links;
mod m20261128_000005_operations;
mod m20261128_000006_run_leases;
mod m20261203_000007_owed_syncs;
mod m20261203_000008_dashboard_sessions;
mod m20261203_000009_order_link_carrier;
mod m20261203_000010_order_watermarks;
mod m20261203_000012_catalog_watermarks;
mod m20261203_000013_order_link_source_lookup;

/// Runs the hub's migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_inbox_and_product_states::Migration),
            Box::new(m20261128_000002_product_links::Migration),
            Box::new(m20261128_000003_inbox_batch_id::Migration),
            Box::new(m20261128_000004_order_links::Migration),
            Box::new(m20261128_000005_operations::Migration),
            Box::new(m20261128_000006_run_leases::Migration),
            Box::new(m20261203_000007_owed_syncs::Migration),
            Box::new(m20261203_000008_dashboard_sessions::Migration),
            Box::new(m20261203_000009_order_link_carrier::Migration),
            Box::new(m20261203_000010_order_watermarks::Migration),
            Box::new(m20261203_000012_catalog_watermarks::Migration),
            Box::new(m20261203_000013_order_link_source_lookup::Migration),
        ]
    }
}
