//! What a client store must show for a source product: its price rule and stock buffer applied.

use super::ports::ProductLink;
use crate::model::{CombinationData, Money, ProductData, Store};

/// The client's target for a source product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Price after the client's rule.
    pub price: Money,
    /// Active flag.
    pub active: bool,
    /// Product-level quantity (simple products).
    pub quantity: i64,
    /// Per source combination id: its quantity.
    pub combinations: Vec<(CombinationData, i64)>,
}

impl Target {
    /// Applies `store`'s price rule ([`PriceRule::price_for`](crate::model::PriceRule::price_for)) and stock
    /// buffer to `product`.
    pub fn for_client(product: &ProductData, store: &Store) -> Self {
        let buffer = store.price_rule.stock_buffer.max(0);
        let sellable = |q: i64| q.saturating_sub(buffer).max(0);
        Self {
            price: store.price_rule_for(product).price_for(&product.price),
            active: product.active,
            quantity: sellable(product.quantity),
            combinations: product.combinations.iter().map(|c| (c.clone(), sellable(c.quantity))).collect(),
        }
    }

    /// The client stock rows `link` locates and the quantity each must show, as
    /// `(row id, client combination id, quantity)`: the product-level row of a simple product, else one row
    /// per matched combination. What the sync writes and what reconciliation compares.
    pub fn stock_rows(&self, link: &ProductLink) -> Vec<(u64, u64, i64)> {
        if self.combinations.is_empty() {
            link.stock_rows.get(&0).map(|(row, comb)| vec![(*row, *comb, self.quantity)]).unwrap_or_default()
        } else {
            self.combinations
                .iter()
                .filter_map(|(c, q)| link.stock_rows.get(&c.source_id).map(|(row, comb)| (*row, *comb, *q)))
                .collect()
        }
    }
}
