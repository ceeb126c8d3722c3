//! The checkout session at the merchant: created when the buyer wants to buy, then kept in
//! step with the cart, the buyer's details and the shipping choice. Whatever the merchant
//! answers is what the buyer is told: feed prices are only a guide.

use shared::client::ClientError;
use shared::v2026_04_17::{
    Address, Buyer, CancelSessionRequest, Capabilities, CheckoutSession,
    CheckoutSessionCreateRequest, CheckoutSessionUpdateRequest, FulfillmentDetails,
    FulfillmentOption, FulfillmentType, IntentReasonCode, IntentTrace, InterventionCapabilities,
    InterventionType, Item, Message, SelectedFulfillmentOption, SessionStatus,
};

use super::Shop;
use super::outcome::{CheckoutStep, Outcome, PriceChange};
use super::state::{Awaiting, Checkout};
use super::view::{self, MessageView};
use crate::error::Error;
use crate::store;

/// What a message's JSONPath says is missing, in the buyer's words.
fn missing_from(messages: &[Message]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in messages {
        let Message::Error(e) = m else { continue };
        let param = e.param.as_deref().unwrap_or_default();
        let what = if param.starts_with("$.fulfillment_details.address") {
            "address"
        } else if param.starts_with("$.buyer") {
            "email"
        } else if param.starts_with("$.selected_fulfillment_options")
            || param.starts_with("$.fulfillment_options")
        {
            "shipping"
        } else {
            continue;
        };
        if !out.iter().any(|x| x == what) {
            out.push(what.to_owned());
        }
    }
    out
}

/// The speed the buyer asked for, among the session's shipping options.
pub fn shipping_option(s: &CheckoutSession, wish: &str) -> Option<String> {
    let shipping: Vec<&shared::v2026_04_17::ShippingOption> = s
        .fulfillment_options
        .iter()
        .filter_map(|o| match o {
            FulfillmentOption::Shipping(x) => Some(x),
            _ => None,
        })
        .collect();
    let total = |o: &shared::v2026_04_17::ShippingOption| {
        o.totals
            .iter()
            .find(|t| t.kind == shared::v2026_04_17::TotalType::Total)
            .map_or(i64::MAX, |t| t.amount)
    };
    let wish = wish.to_lowercase();
    match wish.as_str() {
        "cheapest" => shipping
            .iter()
            .min_by_key(|o| total(o))
            .map(|o| o.id.clone()),
        "fastest" => shipping
            .iter()
            .min_by_key(|o| o.latest_delivery_time)
            .map(|o| o.id.clone()),
        _ => shipping
            .iter()
            .find(|o| {
                o.id.to_lowercase() == wish
                    || o.id.to_lowercase().contains(&wish)
                    || o.title.to_lowercase().contains(&wish)
            })
            .map(|o| o.id.clone()),
    }
}

impl Shop<'_> {
    pub fn has_open_checkout(&self) -> bool {
        self.state
            .checkout
            .as_ref()
            .is_some_and(|c| view::is_open(&c.session))
    }

    fn buyer(&self) -> Option<Buyer> {
        let b = &self.state.buyer;
        b.email.as_ref().map(|email| Buyer {
            first_name: b.first_name.clone(),
            last_name: b.last_name.clone(),
            full_name: None,
            email: email.clone(),
            phone_number: None,
            customer_id: None,
            account_type: None,
            authentication_status: None,
            company: None,
            loyalty: None,
            tax_exemption: None,
        })
    }

    fn fulfillment(&self) -> Option<FulfillmentDetails> {
        self.state.address.as_ref().map(|a| FulfillmentDetails {
            name: Some(a.name.clone()),
            phone_number: None,
            email: self.state.buyer.email.clone(),
            address: Some(a.clone()),
        })
    }

    fn items(&self) -> Vec<Item> {
        self.state
            .cart
            .iter()
            .flat_map(|l| std::iter::repeat_n(Item::new(&l.variant_id), l.quantity as usize))
            .collect()
    }

    /// The session's lines as `(item id, quantity)`, sorted, to compare with the cart.
    fn session_items(s: &CheckoutSession) -> Vec<(String, u32)> {
        let mut v: Vec<(String, u32)> = s
            .line_items
            .iter()
            .map(|l| (l.item.id.clone(), l.quantity))
            .collect();
        v.sort();
        v
    }

    fn cart_items(&self) -> Vec<(String, u32)> {
        let mut v: Vec<(String, u32)> = self
            .state
            .cart
            .iter()
            .map(|l| (l.variant_id.clone(), l.quantity))
            .collect();
        v.sort();
        v
    }

    /// Records the buyer's e-mail and name.
    pub async fn set_contact(
        &mut self,
        email: Option<String>,
        first_name: Option<String>,
        last_name: Option<String>,
    ) -> Result<Option<Outcome>, Error> {
        let b = &mut self.state.buyer;
        if email.is_some() {
            b.email = email;
        }
        if first_name.is_some() {
            b.first_name = first_name;
            b.last_name = last_name;
        }
        if self.has_open_checkout() {
            return self.sync_checkout().await.map(Some);
        }
        Ok(None)
    }

    /// Records where to ship (and the buyer's name from it, if not known yet).
    pub async fn set_address(&mut self, address: Address) -> Result<Option<Outcome>, Error> {
        if self.state.buyer.first_name.is_none() {
            let mut parts = address.name.split_whitespace();
            self.state.buyer.first_name = parts.next().map(str::to_owned);
            let rest: Vec<&str> = parts.collect();
            self.state.buyer.last_name = (!rest.is_empty()).then(|| rest.join(" "));
        }
        self.state.address = Some(address);
        if self.has_open_checkout() {
            return self.sync_checkout().await.map(Some);
        }
        Ok(None)
    }

    /// Chooses a shipping speed: now if the session offers it, or when it does.
    pub async fn choose_shipping(&mut self, wish: &str) -> Result<Outcome, Error> {
        self.state.shipping_wish = Some(wish.to_owned());
        if self.has_open_checkout() {
            return self.sync_checkout().await;
        }
        Ok(Outcome::Problem {
            message: format!("Noted: {wish} shipping, once there is a checkout to apply it to."),
        })
    }

    /// "Buy it": puts the chosen item in the cart (unless `add`ing to it, the cart becomes
    /// that item), then creates or updates the checkout session.
    pub async fn checkout(&mut self, add: bool) -> Result<Outcome, Error> {
        if let Some(problem) = self.cart_focus(add) {
            return Ok(problem);
        }
        if self.state.cart.is_empty() {
            return Ok(Outcome::Problem {
                message: "Your cart is empty.".into(),
            });
        }
        self.sync_checkout().await
    }

    /// Brings the merchant's session in line with what the agent knows: creates it if there is
    /// none open, else updates what differs. Reports where checkout stands.
    pub async fn sync_checkout(&mut self) -> Result<Outcome, Error> {
        let open = self
            .state
            .checkout
            .clone()
            .filter(|c| view::is_open(&c.session));
        let session = match open {
            None => match self.create_session().await? {
                Ok(s) => s,
                Err(problem) => return Ok(problem),
            },
            Some(c) => {
                let mut update = CheckoutSessionUpdateRequest::default();
                if Self::session_items(&c.session) != self.cart_items() {
                    update.line_items = Some(Some(self.items()));
                }
                let buyer = self.buyer();
                if buyer.is_some()
                    && c.session.buyer.as_ref().map(|b| &b.email)
                        != buyer.as_ref().map(|b| &b.email)
                {
                    update.buyer = Some(buyer);
                }
                let fulfillment = self.fulfillment();
                if fulfillment.is_some()
                    && c.session
                        .fulfillment_details
                        .as_ref()
                        .and_then(|f| f.address.as_ref())
                        != self.state.address.as_ref()
                {
                    update.fulfillment_details = Some(fulfillment);
                }
                if update == CheckoutSessionUpdateRequest::default() {
                    c.session
                } else {
                    match self
                        .update_session(&c.merchant_id, &c.session.id, &update)
                        .await?
                    {
                        Ok(s) => s,
                        Err(problem) => return Ok(problem),
                    }
                }
            }
        };
        let session = self.apply_shipping_wish(session).await?;
        if !self.has_open_checkout() {
            // It finished while the shipping was being chosen (it expired): start a new one.
            return Box::pin(self.sync_checkout()).await;
        }
        Ok(Outcome::Checkout(Box::new(self.step(&session))))
    }

    /// Selects the buyer's shipping speed, when the session offers it and has not got it.
    async fn apply_shipping_wish(&mut self, s: CheckoutSession) -> Result<CheckoutSession, Error> {
        let Some(wish) = self.state.shipping_wish.clone() else {
            return Ok(s);
        };
        let Some(option) = shipping_option(&s, &wish) else {
            return Ok(s);
        };
        let selected = super::view::selected_options(&s);
        if selected.contains(&option.as_str()) {
            return Ok(s);
        }
        let item_ids: Vec<String> = s
            .selected_fulfillment_options
            .iter()
            .flatten()
            .filter(|o| o.kind == FulfillmentType::Shipping)
            .flat_map(|o| o.item_ids.clone())
            .collect();
        let item_ids = if item_ids.is_empty() {
            s.line_items.iter().map(|l| l.id.clone()).collect()
        } else {
            item_ids
        };
        let mut selections: Vec<SelectedFulfillmentOption> = s
            .selected_fulfillment_options
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.kind != FulfillmentType::Shipping)
            .collect();
        selections.push(SelectedFulfillmentOption {
            kind: FulfillmentType::Shipping,
            option_id: option,
            item_ids,
        });
        let update = CheckoutSessionUpdateRequest {
            selected_fulfillment_options: Some(Some(selections)),
            ..CheckoutSessionUpdateRequest::default()
        };
        let merchant = self
            .state
            .checkout
            .as_ref()
            .map(|c| c.merchant_id.clone())
            .unwrap_or_default();
        match self.update_session(&merchant, &s.id, &update).await? {
            Ok(updated) => Ok(updated),
            Err(_) => Ok(s),
        }
    }

    async fn create_session(&mut self) -> Result<Result<CheckoutSession, Outcome>, Error> {
        let Some(first) = self.state.cart.first() else {
            return Ok(Err(Outcome::Problem {
                message: "Your cart is empty.".into(),
            }));
        };
        let merchant_id = first.merchant_id.clone();
        let currency = self
            .state
            .focus
            .as_ref()
            .and_then(|f| f.hit.currency.clone())
            .unwrap_or_else(|| "usd".into())
            .to_lowercase();
        let mut body = CheckoutSessionCreateRequest::new(currency, &[]);
        body.line_items = self.items();
        body.buyer = self.buyer();
        body.fulfillment_details = self.fulfillment();
        body.capabilities = Capabilities {
            payment: None,
            // This agent can run 3-D Secure (the Delegate Authentication API).
            interventions: Some(InterventionCapabilities {
                supported: Some(vec![InterventionType::ThreeDs]),
                ..InterventionCapabilities::default()
            }),
            extensions: None,
        };
        let client = self.merchant(&merchant_id).await?.clone();
        let answer = self
            .call("create", &body, |key| {
                let (client, body) = (client.clone(), body.clone());
                async move { client.create(&body, &key, &Default::default()).await }
            })
            .await?;
        match answer {
            Ok(r) => {
                store::conversations::link_checkout(
                    &self.app.db.write,
                    &merchant_id,
                    &r.body.id,
                    self.conversation,
                )
                .await?;
                self.state.checkout = Some(Checkout {
                    merchant_id,
                    session: r.body.clone(),
                });
                self.state.payment = None;
                self.state.order = None;
                Ok(Ok(r.body))
            }
            Err(e) => Ok(Err(refusal(&e))),
        }
    }

    pub(super) async fn update_session(
        &mut self,
        merchant_id: &str,
        id: &str,
        body: &CheckoutSessionUpdateRequest,
    ) -> Result<Result<CheckoutSession, Outcome>, Error> {
        let client = self.merchant(merchant_id).await?.clone();
        let answer = self
            .call("update", &(id, body), |key| {
                let (client, body, id) = (client.clone(), body.clone(), id.to_owned());
                async move { client.update(&id, &body, &key, &Default::default()).await }
            })
            .await?;
        match answer {
            Ok(r) => {
                self.remember(merchant_id, r.body.clone());
                Ok(Ok(r.body))
            }
            Err(e) => {
                // A session that has finished meanwhile (expired, say) is refreshed, so the
                // next step starts a new one.
                if e.status() == Some(405)
                    && let Ok(fresh) = client.retrieve(id, &Default::default()).await
                {
                    self.remember(merchant_id, fresh.body);
                }
                Ok(Err(refusal(&e)))
            }
        }
    }

    pub(super) fn remember(&mut self, merchant_id: &str, session: CheckoutSession) {
        self.state.checkout = Some(Checkout {
            merchant_id: merchant_id.to_owned(),
            session,
        });
    }

    /// Where checkout stands, and what the agent waits for next.
    pub(super) fn step(&mut self, s: &CheckoutSession) -> CheckoutStep {
        let ready = s.status == SessionStatus::ReadyForPayment;
        let missing = missing_from(&s.messages);
        let problems: Vec<MessageView> = view::checkout_view(s)
            .messages
            .into_iter()
            .filter(|m| m.kind != "info")
            .collect();
        let price_changes = s
            .line_items
            .iter()
            .filter_map(|l| {
                let line = self.state.cart.iter().find(|c| c.variant_id == l.item.id)?;
                let (feed, now) = (line.feed_price?, l.unit_amount?);
                (feed != now).then(|| PriceChange {
                    title: l.name.clone().unwrap_or_else(|| line.title.clone()),
                    feed_price: feed,
                    checkout_price: now,
                })
            })
            .collect();
        self.state.awaiting = if ready {
            Awaiting::Card
        } else {
            Awaiting::Details
        };
        CheckoutStep {
            checkout: view::checkout_view(s),
            ready,
            missing,
            problems,
            price_changes,
        }
    }

    /// Cancels the open checkout session (with why, as the spec's intent trace), or says why
    /// there is nothing to cancel.
    pub async fn cancel(&mut self, why: Option<&str>) -> Result<Outcome, Error> {
        self.state.focus = None;
        self.state.cart.clear();
        self.state.awaiting = Awaiting::Nothing;
        if let Some(o) = &self.state.order
            && !self.has_open_checkout()
        {
            return Ok(Outcome::OrderNotCancelable {
                number: o.number.clone().unwrap_or_else(|| o.id.clone()),
                permalink_url: o.permalink_url.clone(),
            });
        }
        let Some(c) = self
            .state
            .checkout
            .clone()
            .filter(|c| view::is_open(&c.session))
        else {
            return Ok(Outcome::NothingToCancel);
        };
        let body = CancelSessionRequest {
            intent_trace: Some(IntentTrace {
                reason_code: IntentReasonCode::Other,
                trace_summary: why.map(|w| w.chars().take(500).collect()),
                metadata: None,
            }),
        };
        let client = self.merchant(&c.merchant_id).await?.clone();
        let id = c.session.id.clone();
        let answer = self
            .call("cancel", &(&id, &body), |key| {
                let (client, body, id) = (client.clone(), body.clone(), id.clone());
                async move {
                    client
                        .cancel(&id, Some(&body), &key, &Default::default())
                        .await
                }
            })
            .await?;
        self.app.cards.forget(self.conversation);
        self.state.payment = None;
        match answer {
            Ok(r) => {
                self.remember(&c.merchant_id, r.body);
                Ok(Outcome::Canceled)
            }
            // Already finished: nothing left to cancel.
            Err(e) if e.status() == Some(405) => Ok(Outcome::NothingToCancel),
            Err(e) => Ok(refusal(&e)),
        }
    }
}

/// An error answer, said plainly.
pub(super) fn refusal(e: &ClientError) -> Outcome {
    let message = match e {
        ClientError::Api { error, .. } => error.message.clone(),
        ClientError::Transport(_) => {
            "The shop did not answer; try again in a moment (nothing was done twice).".into()
        }
        ClientError::Decode { .. } => "The shop answered something I could not read.".into(),
    };
    Outcome::Problem { message }
}

/// `Jane Doe, 500 Congress Ave, Austin, TX 78701`-style addresses are parsed by the engines;
/// this keeps the country default in one place.
pub fn us_address(
    name: String,
    line_one: String,
    line_two: Option<String>,
    city: String,
    state: String,
    postal_code: String,
) -> Address {
    Address {
        name,
        line_one,
        line_two,
        city,
        state,
        country: "US".into(),
        postal_code,
        company: None,
    }
}
