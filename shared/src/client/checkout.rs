//! Typed HTTP client for the merchant-hosted checkout API.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ApiResponse, ClientError, RequestOptions, decode, path_segment};
use crate::headers;
use crate::idempotency::IdempotencyKey;
use crate::version::CheckoutVersion;

/// A client for one merchant, speaking API version `V`.
///
/// Every POST takes the idempotency key from the caller: the caller decides what counts as "the
/// same intent" and must reuse the key when it retries.
#[derive(Debug, Clone)]
pub struct CheckoutClient<V> {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    version: PhantomData<fn() -> V>,
}

impl<V: CheckoutVersion> CheckoutClient<V> {
    /// `base_url` is the merchant's `api_base_url` (no trailing slash needed).
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        let mut base_url = base_url.into();
        while base_url.ends_with('/') {
            base_url.pop();
        }
        Self {
            http,
            base_url,
            api_key: api_key.into(),
            version: PhantomData,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /.well-known/acp.json` (no authentication).
    pub async fn discovery(&self) -> Result<ApiResponse<V::Discovery>, ClientError> {
        let url = format!("{}/.well-known/acp.json", self.base_url);
        decode(self.http.get(url).send().await?).await
    }

    /// `POST /checkout_sessions` (201).
    pub async fn create(
        &self,
        body: &V::CreateRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<V::Session>, ClientError> {
        self.post("/checkout_sessions".to_owned(), Some(body), key, opts)
            .await
    }

    /// `GET /checkout_sessions/{id}`.
    pub async fn retrieve(
        &self,
        id: &str,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<V::Session>, ClientError> {
        let req = self.http.get(format!(
            "{}/checkout_sessions/{}",
            self.base_url,
            path_segment(id)
        ));
        decode(self.common_headers(req, opts).send().await?).await
    }

    /// `POST /checkout_sessions/{id}`.
    pub async fn update(
        &self,
        id: &str,
        body: &V::UpdateRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<V::Session>, ClientError> {
        self.post(
            format!("/checkout_sessions/{}", path_segment(id)),
            Some(body),
            key,
            opts,
        )
        .await
    }

    /// `POST /checkout_sessions/{id}/complete`.
    pub async fn complete(
        &self,
        id: &str,
        body: &V::CompleteRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<V::Session>, ClientError> {
        self.post(
            format!("/checkout_sessions/{}/complete", path_segment(id)),
            Some(body),
            key,
            opts,
        )
        .await
    }

    /// `POST /checkout_sessions/{id}/cancel`; the body is optional.
    pub async fn cancel(
        &self,
        id: &str,
        body: Option<&V::CancelRequest>,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<V::Session>, ClientError> {
        self.post(
            format!("/checkout_sessions/{}/cancel", path_segment(id)),
            body,
            key,
            opts,
        )
        .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: String,
        body: Option<&B>,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<T>, ClientError> {
        let mut req = self
            .http
            .post(format!("{}{}", self.base_url, path))
            .header(headers::IDEMPOTENCY_KEY, key.as_str());
        if let Some(body) = body {
            req = req.json(body);
        }
        decode(self.common_headers(req, opts).send().await?).await
    }

    fn common_headers(
        &self,
        req: reqwest::RequestBuilder,
        opts: &RequestOptions,
    ) -> reqwest::RequestBuilder {
        super::acp_headers(req, &self.api_key, V::VERSION, opts)
    }
}
