//! Database connections: SQLite by default, PostgreSQL when the URL says so.
//!
//! Both go through sqlx's `Any` driver so the domain has one code path. SQLite allows one
//! writer at a time, and a writer waiting on SQLite's own busy handler sleeps in steps; so on
//! SQLite all writes go through a pool of one connection, which queues writers fairly inside
//! the process instead. On PostgreSQL both handles are the same pool.
//!
//! On SQLite the writer never checkpoints: left to itself, the commit that crosses SQLite's
//! WAL threshold copies a thousand pages into the database and syncs it twice while every other
//! write waits (7–9 ms, the p99 of a lone client's creates). A background task does that work
//! beside the writer instead; see [`checkpoint_once`].
//!
//! Neither backend pings a connection each time it is taken from the pool (sqlx's default): on
//! SQLite it cannot have gone stale, on PostgreSQL sqlx has just pinged it on its way back in.
//! A PostgreSQL connection idle for longer than [`PING_IDLE_AFTER`] is still pinged first.

use std::str::FromStr;
use std::sync::Arc;
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
    /// SQLite's background checkpointer, stopped when the last handle is dropped.
    checkpointer: Option<Arc<Checkpointer>>,
}

/// Pragmas of every SQLite connection. NORMAL is durable in WAL mode except for the last
/// commits before a power cut; foreign keys are off by default; checkpoints are the
/// checkpointer's (module docs).
const SQLITE_PRAGMAS: &str =
    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0";

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged on acquire.
pub const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// How often the checkpointer copies what the WAL holds into the database.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// WAL frames (pages) past which the checkpointer has the writer restart the log. A passive
/// checkpoint cannot restart it while writes keep coming, so under sustained load the WAL would
/// otherwise grow without bound; 8192 frames is 32 MB, about a second of creates at full speed.
pub const WAL_RESTART_FRAMES: i64 = 8192;

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
                let read = sqlite_pool(&url, settings.max_connections.max(2), acquire)
                    .context("sqlite read pool")?;
                let write = sqlite_pool(&url, 1, acquire).context("sqlite write pool")?;
                let checkpointer = Checkpointer::spawn(read.clone(), write.clone());
                Db {
                    read,
                    write,
                    backend,
                    checkpointer: Some(Arc::new(checkpointer)),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(acquire)
                    // sqlx pings every connection as it goes back to the pool, so one taken
                    // soon after was healthy a moment ago; pinging it again as it is taken
                    // would add a round trip to every query. One that has sat idle longer may
                    // have been closed by a server restart or a proxy: ping that one.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= PING_IDLE_AFTER {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
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
                    checkpointer: None,
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
        if let Some(c) = &self.checkpointer {
            c.0.abort();
        }
        self.write.close().await;
        self.read.close().await;
    }
}

/// A pool of SQLite connections with the service's pragmas; connects when first used.
fn sqlite_pool(url: &str, max: u32, acquire: Duration) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(acquire)
        // An in-process connection cannot go stale, and each ping is a round trip to the
        // thread sqlx runs the connection on.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        })
        .connect_lazy(url)
}

/// The background checkpoint task of a SQLite database.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Checkpointer {
    fn spawn(read: AnyPool, write: AnyPool) -> Self {
        Self(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match checkpoint_once(&read, &write).await {
                    Ok(_) => {}
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                }
            }
        }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one round of the checkpointer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Frames in the WAL after the passive checkpoint.
    pub wal_frames: i64,
    /// Of those, the frames now copied into the database.
    pub copied_frames: i64,
    /// Whether the writer then restarted the log (the WAL had grown past
    /// [`WAL_RESTART_FRAMES`]).
    pub restarted: bool,
}

/// Copies the WAL into the database on a reader's connection (PASSIVE: it waits for nobody,
/// and the writer goes on appending meanwhile); then, if the WAL has grown past
/// [`WAL_RESTART_FRAMES`], has the writer copy the little left and start the log over
/// (RESTART, queued behind the writes in hand like any other write).
pub async fn checkpoint_once(read: &AnyPool, write: &AnyPool) -> Result<Checkpoint, sqlx::Error> {
    let (_, wal_frames, copied_frames): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(read)
            .await?;
    let restarted = wal_frames >= WAL_RESTART_FRAMES;
    if restarted {
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(write)
            .await?;
    }
    Ok(Checkpoint {
        wal_frames,
        copied_frames,
        restarted,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

    /// A file database and its two pools, without the background checkpointer, so that each
    /// test decides when checkpoints happen.
    async fn pools(dir: &std::path::Path) -> anyhow::Result<(AnyPool, AnyPool)> {
        sqlx::any::install_default_drivers();
        let url = prepare_sqlite(&format!("sqlite://{}/t.db", dir.display())).await?;
        let second = Duration::from_secs(5);
        let read = sqlite_pool(&url, 2, second)?;
        let write = sqlite_pool(&url, 1, second)?;
        create_table(&write).await?;
        Ok((read, write))
    }

    /// The test table, copied into the database file at once so that the file can be read
    /// on its own.
    async fn create_table(write: &AnyPool) -> anyhow::Result<()> {
        sqlx::raw_sql("CREATE TABLE t (b BLOB NOT NULL); PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(write)
            .await?;
        Ok(())
    }

    /// Writes about `pages` pages of new rows in one transaction.
    async fn write_pages(write: &AnyPool, pages: i64) -> anyhow::Result<()> {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO t SELECT randomblob(3000) FROM n",
        )
        .bind(pages)
        .execute(write)
        .await?;
        Ok(())
    }

    /// Rows of `t` in the database file itself (`None` before the table reached it).
    async fn rows_in_database_file(dir: &std::path::Path) -> anyhow::Result<Option<i64>> {
        // Opened as an immutable file, without the WAL: only what was copied into it counts.
        let url = format!("sqlite://{}/t.db?immutable=1", dir.display());
        let mut conn = AnyConnectOptions::from_str(&url)?.connect().await?;
        let (tables,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'")
                .fetch_one(&mut conn)
                .await?;
        if tables == 0 {
            return Ok(None);
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM t")
            .fetch_one(&mut conn)
            .await?;
        Ok(Some(n))
    }

    #[tokio::test]
    async fn connections_never_checkpoint_on_commit() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (read, write) = pools(dir.path()).await?;
        for pool in [&read, &write] {
            let (pages,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
                .fetch_one(pool)
                .await?;
            assert_eq!(pages, 0);
        }
        // Well past SQLite's own threshold of 1000 pages: nothing reaches the file by itself.
        write_pages(&write, 1500).await?;
        assert_eq!(rows_in_database_file(dir.path()).await?, Some(0));
        Ok(())
    }

    #[tokio::test]
    async fn a_checkpoint_copies_the_wal_into_the_database() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (read, write) = pools(dir.path()).await?;
        write_pages(&write, 100).await?;
        let done = checkpoint_once(&read, &write).await?;
        assert!(done.wal_frames >= 100, "{done:?}");
        assert_eq!(done.copied_frames, done.wal_frames);
        assert!(!done.restarted);
        assert_eq!(rows_in_database_file(dir.path()).await?, Some(100));
        Ok(())
    }

    #[tokio::test]
    async fn a_long_wal_is_started_over() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (read, write) = pools(dir.path()).await?;
        write_pages(&write, WAL_RESTART_FRAMES).await?;
        let done = checkpoint_once(&read, &write).await?;
        assert!(done.restarted, "{done:?}");
        // The next commit writes from the start of the log again.
        write_pages(&write, 10).await?;
        let next = checkpoint_once(&read, &write).await?;
        assert!(next.wal_frames < 100, "{next:?}");
        assert!(!next.restarted);
        Ok(())
    }

    #[tokio::test]
    async fn the_checkpointer_keeps_the_wal_short_without_being_asked() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let settings = DatabaseSettings {
            url: format!("sqlite://{}/t.db", dir.path().display()).into(),
            max_connections: 2,
            acquire_timeout_secs: 5,
        };
        let db = Db::connect(&settings, &NO_MIGRATIONS).await?;
        create_table(&db.write).await?;
        write_pages(&db.write, WAL_RESTART_FRAMES).await?;
        // Waits for an event, with a bound so a broken checkpointer fails instead of hanging.
        // The file is only looked at: reading it while a checkpoint writes it could tear.
        let file = dir.path().join("t.db");
        let copied = u64::try_from(WAL_RESTART_FRAMES)? * 3000;
        let mut size = 0;
        for _ in 0..100 {
            size = std::fs::metadata(&file)?.len();
            if size >= copied {
                break;
            }
            tokio::time::sleep(CHECKPOINT_EVERY / 4).await;
        }
        assert!(size >= copied, "the database file has {size} bytes");
        // Once the log has been started over, a new commit lands at its beginning.
        let mut frames = i64::MAX;
        for _ in 0..100 {
            write_pages(&db.write, 1).await?;
            let (_, f, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&db.read)
                .await?;
            frames = f;
            if frames < 100 {
                break;
            }
            tokio::time::sleep(CHECKPOINT_EVERY / 4).await;
        }
        assert!(frames < 100, "{frames} frames in the WAL");
        db.close().await;
        Ok(())
    }

    #[tokio::test]
    async fn a_postgres_connection_closed_while_idle_is_replaced_on_acquire() -> anyhow::Result<()>
    {
        let dir = tempfile::tempdir()?;
        let url =
            crate::testing::fresh_database(crate::testing::Backend::Postgres, dir.path(), "t")
                .await;
        let settings = DatabaseSettings {
            url: url.into(),
            max_connections: 1,
            acquire_timeout_secs: 5,
        };
        let db = Db::connect(&settings, &NO_MIGRATIONS).await?;
        let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
            .fetch_one(&db.read)
            .await?;
        // As a server restart or an idle timeout would, from another session.
        let mut admin = sqlx::AnyConnection::connect(&crate::testing::postgres_admin_url()).await?;
        let (ended,): (bool,) = sqlx::query_as("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .fetch_one(&mut admin)
            .await?;
        assert!(ended);
        tokio::time::sleep(PING_IDLE_AFTER + Duration::from_millis(200)).await;
        let (again,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
            .fetch_one(&db.read)
            .await?;
        assert_ne!(again, pid);
        db.close().await;
        Ok(())
    }
}
