//! Business messages inside a session: what the agent should tell the buyer or fix.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Missing,
    Invalid,
    OutOfStock,
    LowStock,
    QuantityExceeded,
    RegionRestricted,
    PaymentDeclined,
    InterventionRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    LowStock,
    PriceChange,
    DiscountCodeInvalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Info,
    Warning(WarningCode),
    /// Errors block payment; info and warnings do not.
    Error(ErrorCode),
}

/// Who can resolve the message (2026-04-17 `resolution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Recoverable,
    RequiresBuyerInput,
    RequiresBuyerReview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub kind: Kind,
    /// JSONPath into the session response, e.g. `$.line_items[1]`.
    pub param: Option<String>,
    pub content: String,
    pub resolution: Option<Resolution>,
}

impl Message {
    pub fn error(code: ErrorCode, param: impl Into<String>, content: impl Into<String>) -> Self {
        let resolution = match code {
            ErrorCode::Missing | ErrorCode::Invalid | ErrorCode::RegionRestricted => {
                Resolution::RequiresBuyerInput
            }
            _ => Resolution::Recoverable,
        };
        Self {
            kind: Kind::Error(code),
            param: Some(param.into()),
            content: content.into(),
            resolution: Some(resolution),
        }
    }

    pub fn warning(
        code: WarningCode,
        param: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            kind: Kind::Warning(code),
            param: Some(param.into()),
            content: content.into(),
            resolution: None,
        }
    }

    pub fn info(param: Option<String>, content: impl Into<String>) -> Self {
        Self {
            kind: Kind::Info,
            param,
            content: content.into(),
            resolution: None,
        }
    }

    pub fn is_blocking(&self) -> bool {
        matches!(self.kind, Kind::Error(_))
    }
}
