//! sea-orm entities of the hub's tables (see `migrations/`).

pub(crate) mod inbox_events {
    use sea_orm::entity::prelude::*;

    /// One accepted event.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbox_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub event_id: String,
        pub store: String,
        pub kind: String,
        pub payload: String,
        pub status: String,
        pub sequence: Option<i64>,
        pub occurred_at_us: i64,
        pub received_at_us: i64,
        pub queued_at_us: Option<i64>,
        pub processed_at_us: Option<i64>,
        pub attempts: i32,
        pub last_error: Option<String>,
        pub batch_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod product_states {
    use sea_orm::entity::prelude::*;

    /// The latest known state of one source product.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "product_states")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub sku: String,
        pub source_product_id: i64,
        pub updated_at_us: i64,
        pub occurred_at_us: i64,
        pub sequence: Option<i64>,
        pub event_id: String,
        pub data: String,
        pub recorded_at_us: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
