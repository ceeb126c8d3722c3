//! Card data stays in the vault. A whole run — purchases with every test card, declines, 3-D
//! Secure, refunds, and requests the PSP refuses — with every log line of both services
//! captured at TRACE, then the logs and both databases (rows, and the raw files) are searched
//! for the card numbers and CVCs sent. Only the vault's ciphertext may hold a card number; a
//! CVC may appear nowhere.
//!
//! A test binary of its own: it installs the process's tracing subscriber.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "api/shop.rs"]
#[allow(dead_code, unused_imports)]
mod shop;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use helpers::{Resp, TestApp, create_body};
use kit::on_both_backends;
use kit::testing::Backend;
use psp::testing::{AGENT_KEY, Allowance, Card, Challenge, MERCHANT_SECRET, TestPsp, new_key};
use serde_json::json;
use shop::{authentication_result, complete_body, spawn_shop};
use sqlx::Connection;

/// Every card used, with the CVC the agent sends. CVCs are unusual on purpose, so that a hit
/// means a leak.
const CARDS: &[(&str, &str)] = &[
    ("4242424242424242", "739"),
    ("5555555555554444", "739"),
    ("378282246310005", "8264"),
    ("4000000000000002", "739"),
    ("4000000000009995", "739"),
    ("4000000000009987", "739"),
    ("4000000000009979", "739"),
    ("4000000000000069", "739"),
    ("4000000000000127", "739"),
    ("4000000000000119", "739"),
    ("4000000000003055", "739"),
    ("4000000000003220", "739"),
    ("4000008400001629", "739"),
    ("4000000000005126", "739"),
];
/// Sent only in requests that are refused.
const REFUSED_NUMBER: &str = "4242424242424241";
const REFUSED_CVC: &str = "51873";

/// Everything the process logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        captured
    })
}

async fn ready_session(app: &TestApp) -> Resp {
    let variant = app.physical_variant(false, 20);
    let s = app.create(create_body(&[&variant], Some("CA"))).await;
    assert_eq!(s.status_text(), "ready_for_payment", "{:?}", s.messages());
    s
}

/// Buys one item with `number`, through 3-D Secure when asked. Returns the final status.
async fn buy(app: &TestApp, psp: &TestPsp, number: &str, cvc: &str) -> String {
    let session = ready_session(app).await;
    let total = session.total("total").expect("total");
    let token = psp
        .delegate(
            &Card {
                number,
                cvc: Some(cvc),
            },
            &Allowance::for_session(&session.id(), total),
        )
        .await
        .unwrap_or_else(|r| panic!("delegation refused: {:#}", r.body));
    let r = app
        .complete(&session.id(), complete_body(&token, None))
        .await;
    if r.status_text() != "authentication_required" {
        return r.status_text().to_owned();
    }
    let auth = psp
        .authenticate(number, total, &session.id(), Challenge::Pass)
        .await;
    let r = app
        .complete(
            &session.id(),
            complete_body(&token, Some(authentication_result(&auth))),
        )
        .await;
    r.status_text().to_owned()
}

/// Requests that carry card data and are refused: the refusal must not echo or log it.
async fn refused_requests(psp: &TestPsp) {
    let good = psp.delegation(
        &Card {
            number: "4242424242424242",
            cvc: Some("739"),
        },
        &Allowance::for_session("cs_refused", 1_000),
    );
    let path = "/agentic_commerce/delegate_payment";
    let edits: Vec<serde_json::Value> = vec![
        json!({"number": REFUSED_NUMBER}),
        json!({"number": REFUSED_NUMBER.parse::<u64>().expect("digits")}),
        json!({"cvc": REFUSED_CVC}),
        json!({"cvc": REFUSED_CVC.parse::<u64>().expect("digits")}),
        json!({"number": REFUSED_NUMBER, "nickname": "x"}),
        json!({"exp_year": "2020", "number": REFUSED_NUMBER}),
    ];
    for edit in edits {
        let mut body = good.clone();
        for (k, v) in edit.as_object().expect("object") {
            body["payment_method"][k] = v.clone();
        }
        let r = psp.post_with_key(path, AGENT_KEY, &new_key(), &body).await;
        assert!(r.status >= 400, "{edit}: {:#}", r.body);
        let text = r.body.to_string();
        assert!(
            !text.contains(REFUSED_NUMBER) && !text.contains(REFUSED_CVC),
            "{text}"
        );
    }
    let r = psp
        .post_with_key(
            "/delegate_authentication",
            AGENT_KEY,
            &new_key(),
            &json!({"merchant_id": "acct_demo_outfitters", "payment_method": {"type": "card", "number": REFUSED_NUMBER.parse::<u64>().expect("digits"), "exp_month": "12", "exp_year": "2031"}, "amount": {"value": 100, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(!r.body.to_string().contains(REFUSED_NUMBER));
}

async fn refunds(psp: &TestPsp) {
    let client = psp.merchant_client(MERCHANT_SECRET);
    for number in ["4242424242424242", "4000000000005126"] {
        let token = psp
            .delegate(
                &Card {
                    number,
                    cvc: Some("739"),
                },
                &Allowance::for_session("cs_refunds", 2_000),
            )
            .await
            .expect("token");
        let pi = psp.redeem(&token, "cs_refunds", 2_000).await.expect("paid");
        client
            .create_refund(
                &shared::psp::CreateRefund {
                    payment_intent: pi.id,
                    amount: Some(500),
                    reason: None,
                },
                &new_key(),
            )
            .await
            .expect("a refund object");
    }
}

/// What must not be anywhere but the vault's ciphertext.
struct Secrets {
    numbers: Vec<&'static str>,
    cvcs: Vec<&'static str>,
}

impl Secrets {
    fn all() -> Self {
        let mut numbers: Vec<_> = CARDS.iter().map(|(n, _)| *n).collect();
        numbers.push(REFUSED_NUMBER);
        let mut cvcs: Vec<_> = CARDS.iter().map(|(_, c)| *c).collect();
        cvcs.push(REFUSED_CVC);
        cvcs.sort_unstable();
        cvcs.dedup();
        Self { numbers, cvcs }
    }

    /// A card number anywhere, or a CVC next to the word "cvc" (as a field, a log value, a
    /// JSON key): the leaks `where` must not have.
    fn find_in(&self, haystack: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(haystack);
        if let Some(n) = self.numbers.iter().find(|n| text.contains(**n)) {
            return Some(format!("card number {n}"));
        }
        let lower = text.to_ascii_lowercase();
        for (at, _) in lower.match_indices("cvc") {
            let near: String = lower[at + 3..].chars().take(16).collect();
            if let Some(c) = self.cvcs.iter().find(|c| near.contains(**c)) {
                return Some(format!("CVC {c} after \"cvc\": {near:?}"));
            }
        }
        None
    }

    /// A text cell that is a card number, or is exactly a CVC.
    fn find_in_cell(&self, cell: &str) -> Option<String> {
        if self.cvcs.contains(&cell.trim()) {
            return Some(format!("a cell holding CVC {cell}"));
        }
        self.find_in(cell.as_bytes())
    }
}

/// Every text cell of every table: `(table.column, value)`.
async fn text_cells(database_url: &str, backend: Backend) -> Vec<(String, String)> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url)
        .await
        .expect("database");
    let columns: Vec<(String, String)> = match backend {
        Backend::Sqlite => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY 1, 2",
        ),
        Backend::Postgres => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb') \
             ORDER BY 1, 2",
        ),
    }
    .fetch_all(&mut conn)
    .await
    .expect("columns");
    assert!(columns.len() > 10, "{columns:?}");
    let mut cells = Vec::new();
    for (table, column) in columns {
        let sql = match backend {
            Backend::Sqlite => {
                format!(
                    "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE typeof(\"{column}\") = 'text'"
                )
            }
            Backend::Postgres => format!(
                "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
            ),
        };
        let values: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .expect("cells");
        cells.extend(values.into_iter().map(|v| (format!("{table}.{column}"), v)));
    }
    cells
}

/// The bytes the database keeps on disk: the SQLite files with their WAL, or PostgreSQL's
/// relation files (after a checkpoint), TOAST and indexes included.
async fn raw_files(
    database_url: &str,
    dir: &std::path::Path,
    backend: Backend,
) -> Vec<(String, Vec<u8>)> {
    match backend {
        Backend::Sqlite => std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_file())
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("file")))
            .collect(),
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(database_url)
                .await
                .expect("database");
            sqlx::query("CHECKPOINT")
                .execute(&mut conn)
                .await
                .expect("checkpoint (the test role is a superuser)");
            sqlx::query_as(
                "SELECT c.relname::text, pg_read_binary_file(pg_relation_filepath(c.oid)) FROM pg_class c \
                 WHERE c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace) \
                   AND c.relkind IN ('r', 't', 'i') AND pg_relation_filepath(c.oid) IS NOT NULL",
            )
            .fetch_all(&mut conn)
            .await
            .expect("relation files")
        }
    }
}

async fn no_card_data_outside_the_vault_after_a_full_run(backend: Backend) {
    let logs = logs();
    let (app, psp) = spawn_shop(backend).await;

    let mut outcomes = Vec::new();
    for (number, cvc) in CARDS {
        outcomes.push(buy(&app, &psp, number, cvc).await);
    }
    assert_eq!(
        outcomes.iter().filter(|s| *s == "completed").count(),
        6,
        "the approving cards, 3-D Secure included, paid: {outcomes:?}"
    );
    refused_requests(&psp).await;
    refunds(&psp).await;

    let secrets = Secrets::all();
    // The search finds what it looks for.
    assert!(secrets.find_in(b"x 4000000000003220 y").is_some());
    assert!(secrets.find_in(br#"{"CVC": "739"}"#).is_some());
    assert!(secrets.find_in_cell("8264").is_some());
    assert!(secrets.find_in(b"cvc_check pass 4242 visa").is_none());
    let logged = logs.0.lock().expect("log buffer").clone();
    assert!(
        String::from_utf8_lossy(&logged).contains("payment delegated"),
        "the capture works"
    );
    if let Some(leak) = secrets.find_in(&logged) {
        panic!("the logs hold a {leak}");
    }

    for (service, url, dir) in [
        ("merchant", &app.database_url, app.dir.path()),
        ("psp", &psp.database_url, psp.dir.path()),
    ] {
        let cells = text_cells(url, backend).await;
        let (_, stored_id) = cells
            .iter()
            .find(|(c, v)| {
                (c.ends_with("sessions.id") || c.ends_with("tokens.id")) && !v.is_empty()
            })
            .expect("the run stored something");
        for (column, value) in &cells {
            if let Some(leak) = secrets.find_in_cell(value) {
                panic!("{service} {column} holds {leak}");
            }
        }
        let files = raw_files(url, dir, backend).await;
        assert!(
            files
                .iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains(stored_id.as_str())),
            "the raw files hold the rows"
        );
        for (file, bytes) in &files {
            if let Some(leak) = secrets.find_in(bytes) {
                panic!("{service} {file} holds {leak}");
            }
        }
    }

    // The vault does hold the cards, sealed.
    let sealed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vault_cards")
        .fetch_one(&psp.state.db.read)
        .await
        .expect("count");
    assert!(sealed >= CARDS.len() as i64);
}

on_both_backends!(no_card_data_outside_the_vault_after_a_full_run);
