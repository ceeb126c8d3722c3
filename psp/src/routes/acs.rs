//! The simulated issuer's challenge page (the ACS a real 3-D Secure challenge opens). A person
//! completes it in a browser; a test posts the same form.

use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::authentication::{self, ChallengeAnswer, MAX_ATTEMPTS};
use crate::error::Error;
use crate::state::AppState;
use crate::store::authentications::AuthRow;

pub fn router() -> Router<AppState> {
    Router::new().route("/acs/challenge/{id}", get(show).post(submit))
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    code: String,
    #[serde(default)]
    cancel: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, Error> {
    let a = authentication::challenge(&state, &id).await?;
    Ok(Html(page(&state, &a, None)))
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(answer): Form<Answer>,
) -> Result<Html<String>, Error> {
    let given = if answer.cancel.is_some() {
        ChallengeAnswer::Cancel
    } else {
        ChallengeAnswer::Code(answer.code)
    };
    let a = authentication::answer(&state, &id, given).await?;
    let note = (a.status == "action_required" && a.attempts > 0).then(|| {
        format!(
            "That code is not right. {} attempt(s) left.",
            MAX_ATTEMPTS - a.attempts
        )
    });
    Ok(Html(page(&state, &a, note.as_deref())))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(state: &AppState, a: &AuthRow, note: Option<&str>) -> String {
    let merchant = state
        .merchants
        .get(&a.merchant_id)
        .map_or(a.merchant_id.as_str(), String::as_str);
    let amount = format!("{}.{:02} {}", a.amount / 100, a.amount % 100, a.currency);
    let body = match a.status.as_str() {
        "action_required" => format!(
            r#"<p>{merchant} asks <b>{amount}</b> from your {brand} card.</p>
<p>To confirm it is you, enter the code we sent to your phone. <span class="demo">(This is a demo bank: the code is <code id="code">{code}</code>.)</span></p>
{note}
<form method="post"><input name="code" id="otp" inputmode="numeric" autocomplete="one-time-code" autofocus>
<button type="submit" id="verify">Verify</button> <button type="submit" name="cancel" value="1" id="cancel">Cancel</button></form>"#,
            merchant = escape(merchant),
            brand = escape(&a.brand),
            code = a.challenge_code,
            note = note.map(|n| format!(r#"<p class="note">{}</p>"#, escape(n))).unwrap_or_default(),
        ),
        "authenticated" => r#"<p id="result" data-status="authenticated">Verified. You can return to your conversation.</p>"#.to_owned(),
        "not_authenticated" => r#"<p id="result" data-status="not_authenticated">Too many wrong codes: this payment was not confirmed.</p>"#.to_owned(),
        "challenge_abandoned" => r#"<p id="result" data-status="challenge_abandoned">Canceled: this payment was not confirmed.</p>"#.to_owned(),
        "expired" => r#"<p id="result" data-status="expired">This confirmation request has expired.</p>"#.to_owned(),
        other => format!(r#"<p id="result" data-status="{s}">There is nothing to confirm ({s}).</p>"#, s = escape(other)),
    };
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Demo Bank - confirm your payment</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f2328}}
h1{{font-size:1.25rem}}.demo{{color:#57606a}}.note{{color:#b35900}}input{{font-size:1.25rem;width:8rem;letter-spacing:.2rem}}</style></head>
<body><h1>Demo Bank &middot; 3-D Secure</h1>{body}</body></html>"#
    )
}
