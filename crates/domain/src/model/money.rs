//! Money as an exact decimal amount (never `f64`).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

use crate::errors::InvalidValue;

/// A non-negative amount with at most six decimals, as PrestaShop stores prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Money(Decimal);

impl Money {
    /// Largest accepted amount: PrestaShop's `decimal(20,6)` columns.
    const MAX_INTEGER_DIGITS: u32 = 14;

    /// Parses a decimal string such as `"11.90"`. Rejects negatives, exponents, more than six decimals.
    ///
    /// # Errors
    /// [`InvalidValue`] (with an empty field path) naming what is wrong.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let s = raw.trim();
        let well_formed = !s.is_empty()
            && s.chars().all(|c| c.is_ascii_digit() || c == '.')
            && s.matches('.').count() <= 1
            && !s.starts_with('.')
            && !s.ends_with('.');
        if !well_formed {
            return Err(InvalidValue::new("", format!("`{raw}` is not a decimal amount like \"11.90\"")));
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if frac.len() > 6 {
            return Err(InvalidValue::new("", "at most 6 decimals"));
        }
        if int.trim_start_matches('0').len() > Self::MAX_INTEGER_DIGITS as usize {
            return Err(InvalidValue::new("", "amount too large"));
        }
        Decimal::from_str(s)
            .map(|d| Money(d.normalize()))
            .map_err(|e| InvalidValue::new("", format!("`{raw}` is not a decimal amount: {e}")))
    }

    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// The exact decimal.
    pub fn as_decimal(&self) -> Decimal {
        self.0
    }

    /// Builds from a decimal, rejecting negatives.
    ///
    /// # Errors
    /// When `d` is negative.
    pub fn from_decimal(d: Decimal) -> Result<Self, InvalidValue> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(InvalidValue::new("", "must not be negative"));
        }
        Ok(Money(d.normalize()))
    }

    /// Applies a percent markup and rounds half-up to the cent: 10.00 with +30 → 13.00.
    #[must_use]
    pub fn with_markup_percent(&self, percent: Decimal) -> Money {
        let factor = Decimal::ONE + percent / Decimal::ONE_HUNDRED;
        let v = (self.0 * factor).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        Money(v.max(Decimal::ZERO).normalize())
    }

    /// Rounds to `dp` decimals, half away from zero.
    #[must_use]
    pub fn rounded(&self, dp: u32) -> Money {
        Money(self.0.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero).normalize())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always at least two decimals: "13.00", "11.9" → "11.90", "1.234567" stays.
        let d = self.0;
        if d.scale() < 2 {
            let mut d2 = d;
            d2.rescale(2);
            write!(f, "{d2}")
        } else {
            write!(f, "{d}")
        }
    }
}

impl TryFrom<String> for Money {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Money::parse(&s)
    }
}

impl From<Money> for String {
    fn from(m: Money) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_exactly_and_print_with_cents() {
        assert_eq!(Money::parse("11.90").unwrap().to_string(), "11.90");
        assert_eq!(Money::parse("10").unwrap().to_string(), "10.00");
        assert_eq!(Money::parse("0.123456").unwrap().to_string(), "0.123456");
        assert_eq!(Money::parse("11.900000").unwrap(), Money::parse("11.9").unwrap());
    }

    #[test]
    fn garbage_negative_and_overprecise_amounts_are_rejected() {
        for bad in ["abc", "", "-1", "1e3", "1.2.3", ".5", "5.", "1.1234567", "NaN", " ", "1,50"] {
            assert!(Money::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_thirty_percent_markup_on_ten_gives_thirteen() {
        let p = Money::parse("10.00").unwrap().with_markup_percent(Decimal::from(30));
        assert_eq!(p.to_string(), "13.00");
    }

    #[test]
    fn markup_rounds_half_up_to_the_cent() {
        let p = Money::parse("0.05").unwrap().with_markup_percent(Decimal::from(10));
        assert_eq!(p.to_string(), "0.06"); // 0.055 → 0.06
    }
}
