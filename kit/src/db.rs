//! Database connections: SQLite by default, PostgreSQL when the URL says so.
//!
//! Both go through sqlx's `Any` driver so the domain has one code path. SQLite allows one
//! writer at a time, and a writer waiting on SQLite's own busy handler sleeps in steps; so on
//! SQLite all writes go through a pool of one connection, which queues writers fairly inside
//! the process instead. On PostgreSQL both handles are the same pool.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use crate::config::DatabaseSettings;

/// Why a store function failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A stored document no longer reads as the current code's type.
    #[error("stored document is unreadable: {0}")]
    Document(#[from] serde_json::Error),
    /// The database disagrees with itself (e.g. a release of units that were never held).
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
}

/// Unix seconds, the portable time representation of every table.
pub fn unix(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Read and write handles to the database.
#[derive(Debug, Clone)]
pub struct Db {
    pub read: AnyPool,
    pub write: AnyPool,
    pub backend: Backend,
}

impl Db {
    /// Connects, creating the SQLite file (and its folder) if missing, and applies the
    /// service's migrations.
    pub async fn connect(
        settings: &DatabaseSettings,
        migrator: &'static sqlx::migrate::Migrator,
    ) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let url = settings.url.expose_secret();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("database.url must start with sqlite: or postgres:");
        };
        let acquire = Duration::from_secs(settings.acquire_timeout_secs);
        let db = match backend {
            Backend::Sqlite => {
                let url = prepare_sqlite(url).await?;
                let pool = |max| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(acquire)
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                // NORMAL is durable in WAL mode except for the last commits
                                // before a power cut; foreign keys are off by default.
                                conn.execute(
                                    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                                )
                                .await?;
                                Ok(())
                            })
                        })
                        .connect_lazy(&url)
                };
                Db {
                    read: pool(settings.max_connections.max(2)).context("sqlite read pool")?,
                    write: pool(1).context("sqlite write pool")?,
                    backend,
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(acquire)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Documents and stored responses are often a few KB, above the
                            // TOAST threshold; lz4 compresses them at a fraction of the CPU of
                            // the default pglz. Servers built without lz4 keep the default.
                            let _ = conn.execute("SET default_toast_compression = 'lz4'").await;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await
                    .context("connecting to PostgreSQL")?;
                Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                }
            }
        };
        migrator
            .run(&db.write)
            .await
            .context("applying database migrations")?;
        Ok(db)
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Makes sure the file's folder exists and the database is in WAL mode (a property of the
/// file, so it is set once here rather than on every connection), and returns a URL that
/// creates the file if missing.
async fn prepare_sqlite(url: &str) -> anyhow::Result<String> {
    let url = if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    let opts = AnyConnectOptions::from_str(&url).context("parsing database.url")?;
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating the database folder {}", parent.display()))?;
    }
    let mut conn = opts
        .connect()
        .await
        .context("opening the SQLite database")?;
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.close().await?;
    Ok(url)
}
