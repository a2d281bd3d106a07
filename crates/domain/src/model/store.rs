//! Stores of the network: the wholesaler (`source`) and its retailers (`client`s).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::{fmt, sync::Arc};

use super::{money::Money, order_status::OrderStateMap, secret::Secret};
use crate::errors::InvalidValue;

/// A store's code in configuration and logs: 1–64 of `a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoreCode(String);

impl StoreCode {
    /// Validates a store code.
    ///
    /// # Errors
    /// Empty, too long, or with characters outside `a-z 0-9 - _`.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::new("", "1-64 characters of a-z, 0-9, '-' and '_'"))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for StoreCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StoreCode::parse(&s)
    }
}

impl From<StoreCode> for String {
    fn from(s: StoreCode) -> String {
        s.0
    }
}

/// What a store is in the network, and so what its key may post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreRole {
    /// The wholesaler: owns the catalog, prices and stock; posts product events.
    Source,
    /// A retailer: receives the catalog; posts its orders.
    Client,
}

impl fmt::Display for StoreRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreRole::Source => "source",
            StoreRole::Client => "client",
        })
    }
}

/// How a client prices and stocks what the source publishes.
///
/// The price, in this order (the one place both the sync and anything else that prices for a client uses,
/// [`PriceRule::price_for`]):
/// 1. the source price × (1 + `markup_percent` / 100), rounded half-up to the cent;
/// 2. raised to the floor `source price × (1 + min_margin_percent / 100)` (rounded up to the cent) when it is
///    below it — a markup never sells under the minimum margin;
/// 3. raised to the next price ending in `price_ending` (e.g. 0.99: 13.20 → 13.99, 13.99 stays) — rounded
///    up, so never under the floor of 2.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceRule {
    /// Markup over the source price, in percent (30 → ×1.30), rounded to the cent.
    pub markup_percent: Decimal,
    /// Units held back from the source's stock.
    pub stock_buffer: i64,
    /// The lowest margin over the source price, in percent; `None`: no floor.
    pub min_margin_percent: Option<Decimal>,
    /// The cents every price ends in, between 0.00 and 0.99 (0.99, 0.90, 0.00 for whole amounts); `None`:
    /// to the cent.
    pub price_ending: Option<Decimal>,
}

impl PriceRule {
    /// The client's price for a source price (see the type's documentation for the order of the steps).
    pub fn price_for(&self, source: &Money) -> Money {
        let mut price = source.with_markup_percent(self.markup_percent).as_decimal();
        if let Some(margin) = self.min_margin_percent {
            let floor = (source.as_decimal() * (Decimal::ONE + margin / Decimal::ONE_HUNDRED))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::AwayFromZero);
            price = price.max(floor);
        }
        if let Some(ending) = self.price_ending {
            let whole = price.trunc();
            let candidate = whole + ending;
            price = if candidate >= price { candidate } else { candidate + Decimal::ONE };
        }
        Money::from_decimal(price.max(Decimal::ZERO)).unwrap_or(Money::ZERO)
    }
}

/// A store as configured.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Store {
    /// Its code.
    pub code: StoreCode,
    /// Its role.
    pub role: StoreRole,
    /// The key its connector sends in `X-API-KEY`.
    pub api_key: Secret,
    /// When set, its requests must carry a valid `X-Hub-Signature`.
    pub signing_secret: Option<Secret>,
    /// Whether it takes part (an inactive client receives nothing).
    pub active: bool,
    /// Pricing for a client.
    pub price_rule: PriceRule,
    /// A client's orders are forwarded only once valid (paid) at the retailer.
    pub forward_only_valid: bool,
    /// Its order states by meaning (read from it, and set on it).
    pub order_states: OrderStateMap,
}

impl Store {
    /// Sets whether a client's orders wait until valid (paid) at the retailer.
    #[must_use]
    pub fn with_forward_only_valid(mut self, yes: bool) -> Self {
        self.forward_only_valid = yes;
        self
    }

    /// Builds a store.
    pub fn new(
        code: StoreCode,
        role: StoreRole,
        api_key: Secret,
        signing_secret: Option<Secret>,
        active: bool,
        price_rule: PriceRule,
    ) -> Self {
        Self {
            code,
            role,
            api_key,
            signing_secret,
            active,
            price_rule,
            forward_only_valid: true,
            order_states: OrderStateMap::default(),
        }
    }

    /// Sets its order states by meaning.
    #[must_use]
    pub fn with_order_states(mut self, states: OrderStateMap) -> Self {
        self.order_states = states;
        self
    }
}

/// Who the stores are.
pub trait StoreDirectory: Send + Sync + 'static {
    /// The store whose API key is exactly `key`, compared in constant time with every key. `None` when no
    /// store has it.
    fn authenticate(&self, key: &[u8]) -> Option<Arc<Store>>;
    /// The store with `code`.
    fn get(&self, code: &StoreCode) -> Option<Arc<Store>>;
    /// Every active client store, in configuration order.
    fn active_clients(&self) -> Vec<Arc<Store>>;
    /// Every store.
    fn all(&self) -> Vec<Arc<Store>>;
    /// The source store (the first one configured).
    fn source(&self) -> Option<Arc<Store>> {
        self.all().into_iter().find(|s| s.role == StoreRole::Source)
    }
}

/// A store directory fixed at start-up (from configuration).
#[derive(Debug, Clone, Default)]
pub struct StaticStoreDirectory {
    stores: Vec<Arc<Store>>,
}

impl StaticStoreDirectory {
    /// Builds the directory.
    ///
    /// # Errors
    /// Two stores with one code or one API key, an empty API key, or not exactly one source.
    pub fn new(stores: Vec<Store>) -> Result<Self, InvalidValue> {
        for (i, s) in stores.iter().enumerate() {
            if s.api_key.expose().len() < 16 {
                return Err(InvalidValue::new(format!("stores[{i}].api_key"), "at least 16 characters"));
            }
            if let Some(secret) = &s.signing_secret
                && secret.expose().len() < 16
            {
                return Err(InvalidValue::new(format!("stores[{i}].signing_secret"), "at least 16 characters"));
            }
            for (j, other) in stores.iter().enumerate().take(i) {
                if other.code == s.code {
                    return Err(InvalidValue::new(
                        format!("stores[{i}].code"),
                        format!("`{}` is also stores[{j}]", s.code),
                    ));
                }
                if other.api_key == s.api_key {
                    return Err(InvalidValue::new(
                        format!("stores[{i}].api_key"),
                        format!("the same key as stores[{j}]"),
                    ));
                }
            }
        }
        let sources = stores.iter().filter(|s| s.role == StoreRole::Source).count();
        if sources > 1 {
            return Err(InvalidValue::new("stores", "exactly one store may have role `source`"));
        }
        Ok(Self { stores: stores.into_iter().map(Arc::new).collect() })
    }
}

impl StoreDirectory for StaticStoreDirectory {
    fn authenticate(&self, key: &[u8]) -> Option<Arc<Store>> {
        // Compare with every key, without stopping early, so timing says nothing about which matched.
        let mut found = None;
        for s in &self.stores {
            if s.api_key.matches(key) {
                found = Some(s.clone());
            }
        }
        found
    }

    fn get(&self, code: &StoreCode) -> Option<Arc<Store>> {
        self.stores.iter().find(|s| &s.code == code).cloned()
    }

    fn active_clients(&self) -> Vec<Arc<Store>> {
        self.stores.iter().filter(|s| s.role == StoreRole::Client && s.active).cloned().collect()
    }

    fn all(&self) -> Vec<Arc<Store>> {
        self.stores.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_is_marked_up_then_floored_by_the_minimum_margin_then_rounded_up_to_its_ending() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // (source, markup %, minimum margin %, ending) → price
        type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);
        let cases: &[Case] = &[
            ("10.00", "30", None, None, "13.00"),
            ("10.00", "30", None, Some("0.99"), "13.99"),
            ("13.99", "0", None, Some("0.99"), "13.99"),
            ("14.00", "0", None, Some("0.99"), "14.99"),
            ("10.00", "30", None, Some("0.00"), "13.00"),
            ("10.01", "30", None, Some("0.00"), "14.00"),
            ("10.00", "30", None, Some("0.90"), "13.90"),
            ("10.00", "35", None, Some("0.25"), "14.25"),
            // The markup is below the floor: the floor wins, rounded up to the cent.
            ("10.00", "5", Some("20"), None, "12.00"),
            ("9.99", "0", Some("15"), None, "11.49"),
            ("10.00", "-10", Some("10"), None, "11.00"),
            // Above the floor: the markup stays.
            ("10.00", "30", Some("20"), None, "13.00"),
            // Floor, then ending: still never under the floor.
            ("10.00", "5", Some("20"), Some("0.99"), "12.99"),
            ("0.00", "30", Some("20"), None, "0.00"),
            ("0.05", "10", None, Some("0.99"), "0.99"),
        ];
        for (source, markup, margin, ending, want) in cases {
            let rule = PriceRule {
                markup_percent: d(markup),
                stock_buffer: 0,
                min_margin_percent: margin.map(d),
                price_ending: ending.map(d),
            };
            assert_eq!(
                rule.price_for(&Money::parse(source).unwrap()).to_string(),
                *want,
                "{source} +{markup}% floor {margin:?} ending {ending:?}"
            );
        }
    }

    fn store(code: &str, role: StoreRole, key: &str) -> Store {
        Store::new(StoreCode::parse(code).unwrap(), role, Secret::new(key), None, true, PriceRule::default())
    }

    #[test]
    fn a_key_finds_its_own_store_only() {
        let d = StaticStoreDirectory::new(vec![
            store("wholesaler", StoreRole::Source, "source-key-0123456789"),
            store("retail-1", StoreRole::Client, "client-key-0123456789"),
        ])
        .unwrap();
        assert_eq!(d.authenticate(b"client-key-0123456789").unwrap().code.as_str(), "retail-1");
        assert!(d.authenticate(b"client-key-012345678").is_none());
        assert!(d.authenticate(b"").is_none());
        assert_eq!(d.active_clients().len(), 1);
    }

    #[test]
    fn two_stores_with_one_key_are_refused() {
        let e = StaticStoreDirectory::new(vec![
            store("a", StoreRole::Source, "same-key-0123456789"),
            store("b", StoreRole::Client, "same-key-0123456789"),
        ])
        .unwrap_err();
        assert_eq!(e.field, "stores[1].api_key");
    }

    #[test]
    fn store_codes_are_lower_case_slugs() {
        assert!(StoreCode::parse("retail-1_x").is_ok());
        assert!(StoreCode::parse("Retail").is_err());
        assert!(StoreCode::parse("").is_err());
        assert!(StoreCode::parse("a b").is_err());
    }
}
