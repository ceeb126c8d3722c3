//! The flat ACP `Error` object, returned with 4xx/5xx when no valid session can be returned.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::api_version::ApiVersion;

/// `Error.type`. The checkout API allows the first three; delegate payment and delegate
/// authentication add `rate_limit_exceeded`. There is no `unauthorized` or `not_found` type:
/// 401 and 404 bodies carry `invalid_request` and say more in `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    InvalidRequest,
    ProcessingError,
    ServiceUnavailable,
    RateLimitExceeded,
}

/// `{type, code, message, param?, supported_versions?}`, never wrapped in an envelope.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Error {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// Implementation-defined, stable, machine-readable.
    pub code: String,
    /// Safe to show to a person; never carries internals.
    pub message: String,
    /// RFC 9535 JSONPath of the offending request field.
    pub param: Option<String>,
    /// Only on version errors: every version the server accepts, oldest first.
    pub supported_versions: Option<Vec<String>>,
}

impl Error {
    pub fn new(kind: ErrorType, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.into(),
            message: message.into(),
            param: None,
            supported_versions: None,
        }
    }

    pub fn invalid_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorType::InvalidRequest, code, message)
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Attaches the list of versions this implementation serves.
    pub fn with_supported_versions(mut self) -> Self {
        self.supported_versions = Some(ApiVersion::supported_strings());
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(param) = &self.param {
            write!(f, " ({param})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_flat_without_nulls() {
        let e = Error::invalid_request("missing_api_version", "API-Version header is required")
            .with_supported_versions();
        let v = serde_json::to_value(&e).expect("serialises");
        assert_eq!(
            v,
            serde_json::json!({
                "type": "invalid_request",
                "code": "missing_api_version",
                "message": "API-Version header is required",
                "supported_versions": ["2026-04-17"],
            })
        );
    }
}
