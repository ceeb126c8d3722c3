//! Paying: the card goes to the PSP named by the merchant's payment handler (delegate payment,
//! with an allowance bound to this session, merchant and total), the token to the merchant's
//! `complete`, and 3-D Secure runs through the PSP's Delegate Authentication API when the
//! merchant asks for it. The agent keeps the card's brand and last four digits, nothing more.

use std::collections::BTreeMap;

use chrono::Datelike;
use serde_json::Value;
use shared::client::ClientError;
use shared::v2026_04_17::{
    Action, Allowance, AllowanceReason, Amount, AuthFlowPreference, AuthPaymentMethod,
    AuthenticationOutcome, AuthenticationResult, BillingAddress, CardNumberType, Channel,
    ChannelType, CheckoutSession, CheckoutSessionCompleteRequest, Credential,
    DelegateAuthenticationAuthenticateRequest, DelegateAuthenticationCreateRequest,
    DelegateAuthenticationSession, DelegateAuthenticationStatus, DelegatePaymentRequest, Eci,
    FingerprintCompletion, FlowType, FundingType, Instrument, Message, OutcomeDetails, PaymentData,
    PaymentMethodCard, PaymentMethodType, SessionStatus,
};

use super::Shop;
use super::card::{Card, Held};
use super::checkout::refusal;
use super::outcome::Outcome;
use super::state::{Awaiting, OrderRef, Payment};
use super::view;
use crate::error::Error;

/// The handler this agent pays with.
const TOKENIZED_CARD: &str = "dev.acp.tokenized.card";

/// The session's tokenized-card payment handler: which PSP, and the merchant id to bind to.
fn card_handler(s: &CheckoutSession) -> Option<shared::v2026_04_17::PaymentHandler> {
    s.capabilities
        .payment
        .as_ref()
        .and_then(|p| p.handlers.iter().find(|h| h.name == TOKENIZED_CARD))
        .cloned()
}

/// Browser details for 3-D Secure when the buyer is not in a browser (the terminal chat).
fn default_browser() -> shared::v2026_04_17::BrowserInfo {
    shared::v2026_04_17::BrowserInfo {
        accept_header: "text/html".into(),
        ip_address: "127.0.0.1".into(),
        javascript_enabled: false,
        language: "en-US".into(),
        user_agent: "acp-demo-agent".into(),
        color_depth: None,
        java_enabled: None,
        screen_height: None,
        screen_width: None,
        timezone_offset: None,
    }
}

impl Shop<'_> {
    /// Today's `(year, month)`, for card expiry checks.
    pub fn today(&self) -> (i32, u32) {
        let now = self.app.clock.now();
        (now.year(), now.month())
    }

    /// Keeps the buyer's card in memory for this conversation.
    pub fn hold_card(&mut self, card: Card) {
        self.state.payment = Some(Payment {
            brand: card.brand().to_owned(),
            last4: card.last4().to_owned(),
            authentication_id: None,
            challenge_url: None,
        });
        self.app.cards.put(self.conversation, card);
    }

    /// Pays for the open checkout with the card held for this conversation.
    pub async fn pay(&mut self) -> Result<Outcome, Error> {
        let Some(held) = self.app.cards.get(self.conversation) else {
            self.state.awaiting = Awaiting::Card;
            return Ok(Outcome::CardNeeded {
                total: self.state.checkout.as_ref().and_then(|c| c.session.total()),
            });
        };
        // The authoritative session, as it is now.
        let step = self.sync_checkout().await?;
        let Some(c) = self
            .state
            .checkout
            .clone()
            .filter(|c| view::is_open(&c.session))
        else {
            return Ok(step);
        };
        if c.session.status == SessionStatus::AuthenticationRequired {
            return self.authenticate(&held).await;
        }
        if c.session.status != SessionStatus::ReadyForPayment {
            return Ok(step);
        }
        let session = c.session;
        let Some(handler) = card_handler(&session) else {
            return Ok(Outcome::Problem {
                message: "This shop does not take card payments through a PSP this agent knows."
                    .into(),
            });
        };
        let Some(merchant_id) = handler.config.get("merchant_id").and_then(Value::as_str) else {
            return Ok(Outcome::Problem {
                message: "The shop's payment handler does not say which merchant to pay.".into(),
            });
        };
        let total = session.total().unwrap_or(0);
        let token = match self
            .delegate(&held, &handler.psp, merchant_id, &session, total)
            .await?
        {
            Ok(token) => token,
            Err(outcome) => return Ok(outcome),
        };
        self.app
            .cards
            .set_token(self.conversation, Some(token.clone()));
        self.complete(&c.merchant_id, &session.id, &handler.id, &token, None)
            .await
    }

    /// Delegate payment: the card to the PSP, for this session's total only.
    async fn delegate(
        &mut self,
        held: &Held,
        psp_name: &str,
        merchant_id: &str,
        session: &CheckoutSession,
        total: i64,
    ) -> Result<Result<String, Outcome>, Error> {
        let psp = self.psp(psp_name)?.clone();
        let card = &held.card;
        let billing = self.state.address.as_ref().map(|a| BillingAddress {
            name: a.name.clone(),
            line_one: a.line_one.clone(),
            line_two: a.line_two.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            country: a.country.clone(),
            postal_code: a.postal_code.clone(),
        });
        let body = DelegatePaymentRequest {
            payment_method: PaymentMethodCard {
                kind: PaymentMethodType::Card,
                card_number_type: CardNumberType::Fpan,
                number: card.number().to_owned(),
                exp_month: Some(card.exp_month.clone()),
                exp_year: Some(card.exp_year.clone()),
                name: card
                    .name
                    .clone()
                    .or_else(|| self.state.buyer.full_name())
                    .or_else(|| self.state.address.as_ref().map(|a| a.name.clone())),
                cvc: card.cvc().map(str::to_owned),
                cryptogram: None,
                eci_value: None,
                checks_performed: None,
                iin: None,
                // The buyer did not say; the PSP knows better and only displays it.
                display_card_funding_type: FundingType::Credit,
                display_wallet_type: None,
                display_brand: Some(card.brand().to_owned()),
                display_last4: Some(card.last4().to_owned()),
                metadata: BTreeMap::new(),
                is_virtual: None,
            },
            allowance: Allowance {
                reason: AllowanceReason::OneTime,
                max_amount: total,
                currency: session.currency.clone(),
                checkout_session_id: session.id.clone(),
                merchant_id: merchant_id.to_owned(),
                expires_at: self.app.clock.now() + self.app.conversation.token_ttl,
            },
            billing_address: billing,
            risk_signals: Vec::new(),
            metadata: BTreeMap::from([("source".to_owned(), "acp-demo-agent".to_owned())]),
        };
        // The key is tied to this entry of the card, this session and this total: never to the
        // card number itself, which must not be stored even as a digest.
        let basis = (&held.entry, &session.id, total);
        let answer = self
            .call("delegate", &basis, |key| {
                let (psp, body) = (psp.clone(), body.clone());
                async move { psp.delegate_payment(&body, &key, &Default::default()).await }
            })
            .await?;
        match answer {
            Ok(r) => Ok(Ok(r.body.id)),
            Err(e) => {
                // The PSP refused the card itself (a wrong number, an expired card): forget it.
                self.app.cards.forget(self.conversation);
                self.state.payment = None;
                self.state.awaiting = Awaiting::Card;
                let reason = match &e {
                    ClientError::Api { error, .. } => error.message.clone(),
                    other => other.to_string(),
                };
                Ok(Err(Outcome::CardRefused { reason }))
            }
        }
    }

    /// `complete` with a token (and, after 3-D Secure, its result).
    async fn complete(
        &mut self,
        merchant_id: &str,
        session_id: &str,
        handler_id: &str,
        token: &str,
        authentication: Option<AuthenticationResult>,
    ) -> Result<Outcome, Error> {
        let authenticated = authentication.is_some();
        let body = CheckoutSessionCompleteRequest {
            buyer: None,
            payment_data: PaymentData {
                handler_id: Some(handler_id.to_owned()),
                instrument: Some(Instrument {
                    kind: "card".into(),
                    credential: Credential {
                        kind: "spt".into(),
                        token: token.to_owned(),
                    },
                }),
                billing_address: None,
                purchase_order_number: None,
                payment_terms: None,
                due_date: None,
                approval_required: None,
            },
            authentication_result: authentication,
            affiliate_attribution: None,
            risk_signals: None,
            marketing_consents: None,
            order_notes: None,
        };
        let client = self.merchant(merchant_id).await?.clone();
        let id = session_id.to_owned();
        let answer = self
            .call("complete", &(&id, &body), |key| {
                let (client, body, id) = (client.clone(), body.clone(), id.clone());
                async move { client.complete(&id, &body, &key, &Default::default()).await }
            })
            .await?;
        let session = match answer {
            Ok(r) => r.body,
            Err(e) => return Ok(refusal(&e)),
        };
        self.remember(merchant_id, session.clone());
        match session.status {
            SessionStatus::Completed => Ok(self.ordered(merchant_id, &session)),
            SessionStatus::AuthenticationRequired if authenticated => Ok(Outcome::Problem {
                message: "The shop asked for 3-D Secure again after it was done; try another card."
                    .into(),
            }),
            SessionStatus::AuthenticationRequired => {
                let Some(held) = self.app.cards.get(self.conversation) else {
                    self.state.awaiting = Awaiting::Card;
                    return Ok(Outcome::CardNeeded {
                        total: session.total(),
                    });
                };
                // Boxed: authentication ends in another `complete`.
                Box::pin(self.authenticate(&held)).await
            }
            _ => {
                let declined = session.messages.iter().find_map(|m| match m {
                    Message::Error(e)
                        if e.code == shared::v2026_04_17::ErrorCode::PaymentDeclined =>
                    {
                        Some(e.content.clone())
                    }
                    _ => None,
                });
                match declined {
                    Some(reason) => {
                        // The token is spent: another attempt needs the card again (or another).
                        self.app.cards.forget(self.conversation);
                        self.state.payment = None;
                        self.state.awaiting = Awaiting::Card;
                        Ok(Outcome::Declined { reason })
                    }
                    None => Ok(Outcome::Checkout(Box::new(self.step(&session)))),
                }
            }
        }
    }

    fn ordered(&mut self, merchant_id: &str, session: &CheckoutSession) -> Outcome {
        self.app.cards.forget(self.conversation);
        let card = self
            .state
            .payment
            .as_ref()
            .map(|p| format!("{} ending {}", p.brand, p.last4))
            .unwrap_or_default();
        if let Some(p) = self.state.payment.as_mut() {
            p.challenge_url = None;
            p.authentication_id = None;
        }
        self.state.cart.clear();
        self.state.focus = None;
        self.state.awaiting = Awaiting::Nothing;
        let order = session.order.as_ref().map(|o| OrderRef {
            merchant_id: merchant_id.to_owned(),
            id: o.id.clone(),
            number: o.order_number.clone(),
            checkout_session_id: session.id.clone(),
            permalink_url: o.permalink_url.clone(),
            status: o
                .status
                .as_ref()
                .map_or("created", |s| s.as_str())
                .to_owned(),
            total: session.total(),
        });
        match order {
            Some(order) => {
                self.state.order = Some(order.clone());
                Outcome::Ordered { order, card }
            }
            None => Outcome::Problem {
                message: "The shop says the purchase is complete but sent no order.".into(),
            },
        }
    }

    /// Starts 3-D Secure at the PSP for the session waiting for it.
    async fn authenticate(&mut self, held: &Held) -> Result<Outcome, Error> {
        let Some(c) = self.state.checkout.clone() else {
            return Ok(Outcome::NothingToCancel);
        };
        let session = &c.session;
        let (Some(meta), Some(handler)) = (
            session.authentication_metadata.clone(),
            card_handler(session),
        ) else {
            return Ok(Outcome::Problem {
                message: "The shop asked for 3-D Secure without the details to run it.".into(),
            });
        };
        let merchant_id = handler
            .config
            .get("merchant_id")
            .and_then(Value::as_str)
            .unwrap_or(&c.merchant_id)
            .to_owned();
        let psp = self.psp(&handler.psp)?.clone();
        let browser = self.browser.clone().unwrap_or_else(default_browser);
        let channel = Channel {
            kind: ChannelType::Browser,
            browser,
        };
        let card = &held.card;
        let flow = match meta.flow_preference.as_ref().map(|f| f.kind) {
            Some(shared::v2026_04_17::FlowPreferenceType::Challenge) => FlowType::Challenge,
            _ => FlowType::Frictionless,
        };
        let create = DelegateAuthenticationCreateRequest {
            merchant_id,
            acquirer_details: Some(meta.acquirer_details.clone()),
            payment_method: AuthPaymentMethod {
                kind: PaymentMethodType::Card,
                number: card.number().to_owned(),
                exp_month: card.exp_month.clone(),
                exp_year: card.exp_year.clone(),
                name: card
                    .name
                    .clone()
                    .or_else(|| self.state.address.as_ref().map(|a| a.name.clone()))
                    .unwrap_or_default(),
            },
            amount: Amount {
                value: session.total().unwrap_or(0),
                currency: session.currency.to_uppercase(),
            },
            channel: Some(channel.clone()),
            checkout_session_id: Some(session.id.clone()),
            flow_preference: Some(AuthFlowPreference {
                kind: flow,
                challenge: None,
                frictionless: None,
            }),
            challenge_notification_url: None,
            shopper_details: None,
        };
        let basis = (&held.entry, &session.id, "authentication");
        let created = match self
            .call("authentication", &basis, |key| {
                let (psp, body) = (psp.clone(), create.clone());
                async move {
                    psp.create_authentication(&body, &key, &Default::default())
                        .await
                }
            })
            .await?
        {
            Ok(r) => r.body,
            Err(e) => return Ok(refusal(&e)),
        };
        let id = created.authentication_session_id.clone();
        if let Some(p) = self.state.payment.as_mut() {
            p.authentication_id = Some(id.clone());
        }
        let auth = DelegateAuthenticationAuthenticateRequest {
            fingerprint_completion: FingerprintCompletion::U,
            channel: Some(channel),
            checkout_session_id: Some(session.id.clone()),
            challenge_notification_url: None,
            shopper_details: None,
        };
        let mut after = if created.status == DelegateAuthenticationStatus::Pending {
            match self
                .call("authenticate", &(&id, &auth), |key| {
                    let (psp, body, id) = (psp.clone(), auth.clone(), id.clone());
                    async move {
                        psp.authenticate(&id, &body, &key, &Default::default())
                            .await
                    }
                })
                .await?
            {
                Ok(r) => r.body,
                Err(e) => return Ok(refusal(&e)),
            }
        } else {
            created
        };
        // The outcome's details come with the session's `GET` (not with `authenticate`).
        if !matches!(
            after.status,
            DelegateAuthenticationStatus::ActionRequired | DelegateAuthenticationStatus::Pending
        ) && after.authentication_result.is_none()
        {
            after = match psp.retrieve_authentication(&id, &Default::default()).await {
                Ok(r) => r.body,
                Err(e) => return Ok(refusal(&e)),
            };
        }
        self.after_authentication(&c.merchant_id, &handler.id, after)
            .await
    }

    /// The buyer says they are done at the bank's page: read the outcome and go on.
    pub async fn authentication_done(&mut self) -> Result<Outcome, Error> {
        let (Some(c), Some(id)) = (
            self.state.checkout.clone(),
            self.state
                .payment
                .as_ref()
                .and_then(|p| p.authentication_id.clone()),
        ) else {
            return Ok(Outcome::Problem {
                message: "There is no bank confirmation waiting.".into(),
            });
        };
        let Some(handler) = card_handler(&c.session) else {
            return Ok(Outcome::NothingToCancel);
        };
        let psp = self.psp(&handler.psp)?.clone();
        let session = match psp.retrieve_authentication(&id, &Default::default()).await {
            Ok(r) => r.body,
            Err(e) => return Ok(refusal(&e)),
        };
        self.after_authentication(&c.merchant_id, &handler.id, session)
            .await
    }

    /// Completes with the authentication's outcome, or says what is still awaited.
    async fn after_authentication(
        &mut self,
        merchant_id: &str,
        handler_id: &str,
        auth: DelegateAuthenticationSession,
    ) -> Result<Outcome, Error> {
        use DelegateAuthenticationStatus as S;
        if matches!(auth.status, S::ActionRequired | S::Pending) {
            let url = match &auth.action {
                Some(Action::Challenge { challenge }) => Some(challenge.acs_url.clone()),
                _ => self
                    .state
                    .payment
                    .as_ref()
                    .and_then(|p| p.challenge_url.clone()),
            };
            let Some(url) = url else {
                return Ok(Outcome::Problem {
                    message: "The bank wants more than this agent can do (a device check).".into(),
                });
            };
            let first = self
                .state
                .payment
                .as_ref()
                .is_none_or(|p| p.challenge_url.is_none());
            if let Some(p) = self.state.payment.as_mut() {
                p.challenge_url = Some(url.clone());
            }
            self.state.awaiting = Awaiting::Authentication;
            return Ok(if first {
                Outcome::Challenge { url }
            } else {
                Outcome::ChallengeWaiting { url }
            });
        }
        let result = match auth.status {
            S::Authenticated | S::Attempted => {
                let r = auth.authentication_result.as_ref();
                let eci = r
                    .and_then(|r| r.electronic_commerce_indicator.as_deref())
                    .and_then(|e| serde_json::from_value::<Eci>(Value::String(e.to_owned())).ok());
                match (r, eci, r.and_then(|r| r.three_ds_cryptogram.clone())) {
                    (Some(r), Some(eci), Some(cryptogram)) => AuthenticationResult {
                        outcome: if auth.status == S::Authenticated {
                            AuthenticationOutcome::Authenticated
                        } else {
                            AuthenticationOutcome::AttemptAcknowledged
                        },
                        outcome_details: Some(OutcomeDetails {
                            three_ds_cryptogram: cryptogram,
                            electronic_commerce_indicator: eci,
                            transaction_id: r.transaction_id.clone(),
                            version: r.version.clone(),
                        }),
                    },
                    _ => outcome_only(AuthenticationOutcome::ProcessingError),
                }
            }
            S::NotAuthenticated => outcome_only(AuthenticationOutcome::Denied),
            S::Rejected => outcome_only(AuthenticationOutcome::Rejected),
            S::ChallengeAbandoned => outcome_only(AuthenticationOutcome::Abandoned),
            S::NotSupported => outcome_only(AuthenticationOutcome::NotSupported),
            _ => outcome_only(AuthenticationOutcome::ProcessingError),
        };
        if let Some(p) = self.state.payment.as_mut() {
            p.challenge_url = None;
        }
        let Some(token) = self.app.cards.get(self.conversation).and_then(|h| h.token) else {
            self.state.awaiting = Awaiting::Card;
            return Ok(Outcome::CardNeeded {
                total: self.state.checkout.as_ref().and_then(|c| c.session.total()),
            });
        };
        let session_id = self
            .state
            .checkout
            .as_ref()
            .map(|c| c.session.id.clone())
            .unwrap_or_default();
        self.complete(merchant_id, &session_id, handler_id, &token, Some(result))
            .await
    }
}

fn outcome_only(outcome: AuthenticationOutcome) -> AuthenticationResult {
    AuthenticationResult {
        outcome,
        outcome_details: None,
    }
}
