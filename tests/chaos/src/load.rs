//! The webhook load: what the connectors of the wholesaler and of the two retailers send, in the order
//! they deliver it ([`crate::sender`] delivers it).
//!
//! The plan is generated from a seed: product events on SKUs that no order buys (every SKU gets a first
//! version, then random ones), a share of them delivered late — after a newer version of the same SKU —
//! and a share sent twice with the same `event_id`; retailer orders on other SKUs, a share sent twice;
//! and, sent before everything else, a first state of every ordered SKU.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde_json::json;

use crate::fleet::{RETAIL1_KEY, RETAIL2_KEY, SOURCE_KEY};

/// A retailer that places orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Retailer {
    /// `retail-1`.
    One,
    /// `retail-2`.
    Two,
}

impl Retailer {
    /// Its store code.
    pub fn code(self) -> &'static str {
        match self {
            Retailer::One => "retail-1",
            Retailer::Two => "retail-2",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Retailer::One => RETAIL1_KEY,
            Retailer::Two => RETAIL2_KEY,
        }
    }
}

/// One state of a source product, as its connector reports it.
#[derive(Debug, Clone)]
pub struct ProductEvent {
    /// The webhook's `event_id`.
    pub event_id: String,
    /// The product's reference.
    pub sku: String,
    /// Its id on the source shop.
    pub source_id: u64,
    /// Price tax excluded, in millionths (PrestaShop keeps six decimals).
    pub price_micros: i64,
    /// Stock.
    pub quantity: i64,
    /// Whether it is sold.
    pub active: bool,
    /// The source's `date_upd` (whole seconds).
    pub updated_at: DateTime<Utc>,
    /// When the connector saw the change.
    pub occurred_at: DateTime<Utc>,
}

impl ProductEvent {
    /// The order the hub must keep: the newest `updated_at`, ties broken by `occurred_at`.
    pub fn recency(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.updated_at, self.occurred_at)
    }

    fn body(&self) -> String {
        json!({
            "event_id": self.event_id,
            "occurred_at": stamp(self.occurred_at),
            "product": {
                "id": self.source_id, "reference": self.sku, "name": format!("Chaos {}", self.sku),
                "price": micros_text(self.price_micros), "quantity": self.quantity, "active": self.active,
                "updated_at": stamp(self.updated_at)
            }
        })
        .to_string()
    }
}

/// One retailer order.
#[derive(Debug, Clone)]
pub struct OrderEvent {
    /// The webhook's `event_id`.
    pub event_id: String,
    /// Who placed it.
    pub retailer: Retailer,
    /// Its id on the retailer's shop.
    pub order_id: u64,
    /// Its reference there.
    pub reference: String,
    /// `(sku, quantity)` per line.
    pub lines: Vec<(String, i64)>,
}

impl OrderEvent {
    /// The alias the hub gives the order's delivery address on the source (`Order {reference} {id}`,
    /// the reference cut to 12 characters).
    pub fn address_alias(&self) -> String {
        format!("Order {} {}", self.reference.chars().take(12).collect::<String>(), self.order_id)
    }

    fn body(&self) -> String {
        let now = stamp(Utc::now());
        json!({
            "event_id": self.event_id,
            "occurred_at": now,
            "order": {
                "id": self.order_id, "reference": self.reference, "currency": "EUR", "valid": true,
                "customer": {"email": "ana@example.com", "firstname": "Ana", "lastname": "Garcia"},
                "delivery_address": {"firstname": "Ana", "lastname": "Garcia", "address1": "Calle Mayor 1",
                                     "postcode": "28013", "city": "Madrid", "country": "ES", "phone": "+34600000000"},
                "lines": self.lines.iter()
                    .map(|(sku, q)| json!({"reference": sku, "quantity": q, "unit_price_tax_incl": "12.00"}))
                    .collect::<Vec<_>>(),
                "total_paid_tax_incl": "12.00", "placed_at": now
            }
        })
        .to_string()
    }
}

/// `2026-12-03T10:00:00.250000Z`.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `12.345678` from millionths.
pub fn micros_text(micros: i64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// The reference of product SKU `i` (never ordered).
pub fn product_sku(i: usize) -> String {
    format!("CH-P{i:03}")
}

/// The reference of order SKU `i` (only ordered, plus one first state each).
pub fn order_sku(i: usize) -> String {
    format!("CH-O{i:02}")
}

/// The source price of order SKU `i`, in millionths.
pub fn order_sku_price(i: usize) -> i64 {
    5_000_000 + i as i64 * 1_250_000
}

/// What is in a plan: sizes and ratios.
#[derive(Debug, Clone)]
pub struct LoadShape {
    /// Distinct product events.
    pub events: usize,
    /// Distinct retailer orders.
    pub orders: usize,
    /// Product SKUs the events spread over.
    pub skus: usize,
    /// SKUs the orders buy.
    pub order_skus: usize,
    /// The source's stock of each order SKU before the orders.
    pub order_stock: i64,
    /// Random seed.
    pub seed: u64,
}

/// One delivery in the plan.
#[derive(Debug, Clone, Copy)]
enum Item {
    Product(usize),
    Order(usize),
}

/// The whole load, in delivery order.
#[derive(Debug)]
pub struct Plan {
    /// The first state of each order SKU, sent (and processed) before anything else.
    pub prime: Vec<ProductEvent>,
    /// Product events, in generation (`updated_at`) order.
    pub products: Vec<ProductEvent>,
    /// Orders.
    pub orders: Vec<OrderEvent>,
    sends: Vec<Item>,
    /// Product events delivered after a newer version of their SKU.
    pub late: usize,
    /// Product events delivered twice.
    pub product_resends: usize,
    /// Orders delivered twice.
    pub order_resends: usize,
}

impl Plan {
    /// Generates the load; `source_ids` maps every SKU to its id on the source shop.
    pub fn generate(shape: &LoadShape, source_ids: &BTreeMap<String, u64>, run: &str) -> Self {
        let mut rng = StdRng::seed_from_u64(shape.seed);
        let now = Utc::now();
        let t0 = DateTime::from_timestamp(now.timestamp() - 12 * 3600, 0).unwrap_or(now);
        let id = |kind: &str, n: usize| format!("chaos-{run}-{kind}-{n:06}");
        let prime = (0..shape.order_skus)
            .map(|i| {
                let sku = order_sku(i);
                let updated_at = t0 - chrono::Duration::hours(1);
                ProductEvent {
                    event_id: id("prime", i),
                    source_id: source_ids.get(&sku).copied().unwrap_or_default(),
                    sku,
                    price_micros: order_sku_price(i),
                    quantity: shape.order_stock,
                    active: true,
                    updated_at,
                    occurred_at: updated_at + chrono::Duration::milliseconds(250),
                }
            })
            .collect();
        let products: Vec<ProductEvent> = (0..shape.events)
            .map(|k| {
                // Every SKU gets a first version, then versions go to random SKUs.
                let sku = product_sku(if k < shape.skus { k } else { rng.random_range(0..shape.skus) });
                let price_micros = if rng.random_bool(0.2) {
                    rng.random_range(1_000_000..=500_000_000)
                } else {
                    rng.random_range(100..=50_000) * 10_000
                };
                let updated_at = t0 + chrono::Duration::seconds(k as i64);
                ProductEvent {
                    event_id: id("product", k),
                    source_id: source_ids.get(&sku).copied().unwrap_or_default(),
                    sku,
                    price_micros,
                    quantity: rng.random_range(0..=400),
                    active: rng.random_bool(0.9),
                    updated_at,
                    occurred_at: updated_at + chrono::Duration::milliseconds(250),
                }
            })
            .collect();
        let orders: Vec<OrderEvent> = (0..shape.orders)
            .map(|j| {
                // Both retailers use the same order ids: the hub keys orders by (store, id).
                let retailer = if j % 2 == 0 { Retailer::One } else { Retailer::Two };
                let n = j / 2;
                let first = rng.random_range(0..shape.order_skus);
                let mut lines = vec![(order_sku(first), rng.random_range(1..=3))];
                if shape.order_skus > 1 && rng.random_bool(0.4) {
                    let second = (first + rng.random_range(1..shape.order_skus)) % shape.order_skus;
                    lines.push((order_sku(second), rng.random_range(1..=3)));
                }
                OrderEvent {
                    event_id: id("order", j),
                    retailer,
                    order_id: 5_000 + n as u64,
                    reference: format!("{}{n:05}", if retailer == Retailer::One { "RA" } else { "RB" }),
                    lines,
                }
            })
            .collect();

        // Delivery order: positions scaled by 1,000 so that moved and added deliveries slot in between.
        let mut keyed: Vec<(u64, Item)> = Vec::new();
        let mut next_version = vec![None; products.len()];
        let mut last_of: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, p) in products.iter().enumerate().rev() {
            next_version[k] = last_of.get(p.sku.as_str()).copied();
            last_of.insert(&p.sku, k);
        }
        let mut candidates: Vec<usize> = (0..products.len()).filter(|k| next_version[*k].is_some()).collect();
        candidates.shuffle(&mut rng);
        let late: Vec<usize> = candidates.into_iter().take(products.len() / 10).collect();
        let is_late: std::collections::BTreeSet<usize> = late.iter().copied().collect();
        for (k, next) in next_version.iter().enumerate() {
            let position = match next.filter(|_| is_late.contains(&k)) {
                // After its SKU's next version, far enough for that one to have arrived.
                Some(next) => (next + rng.random_range(40..160)) as u64 * 1_000 + 1,
                None => k as u64 * 1_000,
            };
            keyed.push((position, Item::Product(k)));
        }
        let mut product_resent: Vec<usize> = (0..products.len()).collect();
        product_resent.shuffle(&mut rng);
        product_resent.truncate(products.len() / 10);
        for &k in &product_resent {
            keyed.push(((k + rng.random_range(20..300)) as u64 * 1_000 + 2, Item::Product(k)));
        }
        let spread = products.len().max(1) as f64 / orders.len().max(1) as f64;
        for j in 0..orders.len() {
            keyed.push(((j as f64 * spread) as u64 * 1_000 + 3, Item::Order(j)));
        }
        let mut order_resent: Vec<usize> = (0..orders.len()).collect();
        order_resent.shuffle(&mut rng);
        order_resent.truncate(orders.len() / 10);
        for &j in &order_resent {
            keyed.push((((j as f64 * spread) as u64 + rng.random_range(20..300)) * 1_000 + 4, Item::Order(j)));
        }
        keyed.sort_by_key(|(position, _)| *position);
        Self {
            prime,
            products,
            orders,
            sends: keyed.into_iter().map(|(_, item)| item).collect(),
            late: late.len(),
            product_resends: product_resent.len(),
            order_resends: order_resent.len(),
        }
    }

    /// Deliveries in the load (the prime events excluded).
    pub fn deliveries(&self) -> usize {
        self.sends.len()
    }

    /// The first states of the ordered SKUs, as webhooks.
    pub fn prime_webhooks(&self) -> impl Iterator<Item = Webhook<'_>> {
        self.prime.iter().map(Webhook::product)
    }

    /// The load's deliveries, in order, as webhooks.
    pub fn webhooks(&self) -> impl Iterator<Item = Webhook<'_>> {
        self.sends.iter().map(|item| match *item {
            Item::Product(k) => Webhook::product(&self.products[k]),
            Item::Order(j) => {
                let o = &self.orders[j];
                Webhook { event_id: &o.event_id, path: "/api/sync/order", key: o.retailer.key(), body: o.body() }
            }
        })
    }
}

/// One webhook as a connector posts it.
#[derive(Debug, Clone)]
pub struct Webhook<'a> {
    /// Its `event_id`.
    pub event_id: &'a str,
    /// `/api/sync/product` or `/api/sync/order`.
    pub path: &'static str,
    /// The posting store's `X-API-KEY`.
    pub key: &'static str,
    /// The JSON body.
    pub body: String,
}

impl<'a> Webhook<'a> {
    fn product(p: &'a ProductEvent) -> Self {
        Webhook { event_id: &p.event_id, path: "/api/sync/product", key: SOURCE_KEY, body: p.body() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> LoadShape {
        LoadShape { events: 2_000, orders: 200, skus: 200, order_skus: 20, order_stock: 100_000, seed: 7 }
    }

    #[test]
    fn the_plan_has_every_delivery_its_shape_promises() {
        let plan = Plan::generate(&shape(), &BTreeMap::new(), "t");
        assert_eq!(plan.products.len(), 2_000);
        assert_eq!(plan.orders.len(), 200);
        assert_eq!((plan.late, plan.product_resends, plan.order_resends), (200, 200, 20));
        assert_eq!(plan.deliveries(), 2_000 + 200 + 200 + 20);
        let skus: std::collections::BTreeSet<&str> = plan.products.iter().map(|p| p.sku.as_str()).collect();
        assert_eq!(skus.len(), 200, "every SKU gets events");
    }

    #[test]
    fn late_events_are_delivered_after_a_newer_version_of_their_sku() {
        let plan = Plan::generate(&shape(), &BTreeMap::new(), "t");
        let mut newest: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
        let mut older_after_newer = 0;
        for item in &plan.sends {
            if let Item::Product(k) = item {
                let p = &plan.products[*k];
                let seen = newest.entry(p.sku.as_str()).or_insert(p.updated_at);
                if p.updated_at < *seen {
                    older_after_newer += 1;
                }
                *seen = (*seen).max(p.updated_at);
            }
        }
        assert!(older_after_newer >= 200, "{older_after_newer} late deliveries");
    }

    #[test]
    fn the_address_alias_is_the_one_the_hub_gives() {
        let o = OrderEvent {
            event_id: "e".into(),
            retailer: Retailer::One,
            order_id: 5_001,
            reference: "RA00001".into(),
            lines: vec![],
        };
        assert_eq!(o.address_alias(), "Order RA00001 5001");
    }
}
