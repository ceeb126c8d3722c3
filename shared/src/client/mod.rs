//! Typed HTTP clients for the ACP APIs.

mod checkout;
mod delegate;
mod feed;
mod psp;
mod webhook;

pub use checkout::CheckoutClient;
pub use delegate::DelegateClient;
pub use feed::FeedClient;
pub use psp::{PspClient, PspError};
pub use webhook::{DeliveryError, WebhookClient};

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::headers;

/// Optional per-request headers.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    pub request_id: Option<String>,
    pub accept_language: Option<String>,
}

/// A successful response, with what the headers said about it.
#[derive(Debug, Clone)]
pub struct ApiResponse<T> {
    pub status: u16,
    pub body: T,
    /// The server answered from its idempotency store (`Idempotent-Replayed: true`).
    pub replayed: bool,
    pub request_id: Option<String>,
    /// The body exactly as received, for callers that validate or log it.
    pub raw: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an ACP `Error` object.
    #[error("HTTP {status}: {error}")]
    Api {
        status: u16,
        error: Error,
        retry_after: Option<u64>,
        raw: serde_json::Value,
    },
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// The body was not what the API version says it must be.
    #[error("HTTP {status}: unexpected body ({source}): {body}")]
    Decode {
        status: u16,
        body: String,
        #[source]
        source: serde_json::Error,
    },
}

impl ClientError {
    /// The ACP error, when the server sent one.
    pub fn api_error(&self) -> Option<&Error> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Decode { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status().map(|s| s.as_u16()),
        }
    }
}

pub(crate) async fn decode<T: DeserializeOwned>(
    resp: reqwest::Response,
) -> Result<ApiResponse<T>, ClientError> {
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let replayed = header(headers::IDEMPOTENT_REPLAYED).as_deref() == Some("true");
    let request_id = header(headers::REQUEST_ID);
    let retry_after = header(headers::RETRY_AFTER).and_then(|v| v.parse().ok());
    let bytes = resp.bytes().await?;
    let decode_error = |source| ClientError::Decode {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        source,
    };
    let raw: serde_json::Value = serde_json::from_slice(&bytes).map_err(decode_error)?;
    if (200..300).contains(&status) {
        let body = serde_json::from_value(raw.clone()).map_err(decode_error)?;
        Ok(ApiResponse {
            status,
            body,
            replayed,
            request_id,
            raw,
        })
    } else {
        let error = serde_json::from_value(raw.clone()).map_err(decode_error)?;
        Err(ClientError::Api {
            status,
            error,
            retry_after,
            raw,
        })
    }
}

/// The headers every ACP request carries: the bearer key, `API-Version`, and the optional
/// `Request-Id` and `Accept-Language`.
pub(crate) fn acp_headers(
    req: reqwest::RequestBuilder,
    api_key: &str,
    version: crate::ApiVersion,
    opts: &RequestOptions,
) -> reqwest::RequestBuilder {
    let mut req = req
        .bearer_auth(api_key)
        .header(headers::API_VERSION, version.as_str());
    if let Some(id) = &opts.request_id {
        req = req.header(headers::REQUEST_ID, id);
    }
    if let Some(lang) = &opts.accept_language {
        req = req.header(reqwest::header::ACCEPT_LANGUAGE, lang);
    }
    req
}

/// Ids come from servers, but a path segment is still escaped rather than trusted.
pub(crate) fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn escapes_path_segments() {
        assert_eq!(path_segment("cs_abc-123"), "cs_abc-123");
        assert_eq!(path_segment("../x y"), "..%2Fx%20y");
    }
}
