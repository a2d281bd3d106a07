//! What a client store gets of the source's catalog: which products (all, chosen source categories, an
//! explicit list, minus exclusions), whether missing ones are created on it (publishing), whether their
//! descriptive content keeps following the source, and how each is priced (rules by source category over the
//! store's own rule).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use rust_decimal::Decimal;

use super::{money::Money, product::ProductData, product::Sku};

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

/// Which source products a client store carries.
///
/// Precedence: an excluded reference or a product in an excluded category is never carried; then a product
/// named in `products` or in one of `categories` is; when neither list is given, every product is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// Source category ids whose products are carried (a product in any of them).
    pub categories: BTreeSet<u64>,
    /// References carried whatever their categories.
    pub products: BTreeSet<String>,
    /// References never carried.
    pub exclude: BTreeSet<String>,
    /// Source category ids whose products are never carried.
    pub exclude_categories: BTreeSet<u64>,
}

/// Why a product is or is not in a store's selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    /// Carried.
    Yes,
    /// Its reference is in `exclude`.
    ExcludedReference,
    /// It is in a category of `exclude_categories`.
    ExcludedCategory(u64),
    /// Lists are given and it is in none of them.
    NotListed,
}

impl Selected {
    /// True when carried.
    pub fn is_yes(self) -> bool {
        self == Selected::Yes
    }

    /// Why not, in words (for notes and the dry run).
    pub fn reason(self) -> String {
        match self {
            Selected::Yes => "selected".into(),
            Selected::ExcludedReference => "its reference is excluded for this store".into(),
            Selected::ExcludedCategory(c) => format!("source category {c} is excluded for this store"),
            Selected::NotListed => "not in this store's categories or product list".into(),
        }
    }
}

impl Selection {
    /// Whether `sku` in `categories` is carried. References compare case-insensitively, as PrestaShop's
    /// reference filter does.
    pub fn selects(&self, sku: &Sku, categories: &[u64]) -> Selected {
        let reference = sku.as_str().to_lowercase();
        if self.exclude.contains(&reference) {
            return Selected::ExcludedReference;
        }
        if let Some(c) = categories.iter().find(|c| self.exclude_categories.contains(c)) {
            return Selected::ExcludedCategory(*c);
        }
        if self.categories.is_empty() && self.products.is_empty() {
            return Selected::Yes;
        }
        if self.products.contains(&reference) || categories.iter().any(|c| self.categories.contains(c)) {
            Selected::Yes
        } else {
            Selected::NotListed
        }
    }

    /// Builds a selection; references are kept lower-cased.
    pub fn new(
        categories: impl IntoIterator<Item = u64>,
        products: impl IntoIterator<Item = String>,
        exclude: impl IntoIterator<Item = String>,
        exclude_categories: impl IntoIterator<Item = u64>,
    ) -> Self {
        let lower = |it: &mut dyn Iterator<Item = String>| it.map(|s| s.trim().to_lowercase()).collect();
        Self {
            categories: categories.into_iter().collect(),
            products: lower(&mut products.into_iter()),
            exclude: lower(&mut exclude.into_iter()),
            exclude_categories: exclude_categories.into_iter().collect(),
        }
    }
}

/// Whether the descriptive content of a published product (names, descriptions, meta fields, categories,
/// images) keeps following the source after it was created. Price, stock and the active flag always follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentPolicy {
    /// Written once, when the product is created; then the retailer's to edit.
    #[default]
    Once,
    /// Written again whenever the source's product changes.
    Follow,
}

/// A client store's catalog: selection, publishing, content policy, where published products go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPolicy {
    /// Which products.
    pub selection: Selection,
    /// Create selected products missing on the client (else only products it has, matched by reference, are
    /// updated: the behaviour before publishing existed, and the default).
    pub publish: bool,
    /// Descriptive content after creation.
    pub content: ContentPolicy,
    /// The client category under which source category paths are recreated (its Home, 2, by default).
    pub root_category: u64,
    /// The source language whose texts fill a client language the source does not have (ISO code).
    pub fallback_language: String,
}

impl Default for CatalogPolicy {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            publish: false,
            content: ContentPolicy::Once,
            root_category: 2,
            fallback_language: "en".into(),
        }
    }
}

/// A price rule for the products of some source categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryPriceRule {
    /// Source category ids it applies to (a product in any of them).
    pub categories: BTreeSet<u64>,
    /// The rule (its stock buffer is the store's).
    pub rule: PriceRule,
}

/// The price rule of a product: the first category rule, in configured order, naming one of the product's
/// source categories; else the store's own rule. A category rule's absent minimum margin or price ending is
/// the store's.
pub fn price_rule_for<'a>(
    store_rule: &'a PriceRule,
    rules: &'a [CategoryPriceRule],
    product: &ProductData,
) -> PriceRule {
    rules.iter().find(|r| product.categories.iter().any(|c| r.categories.contains(c))).map_or_else(
        || store_rule.clone(),
        |r| PriceRule {
            markup_percent: r.rule.markup_percent,
            stock_buffer: store_rule.stock_buffer,
            min_margin_percent: r.rule.min_margin_percent.or(store_rule.min_margin_percent),
            price_ending: r.rule.price_ending.or(store_rule.price_ending),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }

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

    #[test]
    fn a_selection_follows_its_precedence() {
        let s = |c: &[u64], p: &[&str], x: &[&str], xc: &[u64]| {
            Selection::new(
                c.iter().copied(),
                p.iter().map(|s| (*s).to_owned()),
                x.iter().map(|s| (*s).to_owned()),
                xc.iter().copied(),
            )
        };
        // (selection, reference, its categories) → selected?
        let cases: Vec<(Selection, &str, &[u64], Selected)> = vec![
            (Selection::default(), "A", &[], Selected::Yes),
            (s(&[], &[], &["a"], &[]), "A", &[4], Selected::ExcludedReference),
            (s(&[], &[], &[], &[9]), "B", &[4, 9], Selected::ExcludedCategory(9)),
            (s(&[4], &[], &[], &[]), "B", &[2, 4], Selected::Yes),
            (s(&[4], &[], &[], &[]), "B", &[2, 5], Selected::NotListed),
            (s(&[4], &[], &[], &[]), "B", &[], Selected::NotListed),
            (s(&[], &["b"], &[], &[]), "B", &[], Selected::Yes),
            (s(&[4], &["C"], &[], &[]), "c", &[7], Selected::Yes),
            // An exclusion beats a listing.
            (s(&[4], &["B"], &["B"], &[]), "B", &[4], Selected::ExcludedReference),
            (s(&[4], &["B"], &[], &[4]), "B", &[4], Selected::ExcludedCategory(4)),
        ];
        for (i, (sel, reference, categories, want)) in cases.into_iter().enumerate() {
            assert_eq!(sel.selects(&sku(reference), categories), want, "case {i}");
        }
    }

    #[test]
    fn the_first_category_rule_naming_a_product_category_prices_it_and_inherits_what_it_leaves_out() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let store_rule = PriceRule {
            markup_percent: d("30"),
            stock_buffer: 2,
            min_margin_percent: Some(d("10")),
            price_ending: Some(d("0.99")),
        };
        let rule = |cats: &[u64], markup: &str, margin: Option<&str>, ending: Option<&str>| CategoryPriceRule {
            categories: cats.iter().copied().collect(),
            rule: PriceRule {
                markup_percent: d(markup),
                stock_buffer: 0,
                min_margin_percent: margin.map(d),
                price_ending: ending.map(d),
            },
        };
        let rules = vec![rule(&[4], "50", None, None), rule(&[5, 4], "80", Some("60"), Some("0.00"))];
        let product = |cats: Vec<u64>| {
            ProductData::new(1, sku("A"), "n".into(), Money::parse("10.00").unwrap(), 1, true, Utc::now(), vec![])
                .unwrap()
                .with_categories(cats)
        };
        // (categories, price)
        let cases: &[(&[u64], &str)] = &[
            (&[], "13.99"),     // no category: the store's rule
            (&[9], "13.99"),    // no rule names 9
            (&[4], "15.99"),    // first rule: +50 %, the store's .99
            (&[5], "18.00"),    // second: +80 %, its own whole amounts
            (&[5, 4], "15.99"), // both match: the first rule in order wins
            (&[2, 9, 5], "18.00"),
        ];
        for (cats, want) in cases {
            let r = price_rule_for(&store_rule, &rules, &product(cats.to_vec()));
            assert_eq!(r.stock_buffer, 2, "the buffer is the store's");
            assert_eq!(r.price_for(&Money::parse("10.00").unwrap()).to_string(), *want, "{cats:?}");
        }
    }
}
