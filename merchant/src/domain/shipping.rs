//! Fulfillment options: three shipping speeds to US addresses, and e-mail for digital goods.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::tax::StateTax;

pub const STANDARD: &str = "ship_standard";
pub const EXPRESS: &str = "ship_express";
pub const OVERNIGHT: &str = "ship_overnight";
pub const DIGITAL: &str = "digital_email";

/// Standard shipping is free from this physical-goods subtotal (after discounts) on.
pub const FREE_STANDARD_FROM: i64 = 7_500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionKind {
    Shipping,
    Digital,
}

/// One priced way to fulfil some of the lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub id: String,
    pub kind: OptionKind,
    pub title: String,
    pub description: String,
    pub carrier: Option<String>,
    pub earliest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
    /// Before tax, minor units.
    pub cost: i64,
    /// Tax on the charge where the destination taxes shipping.
    pub tax: i64,
}

struct Speed {
    id: &'static str,
    title: &'static str,
    carrier: &'static str,
    days: (u32, u32),
    cost: i64,
}

const SPEEDS: &[Speed] = &[
    Speed {
        id: STANDARD,
        title: "Standard shipping",
        carrier: "USPS",
        days: (5, 7),
        cost: 599,
    },
    Speed {
        id: EXPRESS,
        title: "Express shipping",
        carrier: "UPS",
        days: (2, 3),
        cost: 1_499,
    },
    Speed {
        id: OVERNIGHT,
        title: "Overnight shipping",
        carrier: "FedEx",
        days: (1, 1),
        cost: 2_999,
    },
];

/// States that carriers cannot reach overnight from the warehouse.
const NO_OVERNIGHT: &[&str] = &["AK", "HI"];

/// The shipping options to `state`, priced for a physical subtotal, with delivery windows
/// counted in business days from `now`.
pub fn shipping_quotes(state: &StateTax, physical_subtotal: i64, now: DateTime<Utc>) -> Vec<Quote> {
    let remote = NO_OVERNIGHT.contains(&state.code);
    SPEEDS
        .iter()
        .filter(|s| !(remote && s.id == OVERNIGHT))
        .map(|s| {
            let (lo, hi) = if remote {
                (s.days.0 + 3, s.days.1 + 3)
            } else {
                s.days
            };
            let cost = if s.id == STANDARD && physical_subtotal >= FREE_STANDARD_FROM {
                0
            } else {
                s.cost
            };
            let tax = if state.taxes_shipping {
                state.rate.apply(cost)
            } else {
                0
            };
            let description = if lo == hi {
                format!(
                    "Arrives in {lo} business day{}",
                    if lo == 1 { "" } else { "s" }
                )
            } else {
                format!("Arrives in {lo}-{hi} business days")
            };
            Quote {
                id: s.id.to_owned(),
                kind: OptionKind::Shipping,
                title: s.title.to_owned(),
                description,
                carrier: Some(s.carrier.to_owned()),
                earliest: Some(delivery_day(now, lo)),
                latest: Some(delivery_day(now, hi)),
                cost,
                tax,
            }
        })
        .collect()
}

pub fn digital_quote() -> Quote {
    Quote {
        id: DIGITAL.to_owned(),
        kind: OptionKind::Digital,
        title: "Digital delivery".to_owned(),
        description: "Delivered by e-mail right after purchase".to_owned(),
        carrier: None,
        earliest: None,
        latest: None,
        cost: 0,
        tax: 0,
    }
}

/// The end of the delivery day (20:00 UTC), `n` business days after `now`.
pub fn delivery_day(now: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let mut day = now.date_naive();
    let mut left = n;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day.and_time(NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default())
        .and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tax;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn business_days_skip_weekends() {
        // Friday + 1 business day = Monday.
        let friday = at("2026-11-20T10:00:00Z");
        assert_eq!(delivery_day(friday, 1), at("2026-11-23T20:00:00Z"));
        assert_eq!(delivery_day(friday, 5), at("2026-11-27T20:00:00Z"));
    }

    #[test]
    fn standard_is_free_from_the_threshold_and_shipping_tax_follows_the_state() {
        let now = at("2026-11-23T10:00:00Z");
        let tx = tax::state("TX").expect("known");
        let quotes = shipping_quotes(tx, FREE_STANDARD_FROM - 1, now);
        assert_eq!(quotes.len(), 3);
        assert_eq!(quotes[0].cost, 599);
        assert_eq!(quotes[0].tax, 37); // 599 × 6.25 % = 37.44
        assert_eq!(shipping_quotes(tx, FREE_STANDARD_FROM, now)[0].cost, 0);

        let ca = tax::state("CA").expect("known");
        assert!(shipping_quotes(ca, 0, now).iter().all(|q| q.tax == 0));
    }

    #[test]
    fn no_overnight_to_alaska_and_hawaii() {
        let now = at("2026-11-23T10:00:00Z");
        let hi = tax::state("HI").expect("known");
        let ids: Vec<_> = shipping_quotes(hi, 0, now)
            .into_iter()
            .map(|q| q.id)
            .collect();
        assert_eq!(ids, vec![STANDARD, EXPRESS]);
    }
}
