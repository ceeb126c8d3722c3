//! Sending an order webhook, signed, as the merchant does.

use std::time::Duration;

use crate::headers;
use crate::signature;

/// How a delivery attempt ended, short of a 2xx.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The receiver answered, but not with a 2xx.
    #[error("HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
}

#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
}

impl WebhookClient {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// POSTs `body` to `url`, signed with `secret` at `timestamp` (unix seconds), with the event
    /// id as `Request-Id` so that the receiver recognises a redelivery.
    pub async fn deliver(
        &self,
        url: &str,
        secret: &[u8],
        event_id: &str,
        body: &str,
        timestamp: i64,
        timeout: Duration,
    ) -> Result<(), DeliveryError> {
        let resp = self
            .http
            .post(url)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header(
                signature::HEADER,
                signature::sign(secret, timestamp, body.as_bytes()),
            )
            .header(headers::REQUEST_ID, event_id)
            .header(
                "Timestamp",
                chrono::DateTime::from_timestamp(timestamp, 0)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .body(body.to_owned())
            .send()
            .await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let body: String = resp
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        Err(DeliveryError::Refused {
            status: status.as_u16(),
            body,
        })
    }
}
