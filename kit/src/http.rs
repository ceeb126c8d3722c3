//! HTTP plumbing: ACP request headers, JSON bodies, request ids, deadlines and shutdown.
//!
//! Header and body helpers return kit errors; each service maps them into its own error type,
//! because the APIs spell their errors differently (checkout's free codes, delegate payment's
//! closed enum).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::ApiVersion;
use shared::headers;
use shared::idempotency::{self, IdempotencyKey, InvalidKey};
use tracing::Instrument;

/// A JSON response with a status and a pre-serialised body.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("the API-Version header is missing")]
    Missing,
    #[error("API version {0:?} is not supported")]
    Unsupported(String),
}

/// The required `API-Version` header.
pub fn api_version(headers: &HeaderMap) -> Result<ApiVersion, VersionError> {
    let raw = headers
        .get(headers::API_VERSION)
        .ok_or(VersionError::Missing)?;
    let text = raw
        .to_str()
        .map_err(|_| VersionError::Unsupported(String::from_utf8_lossy(raw.as_bytes()).into()))?;
    text.parse()
        .map_err(|e: shared::api_version::UnsupportedVersion| VersionError::Unsupported(e.0))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the Idempotency-Key header is missing")]
    Missing,
    #[error("{0}")]
    Invalid(InvalidKey),
}

/// The `Idempotency-Key` header, required on every ACP POST.
pub fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, KeyError> {
    let raw = headers.get(idempotency::HEADER).ok_or(KeyError::Missing)?;
    let text = raw
        .to_str()
        .map_err(|_| KeyError::Invalid(InvalidKey::NotPrintable))?;
    IdempotencyKey::parse(text).map_err(KeyError::Invalid)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("request bodies must be sent as application/json")]
    NotJson,
    #[error("the request body is not valid JSON: {0}")]
    Malformed(String),
}

/// A JSON request body with its idempotency fingerprint. An empty body is allowed (ACP's cancel
/// body is optional) and fingerprints as `{}`.
#[derive(Debug, Clone)]
pub struct JsonBody {
    pub bytes: Bytes,
    pub fingerprint: String,
}

/// Reads at most `limit` bytes of a JSON body.
pub async fn json_body(req: Request, limit: usize) -> Result<JsonBody, BodyError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v.split(';').next().unwrap_or_default().trim();
            mime.eq_ignore_ascii_case("application/json")
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| BodyError::TooLarge(limit))?;
    if !bytes.is_empty() && is_json != Some(true) {
        return Err(BodyError::NotJson);
    }
    let fingerprint =
        idempotency::fingerprint(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))?;
    Ok(JsonBody { bytes, fingerprint })
}

/// The request id (the caller's `Request-Id`, or a new one), a tracing span carrying it, and
/// the echo headers: `Request-Id` always, `Idempotency-Key` on POSTs.
pub async fn request_context(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(headers::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(crate::ids::request, str::to_owned);
    let idem_key = (req.method() == Method::POST)
        .then(|| req.headers().get(headers::IDEMPOTENCY_KEY).cloned())
        .flatten();
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!("request", method = %req.method(), path = %path, request_id = %request_id);
    let started = std::time::Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "response"
        );
    });
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(headers::REQUEST_ID, v);
    }
    if let Some(k) = idem_key {
        h.insert(headers::IDEMPOTENCY_KEY, k);
    }
    resp
}

/// Bounds how long a request may take; `on_timeout` answers instead of a hung socket.
pub async fn deadline(
    req: Request,
    next: Next,
    limit: Duration,
    on_timeout: fn() -> Response,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => on_timeout(),
    }
}

/// Serves `app` until `shutdown` resolves, then stops accepting, tells background tasks through
/// `stop`, and lets requests in flight finish for at most `grace`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    stop: tokio::sync::watch::Sender<bool>,
    grace: Duration,
) -> std::io::Result<()> {
    let mut stopped = stop.subscribe();
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: draining requests in flight");
        let _ = stop.send(true);
    });
    let deadline = async move {
        let _ = stopped.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = serve => r,
        () = deadline => {
            tracing::warn!("requests still running after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn parses_acp_headers() {
        assert_eq!(
            bearer(&headers(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer(&headers(&[("authorization", "bearer abc")])),
            Some("abc")
        );
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
        assert_eq!(api_version(&headers(&[])), Err(VersionError::Missing));
        assert_eq!(
            api_version(&headers(&[("api-version", "2026-04-17")])),
            Ok(ApiVersion::V2026_04_17)
        );
        assert!(matches!(
            api_version(&headers(&[("api-version", "2020-01-01")])),
            Err(VersionError::Unsupported(_))
        ));
        assert_eq!(idempotency_key(&headers(&[])), Err(KeyError::Missing));
        assert!(idempotency_key(&headers(&[("idempotency-key", "k1")])).is_ok());
    }
}
