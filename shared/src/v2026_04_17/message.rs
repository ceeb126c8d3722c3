//! `messages[]`: business-level information, warnings and errors inside a valid session.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::common::ContentType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// Who can resolve the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The agent can fix it through the API.
    Recoverable,
    /// The buyer must provide something the API cannot collect on its own.
    RequiresBuyerInput,
    /// The buyer must review and authorise before the order is placed.
    RequiresBuyerReview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    LowStock,
    HighDemand,
    ShippingDelay,
    PriceChange,
    ExpiringPromotion,
    LimitedAvailability,
    DiscountCodeExpired,
    DiscountCodeInvalid,
    DiscountCodeAlreadyApplied,
    DiscountCodeCombinationDisallowed,
    DiscountCodeMinimumNotMet,
    DiscountCodeUserNotLoggedIn,
    DiscountCodeUserIneligible,
    DiscountCodeUsageLimitReached,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Missing,
    Invalid,
    OutOfStock,
    PaymentDeclined,
    RequiresSignIn,
    #[serde(rename = "requires_3ds")]
    Requires3ds,
    LowStock,
    QuantityExceeded,
    CouponInvalid,
    CouponExpired,
    MinimumNotMet,
    MaximumExceeded,
    RegionRestricted,
    AgeVerificationRequired,
    ApprovalRequired,
    Unsupported,
    NotFound,
    Conflict,
    RateLimited,
    Expired,
    InterventionRequired,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageInfo {
    pub severity: Option<Severity>,
    pub resolution: Option<Resolution>,
    /// RFC 9535 JSONPath of what the message is about. Omitted, never `null`.
    pub param: Option<String>,
    pub content_type: ContentType,
    pub content: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageWarning {
    pub code: WarningCode,
    pub severity: Option<Severity>,
    pub resolution: Option<Resolution>,
    pub param: Option<String>,
    pub content_type: ContentType,
    pub content: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageError {
    pub code: ErrorCode,
    pub severity: Option<Severity>,
    pub resolution: Option<Resolution>,
    pub param: Option<String>,
    pub content_type: ContentType,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    Info(MessageInfo),
    Warning(MessageWarning),
    Error(MessageError),
}

impl Message {
    pub fn content(&self) -> &str {
        match self {
            Message::Info(m) => &m.content,
            Message::Warning(m) => &m.content,
            Message::Error(m) => &m.content,
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            Message::Info(m) => m.param.as_deref(),
            Message::Warning(m) => m.param.as_deref(),
            Message::Error(m) => m.param.as_deref(),
        }
    }

    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Message::Error(m) => Some(m.code),
            _ => None,
        }
    }

    pub fn warning_code(&self) -> Option<WarningCode> {
        match self {
            Message::Warning(m) => Some(m.code),
            _ => None,
        }
    }
}
