//! The agent over real HTTP, on SQLite and PostgreSQL: its Feed API and index, the webhook
//! receiver, and whole conversations driving the real merchant and PSP.

mod conversations;
mod feeds;
mod helpers;
mod llm;
mod webhooks;
