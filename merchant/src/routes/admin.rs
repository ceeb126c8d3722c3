//! The operator's API: drive orders through their lifecycle, and look after the webhook
//! outbox. Authenticated with `[[admin_keys]]`; POSTs take an `Idempotency-Key` like the ACP
//! endpoints, so a retried refund is never a second refund. Orders are shown in the ACP
//! 2026-04-17 form, exactly as their webhooks carry them.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kit::http::json_response;
use kit::idempotency::{Lookup, Reply, Scope};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::order::{Order, OrderStatus};
use crate::error::ApiError;
use crate::extract::{Body, IdemKey, Operator};
use crate::orders::{self, Action};
use crate::protocol::RenderContext;
use crate::protocol::order_out;
use crate::state::AppState;
use crate::store::{self, outbox};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/orders", get(list_orders))
        .route("/admin/orders/{id}", get(get_order))
        .route("/admin/orders/{id}/{action}", post(act))
        .route("/admin/webhooks", get(list_events))
        .route("/admin/webhooks/{id}/retry", post(retry_event))
}

fn order_json(state: &AppState, o: &Order) -> Value {
    let ctx = RenderContext {
        base_url: &state.base_url,
        merchant: &state.merchant,
    };
    serde_json::to_value(order_out(o, &ctx)).unwrap_or(Value::Null)
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body.to_string())
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
    order: Option<String>,
    limit: Option<i64>,
}

const STATUSES: [OrderStatus; 6] = [
    OrderStatus::Created,
    OrderStatus::Confirmed,
    OrderStatus::Processing,
    OrderStatus::Shipped,
    OrderStatus::Completed,
    OrderStatus::Canceled,
];

/// `GET /admin/orders?status=&limit=`: newest first.
async fn list_orders(
    State(state): State<AppState>,
    _: Operator,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            STATUSES
                .into_iter()
                .find(|st| st.as_str() == s)
                .ok_or_else(|| invalid_query("status", s))?,
        ),
    };
    let list =
        store::orders::list(&state.db.read, status, q.limit.unwrap_or(50).clamp(1, 500)).await?;
    let orders: Vec<Value> = list.iter().map(|o| order_json(&state, o)).collect();
    Ok(ok(&json!({ "orders": orders })))
}

fn invalid_query(param: &str, value: &str) -> ApiError {
    ApiError::InvalidBody {
        code: "invalid",
        message: format!("{value:?} is not a valid {param}"),
        param: Some(param.to_owned()),
    }
}

async fn get_order(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let o = orders::load(&state, &id).await?.order;
    Ok(ok(&order_json(&state, &o)))
}

/// `POST /admin/orders/{id}/{confirm|process|ship|deliver|cancel|refund}` with the action's
/// details as the body (`{}` or none where there are none).
async fn act(
    State(state): State<AppState>,
    Operator(operator): Operator,
    Path((id, action)): Path<(String, String)>,
    IdemKey(key): IdemKey,
    Body(body): Body,
) -> Result<Reply, ApiError> {
    let scope = Scope {
        agent: format!("admin:{operator}"),
        endpoint: format!("/admin/orders/{id}/{action}"),
        key: key.as_str().to_owned(),
    };
    let (state, body) = (&state, &body);
    state
        .idempotency()
        .run(
            scope,
            &body.fingerprint,
            Lookup::First,
            |scope| async move {
                let action = parse_action(&action, &body.bytes)?;
                let request = orders::Request {
                    scope: &scope,
                    fingerprint: &body.fingerprint,
                };
                let o = orders::act(state, &id, &action, Some(request)).await?;
                orders::reply(state, &o)
            },
        )
        .await
}

/// The action named in the path, with the body's details.
fn parse_action(name: &str, body: &[u8]) -> Result<Action, ApiError> {
    let known = ["confirm", "process", "ship", "deliver", "cancel", "refund"];
    if !known.contains(&name) {
        return Err(ApiError::RouteNotFound);
    }
    let mut details: Value = crate::protocol::parse_body(body)?;
    let Some(map) = details.as_object_mut() else {
        return Err(ApiError::InvalidBody {
            code: "invalid_type",
            message: "the body must be a JSON object".into(),
            param: Some("$".into()),
        });
    };
    map.insert("action".into(), Value::String(name.to_owned()));
    crate::protocol::parse_body(details.to_string().as_bytes())
}

/// `GET /admin/webhooks?status=parked|pending|delivered&order=`.
async fn list_events(
    State(state): State<AppState>,
    _: Operator,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    if let Some(s) = q.status.as_deref()
        && !["pending", "delivered", "parked"].contains(&s)
    {
        return Err(invalid_query("status", s));
    }
    let events = outbox::list(
        &state.db.read,
        q.status.as_deref(),
        q.order.as_deref(),
        q.limit.unwrap_or(100).clamp(1, 1000),
    )
    .await?;
    Ok(ok(&json!({ "events": events })))
}

/// `POST /admin/webhooks/{id}/retry`: a parked event goes back in line, attempts counted
/// afresh. Retrying is naturally idempotent, so no key is needed.
async fn retry_event(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !outbox::retry(&state.db.write, &id, state.clock.now()).await? {
        return Err(ApiError::EventNotFound);
    }
    state.webhooks.notify.notify_one();
    tracing::info!(event = %id, "parked order event put back in line");
    let event = outbox::get(&state.db.read, &id)
        .await?
        .ok_or(ApiError::EventNotFound)?;
    Ok(ok(&serde_json::to_value(event).unwrap_or(Value::Null)))
}
