//! Values the core's unit tests share.

use chrono::{TimeZone, Utc};

use crate::model::{
    Address, Customer, EventId, EventPayload, Money, NewEvent, PriceRule, ProductData, Secret, Sku, Store, StoreCode,
    StoreRole,
};

/// An active store with no markup, whose key is derived from its code.
pub(crate) fn store(code: &str, role: StoreRole) -> Store {
    Store::new(
        StoreCode::parse(code).unwrap(),
        role,
        Secret::new(format!("{code}-key-0123456789")),
        None,
        true,
        PriceRule::default(),
    )
}

/// A product event of the wholesaler for `WHS-0001`.
pub(crate) fn product_event(id: &str) -> NewEvent {
    let product = ProductData::new(
        6,
        Sku::parse("WHS-0001").unwrap(),
        "Mug".into(),
        Money::parse("11.90").unwrap(),
        300,
        true,
        Utc.with_ymd_and_hms(2026, 11, 27, 9, 59, 58).unwrap(),
        vec![],
    )
    .unwrap();
    NewEvent::new(
        EventId::parse(id).unwrap(),
        StoreCode::parse("wholesaler").unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap(),
        None,
        EventPayload::Product(product),
    )
}

/// A retailer's end customer and her delivery address in Madrid, as an order carries them.
pub(crate) fn ana_in_madrid() -> (Customer, Address) {
    let customer = Customer::new("ana@example.com".into(), "Ana".into(), "Garcia".into()).unwrap();
    let address = Address::new(
        "Ana".into(),
        "Garcia".into(),
        String::new(),
        "Calle Mayor 1".into(),
        String::new(),
        "28013".into(),
        "Madrid".into(),
        "ES".into(),
        String::new(),
    )
    .unwrap();
    (customer, address)
}
