//! The merchant process killed between the charge and the order, then restarted: the order is
//! written once, the buyer is charged once.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use kit::clock::ManualClock;
use kit::on_both_backends;
use kit::testing::Backend;
use serde_json::Value;
use sqlx::any::AnyPoolOptions;

use crate::helpers::{API_KEY, VERSION, assert_valid, create_body, new_key, start_time};
use crate::shop::{MERCHANT_SECRET, complete_body, spawn_psp};

/// The real `merchant` binary, configured through its environment, logging to a file.
pub struct MerchantProcess {
    pub child: Child,
    pub base_url: String,
}

impl Drop for MerchantProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub async fn start_merchant(
    db_url: &str,
    psp_url: &str,
    port: u16,
    log_path: &std::path::Path,
    failpoint: Option<&str>,
) -> MerchantProcess {
    start_merchant_with(db_url, psp_url, port, log_path, failpoint, None, &[]).await
}

/// As [`start_merchant`], with a configuration file and more environment.
pub async fn start_merchant_with(
    db_url: &str,
    psp_url: &str,
    port: u16,
    log_path: &std::path::Path,
    failpoint: Option<&str>,
    config: Option<&std::path::Path>,
    env: &[(&str, String)],
) -> MerchantProcess {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_merchant"));
    cmd.arg("serve")
        .env("MERCHANT__DATABASE__URL", db_url)
        .env("MERCHANT__SERVER__PORT", port.to_string())
        .env(
            "MERCHANT__SERVER__PUBLIC_BASE_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("MERCHANT__PAYMENT__PSP_URL", psp_url)
        .env("MERCHANT__PAYMENT__SECRET_KEY", MERCHANT_SECRET)
        .env("MERCHANT__MERCHANT__EXPIRY_SWEEP_INTERVAL_SECS", "1")
        .env("MERCHANT_API_KEYS", format!("test-agent={API_KEY}"))
        .env("RUST_LOG", "debug,sqlx=warn,hyper=warn,reqwest=warn")
        .env_remove("MERCHANT_FAILPOINT")
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log));
    if let Some(f) = failpoint {
        cmd.env("MERCHANT_FAILPOINT", f);
    }
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Owned by the guard at once, so a failed start still kills and reaps the child.
    let process = MerchantProcess {
        child: cmd.spawn().expect("the merchant binary starts"),
        base_url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{}/health/ready", process.base_url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the merchant did not become ready:\n{}",
        std::fs::read_to_string(log_path).unwrap_or_default()
    );
}

pub async fn call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Result<(u16, Value)> {
    let mut req = http
        .request(method, format!("{base}{path}"))
        .bearer_auth(API_KEY)
        .header("API-Version", VERSION);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await?;
    Ok((status, body))
}

async fn a_crash_between_charge_and_order_is_repaired_on_restart(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("merchant.log");
    let clock = Arc::new(ManualClock::new(start_time()));
    let psp = spawn_psp(backend, clock).await;
    let db_url = kit::testing::fresh_database(backend, dir.path(), "merchant").await;
    let port = free_port();
    let http = reqwest::Client::new();

    let merchant = start_merchant(&db_url, &psp.base_url, port, &log, Some("after_charge")).await;
    let base = merchant.base_url.clone();
    let variant = "stride-aero-runner-running-shoes-black-10";
    let (status, session) = call(
        &http,
        &base,
        reqwest::Method::POST,
        "/checkout_sessions",
        Some(&new_key()),
        Some(&create_body(&[variant], Some("CA"))),
    )
    .await
    .expect("created");
    assert_eq!(status, 201);
    assert_eq!(session["status"], "ready_for_payment");
    let id = session["id"].as_str().expect("id").to_owned();
    let total = session["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .find(|t| t["type"] == "total")
        .expect("total")["amount"]
        .as_i64()
        .expect("amount");
    let token = psp
        .delegate(
            &crate::shop::card("4242424242424242"),
            &crate::shop::Allowance::for_session(&id, total),
        )
        .await
        .expect("token");

    // The complete charges the card, then the process dies before writing the order.
    let key = new_key();
    let body = complete_body(&token, None);
    let died = call(
        &http,
        &base,
        reqwest::Method::POST,
        &format!("/checkout_sessions/{id}/complete"),
        Some(&key),
        Some(&body),
    )
    .await;
    assert!(
        died.is_err(),
        "the connection breaks when the process aborts: {died:?}"
    );
    let mut merchant = merchant;
    let exit = merchant.child.wait().expect("exit status");
    assert!(!exit.success(), "the merchant aborted");
    assert_eq!(
        psp.intents_for(&id).await,
        vec![("succeeded".to_owned(), total)],
        "charged once"
    );

    sqlx::any::install_default_drivers();
    let db_url_rw = if db_url.starts_with("sqlite:") {
        format!("{db_url}?mode=rw")
    } else {
        db_url.clone()
    };
    let db = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db_url_rw)
        .await
        .expect("merchant database");
    let stuck: String = sqlx::query_scalar("SELECT status FROM checkout_sessions WHERE id = $1")
        .bind(&id)
        .fetch_one(&db)
        .await
        .expect("query");
    assert_eq!(stuck, "complete_in_progress");
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(&db)
        .await
        .expect("query");
    assert_eq!(orders, 0);

    // Restarted, it finishes the payment from where it stopped.
    let merchant = start_merchant(&db_url, &psp.base_url, port, &log, None).await;
    let mut completed = Value::Null;
    for _ in 0..100 {
        let (_, s) = call(
            &http,
            &merchant.base_url,
            reqwest::Method::GET,
            &format!("/checkout_sessions/{id}"),
            None,
            None,
        )
        .await
        .expect("read");
        if s["status"] == "completed" {
            completed = s;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(completed["status"], "completed", "recovered: {completed:#}");
    assert_valid("CheckoutSessionWithOrder", &completed);
    assert_eq!(
        psp.intents_for(&id).await.len(),
        1,
        "recovery did not charge again"
    );
    let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(&db)
        .await
        .expect("query");
    assert_eq!(orders, 1);
    let reserved: i64 = sqlx::query_scalar("SELECT reserved FROM inventory WHERE variant_id = $1")
        .bind(variant)
        .fetch_one(&db)
        .await
        .expect("query");
    assert_eq!(reserved, 0, "the held unit was sold exactly once");

    // The agent, retrying its complete after the broken connection, gets the order.
    let (status, retried) = call(
        &http,
        &merchant.base_url,
        reqwest::Method::POST,
        &format!("/checkout_sessions/{id}/complete"),
        Some(&key),
        Some(&body),
    )
    .await
    .expect("retried");
    assert_eq!(status, 200);
    assert_eq!(retried["order"]["id"], completed["order"]["id"]);
    db.close().await;
}

on_both_backends!(a_crash_between_charge_and_order_is_repaired_on_restart);
