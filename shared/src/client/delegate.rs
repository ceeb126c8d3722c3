//! Typed client for the PSP-hosted ACP APIs the agent calls: delegate payment and delegate
//! authentication (2026-04-17).

use super::{ApiResponse, ClientError, RequestOptions, decode};
use crate::headers;
use crate::idempotency::IdempotencyKey;
use crate::v2026_04_17 as v;

#[derive(Debug, Clone)]
pub struct DelegateClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

impl DelegateClient {
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key: api_key.into(),
        }
    }

    /// `POST /agentic_commerce/delegate_payment` (201 with the token).
    pub async fn delegate_payment(
        &self,
        body: &v::DelegatePaymentRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<v::DelegatePaymentResponse>, ClientError> {
        let req = self
            .post("/agentic_commerce/delegate_payment", opts)
            .header(headers::IDEMPOTENCY_KEY, key.as_str())
            .json(body);
        decode(req.send().await?).await
    }

    /// `POST /delegate_authentication` (201).
    pub async fn create_authentication(
        &self,
        body: &v::DelegateAuthenticationCreateRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<v::DelegateAuthenticationSession>, ClientError> {
        let req = self
            .post("/delegate_authentication", opts)
            .header(headers::IDEMPOTENCY_KEY, key.as_str())
            .json(body);
        decode(req.send().await?).await
    }

    /// `POST /delegate_authentication/{id}/authenticate`.
    pub async fn authenticate(
        &self,
        id: &str,
        body: &v::DelegateAuthenticationAuthenticateRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<v::DelegateAuthenticationSession>, ClientError> {
        let req = self
            .post(
                &format!(
                    "/delegate_authentication/{}/authenticate",
                    super::path_segment(id)
                ),
                opts,
            )
            .header(headers::IDEMPOTENCY_KEY, key.as_str())
            .json(body);
        decode(req.send().await?).await
    }

    /// `GET /delegate_authentication/{id}`, with the result once there is one.
    pub async fn retrieve_authentication(
        &self,
        id: &str,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<v::DelegateAuthenticationSession>, ClientError> {
        let url = format!(
            "{}/delegate_authentication/{}",
            self.base_url,
            super::path_segment(id)
        );
        let req = self.with_headers(self.http.get(url), opts);
        decode(req.send().await?).await
    }

    fn post(&self, path: &str, opts: &RequestOptions) -> reqwest::RequestBuilder {
        self.with_headers(self.http.post(format!("{}{path}", self.base_url)), opts)
    }

    fn with_headers(
        &self,
        req: reqwest::RequestBuilder,
        opts: &RequestOptions,
    ) -> reqwest::RequestBuilder {
        super::acp_headers(req, &self.api_key, crate::ApiVersion::V2026_04_17, opts)
    }
}
