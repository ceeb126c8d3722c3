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
