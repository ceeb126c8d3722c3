//! Conversations: each buyer's history and shopping state, persisted, and the turn that
//! answers a message with one of the two engines.
//!
//! A conversation is opened with a bearer token returned once when it is created (only its
//! SHA-256 is stored). Turns of one conversation run one at a time. A card typed into the chat
//! is taken out of the text before the text is stored or given to an engine: the history says
//! "card ending 4242", the card itself stays in memory for the purchase.

pub mod builtin;
pub mod llm;
pub mod nlu;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::v2026_04_17::BrowserInfo;
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::shop::Shop;
use crate::shop::card::{self, Card};
use crate::shop::state::ConversationState;
use crate::shop::view::{self, StateView};
use crate::state::AppState;
use crate::store::conversations::{self as store, Message, Role};

/// The engine that answers: rules, or a language model with the same operations as tools.
pub enum Engine {
    Builtin,
    Llm(llm::LlmEngine),
}

/// What the buyer said, made safe to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// The text as stored: card numbers replaced by "card ending 4242".
    pub text: String,
    pub card: Option<CardEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardEvent {
    /// A usable card was given (and is held for this conversation).
    Given { brand: String, last4: String },
    /// What looked like a card could not be used.
    Refused(String),
}

impl Engine {
    pub async fn reply(&self, shop: &mut Shop<'_>, said: &Said) -> Result<Vec<String>, Error> {
        match self {
            Engine::Builtin => builtin::reply(shop, said).await,
            Engine::Llm(llm) => llm.reply(shop, said).await,
        }
    }
}

/// A card from the card form.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardForm {
    pub number: String,
    pub exp_month: String,
    pub exp_year: String,
    pub cvc: Option<String>,
    pub name: Option<String>,
}

/// What a turn answers with: the messages it added (the buyer's and the agent's) and the state.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub messages: Vec<Message>,
    pub state: StateView,
}

/// A new conversation: its id and the token that opens it (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub id: String,
    pub token: String,
    pub messages: Vec<Message>,
    pub state: StateView,
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// One lock per conversation, so its turns run one after the other.
#[derive(Default)]
pub struct TurnLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl TurnLocks {
    fn get(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Forget locks nobody holds, so the map does not grow with every conversation ever.
        map.retain(|_, l| Arc::strong_count(l) > 1);
        map.entry(id.to_owned()).or_default().clone()
    }
}

/// Appends `texts` to a conversation in order; the number of the first (0 if none).
async fn append(app: &AppState, id: &str, role: Role, texts: &[&str]) -> Result<i64, Error> {
    let mut conn = app
        .db
        .write
        .acquire()
        .await
        .map_err(kit::db::StoreError::from)?;
    let mut first = 0;
    for text in texts {
        let seq = store::append(&mut conn, id, role, text, app.clock.now()).await?;
        if first == 0 {
            first = seq;
        }
    }
    Ok(first)
}

fn greeting(app: &AppState) -> String {
    let shops: Vec<&str> = app.merchants.values().map(|m| m.name.as_str()).collect();
    let at = if shops.is_empty() {
        String::new()
    } else {
        format!(" at {}", shops.join(", "))
    };
    format!(
        "Hi! I'm your shopping agent{at}. Tell me what you're looking for, like \"running shoes under $100\" or \"a rain jacket in blue\", and I'll find it, check out and pay for you."
    )
}

/// Opens a conversation.
pub async fn start(app: &AppState) -> Result<Started, Error> {
    let id = kit::ids::random("conv_", 20);
    let token = kit::ids::random("ct_", 32);
    let state = ConversationState::default();
    let now = app.clock.now();
    store::create(&app.db.write, &id, &digest(&token), &state, now).await?;
    let seq = append(app, &id, Role::Agent, &[&greeting(app)]).await?;
    let messages = store::messages(&app.db.read, &id, seq - 1, 10).await?;
    Ok(Started {
        id,
        token,
        messages,
        state: view::state_view(&state),
    })
}

/// The conversation, if `token` opens it (compared in constant time).
pub async fn open(app: &AppState, id: &str, token: &str) -> Result<store::Conversation, Error> {
    let c = store::get(&app.db.read, id)
        .await?
        .ok_or(Error::ConversationNotFound)?;
    if bool::from(c.token_digest.as_bytes().ct_eq(digest(token).as_bytes())) {
        Ok(c)
    } else {
        // The same answer as an unknown id: a token opens its own conversation only.
        Err(Error::ConversationNotFound)
    }
}

/// Holds a usable card for the conversation; says what became of it.
fn take_card(shop: &mut Shop<'_>, card: Result<Card, card::CardError>) -> CardEvent {
    match card {
        Ok(card) => {
            let event = CardEvent::Given {
                brand: card.brand().to_owned(),
                last4: card.last4().to_owned(),
            };
            shop.hold_card(card);
            event
        }
        Err(e) => CardEvent::Refused(e.to_string()),
    }
}

/// What the buyer sent.
pub enum Input {
    Text(String),
    Card(CardForm),
}

/// Answers one message (or card) of a conversation.
pub async fn turn(
    app: &AppState,
    id: &str,
    token: &str,
    input: Input,
    browser: Option<BrowserInfo>,
) -> Result<Answer, Error> {
    open(app, id, token).await?;
    let lock = app.turns.get(id);
    let _turn = lock.lock().await;
    // Read again under the lock: the previous turn may have changed it.
    let c = open(app, id, token).await?;
    let mut state = c.state;
    let mut shop = Shop {
        app,
        conversation: id,
        state: &mut state,
        version: c.version,
        browser,
    };
    let today = shop.today();
    let said = match input {
        Input::Text(text) => {
            let text: String = text.trim().chars().take(2000).collect();
            match card::find(&text, today) {
                Some(found) => Said {
                    text: found.redacted,
                    card: Some(take_card(&mut shop, found.card)),
                },
                None => Said { text, card: None },
            }
        }
        Input::Card(form) => {
            let digits: String = form.number.chars().filter(char::is_ascii_digit).collect();
            let last4 = card::last4(&digits).to_owned();
            let card = Card::new(
                &form.number,
                &form.exp_month,
                &form.exp_year,
                form.cvc.as_deref(),
                form.name.clone(),
                today,
            );
            Said {
                text: format!("(card ending {last4})"),
                card: Some(take_card(&mut shop, card)),
            }
        }
    };
    let first = append(app, id, Role::Buyer, &[&said.text]).await?;
    let replies = match app.engine.reply(&mut shop, &said).await {
        Ok(r) => r,
        Err(Error::Busy) => return Err(Error::Busy),
        Err(Error::Unavailable(why)) => {
            tracing::warn!(conversation = id, %why, "a service the turn needs is unavailable");
            vec!["Sorry, a service I depend on is not answering right now. Please try again in a moment.".to_owned()]
        }
        Err(e) => {
            tracing::error!(conversation = id, error = %e, "the turn failed");
            vec!["Sorry, something went wrong on my side. Please say that again.".to_owned()]
        }
    };
    shop.save().await?;
    let texts: Vec<&str> = replies
        .iter()
        .map(String::as_str)
        .filter(|t| !t.trim().is_empty())
        .collect();
    append(app, id, Role::Agent, &texts).await?;
    let messages = store::messages(&app.db.read, id, first - 1, 100).await?;
    Ok(Answer {
        messages,
        state: view::state_view(&state),
    })
}
