//! Wire formats per API version: parse request bodies into domain commands and render domain
//! state into the version's JSON. Handlers are generic over [`WireVersion`] and pick the
//! implementation from the request's `API-Version`.

mod v2026_04_17;

use kit::parse::{FieldProblem, ParseError};
use serde::de::DeserializeOwned;
use shared::version::CheckoutVersion;

use crate::domain::order::Order;
use crate::domain::party::Buyer;
use crate::domain::payment::ThreeDs;
use crate::domain::session::{CreateCommand, Session, UpdateCommand};
use crate::error::ApiError;

/// What a render needs besides the session.
pub struct RenderContext<'a> {
    pub base_url: &'a str,
    pub merchant: &'a crate::configuration::MerchantSettings,
}

/// A create request, parsed: the command and the write-only attribution record.
pub struct CreateInput {
    pub command: CreateCommand,
    pub attribution: Option<serde_json::Value>,
}

/// A complete request, parsed.
pub struct CompleteInput {
    pub handler_id: String,
    /// The Shared Payment Token.
    pub token: String,
    pub buyer: Option<Buyer>,
    pub authentication: Option<Authentication>,
    /// Last-touch affiliate attribution, write-only.
    pub attribution: Option<serde_json::Value>,
    pub order_notes: Option<String>,
}

/// The agent's 3-D Secure outcome (`authentication_result`).
pub struct Authentication {
    /// The spec's outcome, e.g. `authenticated`, `denied`.
    pub outcome: String,
    /// Present when the outcome authenticates the payment.
    pub three_ds: Option<ThreeDs>,
}

/// A cancel's intent trace, kept for analytics and never returned.
pub struct IntentTraceRecord {
    pub reason_code: String,
    pub document: serde_json::Value,
}

pub trait WireVersion: CheckoutVersion {
    fn parse_create(body: &[u8]) -> Result<CreateInput, ApiError>;
    fn parse_update(body: &[u8]) -> Result<UpdateCommand, ApiError>;
    fn parse_cancel(body: &[u8]) -> Result<Option<IntentTraceRecord>, ApiError>;
    fn parse_complete(body: &[u8]) -> Result<CompleteInput, ApiError>;
    /// The session; `order` is its order once completed.
    fn session_body(
        session: &Session,
        order: Option<&Order>,
        ctx: &RenderContext<'_>,
    ) -> Result<String, ApiError>;
    fn discovery_body(ctx: &RenderContext<'_>) -> Result<String, ApiError>;
}

/// Deserialises a body strictly, turning serde's complaint into the spec's error object with
/// a JSONPath `param` pointing at the offending field.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    kit::parse::strict(body).map_err(|e| match e {
        ParseError::Malformed(why) => ApiError::MalformedJson(why),
        ParseError::Field {
            problem,
            message,
            param,
        } => ApiError::InvalidBody {
            code: match problem {
                FieldProblem::Unknown => "unknown_field",
                FieldProblem::Missing => "missing_required_field",
                FieldProblem::InvalidType => "invalid_type",
                FieldProblem::InvalidValue => "invalid_value",
            },
            message,
            param: Some(param),
        },
    })
}

pub use v2026_04_17::{V2026_04_17, order_out};

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
    }

    fn err(body: &str) -> shared::Error {
        match parse_body::<Outer>(body.as_bytes()) {
            Err(e) => e.body(),
            Ok(v) => panic!("parsed {v:?}"),
        }
    }

    #[test]
    fn errors_point_at_the_field() {
        let e = err(r#"{"items":[{"id":"a"},{"id":"b","qty":2}]}"#);
        assert_eq!(
            (e.code.as_str(), e.param.as_deref()),
            ("unknown_field", Some("$.items[1].qty"))
        );
        let e = err(r#"{"items":[{}]}"#);
        assert_eq!(
            (e.code.as_str(), e.param.as_deref()),
            ("missing_required_field", Some("$.items[0].id"))
        );
        let e = err(r#"{"items":[{"id":5}]}"#);
        assert_eq!(
            (e.code.as_str(), e.param.as_deref()),
            ("invalid_type", Some("$.items[0].id"))
        );
        let e = err(r#"{}"#);
        assert_eq!(e.param.as_deref(), Some("$.items"));
        let e = err(r#"{"items": ["#);
        assert_eq!(e.code, "invalid_json");
    }
}
