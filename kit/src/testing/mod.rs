//! Integration-test helpers shared by the services (feature `testing`).

use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Where the PostgreSQL tests create their databases: `ACP_TEST_POSTGRES_URL`, which the test
/// script sets. There is no silent skip when PostgreSQL is missing: the tests fail and say why.
pub fn postgres_admin_url() -> String {
    std::env::var("ACP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres:acp_test@127.0.0.1:5432/postgres".to_owned())
}

/// A database URL for a fresh, empty database of `backend` (SQLite: a file in `dir`).
pub async fn fresh_database(backend: Backend, dir: &std::path::Path, name: &str) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/{name}.db", dir.display()),
        Backend::Postgres => {
            sqlx::any::install_default_drivers();
            let admin = postgres_admin_url();
            let db = format!(
                "acp_test_{}",
                crate::ids::random("", 16).to_ascii_lowercase()
            );
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is needed for the postgres tests (ACP_TEST_POSTGRES_URL={admin}): {e}")
            });
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .await
                .expect("create test database");
            let (base, _) = admin.rsplit_once('/').expect("URL has a database");
            format!("{base}/{db}")
        }
    }
}

pub mod leaks;

/// A service a test started: stopped when this is dropped (the port closes soon after), or
/// with [`Serving::stop`], which waits until it has.
pub struct Serving {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// What a service's `run_until_stopped` waits for.
pub type Stopped = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl Serving {
    /// Runs `serve(stopped)` in a task; `stopped` resolves when the test stops it.
    pub fn start<Fut>(serve: impl FnOnce(Stopped) -> Fut) -> Self
    where
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(serve(Box::pin(async {
            let _ = rx.await;
        })));
        Self {
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the service and waits for it; what it ended with (a panic is an error too).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(server) => server
                .await
                .map_err(|e| anyhow::anyhow!("the server task failed: {e}"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
