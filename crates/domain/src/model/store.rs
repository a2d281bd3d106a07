//! Stores of the network: the wholesaler (`source`) and its retailers (`client`s).

use serde::{Deserialize, Serialize};
use std::{fmt, sync::Arc};

use super::{
    catalog_policy::{CatalogPolicy, CategoryPriceRule, PriceRule, price_rule_for},
    order_status::OrderStateMap,
    product::ProductData,
    secret::Secret,
};
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
    /// A client's catalog: selection, publishing, content policy.
    pub catalog: CatalogPolicy,
    /// A client's price rules by source category, in order of precedence, over `price_rule`.
    pub category_rules: Vec<CategoryPriceRule>,
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
            catalog: CatalogPolicy::default(),
            category_rules: Vec::new(),
        }
    }

    /// Sets a client's catalog policy.
    #[must_use]
    pub fn with_catalog(mut self, catalog: CatalogPolicy) -> Self {
        self.catalog = catalog;
        self
    }

    /// Sets a client's price rules by source category (first match wins).
    #[must_use]
    pub fn with_category_rules(mut self, rules: Vec<CategoryPriceRule>) -> Self {
        self.category_rules = rules;
        self
    }

    /// The price rule of `product` on this client ([`price_rule_for`]).
    pub fn price_rule_for(&self, product: &ProductData) -> PriceRule {
        price_rule_for(&self.price_rule, &self.category_rules, product)
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
