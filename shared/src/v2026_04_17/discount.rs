//! The discount extension's request and response objects.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountsRequest {
    /// Case-insensitive; replaces earlier codes; `[]` clears them.
    pub codes: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountsResponse {
    pub codes: Option<Vec<String>>,
    pub applied: Option<Vec<AppliedDiscount>>,
    pub rejected: Option<Vec<RejectedDiscount>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponDuration {
    Once,
    Repeating,
    Forever,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    pub id: String,
    pub name: String,
    pub percent_off: Option<f64>,
    pub amount_off: Option<i64>,
    pub currency: Option<String>,
    pub duration: Option<CouponDuration>,
    pub duration_in_months: Option<u32>,
    pub max_redemptions: Option<u32>,
    pub times_redeemed: Option<u32>,
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountMethod {
    Each,
    Across,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountAllocation {
    /// JSONPath of what the amount is allocated to, e.g. `$.line_items[0]`.
    pub path: String,
    pub amount: i64,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedDiscount {
    pub id: String,
    pub code: Option<String>,
    pub coupon: Coupon,
    /// Positive, shown as subtractive.
    pub amount: i64,
    pub automatic: Option<bool>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub method: Option<DiscountMethod>,
    pub priority: Option<u32>,
    pub allocations: Option<Vec<DiscountAllocation>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountErrorCode {
    DiscountCodeExpired,
    DiscountCodeInvalid,
    DiscountCodeAlreadyApplied,
    DiscountCodeCombinationDisallowed,
    DiscountCodeMinimumNotMet,
    DiscountCodeUserNotLoggedIn,
    DiscountCodeUserIneligible,
    DiscountCodeUsageLimitReached,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectedDiscount {
    pub code: String,
    pub reason: DiscountErrorCode,
    pub message: Option<String>,
}
