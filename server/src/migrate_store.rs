//! `mamori-server migrate-store`: a clinic's SQLite store (a backup file, or the data folder while the
//! server is stopped) copied into PostgreSQL, then verified: every table has as many rows on both sides,
//! every document loads with the same heads, and the access log verifies with the same head.
//!
//! The source is first copied with `VACUUM INTO` to a scratch file (one consistent snapshot; the backup
//! itself is never changed, not even by a migration of its schema). The destination must be empty, and the
//! copy is written in one transaction (a failed copy leaves nothing). Verification reads the committed copy
//! from other connections: if it fails, the copy stays for a look; drop the database before trying again.

use std::collections::BTreeMap;
use std::path::Path;

use automerge::AutoCommit;
use mamori_shared::model::DocumentId;
use sqlx::{AnyPool, Row};
use thiserror::Error;

use crate::access_log::AccessLog;
use crate::db::{self, Engine};
use crate::store::DocStore;
use crate::store::sql::SqlStore;

#[derive(Debug, Error)]
pub enum MigrateError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0} is neither a SQLite store file nor a data folder holding mamori.db")]
    NoSource(String),
    #[error("the destination must be a PostgreSQL database (postgres://…)")]
    NotPostgres,
    #[error("the destination already holds data ({0} rows in {1}): migrate into an empty database")]
    NotEmpty(i64, &'static str),
    #[error("the source has a table this version does not know how to copy: {0}")]
    UnknownTable(String),
    #[error("verification failed: {0}")]
    Verify(String),
}

/// Every table of the schema, in an order that respects its foreign keys. `sqlite_sequence` and sqlx's own
/// `_sqlx_migrations` are not data; anything else the source holds and this list lacks stops the migration
/// (nothing is left behind unnoticed).
const TABLES: &[&str] = &[
    "facilities",
    "people",
    "memberships",
    "passkeys",
    "sessions",
    "invitations",
    "documents",
    "document_shares",
    "api_tokens",
    "actor_owners",
    "quarantine",
    "recovery_codes",
    "access_log",
    "registration_codes",
    "files",
    "reminder_mails",
    "seal_keys",
    "backup_records",
    "chunks",
];

/// Tables whose rows matter only for minutes (ceremonies in progress, sign-in attempt windows): known, not
/// copied.
const TRANSIENT: &[&str] = &["ceremonies", "sign_in_attempts"];

/// What was copied and checked.
#[derive(Debug, Default)]
pub struct Migrated {
    /// Rows per table.
    pub rows: BTreeMap<&'static str, i64>,
    /// Documents that load on both sides with the same heads.
    pub documents: usize,
    /// Access-log entries verified on the destination, and its head.
    pub log_entries: usize,
    pub log_head: String,
}

/// Copies the SQLite store at `from` (a file, or a data folder) into the empty PostgreSQL database at `to`,
/// then verifies the copy.
pub async fn migrate_store(from: &Path, to: &str) -> Result<Migrated, MigrateError> {
    let file = if from.is_dir() {
        from.join("mamori.db")
    } else {
        from.to_path_buf()
    };
    if !file.is_file() {
        return Err(MigrateError::NoSource(from.display().to_string()));
    }
    let scratch = tempfile::tempdir()?;
    let snapshot = scratch.path().join("source.db");
    {
        // Read-only URL: opening the source must not create or change anything there.
        let url = url::Url::from_file_path(std::path::absolute(&file)?)
            .map_err(|_| MigrateError::NoSource(from.display().to_string()))?;
        db::install_drivers();
        let source = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&format!("sqlite://{}?mode=ro", url.path()))
            .await?;
        sqlx::query("VACUUM INTO $1")
            .bind(snapshot.display().to_string())
            .execute(&source)
            .await?;
        source.close().await;
    }
    // The scratch copy is brought to this version's schema, as the server would on start.
    let source = SqlStore::open_file(&snapshot).await?;
    if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
        return Err(MigrateError::NotPostgres);
    }
    let dest = SqlStore::connect(to).await?;
    if Engine::of(&dest.pool()) != Engine::Postgres {
        return Err(MigrateError::NotPostgres);
    }
    check_tables(&source.pool()).await?;
    for table in TABLES {
        let n = count(&dest.pool(), table).await?;
        if n > 0 {
            return Err(MigrateError::NotEmpty(n, table));
        }
    }
    let mut migrated = Migrated::default();
    let mut tx = dest.pool().begin().await?;
    for table in TABLES {
        let n = copy_table(&source.pool(), &mut tx, table).await?;
        migrated.rows.insert(table, n);
    }
    tx.commit().await?;
    verify(&source, &dest, &mut migrated).await?;
    source.pool().close().await;
    dest.pool().close().await;
    Ok(migrated)
}

/// Refuses a source holding a table this version does not copy.
async fn check_tables(source: &AnyPool) -> Result<(), MigrateError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(source)
    .await?;
    match names
        .into_iter()
        .find(|n| !TABLES.contains(&n.as_str()) && !TRANSIENT.contains(&n.as_str()))
    {
        Some(unknown) => Err(MigrateError::UnknownTable(unknown)),
        None => Ok(()),
    }
}

async fn count(pool: &AnyPool, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(pool)
        .await
}

/// One column's value, read by its declared type in SQLite.
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bytes(Option<Vec<u8>>),
}

/// Copies every row of `table`, in its SQLite order (`rowid`: chunks keep their order within a document,
/// renumbered by PostgreSQL); returns how many.
async fn copy_table(
    source: &AnyPool,
    dest: &mut sqlx::AnyConnection,
    table: &'static str,
) -> Result<i64, MigrateError> {
    // Declared types decide how each column is read and bound (TEXT, INTEGER or BLOB in this schema).
    let columns: Vec<(String, String)> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(source)
    .await?
    .iter()
    .map(|r| {
        (
            r.get::<String, _>(0),
            r.get::<String, _>(1).to_ascii_uppercase(),
        )
    })
    // PostgreSQL numbers chunks itself (GENERATED ALWAYS).
    .filter(|(name, _)| !(table == "chunks" && name == "seq"))
    .collect();
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let select = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        (1..=names.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(select))
        .fetch_all(source)
        .await?;
    for row in &rows {
        let mut values = Vec::with_capacity(columns.len());
        for (i, (name, ty)) in columns.iter().enumerate() {
            values.push(match ty.as_str() {
                "INTEGER" => Value::Int(row.try_get(i)?),
                "BLOB" => Value::Bytes(row.try_get(i)?),
                "TEXT" => Value::Text(row.try_get(i)?),
                other => {
                    return Err(MigrateError::Verify(format!(
                        "{table}.{name} has type {other:?}, which this version does not copy"
                    )));
                }
            });
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(insert.clone()));
        for v in values {
            q = match v {
                Value::Text(v) => q.bind(v),
                Value::Int(v) => q.bind(v),
                Value::Bytes(v) => q.bind(v),
            };
        }
        q.execute(&mut *dest).await?;
    }
    Ok(rows.len() as i64)
}

/// The copy holds what the source holds: the same row counts, every document with the same heads, and a
/// log that verifies to the same head.
async fn verify(
    source: &SqlStore,
    dest: &SqlStore,
    migrated: &mut Migrated,
) -> Result<(), MigrateError> {
    for table in TABLES {
        let (a, b) = (
            count(&source.pool(), table).await?,
            count(&dest.pool(), table).await?,
        );
        if a != b {
            return Err(MigrateError::Verify(format!(
                "{table}: {a} rows in the source, {b} in PostgreSQL"
            )));
        }
    }
    let docs: Vec<String> = sqlx::query_scalar("SELECT DISTINCT doc_id FROM chunks")
        .fetch_all(&source.pool())
        .await?;
    for doc in &docs {
        let id = DocumentId::parse(doc)
            .ok_or_else(|| MigrateError::Verify(format!("a chunk's document id {doc:?}")))?;
        let heads = |chunks: Option<Vec<Vec<u8>>>| -> Result<_, MigrateError> {
            let chunks = chunks.unwrap_or_default();
            let mut doc = AutoCommit::load(&chunks.concat())
                .map_err(|e| MigrateError::Verify(format!("document {id} does not load: {e}")))?;
            Ok(doc.get_heads())
        };
        let before = heads(source.load(id).await?)?;
        let after = heads(dest.load(id).await?)?;
        if before != after {
            return Err(MigrateError::Verify(format!(
                "document {id} has other heads in PostgreSQL"
            )));
        }
    }
    migrated.documents = docs.len();
    let chain = |log: AccessLog| async move {
        let (anchor, entries) = log
            .remaining()
            .await
            .map_err(|e| MigrateError::Verify(e.to_string()))?;
        crate::access_log::verify(&anchor, &entries)
            .map_err(|b| MigrateError::Verify(format!("the access log: {b}")))
    };
    let (n, head) = chain(AccessLog::new(dest.pool())).await?;
    let (_, source_head) = chain(AccessLog::new(source.pool())).await?;
    if head != source_head {
        return Err(MigrateError::Verify(
            "the access log's head differs from the source's".into(),
        ));
    }
    migrated.log_entries = n;
    migrated.log_head = head;
    Ok(())
}
