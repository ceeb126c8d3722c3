//! Typed client for the PSP's merchant-facing payment intents API (see [`crate::psp`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::headers;
use crate::psp::{
    ConfirmPaymentIntent, CreatePaymentIntent, CreateRefund, ErrorBody, ErrorDetail, PaymentIntent,
    Refund,
};

#[derive(Debug, Clone)]
pub struct PspClient {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PspError {
    /// The PSP refused the request with an error object.
    #[error("HTTP {status}: {error}")]
    Api { status: u16, error: ErrorDetail },
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("HTTP {status}: unexpected body ({source})")]
    Decode {
        status: u16,
        #[source]
        source: serde_json::Error,
    },
}

impl PspError {
    /// Whether retrying the same request (with the same idempotency key) may succeed: the
    /// network failed, or the PSP answered 5xx or 409 (a request with this key in flight).
    pub fn is_retryable(&self) -> bool {
        match self {
            PspError::Transport(_) => true,
            PspError::Api { status, .. } | PspError::Decode { status, .. } => {
                *status >= 500 || *status == 409
            }
        }
    }
}

impl PspClient {
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            secret_key: secret_key.into(),
        }
    }

    pub async fn create_payment_intent(
        &self,
        body: &CreatePaymentIntent,
        key: &str,
    ) -> Result<PaymentIntent, PspError> {
        self.post("/v1/payment_intents", body, key).await
    }

    pub async fn confirm_payment_intent(
        &self,
        id: &str,
        body: &ConfirmPaymentIntent,
        key: &str,
    ) -> Result<PaymentIntent, PspError> {
        self.post(
            &format!("/v1/payment_intents/{}/confirm", super::path_segment(id)),
            body,
            key,
        )
        .await
    }

    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        key: &str,
    ) -> Result<PaymentIntent, PspError> {
        self.post(
            &format!("/v1/payment_intents/{}/cancel", super::path_segment(id)),
            &serde_json::json!({}),
            key,
        )
        .await
    }

    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, PspError> {
        let url = format!(
            "{}/v1/payment_intents/{}",
            self.base_url,
            super::path_segment(id)
        );
        decode(
            self.http
                .get(url)
                .bearer_auth(&self.secret_key)
                .send()
                .await?,
        )
        .await
    }

    pub async fn create_refund(&self, body: &CreateRefund, key: &str) -> Result<Refund, PspError> {
        self.post("/v1/refunds", body, key).await
    }

    pub async fn retrieve_refund(&self, id: &str) -> Result<Refund, PspError> {
        let url = format!("{}/v1/refunds/{}", self.base_url, super::path_segment(id));
        decode(
            self.http
                .get(url)
                .bearer_auth(&self.secret_key)
                .send()
                .await?,
        )
        .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        key: &str,
    ) -> Result<T, PspError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.secret_key)
            .header(headers::IDEMPOTENCY_KEY, key)
            .json(body)
            .send()
            .await?;
        decode(resp).await
    }
}

async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, PspError> {
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await?;
    if (200..300).contains(&status) {
        serde_json::from_slice(&bytes).map_err(|source| PspError::Decode { status, source })
    } else {
        let body: ErrorBody =
            serde_json::from_slice(&bytes).map_err(|source| PspError::Decode { status, source })?;
        Err(PspError::Api {
            status,
            error: body.error,
        })
    }
}
