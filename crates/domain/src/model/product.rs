//! What the source store says about a product: its reference (SKU), price, stock, combinations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};

use super::money::Money;
use crate::errors::InvalidValue;

/// A product or combination reference as PrestaShop stores it (1–64 printable characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    /// PrestaShop's `reference` column is `varchar(64)`.
    pub const MAX_LEN: usize = 64;

    /// Validates a reference.
    ///
    /// # Errors
    /// Empty, longer than 64 characters, or containing control characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(InvalidValue::new("", "must not be empty"));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(InvalidValue::new("", format!("at most {} characters", Self::MAX_LEN)));
        }
        if s.chars().any(char::is_control) {
            return Err(InvalidValue::new("", "must not contain control characters"));
        }
        Ok(Sku(s.to_owned()))
    }

    /// The reference text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Sku {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Sku::parse(&s)
    }
}

impl From<Sku> for String {
    fn from(s: Sku) -> String {
        s.0
    }
}

/// A combination (variant) of a source product, identified on clients by its own reference when unique,
/// else EAN13, else the product's reference plus attribute values (FACTS.md §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CombinationData {
    /// Combination id on the source store.
    pub source_id: u64,
    /// Its own reference, when it has one.
    pub reference: Option<Sku>,
    /// Its EAN13, when it has one.
    pub ean13: Option<String>,
    /// Attribute group → value, e.g. `Size` → `S`.
    pub attributes: BTreeMap<String, String>,
    /// Stock on the source (may be negative there).
    pub quantity: i64,
}

impl CombinationData {
    /// Builds a combination; an empty reference or EAN13 counts as absent.
    pub fn new(
        source_id: u64,
        reference: Option<Sku>,
        ean13: Option<String>,
        attributes: BTreeMap<String, String>,
        quantity: i64,
    ) -> Self {
        let ean13 = ean13.filter(|e| !e.trim().is_empty());
        Self { source_id, reference, ean13, attributes, quantity }
    }
}

/// The state of one source product at a moment: immutable, validated at construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductData {
    /// Product id on the source store.
    pub source_id: u64,
    /// The product's reference, the key it is synced by.
    pub sku: Sku,
    /// Display name (informational; clients keep their own).
    pub name: String,
    /// Price, tax excluded.
    pub price: Money,
    /// Stock on the source (may be negative there; published as `max(0, q)`).
    pub quantity: i64,
    /// Whether the product is for sale.
    pub active: bool,
    /// The source's `date_upd`.
    pub updated_at: DateTime<Utc>,
    /// Combinations, empty for a simple product.
    pub combinations: Vec<CombinationData>,
    /// Source category ids, its default category first (empty when the connector does not send them).
    #[serde(default)]
    pub categories: Vec<u64>,
}

impl ProductData {
    /// Builds a product state.
    ///
    /// # Errors
    /// A name over 255 characters.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source_id: u64,
        sku: Sku,
        name: String,
        price: Money,
        quantity: i64,
        active: bool,
        updated_at: DateTime<Utc>,
        combinations: Vec<CombinationData>,
    ) -> Result<Self, InvalidValue> {
        if name.chars().count() > 255 {
            return Err(InvalidValue::new("name", "at most 255 characters"));
        }
        Ok(Self { source_id, sku, name, price, quantity, active, updated_at, combinations, categories: Vec::new() })
    }

    /// The same state in these source categories (default category first).
    #[must_use]
    pub fn with_categories(mut self, categories: Vec<u64>) -> Self {
        self.categories = categories;
        self
    }

    /// Stock a client may sell: never below zero.
    pub fn publishable_quantity(&self) -> i64 {
        self.quantity.max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_trimmed_and_bounded() {
        assert_eq!(Sku::parse(" WHS-0001 ").unwrap().as_str(), "WHS-0001");
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse("   ").is_err());
        assert!(Sku::parse(&"x".repeat(65)).is_err());
        assert!(Sku::parse("a\nb").is_err());
        assert!(Sku::parse(&"é".repeat(64)).is_ok());
    }

    #[test]
    fn negative_source_stock_is_published_as_zero() {
        let p = ProductData::new(1, Sku::parse("A").unwrap(), "n".into(), Money::ZERO, -4, true, Utc::now(), vec![])
            .unwrap();
        assert_eq!(p.publishable_quantity(), 0);
    }
}
