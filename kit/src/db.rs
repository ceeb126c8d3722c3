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

/// WAL frames (pages) past which the checkpointer catches up to the end of the log, so that
/// SQLite starts it over ([`checkpoint_once`]). The writer's part of that stops writes for
/// 10–40 ms (it syncs the WAL and the database), so it should be rare: 65,536 frames (256 MB)
/// is about a second of creates at full speed. A WAL that grows only while writes never pause
/// is started over by itself once they do, and removed when the server stops.
pub const WAL_RESET_FRAMES: i64 = 65_536;

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
            // The first round one period from now, not while the service is still starting.
            let first = tokio::time::Instant::now() + CHECKPOINT_EVERY;
            let mut tick = tokio::time::interval_at(first, CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match checkpoint_once(&read, &write, WAL_RESET_FRAMES).await {
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
    /// Frames in the WAL after the round.
    pub wal_frames: i64,
    /// Of those, the frames now copied into the database.
    pub copied_frames: i64,
    /// Whether the WAL had grown past the limit and the writer copied the rest of it, so that
    /// the next commit starts the log over.
    pub caught_up: bool,
}

/// Copies the WAL into the database on a reader's connection (PASSIVE: it waits for nobody,
/// and the writer goes on appending meanwhile).
///
/// A WAL that is never copied to its end while writes keep coming would grow without bound;
/// SQLite starts it over at the first commit after a checkpoint has copied all of it. So when
/// it has grown past `reset_after` frames ([`WAL_RESET_FRAMES`] in the server), the reader
/// copies again until what is left is what a few milliseconds of writes append, and then the
/// writer, between two of its writes, copies that rest. The writer does not use a RESTART
/// checkpoint, which would make it wait (in sleeps of growing length) until no reader is left on
/// the old log: at 64 clients that stopped every write for 35–50 ms, the p99 of all creates.
pub async fn checkpoint_once(
    read: &AnyPool,
    write: &AnyPool,
    reset_after: i64,
) -> Result<Checkpoint, sqlx::Error> {
    let (mut wal_frames, mut copied_frames) = passive(read).await?;
    if wal_frames < reset_after {
        return Ok(Checkpoint {
            wal_frames,
            copied_frames,
            caught_up: false,
        });
    }
    for _ in 0..CATCH_UP_ROUNDS {
        let before = copied_frames;
        (wal_frames, copied_frames) = passive(read).await?;
        if wal_frames < reset_after {
            // The last round had copied everything: a commit has started the log over since.
            return Ok(Checkpoint {
                wal_frames,
                copied_frames,
                caught_up: false,
            });
        }
        if copied_frames - before <= WRITER_COPIES_AT_MOST {
            break;
        }
    }
    (wal_frames, copied_frames) = passive(write).await?;
    Ok(Checkpoint {
        wal_frames,
        copied_frames,
        caught_up: copied_frames == wal_frames,
    })
}

/// Rounds of copying on the reader's side before the writer copies the rest.
const CATCH_UP_ROUNDS: usize = 4;

/// What the writer is left to copy: a reader's round that copied no more than this was short,
/// and appended about as much behind it.
const WRITER_COPIES_AT_MOST: i64 = 512;

/// `(frames in the WAL, frames copied)` after a PASSIVE checkpoint on one of `pool`'s
/// connections.
async fn passive(pool: &AnyPool) -> Result<(i64, i64), sqlx::Error> {
    let (_busy, frames, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    Ok((frames, copied))
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
        let done = checkpoint_once(&read, &write, 1000).await?;
        assert!(done.wal_frames >= 100, "{done:?}");
        assert_eq!(done.copied_frames, done.wal_frames);
        assert!(!done.caught_up);
        assert_eq!(rows_in_database_file(dir.path()).await?, Some(100));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wal_written_without_pause_is_started_over() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (read, write) = pools(dir.path()).await?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = tokio::spawn({
            let (write, stop) = (write.clone(), stop.clone());
            async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    write_pages(&write, 20).await?;
                }
                anyhow::Ok(())
            }
        });
        let mut rounds = Vec::new();
        while rounds.len() < 300 && started_over(&rounds) < 3 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            rounds.push(checkpoint_once(&read, &write, 2000).await?);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        writer.await??;
        assert!(started_over(&rounds) >= 3, "{rounds:#?}");
        Ok(())
    }

    /// How often a round caught up while writes went on and the next found a shorter log.
    fn started_over(rounds: &[Checkpoint]) -> usize {
        rounds
            .windows(2)
            .filter(|w| w[0].caught_up && w[1].wal_frames < w[0].wal_frames)
            .count()
    }

    #[tokio::test]
    async fn the_checkpointer_copies_the_wal_and_sqlite_starts_it_over() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let settings = DatabaseSettings {
            url: format!("sqlite://{}/t.db", dir.path().display()).into(),
            max_connections: 2,
            acquire_timeout_secs: 5,
        };
        let db = Db::connect(&settings, &NO_MIGRATIONS).await?;
        create_table(&db.write).await?;
        write_pages(&db.write, 1000).await?;
        // Waits for an event, with a bound so a broken checkpointer fails instead of hanging.
        // The file is only looked at: reading it while a checkpoint writes it could tear.
        let file = dir.path().join("t.db");
        // A 3000-byte row fills a 4 KB page: the file has all 1000 once it is this long.
        let copied = 1000 * 4096;
        let mut size = 0;
        for _ in 0..100 {
            size = std::fs::metadata(&file)?.len();
            if size >= copied {
                break;
            }
            tokio::time::sleep(CHECKPOINT_EVERY / 4).await;
        }
        assert!(size >= copied, "the database file has {size} bytes");
        // Everything was copied while no one wrote: a commit soon starts the log over.
        let mut frames = i64::MAX;
        for _ in 0..20 {
            write_pages(&db.write, 1).await?;
            (frames, _) = passive(&db.read).await?;
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
