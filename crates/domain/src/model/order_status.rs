//! The rest of an order's life: what its states mean whatever their ids in a given shop, and what the
//! source reports of an order the hub created there.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::errors::InvalidValue;

/// What an order state means in the order's life. The order is the rank: an order only moves forward
/// (a shipped order is never set back to processing), and a cancellation or a refund ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStage {
    /// Being prepared.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// Delivered to the customer.
    Delivered,
    /// Cancelled.
    Cancelled,
    /// Refunded.
    Refunded,
}

impl OrderStage {
    /// Every stage, in rank order.
    pub const ALL: [OrderStage; 5] = [
        OrderStage::Processing,
        OrderStage::Shipped,
        OrderStage::Delivered,
        OrderStage::Cancelled,
        OrderStage::Refunded,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStage::Processing => "processing",
            OrderStage::Shipped => "shipped",
            OrderStage::Delivered => "delivered",
            OrderStage::Cancelled => "cancelled",
            OrderStage::Refunded => "refunded",
        }
    }

    /// Whether the goods have left the wholesaler (shipped or delivered).
    pub fn is_shipped(self) -> bool {
        matches!(self, OrderStage::Shipped | OrderStage::Delivered)
    }

    /// Whether the order was called off (cancelled or refunded).
    pub fn is_called_off(self) -> bool {
        matches!(self, OrderStage::Cancelled | OrderStage::Refunded)
    }
}

/// How far along a state is: 0 for a state no stage names (awaiting payment, payment accepted, a shop's
/// own state), else 1 + the stage's rank.
pub fn progress(stage: Option<OrderStage>) -> u8 {
    stage.map_or(0, |s| 1 + OrderStage::ALL.iter().position(|x| *x == s).unwrap_or(0) as u8)
}

/// A shop's order states by meaning: for each stage, the ids of its states that mean it. The first id is
/// the one the hub sets; every id listed is recognised when read. The defaults are the states of a
/// PrestaShop install: 3 "Processing in progress", 4 "Shipped", 5 "Delivered", 6 "Canceled", 7 "Refunded".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderStateMap {
    /// Processing (default `[3]`).
    pub processing: Vec<u64>,
    /// Shipped (default `[4]`).
    pub shipped: Vec<u64>,
    /// Delivered (default `[5]`).
    pub delivered: Vec<u64>,
    /// Cancelled (default `[6]`, PS_OS_CANCELED).
    pub cancelled: Vec<u64>,
    /// Refunded (default `[7]`, PS_OS_REFUND).
    pub refunded: Vec<u64>,
}

impl Default for OrderStateMap {
    fn default() -> Self {
        Self { processing: vec![3], shipped: vec![4], delivered: vec![5], cancelled: vec![6], refunded: vec![7] }
    }
}

impl OrderStateMap {
    fn ids(&self, stage: OrderStage) -> &[u64] {
        match stage {
            OrderStage::Processing => &self.processing,
            OrderStage::Shipped => &self.shipped,
            OrderStage::Delivered => &self.delivered,
            OrderStage::Cancelled => &self.cancelled,
            OrderStage::Refunded => &self.refunded,
        }
    }

    /// Checks every stage has a state and no state means two stages.
    ///
    /// # Errors
    /// The stage at fault, by name.
    pub fn check(&self) -> Result<(), InvalidValue> {
        let mut seen = std::collections::BTreeMap::new();
        for stage in OrderStage::ALL {
            let ids = self.ids(stage);
            if ids.is_empty() || ids.contains(&0) {
                return Err(InvalidValue::new(stage.as_str(), "at least one order state id, none of them 0"));
            }
            for id in ids {
                if let Some(other) = seen.insert(*id, stage)
                    && other != stage
                {
                    return Err(InvalidValue::new(
                        stage.as_str(),
                        format!("state {id} is also listed for {}", other.as_str()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The stage a state id means, if any.
    pub fn stage_of(&self, state: &str) -> Option<OrderStage> {
        let id: u64 = state.trim().parse().ok()?;
        OrderStage::ALL.into_iter().find(|s| self.ids(*s).contains(&id))
    }

    /// The state the hub sets for `stage`.
    pub fn state_for(&self, stage: OrderStage) -> u64 {
        self.ids(stage).first().copied().unwrap_or_default()
    }
}

/// The source's report of an order the hub created there: its state and tracking number now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderStatusData {
    /// The order's id on the source.
    pub source_order_id: u64,
    /// Its reference there.
    pub reference: String,
    /// The cart it was made from, when known (finds the link before its order id is recorded).
    pub cart_id: Option<u64>,
    /// Its current state id there.
    pub state: String,
    /// That state's name, for people.
    pub state_name: Option<String>,
    /// The tracking number of its carrier; `None` when it has none.
    pub tracking_number: Option<String>,
    /// Its carrier on the source.
    pub carrier_id: Option<u64>,
    /// The order's last change on the source.
    pub updated_at: Option<DateTime<Utc>>,
}

impl OrderStatusData {
    /// Builds a report; an empty tracking number or state name counts as none.
    ///
    /// # Errors
    /// No order id, a state that is not a number, an empty reference, or a tracking number over 64
    /// characters (PrestaShop's `order_carrier.tracking_number`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source_order_id: u64,
        reference: String,
        cart_id: Option<u64>,
        state: String,
        state_name: Option<String>,
        tracking_number: Option<String>,
        carrier_id: Option<u64>,
        updated_at: Option<DateTime<Utc>>,
    ) -> Result<Self, InvalidValue> {
        if source_order_id == 0 {
            return Err(InvalidValue::new("id", "the source order id, at least 1"));
        }
        if reference.trim().is_empty() || reference.chars().count() > 32 {
            return Err(InvalidValue::new("reference", "1 to 32 characters"));
        }
        let state = state.trim().to_owned();
        if state.parse::<u64>().map_or(true, |s| s == 0) {
            return Err(InvalidValue::new("state", "an order state id such as \"4\""));
        }
        let tracking_number = tracking_number.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if tracking_number.as_ref().is_some_and(|t| t.chars().count() > 64) {
            return Err(InvalidValue::new("tracking_number", "at most 64 characters"));
        }
        let state_name = state_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        Ok(Self {
            source_order_id,
            reference,
            cart_id: cart_id.filter(|c| *c > 0),
            state,
            state_name,
            tracking_number,
            carrier_id: carrier_id.filter(|c| *c > 0),
            updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_map_reads_a_prestashop_installs_states() {
        let m = OrderStateMap::default();
        let cases = [
            ("2", None),
            ("3", Some(OrderStage::Processing)),
            ("4", Some(OrderStage::Shipped)),
            ("5", Some(OrderStage::Delivered)),
            ("6", Some(OrderStage::Cancelled)),
            ("7", Some(OrderStage::Refunded)),
            ("11", None),
            ("x", None),
        ];
        for (state, stage) in cases {
            assert_eq!(m.stage_of(state), stage, "state {state}");
        }
        assert_eq!(m.state_for(OrderStage::Shipped), 4);
    }

    #[test]
    fn a_shops_own_states_count_and_the_first_is_the_one_set() {
        let m = OrderStateMap { shipped: vec![15, 4], ..OrderStateMap::default() };
        assert_eq!(m.check(), Ok(()));
        assert_eq!(m.stage_of("4"), Some(OrderStage::Shipped));
        assert_eq!(m.state_for(OrderStage::Shipped), 15);
    }

    #[test]
    fn a_state_in_two_stages_or_a_stage_without_state_is_refused() {
        let twice = OrderStateMap { delivered: vec![4], ..OrderStateMap::default() };
        assert_eq!(twice.check().unwrap_err().field, "delivered");
        let none = OrderStateMap { refunded: vec![], ..OrderStateMap::default() };
        assert_eq!(none.check().unwrap_err().field, "refunded");
    }

    #[test]
    fn progress_only_goes_forward_through_the_stages() {
        let ranks: Vec<u8> = OrderStage::ALL.iter().map(|s| progress(Some(*s))).collect();
        assert_eq!(ranks, vec![1, 2, 3, 4, 5]);
        assert_eq!(progress(None), 0);
    }

    #[test]
    fn a_report_needs_an_order_a_numeric_state_and_a_short_tracking_number() {
        let ok = |state: &str, tracking: Option<&str>| {
            OrderStatusData::new(9, "SRCREF".into(), Some(77), state.into(), None, tracking.map(Into::into), None, None)
        };
        assert_eq!(ok("4", Some("  ")).unwrap().tracking_number, None, "blank is none");
        assert_eq!(ok("abc", None).unwrap_err().field, "state");
        assert_eq!(ok("4", Some(&"1".repeat(65))).unwrap_err().field, "tracking_number");
    }
}
