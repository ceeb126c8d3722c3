//! Integer money: amounts are `i64` minor units; rates are parts per million.

use serde::{Deserialize, Serialize};

/// A rate in parts per million: 7.25 % is `Rate(72_500)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rate(pub u32);

impl Rate {
    pub const ZERO: Rate = Rate(0);

    /// `amount × rate`, rounded half up to the minor unit (amounts here are never negative;
    /// a negative amount rounds half away from zero, symmetrically).
    pub fn apply(self, amount: i64) -> i64 {
        let product = i128::from(amount) * i128::from(self.0);
        let half = 500_000;
        let rounded = if product >= 0 {
            (product + half) / 1_000_000
        } else {
            (product - half) / 1_000_000
        };
        i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN })
    }

    /// The rate as the fraction the wire's `TaxBreakdownItem.rate` carries (0.0725).
    pub fn as_fraction(self) -> f64 {
        f64::from(self.0) / 1_000_000.0
    }

    /// `7.25%`, for messages.
    pub fn percent_text(self) -> String {
        let hundredths = (self.0 + 50) / 100;
        let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        format!("{text}%")
    }
}

/// `$12.34` for USD amounts in messages shown to buyers.
pub fn format_usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}${}.{:02}", c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_half_up() {
        assert_eq!(Rate(72_500).apply(1000), 73); // 72.5 -> 73
        assert_eq!(Rate(72_500).apply(999), 72); // 72.4275 -> 72
        assert_eq!(Rate(100_000).apply(5), 1); // 0.5 -> 1
        assert_eq!(Rate(100_000).apply(4), 0); // 0.4 -> 0
        assert_eq!(Rate::ZERO.apply(123_456), 0);
    }

    #[test]
    fn formats() {
        assert_eq!(format_usd(1234), "$12.34");
        assert_eq!(format_usd(5), "$0.05");
        assert_eq!(Rate(72_500).percent_text(), "7.25%");
        assert_eq!(Rate(60_000).percent_text(), "6%");
        assert_eq!(Rate(68_750).percent_text(), "6.88%");
    }

    proptest! {
        /// Rounded tax is within half a cent of the exact value and never negative.
        #[test]
        fn rounding_error_is_at_most_half_a_cent(amount in 0i64..10_000_000_000, ppm in 0u32..200_000) {
            let tax = Rate(ppm).apply(amount);
            let exact = i128::from(amount) * i128::from(ppm);
            let diff = (i128::from(tax) * 1_000_000 - exact).abs();
            prop_assert!(diff <= 500_000);
            prop_assert!(tax >= 0);
        }
    }
}
