//! Line and session totals, all in integer minor units.
//!
//! Per line: `base = list × qty`, `discount = (list − sale) × qty`, `subtotal = base − discount`,
//! `tax = round_half_up(subtotal × rate)` and `total = subtotal + tax`. Tax is rounded per line
//! and per shipping charge, so the session's tax is exactly the sum of the parts a buyer sees.
//! Session: `total = subtotal + fulfillment + tax`.

use serde::{Deserialize, Serialize};

use super::money::Rate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePrice {
    pub unit_list: i64,
    pub unit_price: i64,
    pub base: i64,
    pub discount: i64,
    pub subtotal: i64,
    /// `None` until the destination is known.
    pub tax: Option<i64>,
    pub total: i64,
}

/// Prices `quantity` units listed at `unit_list` and sold at `unit_price`.
pub fn price_line(
    unit_list: i64,
    unit_price: i64,
    quantity: u32,
    tax_rate: Option<Rate>,
) -> LinePrice {
    let q = i64::from(quantity);
    let base = unit_list * q;
    let subtotal = unit_price * q;
    let discount = base - subtotal;
    let tax = tax_rate.map(|r| r.apply(subtotal));
    LinePrice {
        unit_list,
        unit_price,
        base,
        discount,
        subtotal,
        tax,
        total: subtotal + tax.unwrap_or(0),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSummary {
    pub amount: i64,
    /// Two-letter state code the rate belongs to.
    pub jurisdiction: String,
    pub rate: Rate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub items_base: i64,
    pub items_discount: i64,
    pub subtotal: i64,
    /// `None` until a fulfillment option is selected.
    pub fulfillment: Option<i64>,
    /// `None` until the tax can be computed (destination known, or nothing taxable).
    pub tax: Option<TaxSummary>,
    pub total: i64,
}

/// Sums the lines, the selected fulfillment charges and their tax.
pub fn session_totals(
    lines: &[LinePrice],
    fulfillment: Option<i64>,
    fulfillment_tax: i64,
    jurisdiction: Option<(&str, Rate)>,
    tax_known: bool,
) -> Totals {
    let items_base = lines.iter().map(|l| l.base).sum();
    let items_discount = lines.iter().map(|l| l.discount).sum();
    let subtotal = lines.iter().map(|l| l.subtotal).sum::<i64>();
    let tax = tax_known.then(|| {
        let amount = lines.iter().filter_map(|l| l.tax).sum::<i64>() + fulfillment_tax;
        let (code, rate) = jurisdiction.unwrap_or(("", Rate::ZERO));
        TaxSummary {
            amount,
            jurisdiction: code.to_owned(),
            rate,
        }
    });
    let total = subtotal + fulfillment.unwrap_or(0) + tax.as_ref().map_or(0, |t| t.amount);
    Totals {
        items_base,
        items_discount,
        subtotal,
        fulfillment,
        tax,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_line_on_sale() {
        let p = price_line(12_999, 9_999, 2, Some(Rate(72_500)));
        assert_eq!(p.base, 25_998);
        assert_eq!(p.discount, 6_000);
        assert_eq!(p.subtotal, 19_998);
        assert_eq!(p.tax, Some(1_450)); // 1449.855
        assert_eq!(p.total, 21_448);
    }

    #[test]
    fn tax_unknown_until_destination() {
        let p = price_line(1_000, 1_000, 1, None);
        assert_eq!(p.tax, None);
        let t = session_totals(&[p], None, 0, None, false);
        assert_eq!(t.tax, None);
        assert_eq!(t.total, 1_000);
    }

    prop_compose! {
        fn arb_line()(list in 1i64..1_000_000, off in 0i64..100, qty in 1u32..20, ppm in prop::option::of(0u32..120_000)) -> LinePrice {
            let sale = (list - list * off / 100).max(1);
            price_line(list, sale, qty, ppm.map(Rate))
        }
    }

    proptest! {
        /// The totals a buyer sees always add up, to the cent.
        #[test]
        fn totals_add_up(
            lines in prop::collection::vec(arb_line(), 1..8),
            shipping in prop::option::of(0i64..10_000),
            ship_tax in 0i64..1_000,
            tax_known in any::<bool>(),
        ) {
            for l in &lines {
                prop_assert_eq!(l.base - l.discount, l.subtotal);
                prop_assert!(l.discount >= 0 && l.subtotal > 0);
                prop_assert_eq!(l.total, l.subtotal + l.tax.unwrap_or(0));
            }
            let ship_tax = if shipping.is_some() { ship_tax } else { 0 };
            let t = session_totals(&lines, shipping, ship_tax, Some(("CA", Rate(72_500))), tax_known);
            prop_assert_eq!(t.items_base - t.items_discount, t.subtotal);
            prop_assert_eq!(t.subtotal, lines.iter().map(|l| l.subtotal).sum::<i64>());
            let tax = t.tax.as_ref().map_or(0, |x| x.amount);
            if tax_known {
                prop_assert_eq!(tax, lines.iter().filter_map(|l| l.tax).sum::<i64>() + ship_tax);
            }
            prop_assert_eq!(t.total, t.subtotal + shipping.unwrap_or(0) + tax);
        }
    }
}
