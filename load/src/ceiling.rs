//! The ceiling the merchant is compared with: an axum handler that does nothing but one insert
//! of a session-sized row into the same database, through the same driver and pool shape (on
//! SQLite, one writer connection, as in the merchant).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use rand::RngExt;
use rand::distr::Alphanumeric;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

const SESSION_DOCUMENT_BYTES: usize = 2600;

pub async fn serve(database_url: &str, port: u16, max_connections: u32) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let sqlite = database_url.starts_with("sqlite:");
    let database_url = if sqlite && !database_url.contains("mode=") {
        format!("{database_url}?mode=rwc")
    } else {
        database_url.to_owned()
    };
    let pool = AnyPoolOptions::new()
        .max_connections(if sqlite { 1 } else { max_connections })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    sqlx::Executor::execute(
                        &mut *conn,
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(&database_url)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, document TEXT NOT NULL, created_at BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let app = Router::new()
        .route("/ceiling", post(insert))
        .with_state(Arc::new(pool));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn insert(State(pool): State<Arc<AnyPool>>, body: Bytes) -> (StatusCode, String) {
    let id: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    // A row the size of a stored checkout session document (about 2.6 KB for one line item).
    let body = String::from_utf8_lossy(&body);
    let document = body.repeat(SESSION_DOCUMENT_BYTES.div_ceil(body.len().max(1)));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    match sqlx::query("INSERT INTO ceiling (id, document, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(document)
        .bind(now)
        .execute(&*pool)
        .await
    {
        Ok(_) => (StatusCode::CREATED, format!("{{\"id\":\"{id}\"}}")),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
