//! Typed client for the agent-hosted Product Feed API, as a merchant calls it.

use super::{ApiResponse, ClientError, RequestOptions, decode, path_segment};
use crate::headers;
use crate::idempotency::IdempotencyKey;
use crate::v2026_04_17::feed;

#[derive(Debug, Clone)]
pub struct FeedClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

impl FeedClient {
    /// `base_url` is the agent's Feed API base; `api_key` is this merchant's key there.
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

    /// `POST /feeds` (201). The key makes a retried creation return the same feed.
    pub async fn create_feed(
        &self,
        body: &feed::CreateFeedRequest,
        key: &IdempotencyKey,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<feed::FeedMetadata>, ClientError> {
        let req = self
            .with_headers(self.http.post(format!("{}/feeds", self.base_url)), opts)
            .header(headers::IDEMPOTENCY_KEY, key.as_str())
            .json(body);
        decode(req.send().await?).await
    }

    /// `GET /feeds/{id}`.
    pub async fn get_feed(
        &self,
        id: &str,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<feed::FeedMetadata>, ClientError> {
        let url = format!("{}/feeds/{}", self.base_url, path_segment(id));
        decode(self.with_headers(self.http.get(url), opts).send().await?).await
    }

    /// `GET /feeds/{id}/products`: every product the agent holds for the feed.
    pub async fn get_products(
        &self,
        id: &str,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<feed::ProductsResponse>, ClientError> {
        let url = format!("{}/feeds/{}/products", self.base_url, path_segment(id));
        decode(self.with_headers(self.http.get(url), opts).send().await?).await
    }

    /// `PATCH /feeds/{id}/products`: upserts these products by id. An upsert of complete
    /// products is idempotent by nature, so it takes no key.
    pub async fn upsert_products(
        &self,
        id: &str,
        body: &feed::UpsertProductsRequest,
        opts: &RequestOptions,
    ) -> Result<ApiResponse<feed::UpsertProductsResponse>, ClientError> {
        let url = format!("{}/feeds/{}/products", self.base_url, path_segment(id));
        let req = self.with_headers(self.http.patch(url), opts).json(body);
        decode(req.send().await?).await
    }

    fn with_headers(
        &self,
        req: reqwest::RequestBuilder,
        opts: &RequestOptions,
    ) -> reqwest::RequestBuilder {
        super::acp_headers(req, &self.api_key, crate::ApiVersion::V2026_04_17, opts)
    }
}
