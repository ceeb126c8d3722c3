//! `merchant orders …` and `merchant webhooks …`: the admin API from a terminal. They talk to
//! the running server (which owns the database, the PSP calls and the outbox) and print its
//! answer as JSON.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{AdminTarget, OrdersCommand, WebhooksCommand};
use crate::configuration::Settings;

struct Admin {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Admin {
    fn new(config: Option<&Path>, target: &AdminTarget) -> anyhow::Result<Self> {
        let settings = Settings::load(config)?;
        let base = target
            .url
            .clone()
            .unwrap_or_else(|| settings.server.public_base_url.clone())
            .trim_end_matches('/')
            .to_owned();
        let key = match &target.key {
            Some(k) => k.clone(),
            None => settings
                .admin_keys
                .first()
                .map(|k| k.key.expose_secret().to_owned())
                .context("no operator key: pass --key, set MERCHANT_ADMIN_KEY, or configure [[admin_keys]]")?,
        };
        Ok(Self {
            http: reqwest::Client::new(),
            base,
            key,
        })
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Value> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .query(query)
            .send()
            .await
            .with_context(|| format!("reaching the merchant at {}", self.base))?;
        answer(resp).await
    }

    /// A POST with a fresh idempotency key: one command, one request.
    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", kit::ids::random("cli_", 20))
            .json(body)
            .send()
            .await
            .with_context(|| format!("reaching the merchant at {}", self.base))?;
        answer(resp).await
    }
}

async fn answer(resp: reqwest::Response) -> anyhow::Result<Value> {
    let status = resp.status();
    let body: Value = resp.json().await.context("reading the answer")?;
    if !status.is_success() {
        bail!(
            "HTTP {}: {}",
            status.as_u16(),
            body["message"].as_str().unwrap_or("(no message)")
        );
    }
    Ok(body)
}

fn print(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn orders(config: Option<&Path>, cmd: OrdersCommand) -> anyhow::Result<()> {
    use OrdersCommand::*;
    let (target, path, body) = match &cmd {
        List {
            status,
            limit,
            target,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            if let Some(s) = status {
                query.push(("status", s.clone()));
            }
            return print(
                &Admin::new(config, target)?
                    .get("/admin/orders", &query)
                    .await?,
            );
        }
        Show { id, target } => {
            return print(
                &Admin::new(config, target)?
                    .get(&format!("/admin/orders/{id}"), &[])
                    .await?,
            );
        }
        Confirm { id, target } => (target, format!("/admin/orders/{id}/confirm"), json!({})),
        Process { id, target } => (target, format!("/admin/orders/{id}/process"), json!({})),
        Ship {
            id,
            carrier,
            tracking_number,
            tracking_url,
            items,
            target,
        } => {
            let mut body = json!({"carrier": carrier, "tracking_number": tracking_number});
            if let Some(u) = tracking_url {
                body["tracking_url"] = json!(u);
            }
            if !items.is_empty() {
                body["line_items"] = items
                    .iter()
                    .map(|(id, q)| json!({"id": id, "quantity": q}))
                    .collect();
            }
            (target, format!("/admin/orders/{id}/ship"), body)
        }
        Deliver {
            id,
            fulfillment,
            target,
        } => (
            target,
            format!("/admin/orders/{id}/deliver"),
            json!({"fulfillment_id": fulfillment}),
        ),
        Cancel { id, reason, target } => (
            target,
            format!("/admin/orders/{id}/cancel"),
            json!({"reason": reason}),
        ),
        Refund {
            id,
            amount,
            reason,
            target,
        } => (
            target,
            format!("/admin/orders/{id}/refund"),
            json!({"amount": amount, "reason": reason}),
        ),
    };
    print(&Admin::new(config, target)?.post(&path, &body).await?)
}

pub async fn webhooks(config: Option<&Path>, cmd: WebhooksCommand) -> anyhow::Result<()> {
    match cmd {
        WebhooksCommand::List {
            status,
            order,
            target,
        } => {
            let mut query = vec![("status", status)];
            if let Some(o) = order {
                query.push(("order", o));
            }
            print(
                &Admin::new(config, &target)?
                    .get("/admin/webhooks", &query)
                    .await?,
            )
        }
        WebhooksCommand::Retry { id, target } => print(
            &Admin::new(config, &target)?
                .post(&format!("/admin/webhooks/{id}/retry"), &json!({}))
                .await?,
        ),
    }
}
