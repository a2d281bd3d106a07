//! The wire contract v1: the JSON bodies the connector posts, validated with garde, then turned into the
//! domain's values (`try_into_domain`). Unknown extra fields are ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use garde::Validate;
use hub_domain::{
    Address, CombinationData, Customer, EventId, EventPayload, InvalidValue, Money, NewEvent, OrderData, OrderLine,
    OrderStatusData, OrderedCombination, ProductData, Sku, StoreCode, StoreRole,
};
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};

fn valid_money(value: &str, _: &()) -> garde::Result {
    Money::parse(value).map(|_| ()).map_err(|e| garde::Error::new(e.message))
}

fn valid_timestamp(value: &str, _: &()) -> garde::Result {
    DateTime::parse_from_rfc3339(value)
        .map(|_| ())
        .map_err(|_| garde::Error::new("an RFC 3339 timestamp such as \"2026-11-27T10:00:00Z\""))
}

fn valid_event_id(value: &str, _: &()) -> garde::Result {
    EventId::parse(value).map(|_| ()).map_err(|e| garde::Error::new(e.message))
}

fn valid_reference(value: &str, _: &()) -> garde::Result {
    Sku::parse(value).map(|_| ()).map_err(|e| garde::Error::new(e.message))
}

fn valid_optional_reference(value: &Option<String>, ctx: &()) -> garde::Result {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => valid_reference(v, ctx),
        _ => Ok(()),
    }
}

fn parse_time(raw: &str) -> DateTime<Utc> {
    // Validated by `timestamp` before any conversion.
    DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// A body the API accepts, and how it becomes a domain event.
pub trait WebhookBody: serde::de::DeserializeOwned + Validate<Context = ()> + Send + 'static {
    /// The role whose key may post it (checked before the body is read).
    const ROLE: StoreRole;

    /// Converts the validated body into the domain's event.
    ///
    /// # Errors
    /// A domain rule garde does not know (reported with its field path).
    fn try_into_domain(self, store: StoreCode) -> Result<NewEvent, InvalidValue>;
}

/// A product changed on the source store.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct ProductEventBody {
    /// Unique id of this event (a UUID); the same id again is answered `duplicate` and ignored.
    #[garde(custom(valid_event_id))]
    pub event_id: String,
    /// When the change happened at the store, RFC 3339 (microseconds welcome: they order same-second changes);
    /// refused when more than the signature tolerance (300 s by default) ahead of the hub's clock.
    #[garde(custom(valid_timestamp))]
    pub occurred_at: String,
    /// The connector's monotonic per-store sequence (its outbox id), when it has one.
    #[garde(skip)]
    #[serde(default)]
    pub sequence: Option<u64>,
    /// The product's state now.
    #[garde(dive)]
    pub product: ProductBody,
}

/// A product as the source has it now.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct ProductBody {
    /// Product id on the source.
    #[garde(skip)]
    pub id: u64,
    /// Reference (SKU), 1–64 characters: the key clients are synced by.
    #[garde(custom(valid_reference))]
    pub reference: String,
    /// Name (at most 255 characters).
    #[garde(length(chars, max = 255))]
    #[serde(default)]
    pub name: String,
    /// Price tax excluded, a decimal string such as "11.90" (at most 6 decimals).
    #[garde(custom(valid_money))]
    pub price: String,
    /// Stock on the source; may be negative there (published to clients as max(0, q)).
    #[garde(skip)]
    pub quantity: i64,
    /// For sale.
    #[garde(skip)]
    pub active: bool,
    /// The source's `date_upd`, RFC 3339; refused when more than the signature tolerance ahead of the hub's clock.
    #[garde(custom(valid_timestamp))]
    pub updated_at: String,
    /// Combinations (variants); empty for a simple product.
    #[garde(dive)]
    #[serde(default)]
    pub combinations: Vec<CombinationBody>,
    /// Source category ids, its default category first (connector 1.4.0 and later; absent: unknown, which a
    /// store selecting by category does not carry, and category price rules do not apply).
    #[garde(length(max = 1000))]
    #[serde(default)]
    pub categories: Vec<u64>,
}

/// A combination of the product.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct CombinationBody {
    /// Combination id on the source.
    #[garde(skip)]
    pub id: u64,
    /// Its own reference, when it has one (empty or absent otherwise).
    #[garde(custom(valid_optional_reference))]
    #[serde(default)]
    pub reference: Option<String>,
    /// EAN13, when it has one.
    #[garde(length(max = 13))]
    #[serde(default)]
    pub ean13: Option<String>,
    /// Attribute group → value, e.g. {"Size": "S"}.
    #[garde(skip)]
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Stock of the combination on the source.
    #[garde(skip)]
    pub quantity: i64,
}

impl WebhookBody for ProductEventBody {
    const ROLE: StoreRole = StoreRole::Source;

    fn try_into_domain(self, store: StoreCode) -> Result<NewEvent, InvalidValue> {
        let p = self.product;
        let combinations = p
            .combinations
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let reference = c
                    .reference
                    .filter(|r| !r.trim().is_empty())
                    .map(|r| Sku::parse(&r))
                    .transpose()
                    .map_err(|e| e.within(&format!("product.combinations[{i}].reference")))?;
                Ok(CombinationData::new(c.id, reference, c.ean13, c.attributes, c.quantity))
            })
            .collect::<Result<Vec<_>, InvalidValue>>()?;
        let product = ProductData::new(
            p.id,
            Sku::parse(&p.reference).map_err(|e| e.within("product.reference"))?,
            p.name,
            Money::parse(&p.price).map_err(|e| e.within("product.price"))?,
            p.quantity,
            p.active,
            parse_time(&p.updated_at),
            combinations,
        )
        .map_err(|e| e.within("product"))?
        .with_categories(p.categories);
        Ok(NewEvent::new(
            EventId::parse(&self.event_id).map_err(|e| e.within("event_id"))?,
            store,
            parse_time(&self.occurred_at),
            self.sequence,
            EventPayload::Product(product),
        ))
    }
}

/// An order was placed at a client store.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct OrderEventBody {
    /// Unique id of this event; the same id again is answered `duplicate` and ignored.
    #[garde(custom(valid_event_id))]
    pub event_id: String,
    /// When it happened at the store, RFC 3339; refused when more than the signature tolerance ahead of the
    /// hub's clock.
    #[garde(custom(valid_timestamp))]
    pub occurred_at: String,
    /// The connector's monotonic per-store sequence, when it has one.
    #[garde(skip)]
    #[serde(default)]
    pub sequence: Option<u64>,
    /// The order.
    #[garde(dive)]
    pub order: OrderBody,
}

/// An order at the retailer.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct OrderBody {
    /// Order id on the retailer's store.
    #[garde(skip)]
    pub id: u64,
    /// Order reference on the retailer's store.
    #[garde(length(chars, min = 1, max = 32))]
    pub reference: String,
    /// ISO 4217 code, e.g. "EUR".
    #[garde(length(min = 3, max = 3), pattern(r"^[A-Za-z]{3}$"))]
    pub currency: String,
    /// The end customer.
    #[garde(dive)]
    pub customer: CustomerBody,
    /// Where to ship (the end customer's address).
    #[garde(dive)]
    pub delivery_address: AddressBody,
    /// Ordered lines, at least one.
    #[garde(length(min = 1, max = 500), dive)]
    pub lines: Vec<OrderLineBody>,
    /// Paid by the end customer, tax included, decimal string.
    #[garde(custom(valid_money))]
    pub total_paid_tax_incl: String,
    /// When it was placed, RFC 3339.
    #[garde(custom(valid_timestamp))]
    pub placed_at: String,
    /// Whether the retailer considers it valid (paid), when the connector knows.
    #[garde(skip)]
    #[serde(default)]
    pub valid: Option<bool>,
    /// The retailer's order state id, when known.
    #[garde(length(max = 32))]
    #[serde(default)]
    pub state: Option<String>,
    /// The retailer's carrier id (`id_carrier` of its order), when the connector sends it: the hub maps it
    /// to a source carrier with the client store's `[stores.orders] carrier_map`.
    #[garde(skip)]
    #[serde(default)]
    pub carrier_id: Option<u64>,
}

/// The end customer.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct CustomerBody {
    /// E-mail.
    #[garde(email, length(max = 255))]
    pub email: String,
    /// First name.
    #[garde(length(chars, min = 1, max = 255))]
    pub firstname: String,
    /// Last name.
    #[garde(length(chars, min = 1, max = 255))]
    pub lastname: String,
}

/// A postal address.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct AddressBody {
    /// First name.
    #[garde(length(chars, min = 1, max = 255))]
    pub firstname: String,
    /// Last name.
    #[garde(length(chars, min = 1, max = 255))]
    pub lastname: String,
    /// Company.
    #[garde(length(chars, max = 255))]
    #[serde(default)]
    pub company: String,
    /// Street line.
    #[garde(length(chars, min = 1, max = 128))]
    pub address1: String,
    /// Second street line.
    #[garde(length(chars, max = 128))]
    #[serde(default)]
    pub address2: String,
    /// Postal code (empty for countries without one).
    #[garde(length(chars, max = 12))]
    #[serde(default)]
    pub postcode: String,
    /// City.
    #[garde(length(chars, min = 1, max = 64))]
    pub city: String,
    /// ISO 3166-1 alpha-2 code, e.g. "ES".
    #[garde(pattern(r"^[A-Za-z]{2}$"))]
    pub country: String,
    /// Phone.
    #[garde(length(chars, max = 32))]
    #[serde(default)]
    pub phone: String,
}

/// One ordered line.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct OrderLineBody {
    /// Reference of the product or combination.
    #[garde(custom(valid_reference))]
    pub reference: String,
    /// Quantity, at least 1.
    #[garde(range(min = 1, max = 100_000))]
    pub quantity: i64,
    /// Unit price paid, tax included, decimal string.
    #[garde(custom(valid_money))]
    pub unit_price_tax_incl: String,
    /// The reference of the product the combination belongs to, its own ("" or absent: none); the source
    /// product is looked up by it (else by `reference`) to match the combination by its attributes.
    #[garde(custom(valid_optional_reference))]
    #[serde(default)]
    pub product_reference: Option<String>,
    /// The combination ordered, absent or null for a simple product. Matched on the source by its own
    /// reference when unique there, else its EAN13, else the product's combination with the same
    /// attribute values (case- and accent-insensitive).
    #[garde(dive)]
    #[serde(default)]
    pub combination: Option<OrderedCombinationBody>,
}

/// The combination of an ordered line, as the retailer has it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct OrderedCombinationBody {
    /// Combination id at the retailer.
    #[garde(skip)]
    pub id: u64,
    /// Its own reference, when it has one (empty, null or absent otherwise).
    #[garde(custom(valid_optional_reference))]
    #[serde(default)]
    pub reference: Option<String>,
    /// EAN13, when it has one.
    #[garde(length(max = 13))]
    #[serde(default)]
    pub ean13: Option<String>,
    /// Attribute group → value, e.g. {"Size": "M", "Color": "Black"}.
    #[garde(length(max = 50))]
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

impl WebhookBody for OrderEventBody {
    const ROLE: StoreRole = StoreRole::Client;

    fn try_into_domain(self, store: StoreCode) -> Result<NewEvent, InvalidValue> {
        let o = self.order;
        let c = o.customer;
        let customer = Customer::new(c.email, c.firstname, c.lastname).map_err(|e| e.within("order.customer"))?;
        let a = o.delivery_address;
        let address = Address::new(
            a.firstname,
            a.lastname,
            a.company,
            a.address1,
            a.address2,
            a.postcode,
            a.city,
            a.country,
            a.phone,
        )
        .map_err(|e| e.within("order.delivery_address"))?;
        let lines = o
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let at = format!("order.lines[{i}]");
                let line = OrderLine::new(
                    Sku::parse(&l.reference).map_err(|e| e.within(&format!("{at}.reference")))?,
                    u32::try_from(l.quantity)
                        .map_err(|_| InvalidValue::new(format!("{at}.quantity"), "out of range"))?,
                    Money::parse(&l.unit_price_tax_incl).map_err(|e| e.within(&format!("{at}.unit_price_tax_incl")))?,
                )
                .map_err(|e| e.within(&at))?;
                let Some(c) = l.combination else { return Ok(line) };
                let optional_sku = |raw: Option<String>, field: &str| {
                    raw.filter(|r| !r.trim().is_empty())
                        .map(|r| Sku::parse(&r))
                        .transpose()
                        .map_err(|e| e.within(&format!("{at}.{field}")))
                };
                let product_reference = optional_sku(l.product_reference, "product_reference")?;
                let combination = OrderedCombination::new(
                    c.id,
                    optional_sku(c.reference, "combination.reference")?,
                    c.ean13,
                    c.attributes,
                )
                .map_err(|e| e.within(&format!("{at}.combination")))?;
                Ok(line.with_combination(product_reference, combination))
            })
            .collect::<Result<Vec<_>, InvalidValue>>()?;
        let order = OrderData::new(
            o.id,
            o.reference,
            o.currency,
            customer,
            address,
            lines,
            Money::parse(&o.total_paid_tax_incl).map_err(|e| e.within("order.total_paid_tax_incl"))?,
            parse_time(&o.placed_at),
            o.valid,
            o.state,
        )
        .map_err(|e| e.within("order"))?
        .with_carrier_id(o.carrier_id);
        Ok(NewEvent::new(
            EventId::parse(&self.event_id).map_err(|e| e.within("event_id"))?,
            store,
            parse_time(&self.occurred_at),
            self.sequence,
            EventPayload::Order(Box::new(order)),
        ))
    }
}

/// The source reports the state or the tracking number of an order the hub created there (its connector
/// reports only orders placed with `module = fulfillment_connector`).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct OrderStatusEventBody {
    /// Unique id of this event; the same id again is answered `duplicate` and ignored.
    #[garde(custom(valid_event_id))]
    pub event_id: String,
    /// When the change happened at the store, RFC 3339 (microseconds welcome); refused when more than the
    /// signature tolerance ahead of the hub's clock.
    #[garde(custom(valid_timestamp))]
    pub occurred_at: String,
    /// The connector's sequence (its outbox id): increases with every event of the store, so with every
    /// report of one order. A report with a sequence at or below the last one applied to its order changes
    /// nothing.
    #[garde(range(min = 1))]
    pub sequence: u64,
    /// The order on the source.
    #[garde(dive)]
    pub order: OrderStatusBody,
}

/// An order on the source store, as it is now.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct OrderStatusBody {
    /// Order id on the source.
    #[garde(range(min = 1))]
    pub id: u64,
    /// Order reference on the source.
    #[garde(length(chars, min = 1, max = 32))]
    pub reference: String,
    /// The cart it was made from (`id_cart`).
    #[garde(skip)]
    #[serde(default)]
    pub cart_id: Option<u64>,
    /// Its current state id (`current_state`), e.g. "4".
    #[garde(length(min = 1, max = 10), pattern(r"^[0-9]+$"))]
    pub state: String,
    /// That state's name in the shop's default language, e.g. "Shipped".
    #[garde(length(chars, max = 64))]
    #[serde(default)]
    pub state_name: Option<String>,
    /// The tracking number of its carrier (`order_carrier.tracking_number`); null or empty when none.
    #[garde(length(chars, max = 64))]
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// Its carrier id on the source.
    #[garde(skip)]
    #[serde(default)]
    pub carrier_id: Option<u64>,
    /// Its last change on the source (`date_upd`), RFC 3339.
    #[garde(inner(custom(valid_timestamp)))]
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl WebhookBody for OrderStatusEventBody {
    const ROLE: StoreRole = StoreRole::Source;

    fn try_into_domain(self, store: StoreCode) -> Result<NewEvent, InvalidValue> {
        let o = self.order;
        let status = OrderStatusData::new(
            o.id,
            o.reference,
            o.cart_id,
            o.state,
            o.state_name,
            o.tracking_number,
            o.carrier_id,
            o.updated_at.as_deref().map(parse_time),
        )
        .map_err(|e| e.within("order"))?;
        Ok(NewEvent::new(
            EventId::parse(&self.event_id).map_err(|e| e.within("event_id"))?,
            store,
            parse_time(&self.occurred_at),
            Some(self.sequence),
            EventPayload::OrderStatus(Box::new(status)),
        ))
    }
}

/// The answer to an accepted event.
#[derive(Debug, Clone, Serialize, Deserialize, Apiv2Schema)]
pub struct AcceptedResponse {
    /// The event's id.
    pub event_id: String,
    /// `queued` when stored and queued now, `duplicate` when this id was accepted before.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_body(line: serde_json::Value) -> OrderEventBody {
        serde_json::from_value(serde_json::json!({
            "event_id": "evt-0000001", "occurred_at": "2026-11-27T10:00:00Z",
            "order": {
                "id": 42, "reference": "XKBKNABJK", "currency": "EUR", "carrier_id": 2,
                "customer": {"email": "ana@example.com", "firstname": "Ana", "lastname": "Garcia"},
                "delivery_address": {"firstname": "Ana", "lastname": "Garcia", "address1": "Calle Mayor 1",
                                     "postcode": "28013", "city": "Madrid", "country": "ES"},
                "lines": [line], "total_paid_tax_incl": "35.10", "placed_at": "2026-11-27T10:00:00Z"
            }
        }))
        .unwrap()
    }

    fn domain(body: OrderEventBody) -> Result<OrderData, InvalidValue> {
        body.validate().map_err(|e| InvalidValue::new("garde", e.to_string()))?;
        match body.try_into_domain(StoreCode::parse("retail-1").unwrap())?.payload {
            EventPayload::Order(o) => Ok(*o),
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_line_carries_its_combination_and_an_old_line_without_one_is_still_accepted() {
        let o = domain(order_body(serde_json::json!({
            "reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1", "product_reference": "",
            "combination": {"id": 3, "reference": null, "ean13": null, "attributes": {"Size": "M", "Color": "Black"}}
        })))
        .unwrap();
        let c = o.lines[0].combination.as_ref().expect("the combination");
        assert_eq!((c.id, c.reference.as_ref(), c.attributes.get("Size").map(String::as_str)), (3, None, Some("M")));
        assert_eq!(o.lines[0].product_reference, None, "an empty product reference is none");
        assert_eq!(o.carrier_id, Some(2));
        let old = domain(order_body(
            serde_json::json!({"reference": "WHS-0001", "quantity": 2, "unit_price_tax_incl": "15.73"}),
        ))
        .unwrap();
        assert_eq!((old.lines[0].combination.as_ref(), old.lines[0].product_reference.as_ref()), (None, None));
        let null = domain(order_body(serde_json::json!({
            "reference": "WHS-0001", "quantity": 1, "unit_price_tax_incl": "1.00", "combination": null
        })))
        .unwrap();
        assert_eq!(null.lines[0].combination, None);
    }

    #[test]
    fn a_combination_that_names_nothing_to_match_by_is_refused_with_its_path() {
        let e = domain(order_body(serde_json::json!({
            "reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1",
            "combination": {"id": 3, "reference": "", "attributes": {}}
        })))
        .unwrap_err();
        assert_eq!(e.field, "order.lines[0].combination");
        let too_long = domain(order_body(serde_json::json!({
            "reference": "demo_1", "quantity": 1, "unit_price_tax_incl": "35.1",
            "combination": {"id": 3, "ean13": "40063813339310000"}
        })));
        assert!(too_long.is_err(), "an EAN13 over 13 characters is refused like the product event's");
    }
}
