//! 3-D Secure as the Delegate Authentication API (2026-04-17), with this PSP as the
//! authentication provider and a simulated issuer access control server (ACS).
//!
//! ```text
//! create ──► not_supported                      (card not enrolled: pay without 3DS)
//!        └─► pending ── authenticate ──► authenticated                     (frictionless)
//!                                   └──► action_required ── challenge ──► authenticated
//!                                                                     ├──► not_authenticated (3 wrong codes)
//!                                                                     └──► challenge_abandoned
//! any state past its deadline ──► expired
//! ```
//! No 3DS Method (device fingerprint) is needed by this ACS, so sessions start `pending` and
//! the client authenticates with `fingerprint_completion: "U"`, as the spec prescribes.

use axum::http::StatusCode;
use base64::Engine;
use chrono::{DateTime, Utc};
use kit::db::{StoreError, unix};
use kit::idempotency::{Reply, Scope};
use rand::RngExt;
use shared::v2026_04_17 as w;

use crate::cards::{self, Behaviour, Brand, Flow};
use crate::error::{AcpError, Error};
use crate::state::AppState;
use crate::store::{self, authentications::AuthRow};

pub const MESSAGE_VERSION: &str = "2.2.0";
/// Wrong codes allowed before the issuer gives up.
pub const MAX_ATTEMPTS: i64 = 3;

fn uuid_like() -> String {
    let mut rng = rand::rng();
    let b: [u8; 16] = rng.random();
    let h = hex::encode(b);
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The status as the spec spells it.
fn status(a: &AuthRow) -> w::DelegateAuthenticationStatus {
    serde_json::from_value(serde_json::Value::String(a.status.clone()))
        .unwrap_or(w::DelegateAuthenticationStatus::Unavailable)
}

/// A session past its deadline reads as `expired` (unless it already has an outcome).
fn current(mut a: AuthRow, now: DateTime<Utc>) -> AuthRow {
    if matches!(a.status.as_str(), "pending" | "action_required") && a.expires_at <= now.timestamp()
    {
        a.status = "expired".into();
    }
    a
}

/// The session as the API shows it; `with_result` for `GET`.
pub fn render(a: &AuthRow, base_url: &str, with_result: bool) -> w::DelegateAuthenticationSession {
    let action = (a.status == "action_required").then(|| w::Action::Challenge {
        challenge: w::ChallengeAction {
            acs_url: format!("{base_url}/acs/challenge/{}", a.id),
            acs_trans_id: a.acs_trans_id.clone(),
            three_ds_server_trans_id: a.three_ds_server_trans_id.clone(),
            message_version: MESSAGE_VERSION.into(),
        },
    });
    let result = |trans_status: &str,
                  reason: Option<&str>,
                  eci: Option<String>,
                  cryptogram: Option<String>| {
        Some(w::DelegatedAuthenticationResult {
            trans_status: trans_status.into(),
            electronic_commerce_indicator: eci,
            three_ds_cryptogram: cryptogram,
            transaction_id: a.ds_trans_id.clone(),
            three_ds_server_trans_id: a.three_ds_server_trans_id.clone(),
            version: MESSAGE_VERSION.into(),
            authentication_value: None,
            trans_status_reason: reason.map(str::to_owned),
            cardholder_info: None,
        })
    };
    let authentication_result = if !with_result {
        None
    } else {
        match a.status.as_str() {
            "authenticated" => result("Y", None, a.eci.clone(), a.cryptogram.clone()),
            "not_authenticated" => result("N", Some("01"), Some("07".into()), None),
            "challenge_abandoned" => result("U", Some("13"), None, None),
            _ => None,
        }
    };
    w::DelegateAuthenticationSession {
        authentication_session_id: a.id.clone(),
        status: status(a),
        action,
        authentication_result,
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.into()))
}

/// Stores the reply with the effect, or replays the winner of a race for the key.
async fn finish(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    scope: &Scope,
    fingerprint: &str,
    reply: Reply,
    now: DateTime<Utc>,
) -> Result<Reply, Error> {
    if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return kit::idempotency::replay_winner::<AcpError>(&state.db, scope, fingerprint)
            .await
            .map_err(|e| e.0);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(reply)
}

/// `POST /delegate_authentication`.
pub async fn create(
    state: &AppState,
    agent: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let req: w::DelegateAuthenticationCreateRequest = crate::routes::parse(body)?;
    let now = state.clock.now();
    let number = req.payment_method.number.trim();
    if !cards::luhn_valid(number) {
        return Err(Error::refused(
            "Invalid card number provided",
            "$.payment_method.number",
        ));
    }
    if let Err(why) = cards::expiry_valid(
        &req.payment_method.exp_month,
        &req.payment_method.exp_year,
        now,
    ) {
        return Err(Error::refused(
            format!("Invalid expiry date: {why}"),
            "$.payment_method.exp_month",
        ));
    }
    if !state.merchants.contains_key(&req.merchant_id) {
        return Err(Error::refused("Unknown merchant_id", "$.merchant_id"));
    }
    if req.amount.value <= 0 {
        return Err(Error::refused(
            "amount.value must be positive",
            "$.amount.value",
        ));
    }
    let currency = &req.amount.currency;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::refused(
            "amount.currency must be an uppercase ISO 4217 code",
            "$.amount.currency",
        ));
    }
    let flow = match cards::behaviour(number) {
        Behaviour::RequiresAuthentication {
            flow: Flow::Frictionless,
            ..
        } => "frictionless",
        Behaviour::RequiresAuthentication {
            flow: Flow::Challenge,
            ..
        } => "challenge",
        _ => "none",
    };
    let ttl = chrono::Duration::seconds(
        i64::try_from(state.settings.authentication_ttl_secs).unwrap_or(600),
    );
    let row = AuthRow {
        id: kit::ids::random("das_", 24),
        agent: agent.to_owned(),
        merchant_id: req.merchant_id.clone(),
        card_fingerprint: state.vault.fingerprint(number),
        brand: Brand::of(number).as_str().to_owned(),
        amount: req.amount.value,
        currency: currency.clone(),
        checkout_session_id: req.checkout_session_id.clone(),
        flow: flow.into(),
        status: if flow == "none" {
            "not_supported"
        } else {
            "pending"
        }
        .into(),
        challenge_code: format!("{:06}", rand::rng().random_range(0..1_000_000u32)),
        attempts: 0,
        three_ds_server_trans_id: uuid_like(),
        acs_trans_id: uuid_like(),
        ds_trans_id: uuid_like(),
        cryptogram: None,
        eci: None,
        consumed_by: None,
        expires_at: unix(now + ttl),
    };
    let reply = Reply::new(
        StatusCode::CREATED,
        json(&render(&row, &state.base_url, false))?,
    );
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    store::authentications::insert(&mut tx, &row, now).await?;
    tracing::info!(session = %row.id, flow, merchant = %row.merchant_id, "authentication session created");
    finish(state, tx, scope, fingerprint, reply, now).await
}

/// The agent's own session, read fresh.
async fn load(state: &AppState, agent: &str, id: &str) -> Result<AuthRow, Error> {
    store::authentications::get(&state.db.read, id)
        .await?
        .filter(|a| a.agent == agent)
        .ok_or(Error::NotFound("authentication session"))
}

/// Marks the session authenticated, with the cryptogram and ECI the issuer would return.
fn authenticate_now(a: &mut AuthRow) {
    let bytes: [u8; 20] = rand::rng().random();
    a.status = "authenticated".into();
    a.cryptogram = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
    a.eci = Some(
        match a.brand.as_str() {
            "mastercard" => Brand::Mastercard,
            _ => Brand::Visa,
        }
        .authenticated_eci()
        .to_owned(),
    );
}

/// `POST /delegate_authentication/{id}/authenticate`.
pub async fn authenticate(
    state: &AppState,
    agent: &str,
    id: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let _req: w::DelegateAuthenticationAuthenticateRequest = crate::routes::parse(body)?;
    let now = state.clock.now();
    let before = current(load(state, agent, id).await?, now);
    let mut a = before.clone();
    match a.status.as_str() {
        "pending" if a.flow == "frictionless" => authenticate_now(&mut a),
        "pending" => a.status = "action_required".into(),
        // Terminal or already waiting for the challenge: report the state as it is.
        _ => {}
    }
    let reply = Reply::new(StatusCode::OK, json(&render(&a, &state.base_url, false))?);
    let mut tx = state.db.write.begin().await.map_err(StoreError::from)?;
    if a != before && !store::authentications::update(&mut tx, &a, "pending", now).await? {
        tx.rollback().await.map_err(StoreError::from)?;
        return Err(Error::Unavailable(
            "the authentication session changed concurrently".into(),
        ));
    }
    finish(state, tx, scope, fingerprint, reply, now).await
}

/// `GET /delegate_authentication/{id}`.
pub async fn retrieve(
    state: &AppState,
    agent: &str,
    id: &str,
) -> Result<w::DelegateAuthenticationSession, Error> {
    let a = current(load(state, agent, id).await?, state.clock.now());
    Ok(render(&a, &state.base_url, true))
}

/// What the buyer did on the challenge page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChallengeAnswer {
    Code(String),
    Cancel,
}

/// The challenge as the ACS page shows it: `None` when there is nothing to answer.
pub async fn challenge(state: &AppState, id: &str) -> Result<AuthRow, Error> {
    let a = store::authentications::get(&state.db.read, id)
        .await?
        .ok_or(Error::NotFound("challenge"))?;
    Ok(current(a, state.clock.now()))
}

/// The buyer's answer to the challenge.
pub async fn answer(state: &AppState, id: &str, answer: ChallengeAnswer) -> Result<AuthRow, Error> {
    let now = state.clock.now();
    let before = challenge(state, id).await?;
    if before.status != "action_required" {
        return Ok(before);
    }
    let mut a = before.clone();
    match answer {
        ChallengeAnswer::Cancel => a.status = "challenge_abandoned".into(),
        ChallengeAnswer::Code(code) if code.trim() == a.challenge_code => authenticate_now(&mut a),
        ChallengeAnswer::Code(_) => {
            a.attempts += 1;
            if a.attempts >= MAX_ATTEMPTS {
                a.status = "not_authenticated".into();
            }
        }
    }
    let mut conn = state.db.write.acquire().await.map_err(StoreError::from)?;
    if !store::authentications::update(&mut conn, &a, "action_required", now).await? {
        return Err(Error::Unavailable(
            "the challenge changed concurrently".into(),
        ));
    }
    tracing::info!(session = %a.id, status = %a.status, "challenge answered");
    Ok(a)
}
