//! The agent over real HTTP, on SQLite and PostgreSQL: its Feed API and index, the webhook
//! receiver, and whole conversations driving the real merchant and PSP, through the JSON API and
//! through `agent chat`.

mod conversations;
mod feeds;
mod helpers;
mod llm;
mod retries;
mod terminal;
mod webhooks;
