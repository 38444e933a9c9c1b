//! The database everything the server keeps lives in: SQLite in the data folder (the embedded default, one
//! file, one backup) or PostgreSQL (`--database-url postgres://…`, shared by several instances).
//!
//! One pool type ([`sqlx::AnyPool`]) for both, so each query is written once: every statement here is
//! plain SQL that both engines read the same way, with `$1, $2 …` placeholders (sqlx maps them for SQLite
//! too). What differs per engine lives in this module: how a writing transaction starts, connection
//! settings, the migrations, and the few statements that have no common form.

use std::path::Path;
use std::sync::Once;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "unsupported database URL {0:?}: use postgres://… or leave it out for SQLite in the data folder"
    )]
    Unsupported(String),
}

/// Which engine a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine behind a pool, read from its URL.
    pub fn of(pool: &AnyPool) -> Engine {
        Engine::of_url(pool.connect_options().database_url.as_str())
            .expect("pools are only opened for known engines")
    }

    /// The engine behind a connection (inside a transaction, say).
    pub fn of_connection(conn: &AnyConnection) -> Engine {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Engine::Sqlite
        } else {
            Engine::Postgres
        }
    }

    fn of_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// Pages of write-ahead log after which a SQLite commit also copies the log into the database. At the
/// default 1,000 pages that took 40–70 ms now and then (the spikes in the sync benchmark's p99); 100 pages
/// spreads the same work over commits of a few milliseconds.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 100;

/// SQLite: write-ahead log, every commit synced to disk before it returns (what a client is told the server
/// has survives `kill -9`), waiting up to 10 s for another writer.
const SQLITE_SETTINGS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA wal_autocheckpoint = 100; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

const _: () = assert!(
    WAL_AUTOCHECKPOINT_PAGES == 100,
    "keep SQLITE_SETTINGS in step"
);

/// Makes the Any driver know both engines (once per process).
pub fn install_drivers() {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
}

/// Opens (creating if needed) `mamori.db` in `dir` and applies the migrations.
pub async fn open_sqlite_dir(dir: &Path) -> Result<AnyPool, DbError> {
    std::fs::create_dir_all(dir)?;
    open_sqlite_file(&dir.join("mamori.db")).await
}

/// Opens (creating if needed) a SQLite file and applies the migrations.
pub async fn open_sqlite_file(path: &Path) -> Result<AnyPool, DbError> {
    let url = url::Url::from_file_path(std::path::absolute(path)?)
        .map_err(|_| DbError::Unsupported(path.display().to_string()))?;
    // sqlite:///abs/path?mode=rwc (the file URL's path, percent-encoded).
    open(&format!("sqlite://{}?mode=rwc", url.path())).await
}

/// Opens a database by URL (`sqlite://…` or `postgres://…`) and applies that engine's migrations.
pub async fn open(url: &str) -> Result<AnyPool, DbError> {
    install_drivers();
    let engine = Engine::of_url(url).ok_or_else(|| DbError::Unsupported(redacted(url)))?;
    let options: AnyConnectOptions = url.parse()?;
    let pool = match engine {
        Engine::Sqlite => {
            AnyPoolOptions::new()
                .max_connections(4)
                .after_release(|conn, _| Box::pin(async move { Ok(fit_for_reuse(conn)) }))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(SQLITE_SETTINGS).await?;
                        Ok(())
                    })
                })
                .connect_with(options)
                .await?
        }
        Engine::Postgres => {
            AnyPoolOptions::new()
                .max_connections(16)
                // A stopped database is answered for within seconds (a clear 503, the device retries),
                // not after a long hang.
                .acquire_timeout(std::time::Duration::from_secs(5))
                .after_release(|conn, _| Box::pin(async move { Ok(fit_for_reuse(conn)) }))
                .connect_with(options)
                .await?
        }
    };
    // Held until the migrations are in: dropped (unlocked) on return.
    let _migrating = match engine {
        Engine::Sqlite => sqlite_migration_lock(url).await?,
        Engine::Postgres => None,
    };
    migrate(&pool).await?;
    Ok(pool)
}

/// An exclusive lock on `<database file>.migrate-lock`, waited for. sqlx's migrator takes no lock on SQLite
/// (its `lock()` does nothing there), so two processes opening a store at once (the server starting,
/// `mamori-server registration-code` beside it) could both find a migration missing and the second failed
/// with "duplicate column name". PostgreSQL's migrator holds an advisory lock of its own. `None` for an
/// in-memory database.
async fn sqlite_migration_lock(url: &str) -> Result<Option<std::fs::File>, DbError> {
    let Some(path) = sqlite_file(url) else {
        return Ok(None);
    };
    let mut lock_path = path.into_os_string();
    lock_path.push(".migrate-lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(Some(file))
    })
    .await
    .map_err(|e| DbError::Io(std::io::Error::other(e)))?
}

/// The file a `sqlite://` URL names (percent-decoded), if it names one.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let parsed = url::Url::parse(url).ok()?;
    if parsed.path().is_empty() || url.contains(":memory:") || parsed.path() == "/" {
        return None;
    }
    url::Url::parse(&format!("file://{}", parsed.path()))
        .ok()?
        .to_file_path()
        .ok()
}

/// Whether a connection going back to the pool may serve the next caller: not if it is still inside a
/// transaction. SQLite rolls a transaction back by itself when a statement fails with a full disk
/// (`SQLITE_FULL`); the driver's own `ROLLBACK` then fails ("no transaction is active"), its count of open
/// transactions stays at one, and every later `BEGIN` on that connection failed with "attempted to call
/// begin_with at non-zero transaction depth" long after the disk had room again. Such a connection is
/// closed instead (a healthy one whose rollback is still queued is closed too: rare, and only a reconnect).
fn fit_for_reuse(conn: &mut AnyConnection) -> bool {
    use sqlx::Connection;
    let fit = !conn.is_in_transaction();
    if !fit {
        tracing::debug!("a connection left inside a transaction is closed, not reused");
    }
    fit
}

/// Applies the engine's migrations (each engine has its own folder; the schemas say the same).
pub async fn migrate(pool: &AnyPool) -> Result<(), DbError> {
    match Engine::of(pool) {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
        Engine::Postgres => sqlx::migrate!("./migrations/postgres").run(pool).await?,
    }
    Ok(())
}

/// Starts a transaction that writes. On SQLite it holds the write lock from its first statement
/// (`BEGIN IMMEDIATE`): a deferred one that reads before it writes fails with `SQLITE_BUSY_SNAPSHOT` (517)
/// when another connection committed in between, and `busy_timeout` cannot wait that out (under load it
/// surfaced as a 500 on accepting an invitation). PostgreSQL's default (read committed, row locks) needs
/// nothing more. Every transaction that writes starts here.
pub async fn write_tx(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match Engine::of(pool) {
        Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Engine::Postgres => pool.begin().await,
    }
}

/// Runs `work` only if no other instance sharing the database is running work under the same `lock` (a
/// scheduled backup, a round of reminder mails); `None` when another one is. On PostgreSQL the turn is a
/// transaction-level advisory lock on a connection held for the whole run: if the work is dropped half way
/// (the server stops), the transaction ends and the lock goes with it, never left on a pooled connection.
/// SQLite has one server process: the turn is always this one.
pub async fn exclusively<T>(
    pool: &AnyPool,
    lock: i64,
    work: impl std::future::Future<Output = T>,
) -> Result<Option<T>, sqlx::Error> {
    if Engine::of(pool) == Engine::Sqlite {
        return Ok(Some(work.await));
    }
    let mut turn = pool.begin().await?;
    // 1 when taken, 0 when another instance holds it (an integer: booleans read differently per engine).
    let taken: i64 =
        sqlx::query_scalar("SELECT CASE WHEN pg_try_advisory_xact_lock($1) THEN 1 ELSE 0 END")
            .bind(lock)
            .fetch_one(&mut *turn)
            .await?;
    if taken == 0 {
        return Ok(None);
    }
    let done = work.await;
    // The work is done whatever happens to the turn's connection now (if it was lost during a long run,
    // its lock went with it: another instance may have started too; each run checks what is due first).
    if let Err(e) = turn.rollback().await {
        tracing::warn!(error = %e, "the end of a scheduled turn could not be written");
    }
    Ok(Some(done))
}

/// A URL without its password, and the password (percent-decoded): for tools that take it from the
/// environment (`PGPASSWORD`) rather than a command line anyone on the machine can read.
pub fn without_password(url: &str) -> (String, Option<String>) {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let password = u.password().map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8_lossy()
                    .into_owned()
            });
            let _ = u.set_password(None);
            (u.to_string(), password)
        }
        Err(_) => (url.to_string(), None),
    }
}

/// A URL with its password, if any, replaced: for messages and logs.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(not a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_moves_out_of_the_url() {
        let (bare, password) = without_password("postgres://mamori:s%40cret+1@db:5432/m");
        assert_eq!(bare, "postgres://mamori@db:5432/m");
        assert_eq!(password.as_deref(), Some("s@cret+1"));
        assert_eq!(without_password("postgres://m@h/d").1, None);
    }

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redacted("postgres://mamori:secret@db.example:5432/mamori"),
            "postgres://mamori:***@db.example:5432/mamori"
        );
        assert!(
            !DbError::Unsupported(redacted("mysql://a:pw@h/x"))
                .to_string()
                .contains("pw")
        );
    }

    /// sqlx takes no lock around SQLite migrations: two processes opening a new store at once (the server
    /// starting, `mamori-server registration-code` run beside it) both applied a migration and the second
    /// failed with "duplicate column name". Several opens at once, each with its own pool, as two processes.
    #[test]
    fn a_sqlite_url_names_its_file() {
        assert_eq!(
            sqlite_file("sqlite:///tmp/a%20b/mamori.db?mode=rwc"),
            Some(std::path::PathBuf::from("/tmp/a b/mamori.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_store_opened_several_times_at_once_migrates_once() {
        for _ in 0..8 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path();
            let (a, b, c) = tokio::join!(
                open_sqlite_dir(path),
                open_sqlite_dir(path),
                open_sqlite_dir(path)
            );
            for opened in [a, b, c] {
                opened.expect("every open succeeds");
            }
        }
    }

    #[tokio::test]
    async fn sqlite_settings_hold_on_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open_sqlite_dir(dir.path()).await.unwrap();
        assert_eq!(Engine::of(&pool), Engine::Sqlite);
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut conn = pool.acquire().await.unwrap();
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(
                (mode.as_str(), sync),
                ("wal", 2),
                "WAL and synchronous=FULL"
            );
            held.push(conn);
        }
    }
}
