//! The floor under the merchant's create: an axum handler that does only the database write of
//! a session create, through the merchant's own code (its schema, connection handling and
//! group commit), for sessions priced and rendered once at start.
//!
//! Each request takes one of the pre-built sessions (one per physical variant, as the create
//! scenario picks them), gives it a fresh id and writes it with the request's idempotency key:
//! the hold, the session document and the stored response, exactly as a create does. What the
//! merchant adds on top of this is its HTTP middleware and the per-request work of parsing,
//! pricing and rendering, so the floor shows how much of a create is the write that issue #3
//! asks for (BENCHMARKS.md, "The floor: a create's write alone").

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use kit::idempotency::{Scope, StoredResponse};
use merchant::catalog::SeedFile;
use merchant::checkout::assuming_plenty;
use merchant::configuration::Settings;
use merchant::creates::Creates;
use merchant::domain::session::{self, Context, Hold, Session};
use merchant::protocol::{RenderContext, WireVersion};
use merchant::store::fast_create::{Job, Outcome};
use rand::RngExt;
use secrecy::SecretString;
use shared::v2026_04_17::V2026_04_17;

/// One create, priced and rendered: what the floor writes per request.
struct Template {
    session: Session,
    holds: Vec<Hold>,
    response: StoredResponse,
}

struct Floor {
    creates: Creates,
    templates: Vec<Template>,
}

pub async fn serve(database_url: &str, catalog: &Path, port: u16) -> anyhow::Result<()> {
    let seed = merchant::startup::read_seed(Some(catalog))?;
    let app = app(database_url, seed).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// The floor over `database_url` (migrated and seeded with `seed`), answering `POST /floor`.
async fn app(database_url: &str, seed: SeedFile) -> anyhow::Result<Router> {
    let mut settings = Settings::load(None)?;
    settings.database.url = SecretString::from(database_url.to_owned());
    let db = kit::db::Db::connect(&settings.database, &merchant::startup::MIGRATOR).await?;
    let now = chrono::Utc::now();
    merchant::store::catalog::seed(&db.write, &seed, false, now).await?;
    let variants = crate::scenario::physical_variants(&seed);
    let catalog = merchant::catalog::Catalog::from_seed(seed);
    let render = RenderContext {
        base_url: "http://localhost:4001",
        merchant: &settings.merchant,
    };
    let ctx = Context {
        catalog: &catalog,
        now,
    };
    let mut templates = Vec::new();
    for variant in variants {
        let body = crate::scenario::create_body(&variant).to_string();
        let input = V2026_04_17::parse_create(body.as_bytes()).map_err(refused)?;
        let session = session::create(
            merchant::ids::checkout_session(),
            "bench".into(),
            input.command,
            &ctx,
            settings.session_ttl(),
            &mut merchant::ids::line_item,
        )
        .map_err(refused)?;
        let holds = session::holds(&session);
        let session = assuming_plenty(session, &holds, &ctx).map_err(refused)?;
        let response = StoredResponse {
            fingerprint: shared::idempotency::fingerprint(body.as_bytes())?,
            status: StatusCode::CREATED.as_u16(),
            body: V2026_04_17::session_body(&session, None, &render).map_err(refused)?,
        };
        templates.push(Template {
            session,
            holds,
            response,
        });
    }
    let creates = Creates::configured(db, &settings.merchant);
    Ok(Router::new()
        .route("/floor", post(create))
        .with_state(Arc::new(Floor { creates, templates })))
}

/// The merchant's own errors are not `std::error::Error`s; at start-up their debug form is
/// enough to say which template could not be made.
fn refused(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

async fn create(State(floor): State<Arc<Floor>>, headers: HeaderMap) -> (StatusCode, String) {
    let t = &floor.templates[rand::rng().random_range(0..floor.templates.len())];
    let mut session = t.session.clone();
    session.id = merchant::ids::checkout_session();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let job = Job {
        session,
        holds: t.holds.clone(),
        scope: Scope {
            agent: "bench".into(),
            endpoint: "/checkout_sessions".into(),
            key: key.to_owned(),
        },
        response: t.response.clone(),
    };
    match floor.creates.create(job).await {
        Ok(Outcome::Created) => (StatusCode::CREATED, t.response.body.clone()),
        Ok(other) => (StatusCode::CONFLICT, format!("{other:?}")),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use kit::testing::Backend;
    use sqlx::Row;

    use super::*;

    /// One request writes a create's three things, and the stored response is the answer.
    async fn a_request_writes_the_hold_the_session_and_the_stored_response(backend: Backend) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = kit::testing::fresh_database(backend, dir.path(), "floor").await;
        let mut seed = merchant::catalog::generate::generate(
            merchant::catalog::generate::demo_size(),
            merchant::catalog::generate::DEMO_RNG_SEED,
        );
        for v in seed.products.iter_mut().flat_map(|p| p.variants.iter_mut()) {
            v.stock = 1_000;
        }
        let app = app(&url, seed).await.expect("floor");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });

        let post = |key: &'static str| {
            reqwest::Client::new()
                .post(format!("http://{addr}/floor"))
                .header("Idempotency-Key", key)
                .send()
        };
        let first = post("key-1").await.expect("first");
        assert_eq!(first.status(), reqwest::StatusCode::CREATED);
        let answer = first.text().await.expect("body");
        assert!(
            answer.contains(r#""status":"ready_for_payment""#),
            "{answer}"
        );
        let again = post("key-1").await.expect("again");
        assert_eq!(
            again.status(),
            reqwest::StatusCode::CONFLICT,
            "a used key is refused"
        );

        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        let count = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query(sql)
                    .fetch_one(&pool)
                    .await
                    .expect(sql)
                    .get::<i64, _>(0)
            }
        };
        assert_eq!(count("SELECT COUNT(*) FROM checkout_sessions").await, 1);
        assert_eq!(
            count("SELECT CAST(SUM(reserved) AS BIGINT) FROM inventory").await,
            1
        );
        let stored = sqlx::query(
            "SELECT status_code, body FROM idempotency_keys WHERE agent = 'bench' \
             AND endpoint = '/checkout_sessions' AND idem_key = 'key-1'",
        )
        .fetch_one(&pool)
        .await
        .expect("stored response");
        assert_eq!(stored.get::<i64, _>(0), 201);
        assert_eq!(stored.get::<String, _>(1), answer);
    }

    kit::on_both_backends!(a_request_writes_the_hold_the_session_and_the_stored_response);
}
