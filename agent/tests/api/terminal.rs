//! `agent chat`, the real binary, driven through its stdin against a running world: a whole
//! purchase typed at the prompt, the card through `/card` field by field, and order news
//! appearing between turns.

use std::process::Stdio;
use std::time::Duration;

use kit::on_both_backends;
use kit::testing::Backend;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout, Command};

use crate::helpers::world;

struct Terminal {
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Everything printed so far.
    seen: String,
}

impl Terminal {
    async fn type_line(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("stdin");
    }

    /// Reads what the chat prints until a line contains `needle`; returns that line.
    async fn until(&mut self, needle: &str) -> String {
        let read = async {
            while let Some(line) = self.stdout.next_line().await.expect("stdout") {
                self.seen.push_str(&line);
                self.seen.push('\n');
                if line.contains(needle) {
                    return line;
                }
            }
            panic!("the chat ended before {needle:?}:\n{}", self.seen);
        };
        match tokio::time::timeout(Duration::from_secs(30), read).await {
            Ok(line) => line,
            Err(_) => panic!("no {needle:?} in 30 s:\n{}", self.seen),
        }
    }
}

async fn a_purchase_typed_at_the_terminal(backend: Backend) {
    let world = world(backend).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_agent"))
        .args(["chat", "--url", &world.agent.base_url])
        .env_remove("AGENT_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("agent chat starts");
    let mut term = Terminal {
        stdin: child.stdin.take().expect("stdin"),
        stdout: BufReader::new(child.stdout.take().expect("stdout")).lines(),
        seen: String::new(),
    };
    term.until("(conversation conv_").await;
    term.until("shopping agent at ACP Demo Outfitters").await;

    term.type_line("running shoes under $100").await;
    term.until("Here's what I found").await;
    term.until("Northpeak Daily Trainer Running Shoes").await;
    term.type_line("the Northpeak Daily Trainer").await;
    term.until("Which color?").await;
    term.type_line("white, size 10").await;
    term.until("(White / 10)").await;
    term.type_line("buy it").await;
    term.until("shipping address").await;
    term.type_line("Jane Doe, 500 Congress Ave, Austin, TX 78701, jane@example.com")
        .await;
    term.until("Total $62.66").await;
    for line in ["/card", "4242 4242 4242 4242", "12/30", "123"] {
        term.type_line(line).await;
    }
    let done = term.until("Done! Order ADO-").await;
    assert!(
        done.contains("card number: expiry (MM/YY): CVC: "),
        "{done}"
    );
    assert!(done.contains("paid with visa ending 4242"), "{done}");

    // The operator confirms; the chat shows it without the buyer typing anything.
    let order = world.merchant.order_ids().await;
    assert_eq!(order.len(), 1, "{order:?}");
    world.operate(&order[0], "confirm", json!({})).await;
    let news = term.until("news > ").await;
    assert!(news.contains("is confirmed"), "{news}");

    term.type_line("/quit").await;
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the chat ends at /quit")
        .expect("exit status");
    assert!(status.success(), "{status}\n{}", term.seen);
    assert!(
        !term.seen.contains("4242 4242 4242 4242") && !term.seen.contains("4242424242424242"),
        "the chat never prints the card back:\n{}",
        term.seen
    );
}

on_both_backends!(a_purchase_typed_at_the_terminal);
