//! Delegate payment: validate the card and allowance, vault the card, issue a Shared Payment
//! Token bound to the allowance.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kit::idempotency::{Reply, Scope};
use shared::v2026_04_17 as w;

use crate::cards::{self, Brand};
use crate::error::Error;
use crate::state::AppState;
use crate::store;
use crate::vault::CardSecret;

/// A delegation that passed every check.
#[derive(Debug)]
pub struct Accepted {
    pub secret: CardSecret,
    pub brand: Brand,
    pub last4: String,
    pub funding: String,
    pub cvc_check: &'static str,
}

/// Checks a delegation against the spec's rules and this PSP's (NOTES §12.5). Field problems
/// name the field in `param`; the CVC is looked at and never kept.
pub fn check(
    req: &w::DelegatePaymentRequest,
    now: DateTime<Utc>,
    max_lifetime: chrono::Duration,
    merchant_known: impl Fn(&str) -> bool,
) -> Result<Accepted, Error> {
    let pm = &req.payment_method;
    let number = pm.number.trim();
    if !cards::luhn_valid(number) {
        return Err(Error::refused(
            "Invalid card number provided",
            "$.payment_method.number",
        ));
    }
    let brand = Brand::of(number);
    let (Some(month), Some(year)) = (pm.exp_month.as_deref(), pm.exp_year.as_deref()) else {
        return Err(Error::invalid_field(
            "exp_month and exp_year are required for a card",
            if pm.exp_month.is_none() {
                "$.payment_method.exp_month"
            } else {
                "$.payment_method.exp_year"
            },
        ));
    };
    if let Err(why) = cards::expiry_valid(month, year, now) {
        let param = if why.contains("year") {
            "$.payment_method.exp_year"
        } else {
            "$.payment_method.exp_month"
        };
        return Err(Error::refused(format!("Invalid card expiry: {why}"), param));
    }
    if let Some(cvc) = &pm.cvc
        && (cvc.len() != brand.cvc_length() || !cvc.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Error::refused(
            format!(
                "The CVC must be {} digits for this card",
                brand.cvc_length()
            ),
            "$.payment_method.cvc",
        ));
    }
    let last4 = number[number.len() - 4..].to_owned();
    if pm.display_last4.as_deref().is_some_and(|l| l != last4) {
        return Err(Error::refused(
            "display_last4 does not match the card number",
            "$.payment_method.display_last4",
        ));
    }
    if pm
        .iin
        .as_deref()
        .is_some_and(|iin| !number.starts_with(iin) || iin.len() > 8)
    {
        return Err(Error::refused(
            "iin does not match the card number",
            "$.payment_method.iin",
        ));
    }

    let a = &req.allowance;
    if a.max_amount <= 0 {
        return Err(Error::refused(
            "max_amount must be positive",
            "$.allowance.max_amount",
        ));
    }
    if a.currency.len() != 3 || !a.currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(Error::refused(
            "currency must be a lowercase ISO 4217 code",
            "$.allowance.currency",
        ));
    }
    if a.checkout_session_id.trim().is_empty() {
        return Err(Error::refused(
            "checkout_session_id must not be empty",
            "$.allowance.checkout_session_id",
        ));
    }
    if a.merchant_id.len() > 256 || !merchant_known(&a.merchant_id) {
        return Err(Error::refused(
            "Unknown merchant_id",
            "$.allowance.merchant_id",
        ));
    }
    if a.expires_at <= now {
        return Err(Error::refused(
            "The allowance has already expired",
            "$.allowance.expires_at",
        ));
    }
    if a.expires_at > now + max_lifetime {
        return Err(Error::refused(
            format!(
                "The allowance may last at most {} hours",
                max_lifetime.num_hours()
            ),
            "$.allowance.expires_at",
        ));
    }
    if let Some(i) = req
        .risk_signals
        .iter()
        .position(|r| r.action == w::RiskAction::Blocked)
    {
        return Err(Error::refused(
            "The agent's risk checks blocked this payment method",
            format!("$.risk_signals[{i}].action"),
        ));
    }
    if let Some(addr) = &req.billing_address {
        let too_long = [
            ("name", addr.name.len(), 256),
            ("line_one", addr.line_one.len(), 60),
            ("line_two", addr.line_two.as_deref().map_or(0, str::len), 60),
            ("city", addr.city.len(), 60),
            ("postal_code", addr.postal_code.len(), 20),
        ]
        .into_iter()
        .find(|(_, len, max)| len > max);
        if let Some((field, _, max)) = too_long {
            return Err(Error::refused(
                format!("{field} is limited to {max} characters"),
                format!("$.billing_address.{field}"),
            ));
        }
        if addr.country.len() != 2 {
            return Err(Error::refused(
                "country must be a two-letter code",
                "$.billing_address.country",
            ));
        }
    }

    let funding = serde_json::to_value(pm.display_card_funding_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "credit".into());
    Ok(Accepted {
        secret: CardSecret {
            number: number.to_owned(),
            exp_month: month.to_owned(),
            exp_year: year.to_owned(),
            name: pm.name.clone().unwrap_or_default(),
        },
        brand,
        last4,
        funding,
        cvc_check: cards::cvc_check(number, pm.cvc.as_deref()),
    })
}

/// `POST /agentic_commerce/delegate_payment`: vaults the card and issues the token, with the
/// idempotency record, in one transaction.
pub async fn delegate(
    state: &AppState,
    agent: &str,
    body: &[u8],
    scope: &Scope,
    fingerprint: &str,
) -> Result<Reply, Error> {
    let req: w::DelegatePaymentRequest = crate::routes::parse(body)?;
    let now = state.clock.now();
    let lifetime = chrono::Duration::seconds(
        i64::try_from(state.settings.max_token_lifetime_secs).unwrap_or(86_400),
    );
    let accepted = check(&req, now, lifetime, |m| state.merchants.contains_key(m))?;

    let card_id = kit::ids::random("card_", 24);
    let card = store::cards::CardRow {
        sealed: state.vault.seal(&card_id, &accepted.secret),
        fingerprint: state.vault.fingerprint(&accepted.secret.number),
        id: card_id,
        brand: accepted.brand.as_str().to_owned(),
        last4: accepted.last4.clone(),
        funding: accepted.funding.clone(),
        cvc_check: accepted.cvc_check.to_owned(),
    };
    let token = store::tokens::TokenRow {
        id: kit::ids::random("spt_", 24),
        card_id: card.id.clone(),
        agent: agent.to_owned(),
        merchant_id: req.allowance.merchant_id.clone(),
        checkout_session_id: req.allowance.checkout_session_id.clone(),
        currency: req.allowance.currency.clone(),
        max_amount: req.allowance.max_amount,
        expires_at: req.allowance.expires_at.timestamp(),
        status: "active".to_owned(),
    };
    // The request's own metadata, then the correlation data the spec asks to echo.
    let mut metadata: BTreeMap<String, String> = req.metadata.clone();
    metadata.insert("merchant_id".into(), token.merchant_id.clone());
    metadata.insert(
        "checkout_session_id".into(),
        token.checkout_session_id.clone(),
    );
    metadata.insert("idempotency_key".into(), scope.key.clone());
    let response = w::DelegatePaymentResponse {
        id: token.id.clone(),
        created: now,
        metadata,
    };
    let reply = Reply::new(
        StatusCode::CREATED,
        serde_json::to_string(&response).map_err(|e| Error::Internal(e.into()))?,
    );

    let mut tx = state
        .db
        .write
        .begin()
        .await
        .map_err(kit::db::StoreError::from)?;
    store::cards::insert(&mut tx, &card, now).await?;
    store::tokens::insert(
        &mut tx,
        &token,
        &serde_json::to_string(&req.metadata).unwrap_or_default(),
        now,
    )
    .await?;
    if !kit::idempotency::insert(&mut tx, scope, &reply.to_stored(fingerprint), now).await? {
        tx.rollback().await.map_err(kit::db::StoreError::from)?;
        return kit::idempotency::replay_winner::<crate::error::AcpError>(
            &state.db,
            scope,
            fingerprint,
        )
        .await
        .map_err(|e| e.0);
    }
    tx.commit().await.map_err(kit::db::StoreError::from)?;
    tracing::info!(token = %token.id, card = %card.id, brand = %card.brand, last4 = %card.last4, merchant = %token.merchant_id, "payment delegated");
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> w::DelegatePaymentRequest {
        let now = Utc::now();
        serde_json::from_value(serde_json::json!({
            "payment_method": {
                "type": "card", "card_number_type": "fpan", "number": "4242424242424242",
                "exp_month": "12", "exp_year": "2099", "cvc": "123", "display_card_funding_type": "credit",
                "display_last4": "4242", "iin": "424242", "metadata": {}
            },
            "allowance": {
                "reason": "one_time", "max_amount": 5000, "currency": "usd", "checkout_session_id": "cs_1",
                "merchant_id": "acct_1", "expires_at": (now + chrono::Duration::minutes(30)).to_rfc3339()
            },
            "risk_signals": [{"type": "card_testing", "score": 3, "action": "authorized"}],
            "metadata": {}
        }))
        .expect("valid request")
    }

    fn param(r: Result<Accepted, Error>) -> Option<String> {
        match r {
            Err(Error::Refused { param, .. } | Error::InvalidField { param, .. }) => param,
            Err(other) => panic!("unexpected {other}"),
            Ok(_) => None,
        }
    }

    fn run(req: &w::DelegatePaymentRequest) -> Result<Accepted, Error> {
        check(req, Utc::now(), chrono::Duration::hours(24), |m| {
            m == "acct_1"
        })
    }

    #[test]
    fn a_good_card_passes_and_the_cvc_is_only_checked() {
        let ok = run(&request()).expect("accepted");
        assert_eq!(ok.brand, Brand::Visa);
        assert_eq!(ok.cvc_check, "pass");
        assert_eq!(ok.last4, "4242");
    }

    #[test]
    fn each_rule_names_its_field() {
        type Mutation = Box<dyn Fn(&mut w::DelegatePaymentRequest)>;
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "$.payment_method.number",
                Box::new(|r| r.payment_method.number = "4242424242424241".into()),
            ),
            (
                "$.payment_method.exp_month",
                Box::new(|r| r.payment_method.exp_month = Some("13".into())),
            ),
            (
                "$.payment_method.exp_year",
                Box::new(|r| r.payment_method.exp_year = None),
            ),
            (
                "$.payment_method.exp_month",
                Box::new(|r| r.payment_method.exp_year = Some("2001".into())),
            ),
            (
                "$.payment_method.cvc",
                Box::new(|r| r.payment_method.cvc = Some("12".into())),
            ),
            (
                "$.payment_method.display_last4",
                Box::new(|r| r.payment_method.display_last4 = Some("1111".into())),
            ),
            (
                "$.payment_method.iin",
                Box::new(|r| r.payment_method.iin = Some("5555".into())),
            ),
            (
                "$.allowance.max_amount",
                Box::new(|r| r.allowance.max_amount = 0),
            ),
            (
                "$.allowance.currency",
                Box::new(|r| r.allowance.currency = "USD".into()),
            ),
            (
                "$.allowance.merchant_id",
                Box::new(|r| r.allowance.merchant_id = "acct_unknown".into()),
            ),
            (
                "$.allowance.expires_at",
                Box::new(|r| r.allowance.expires_at = Utc::now() - chrono::Duration::seconds(1)),
            ),
            (
                "$.allowance.expires_at",
                Box::new(|r| r.allowance.expires_at = Utc::now() + chrono::Duration::days(30)),
            ),
            (
                "$.risk_signals[0].action",
                Box::new(|r| r.risk_signals[0].action = w::RiskAction::Blocked),
            ),
        ];
        for (expected, mutate) in cases {
            let mut r = request();
            mutate(&mut r);
            assert_eq!(param(run(&r)).as_deref(), Some(expected));
        }
    }
}
