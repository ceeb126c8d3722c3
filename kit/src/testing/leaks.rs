//! Looking for card data where it must not be: in logs, in every text cell of a database, and
//! in the files a database keeps on disk. Used by the PCI tests of the merchant and the agent.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::Connection;

use super::Backend;

/// Everything the process logs, at every level.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per test binary) a subscriber that captures every log line at TRACE.
pub fn capture_logs() -> &'static Captured {
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

/// What must not be found: card numbers, and CVCs.
pub struct Secrets {
    pub numbers: Vec<String>,
    pub cvcs: Vec<String>,
}

impl Secrets {
    /// A card number anywhere, or a CVC near the word "cvc" (as a field, a log value, a JSON
    /// key): the leaks a log or a file must not have.
    pub fn find_in(&self, haystack: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(haystack);
        if let Some(n) = self.numbers.iter().find(|n| text.contains(n.as_str())) {
            return Some(format!("card number {n}"));
        }
        let lower = text.to_ascii_lowercase();
        for (at, _) in lower.match_indices("cvc") {
            let near: String = lower[at + 3..].chars().take(16).collect();
            if let Some(c) = self.cvcs.iter().find(|c| near.contains(c.as_str())) {
                return Some(format!("CVC {c} after \"cvc\": {near:?}"));
            }
        }
        None
    }

    /// A text cell that holds a card number, or is exactly a CVC.
    pub fn find_in_cell(&self, cell: &str) -> Option<String> {
        if self.cvcs.iter().any(|c| c == cell.trim()) {
            return Some(format!("a cell holding CVC {cell}"));
        }
        self.find_in(cell.as_bytes())
    }

    /// The first leak among `(table.column, value)` cells, named by where it is.
    pub fn find_in_cells(&self, cells: &[(String, String)]) -> Option<String> {
        cells.iter().find_map(|(column, value)| {
            self.find_in_cell(value)
                .map(|l| format!("{column} holds {l}"))
        })
    }

    /// The first leak among `(path, bytes)` files, named by where it is.
    pub fn find_in_files(&self, files: &[(String, Vec<u8>)]) -> Option<String> {
        files
            .iter()
            .find_map(|(file, bytes)| self.find_in(bytes).map(|l| format!("{file} holds {l}")))
    }
}

/// Every text cell of every table: `(table.column, value)`.
pub async fn text_cells(database_url: &str, backend: Backend) -> Vec<(String, String)> {
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
            Backend::Sqlite => format!(
                "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\" WHERE typeof(\"{column}\") = 'text'"
            ),
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

/// Every file under `dir`, recursively: `(path, bytes)`.
pub fn files_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.is_file() {
                let bytes = std::fs::read(&path).expect("file");
                out.push((path.display().to_string(), bytes));
            }
        }
    }
    out
}

/// The bytes the database keeps on disk: the SQLite files with their WAL (everything under
/// `dir`), or PostgreSQL's relation files after a checkpoint, TOAST and indexes included.
pub async fn raw_files(
    database_url: &str,
    dir: &std::path::Path,
    backend: Backend,
) -> Vec<(String, Vec<u8>)> {
    match backend {
        Backend::Sqlite => files_under(dir),
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
