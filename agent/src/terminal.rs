//! `agent chat`: shopping from a shell, through a running agent's JSON API. Order news (the
//! merchant's webhooks) appears as it arrives. `/card` asks for a card field by field.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// What the chat shows while it waits for the buyer.
const PROMPT: &str = "you  > ";

struct Session {
    http: reqwest::Client,
    base: String,
    id: String,
    token: String,
}

impl Session {
    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(format!("{}/api/conversations/{}{path}", self.base, self.id))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .context("the agent did not answer")?;
        let status = resp.status();
        let body: Value = resp.json().await.context("the agent's answer")?;
        if !status.is_success() {
            bail!(
                "{}",
                body["message"].as_str().unwrap_or("the agent refused")
            );
        }
        Ok(body)
    }
}

/// The messages after `last` as the chat shows them (the buyer's own lines are not repeated);
/// `last` moves past them.
fn render_messages(messages: &Value, last: &mut i64) -> String {
    let mut out = String::new();
    for m in messages.as_array().into_iter().flatten() {
        let seq = m["seq"].as_i64().unwrap_or(0);
        if seq <= *last {
            continue;
        }
        *last = seq;
        let who = match m["role"].as_str() {
            Some("buyer") => continue,
            Some("update") => "news ",
            _ => "agent",
        };
        for (i, line) in m["text"].as_str().unwrap_or_default().lines().enumerate() {
            if i == 0 {
                out.push_str(&format!("{who}> {line}\n"));
            } else {
                out.push_str(&format!("       {line}\n"));
            }
        }
    }
    out
}

/// A line from the buyer; `None` at the end of input.
async fn prompt(
    lines: &mut tokio::io::Lines<BufReader<tokio::io::Stdin>>,
    label: &str,
) -> anyhow::Result<Option<String>> {
    print!("{label}");
    std::io::stdout().flush()?;
    Ok(lines.next_line().await?.map(|l| l.trim().to_owned()))
}

/// Runs the chat until end of input or `/quit`.
pub async fn run(url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let base = url.trim_end_matches('/').to_owned();
    let started: Value = http
        .post(format!("{base}/api/conversations"))
        .send()
        .await
        .with_context(|| format!("is the agent running at {base}?"))?
        .json()
        .await?;
    let session = Session {
        http: http.clone(),
        base: base.clone(),
        id: started["id"]
            .as_str()
            .context("no conversation id")?
            .to_owned(),
        token: started["token"].as_str().context("no token")?.to_owned(),
    };
    println!(
        "(conversation {}; /card to enter a card, /quit to leave)",
        session.id
    );
    let mut last = 0;
    print!("{}", render_messages(&started["messages"], &mut last));
    let last = std::sync::Arc::new(std::sync::Mutex::new(last));

    // Order news arrives between turns: look for it every couple of seconds.
    let poll = {
        let (http, base, id, token, last) = (
            http.clone(),
            base.clone(),
            session.id.clone(),
            session.token.clone(),
            last.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let after = *last.lock().unwrap_or_else(|p| p.into_inner());
                let Ok(resp) = http
                    .get(format!(
                        "{base}/api/conversations/{id}/messages?after={after}"
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                else {
                    continue;
                };
                if let Ok(body) = resp.json::<Value>().await {
                    let mut guard = last.lock().unwrap_or_else(|p| p.into_inner());
                    let news = render_messages(&body["messages"], &mut guard);
                    if !news.is_empty() {
                        // Over the waiting prompt, then the prompt again below the news.
                        print!("\r{news}{PROMPT}");
                        let _ = std::io::stdout().flush();
                    }
                }
            }
        })
    };

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(text) = prompt(&mut lines, PROMPT).await? {
        if text.is_empty() {
            continue;
        }
        if text == "/quit" || text == "/exit" {
            break;
        }
        let answer = if text == "/card" {
            let number = prompt(&mut lines, "card number: ")
                .await?
                .unwrap_or_default();
            let expiry = prompt(&mut lines, "expiry (MM/YY): ")
                .await?
                .unwrap_or_default();
            let cvc = prompt(&mut lines, "CVC: ").await?.unwrap_or_default();
            let (month, year) = expiry.split_once('/').unwrap_or((&expiry, ""));
            session
                .post(
                    "/card",
                    &json!({"number": number, "exp_month": month.trim(), "exp_year": year.trim(), "cvc": cvc}),
                )
                .await
        } else {
            session.post("/messages", &json!({"text": text})).await
        };
        match answer {
            Ok(body) => {
                let mut guard = last.lock().unwrap_or_else(|p| p.into_inner());
                print!("{}", render_messages(&body["messages"], &mut guard));
            }
            Err(e) => println!("(error: {e})"),
        }
    }
    poll.abort();
    Ok(())
}
