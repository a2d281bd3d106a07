//! A retailer's order as it reaches the hub, to be replicated on the source store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{money::Money, product::Sku};
use crate::errors::InvalidValue;

/// The end customer who ordered at the retailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Customer {
    /// E-mail address.
    pub email: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
}

impl Customer {
    /// Builds a customer.
    ///
    /// # Errors
    /// An e-mail without `@` or an empty name.
    pub fn new(email: String, firstname: String, lastname: String) -> Result<Self, InvalidValue> {
        let at = email.find('@');
        if !matches!(at, Some(i) if i > 0 && i + 1 < email.len()) {
            return Err(InvalidValue::new("email", "not an e-mail address"));
        }
        require("firstname", &firstname, 255)?;
        require("lastname", &lastname, 255)?;
        Ok(Self { email, firstname, lastname })
    }
}

/// Where the source ships the order (the end customer's address: dropshipping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Company, may be empty.
    pub company: String,
    /// Street line.
    pub address1: String,
    /// Second street line, may be empty.
    pub address2: String,
    /// Postal code; empty for countries without one.
    pub postcode: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
    /// Phone, may be empty.
    pub phone: String,
}

impl Address {
    /// Builds an address; the country code is upper-cased.
    ///
    /// # Errors
    /// A required line empty, or a country that is not two letters.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        firstname: String,
        lastname: String,
        company: String,
        address1: String,
        address2: String,
        postcode: String,
        city: String,
        country: String,
        phone: String,
    ) -> Result<Self, InvalidValue> {
        require("firstname", &firstname, 255)?;
        require("lastname", &lastname, 255)?;
        require("address1", &address1, 128)?;
        if postcode.chars().count() > 12 {
            return Err(InvalidValue::new("postcode", "at most 12 characters"));
        }
        require("city", &city, 64)?;
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(InvalidValue::new("country", "an ISO 3166-1 alpha-2 code such as \"ES\""));
        }
        Ok(Self { firstname, lastname, company, address1, address2, postcode, city, country, phone })
    }
}

/// One ordered line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderLine {
    /// Reference of the product or combination ordered.
    pub reference: Sku,
    /// Quantity, at least one.
    pub quantity: u32,
    /// Unit price paid at the retailer, tax included.
    pub unit_price_tax_incl: Money,
    /// The reference of the product the line's combination belongs to, when it has one of its own.
    #[serde(default)]
    pub product_reference: Option<Sku>,
    /// The combination ordered, as the retailer has it; `None` for a simple product (or an old connector).
    #[serde(default)]
    pub combination: Option<OrderedCombination>,
}

/// The combination (variant) an order line is for, with what identifies it on the source (FACTS.md §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderedCombination {
    /// Its id at the retailer.
    pub id: u64,
    /// Its own reference there, when it has one.
    pub reference: Option<Sku>,
    /// Its EAN13, when it has one.
    pub ean13: Option<String>,
    /// Attribute group → value, e.g. `Size` → `M`.
    pub attributes: BTreeMap<String, String>,
}

impl OrderedCombination {
    /// Builds a combination; an empty EAN13 counts as absent.
    ///
    /// # Errors
    /// Nothing that could identify it on the source: no reference, no EAN13 and no attribute.
    pub fn new(
        id: u64,
        reference: Option<Sku>,
        ean13: Option<String>,
        attributes: BTreeMap<String, String>,
    ) -> Result<Self, InvalidValue> {
        let ean13 = ean13.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
        if reference.is_none() && ean13.is_none() && attributes.is_empty() {
            return Err(InvalidValue::new("", "needs a reference, an EAN13 or attributes to be matched by"));
        }
        if attributes.iter().any(|(g, v)| g.trim().is_empty() || v.trim().is_empty()) {
            return Err(InvalidValue::new("attributes", "group and value names must not be empty"));
        }
        Ok(Self { id, reference, ean13, attributes })
    }
}

impl OrderLine {
    /// Builds a line.
    ///
    /// # Errors
    /// A zero quantity.
    pub fn new(reference: Sku, quantity: u32, unit_price_tax_incl: Money) -> Result<Self, InvalidValue> {
        if quantity == 0 {
            return Err(InvalidValue::new("quantity", "must be at least 1"));
        }
        Ok(Self { reference, quantity, unit_price_tax_incl, product_reference: None, combination: None })
    }

    /// The same line for `combination` of the product `product_reference` (when the product has one of
    /// its own).
    #[must_use]
    pub fn with_combination(mut self, product_reference: Option<Sku>, combination: OrderedCombination) -> Self {
        self.product_reference = product_reference;
        self.combination = Some(combination);
        self
    }
}

/// An order placed at a retailer store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderData {
    /// Order id on the retailer's store.
    pub client_order_id: u64,
    /// Order reference on the retailer's store.
    pub reference: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// The end customer.
    pub customer: Customer,
    /// Delivery address.
    pub delivery_address: Address,
    /// Ordered lines, never empty.
    pub lines: Vec<OrderLine>,
    /// What the end customer paid, tax included.
    pub total_paid_tax_incl: Money,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
    /// Whether the retailer considers it valid (paid); `None` when the connector did not say.
    pub valid: Option<bool>,
    /// The retailer's order state id, when known.
    pub state: Option<String>,
    /// The retailer's carrier id, when the connector sent it: mapped to a source carrier per retailer.
    #[serde(default)]
    pub carrier_id: Option<u64>,
}

impl OrderData {
    /// Builds an order.
    ///
    /// # Errors
    /// No lines, an empty reference, or a currency that is not three letters.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client_order_id: u64,
        reference: String,
        currency: String,
        customer: Customer,
        delivery_address: Address,
        lines: Vec<OrderLine>,
        total_paid_tax_incl: Money,
        placed_at: DateTime<Utc>,
        valid: Option<bool>,
        state: Option<String>,
    ) -> Result<Self, InvalidValue> {
        require("reference", &reference, 32)?;
        let currency = currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(InvalidValue::new("currency", "an ISO 4217 code such as \"EUR\""));
        }
        if lines.is_empty() {
            return Err(InvalidValue::new("lines", "an order needs at least one line"));
        }
        Ok(Self {
            client_order_id,
            reference,
            currency,
            customer,
            delivery_address,
            lines,
            total_paid_tax_incl,
            placed_at,
            valid,
            state,
            carrier_id: None,
        })
    }

    /// The same order delivered by the retailer's carrier `carrier_id`.
    #[must_use]
    pub fn with_carrier_id(mut self, carrier_id: Option<u64>) -> Self {
        self.carrier_id = carrier_id;
        self
    }
}

fn require(field: &str, value: &str, max: usize) -> Result<(), InvalidValue> {
    if value.trim().is_empty() {
        return Err(InvalidValue::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(InvalidValue::new(field, format!("at most {max} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(country: &str) -> Result<Address, InvalidValue> {
        Address::new(
            "Ana".into(),
            "Garcia".into(),
            String::new(),
            "Calle Mayor 1".into(),
            String::new(),
            "28013".into(),
            "Madrid".into(),
            country.into(),
            String::new(),
        )
    }

    #[test]
    fn a_country_code_is_two_letters_upper_cased() {
        assert_eq!(address("es").unwrap().country, "ES");
        assert_eq!(address("ESP").unwrap_err().field, "country");
    }

    #[test]
    fn an_order_without_lines_is_refused() {
        let c = Customer::new("a@b.c".into(), "A".into(), "G".into()).unwrap();
        let e = OrderData::new(
            1,
            "R".into(),
            "EUR".into(),
            c,
            address("ES").unwrap(),
            vec![],
            Money::ZERO,
            Utc::now(),
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.field, "lines");
    }

    #[test]
    fn a_zero_quantity_line_is_refused() {
        assert!(OrderLine::new(Sku::parse("A").unwrap(), 0, Money::ZERO).is_err());
    }

    #[test]
    fn an_email_needs_an_at_sign_between_two_parts() {
        for bad in ["ana", "@x", "ana@"] {
            assert!(Customer::new(bad.into(), "A".into(), "G".into()).is_err());
        }
    }
}
