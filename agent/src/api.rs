//! The buyer's JSON API, which the terminal chat and the web UI are built on.
//!
//! - `POST /api/conversations` opens a conversation: 201 with its id and the bearer token that
//!   opens it from then on (shown once).
//! - `GET /api/conversations/{id}`: the whole history and the shopping state.
//! - `GET /api/conversations/{id}/messages?after=N`: messages after N (order news arrives here).
//! - `POST /api/conversations/{id}/messages` `{text, browser?}`: the agent's answer.
//! - `POST /api/conversations/{id}/card` `{number, exp_month, exp_year, cvc?, name?}`: a card,
//!   kept in memory for the purchase and never stored.
//! - `GET /api/search?q=…&limit=…`: the catalog search the agent uses (public catalog data).

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use kit::http::json_response;
use serde::{Deserialize, Serialize};
use shared::v2026_04_17::BrowserInfo;

use crate::chat::{self, CardForm, Input};
use crate::error::Error;
use crate::extract::BuyerToken;
use crate::search;
use crate::shop::outcome::{Shown, Understood};
use crate::shop::view;
use crate::state::AppState;
use crate::store::conversations::{self, Message};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/conversations", post(start))
        .route("/api/conversations/{id}", get(show))
        .route("/api/conversations/{id}/messages", get(messages).post(say))
        .route("/api/conversations/{id}/card", post(card))
        .route("/api/search", get(search_catalog))
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response, Error> {
    Ok(json_response(
        status,
        serde_json::to_string(body).map_err(|e| Error::Internal(e.into()))?,
    ))
}

async fn body<T: serde::de::DeserializeOwned>(state: &AppState, req: Request) -> Result<T, Error> {
    let raw = kit::http::json_body(req, state.body_limit).await?;
    Ok(kit::parse::strict(&raw.bytes)?)
}

async fn start(State(state): State<AppState>) -> Result<Response, Error> {
    json(StatusCode::CREATED, &chat::start(&state).await?)
}

#[derive(Serialize)]
struct Conversation {
    id: String,
    messages: Vec<Message>,
    state: view::StateView,
}

async fn show(
    State(state): State<AppState>,
    BuyerToken(token): BuyerToken,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let c = chat::open(&state, &id, &token).await?;
    let messages = conversations::messages(&state.db.read, &id, 0, 10_000).await?;
    json(
        StatusCode::OK,
        &Conversation {
            id: c.id,
            messages,
            state: view::state_view(&c.state),
        },
    )
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
}

#[derive(Serialize)]
struct Messages {
    messages: Vec<Message>,
}

async fn messages(
    State(state): State<AppState>,
    BuyerToken(token): BuyerToken,
    Path(id): Path<String>,
    Query(q): Query<After>,
) -> Result<Response, Error> {
    chat::open(&state, &id, &token).await?;
    let messages = conversations::messages(&state.db.read, &id, q.after, 500).await?;
    json(StatusCode::OK, &Messages { messages })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Say {
    text: String,
    /// The buyer's browser, for 3-D Secure.
    browser: Option<BrowserInfo>,
}

async fn say(
    State(state): State<AppState>,
    BuyerToken(token): BuyerToken,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Error> {
    let said: Say = body(&state, req).await?;
    if said.text.trim().is_empty() {
        return Err(Error::invalid("empty_message", "Say something.", "$.text"));
    }
    let answer = chat::turn(&state, &id, &token, Input::Text(said.text), said.browser).await?;
    json(StatusCode::OK, &answer)
}

async fn card(
    State(state): State<AppState>,
    BuyerToken(token): BuyerToken,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Error> {
    let form: CardForm = body(&state, req).await?;
    let answer = chat::turn(&state, &id, &token, Input::Card(form), None).await?;
    json(StatusCode::OK, &answer)
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct SearchAnswer {
    understood: Understood,
    results: Vec<Shown>,
}

async fn search_catalog(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, Error> {
    let index = state.index.clone();
    let understood = search::understand(&q.q, &index.vocabulary());
    let limit = q.limit.unwrap_or(10).clamp(1, 50);
    let query = understood.clone();
    let hits = crate::feeds::blocking(move || index.search(&query, limit)).await?;
    json(
        StatusCode::OK,
        &SearchAnswer {
            understood: Understood::from(&understood),
            results: hits
                .iter()
                .enumerate()
                .map(|(i, h)| Shown::new(i + 1, h))
                .collect(),
        },
    )
}
