//! The document store on SQL: SQLite in the data folder (the embedded default) or PostgreSQL, one code path
//! (see [`crate::db`]).
//!
//! A committed append is on disk before `append` returns (SQLite: WAL with `synchronous = FULL`; PostgreSQL:
//! its own commit), so whatever a client was told the server has survives `kill -9`.
//!
//! Writes go through one writer task that commits whatever has queued up meanwhile in one transaction (group
//! commit): one disk sync for many devices' changes instead of one each. Under load this was the difference
//! between the store and Automerge being the bottleneck (see docs/sync.md, sync under load). Changes with
//! their access-log entries and actor claims ([`DocStore::append_recorded`]) are committed the same way,
//! each inside a savepoint of the batch so that one whose claim is taken fails alone: signed-in devices
//! used to wait for one disk sync each, one after another on the log's chain.

use std::fmt::Write as _;
use std::path::Path;

use async_trait::async_trait;
use mamori_shared::model::DocumentId;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::{Beside, Claim, DocStore, Recorded, Seq, StoreError};
use crate::access_log::{AccessLog, Event};
use crate::db::{self, Engine};

pub struct SqlStore {
    pool: AnyPool,
    writes: mpsc::Sender<Write>,
}

/// A commit slower than this is logged.
const SLOW_COMMIT: std::time::Duration = std::time::Duration::from_millis(250);

/// The most writes committed in one transaction (three SQL parameters each, well under either engine's
/// limit: SQLite 32,766, PostgreSQL 65,535).
const MAX_BATCH: usize = 256;

type Done = oneshot::Sender<Result<Seq, Failed>>;

/// Why a write was not committed, as the writer task tells it.
#[derive(Debug, Clone)]
enum Failed {
    /// One of its actor ids is someone else's (only this write failed).
    ClaimTaken(String),
    /// The batch's transaction failed (every write in it failed).
    Other(String),
}

/// What a recorded append writes beside its changes (an owned [`Recorded`]).
struct Record {
    claims: Vec<Claim>,
    events: Vec<Event>,
    now: i64,
    log: std::sync::Arc<AccessLog>,
}

/// One write waiting for the writer task.
enum Write {
    Append {
        id: DocumentId,
        data: Vec<u8>,
        record: Option<Record>,
        done: Done,
    },
    Compact {
        id: DocumentId,
        snapshot: Vec<u8>,
        covered: Vec<Seq>,
        done: Done,
    },
}

impl Write {
    fn id(&self) -> DocumentId {
        match self {
            Write::Append { id, .. } | Write::Compact { id, .. } => *id,
        }
    }
}

/// Commits queued writes in batches until every sender is gone. A batch holds at most one write per
/// document (rooms serialise writes per document, and a second one waits for the next batch), so each
/// write's place is found by its document and the order within a batch does not matter.
async fn write_batches(pool: AnyPool, mut queue: mpsc::Receiver<Write>) {
    let mut carried: Option<Write> = None;
    loop {
        let first = match carried.take() {
            Some(w) => w,
            None => match queue.recv().await {
                Some(w) => w,
                None => return,
            },
        };
        let mut ids = std::collections::HashSet::from([first.id()]);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(w) if ids.insert(w.id()) => batch.push(w),
                Ok(w) => {
                    carried = Some(w);
                    break;
                }
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let result = commit(&pool, &batch).await.map_err(|e| e.to_string());
        if started.elapsed() > SLOW_COMMIT {
            // Every device syncing a change waits for this: worth a line in the log (a failing disk, say).
            tracing::warn!(
                writes = batch.len(),
                ms = started.elapsed().as_millis() as u64,
                "slow commit to the store"
            );
        }
        for w in batch {
            let id = w.id();
            let done = match w {
                Write::Append { done, .. } | Write::Compact { done, .. } => done,
            };
            let place = match &result {
                Ok(places) => places.get(&id).cloned().unwrap_or_else(|| {
                    Err(Failed::Other(
                        "the store returned no place for a write".to_string(),
                    ))
                }),
                Err(e) => Err(Failed::Other(e.clone())),
            };
            let _ = done.send(place);
        }
    }
}

/// `INSERT INTO chunks … VALUES ($1, 'changes', $2, $3), ($4, 'changes', $5, $6) … RETURNING doc_id, seq`
/// for `rows` rows (document, data, size). Written out here because sqlx's query builder writes `?` for the Any driver, which PostgreSQL
/// does not read.
fn insert_chunks(rows: usize) -> String {
    let mut sql = String::from("INSERT INTO chunks (doc_id, kind, data, size) VALUES ");
    for i in 0..rows {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(
            sql,
            "{sep}(${}, 'changes', ${}, ${})",
            3 * i + 1,
            3 * i + 2,
            3 * i + 3
        );
    }
    sql.push_str(" RETURNING doc_id, seq");
    sql
}

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Most chunks one compaction deletes per statement (bound parameters stay well under either limit).
const DELETE_AT_ONCE: usize = 500;

/// Replaces the chunks `covered` of `id` with `snapshot`, inside `tx`; returns the snapshot's place.
async fn compact_in(
    tx: &mut sqlx::AnyConnection,
    id: &DocumentId,
    snapshot: &[u8],
    covered: &[Seq],
) -> Result<Seq, sqlx::Error> {
    for some in covered.chunks(DELETE_AT_ONCE) {
        let sql = format!(
            "DELETE FROM chunks WHERE doc_id = $1 AND seq IN ({})",
            placeholders(2, some.len())
        );
        let mut delete = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string());
        for seq in some {
            delete = delete.bind(*seq);
        }
        delete.execute(&mut *tx).await?;
    }
    sqlx::query_scalar(
        "INSERT INTO chunks (doc_id, kind, data, size) VALUES ($1, 'snapshot', $2, $3) RETURNING seq",
    )
    .bind(id.to_string())
    .bind(snapshot)
    .bind(snapshot.len() as i64)
    .fetch_one(&mut *tx)
    .await
}

/// The channel on which PostgreSQL tells every instance that a document has a new chunk (payload:
/// [`notice`]).
pub const CHANGED_CHANNEL: &str = "mamori_doc";

/// A notice's payload: the document and the new chunk's place (`<doc id> <seq>`), so that an instance
/// already holding that chunk (the one that wrote it) does nothing; and when the chunk is small, its bytes
/// (base64, ` <data>`), so that the others take it in without reading it back from the database.
pub fn notice(id: DocumentId, seq: Seq, data: Option<&[u8]>) -> String {
    use base64::Engine as _;
    match data {
        Some(data) if data.len() <= NOTICE_DATA_MAX => format!(
            "{id} {seq} {}",
            base64::engine::general_purpose::STANDARD.encode(data)
        ),
        _ => format!("{id} {seq}"),
    }
}

/// The largest chunk a notice carries: PostgreSQL's payloads end at 8,000 bytes, base64 takes 4 for 3.
const NOTICE_DATA_MAX: usize = 5_600;

/// What a notice says: the document, the new chunk's place and its bytes (each absent in a notice from an
/// older version, or for a chunk too large to carry).
pub fn parse_notice(payload: &str) -> Option<Notice> {
    use base64::Engine as _;
    let mut parts = payload.splitn(3, ' ');
    let id = DocumentId::parse(parts.next()?)?;
    let seq = match parts.next() {
        None => None,
        Some(seq) => Some(seq.parse().ok()?),
    };
    let data = match parts.next() {
        None => None,
        Some(b64) => Some(base64::engine::general_purpose::STANDARD.decode(b64).ok()?),
    };
    Some(Notice { id, seq, data })
}

/// A parsed [`notice`].
#[derive(Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: DocumentId,
    pub seq: Option<Seq>,
    pub data: Option<Vec<u8>>,
}

/// On PostgreSQL, tells every instance (at commit, not before) that these documents have new chunks: one
/// statement for the batch. Nothing on SQLite, where one process serves the file.
async fn announce(
    tx: &mut sqlx::AnyConnection,
    chunks: &[(DocumentId, Seq, Option<&[u8]>)],
) -> Result<(), sqlx::Error> {
    if chunks.is_empty() || Engine::of_connection(tx) != Engine::Postgres {
        return Ok(());
    }
    for some in chunks.chunks(DELETE_AT_ONCE) {
        let values = (1..=some.len())
            .map(|i| format!("(${i})"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT COUNT(pg_notify('{CHANGED_CHANNEL}', d)) FROM (VALUES {values}) AS v(d)"
        );
        let mut notify = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, seq, data) in some {
            notify = notify.bind(notice(*id, *seq, *data));
        }
        notify.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Commits a batch in one transaction; returns each document's new place, or why its write alone failed.
async fn commit(
    pool: &AnyPool,
    batch: &[Write],
) -> Result<std::collections::HashMap<DocumentId, Result<Seq, Failed>>, StoreError> {
    let mut places = std::collections::HashMap::new();
    // The log's turn first, then the transaction (the order every appender of the log takes them in).
    let log = batch.iter().find_map(|w| match w {
        Write::Append {
            record: Some(r), ..
        } => Some(r.log.clone()),
        _ => None,
    });
    let _turn = match &log {
        Some(log) => Some(log.turn().await),
        None => None,
    };
    let mut tx = db::write_tx(pool).await?;
    let appends: Vec<(&DocumentId, &Vec<u8>)> = batch
        .iter()
        .filter_map(|w| match w {
            Write::Append {
                id,
                data,
                record: None,
                ..
            } => Some((id, data)),
            _ => None,
        })
        .collect();
    let mut appended: Vec<(DocumentId, Seq, Option<&[u8]>)> = Vec::new();
    if !appends.is_empty() {
        let sql = insert_chunks(appends.len());
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        let data_of: std::collections::HashMap<DocumentId, &[u8]> = appends
            .iter()
            .map(|(id, data)| (**id, data.as_slice()))
            .collect();
        for (id, data) in &appends {
            insert = insert
                .bind(id.to_string())
                .bind(data.as_slice())
                .bind(data.len() as i64);
        }
        for row in insert.fetch_all(&mut *tx).await? {
            let id: String = row.get(0);
            let id = DocumentId::parse(&id)
                .ok_or_else(|| sqlx::Error::Protocol(format!("a chunk's doc_id {id:?}")))?;
            let seq = row.get::<i64, _>(1);
            places.insert(id, Ok(seq));
            appended.push((id, seq, data_of.get(&id).copied()));
        }
    }
    for w in batch {
        if let Write::Append {
            id,
            data,
            record: Some(record),
            ..
        } = w
        {
            // A savepoint: a claim taken meanwhile undoes this write alone.
            let mut one = sqlx::Connection::begin(&mut *tx).await?;
            match append_recorded_in(&mut one, id, data, record).await {
                Ok(seq) => {
                    one.commit().await?;
                    places.insert(*id, Ok(seq));
                    appended.push((*id, seq, Some(data.as_slice())));
                }
                Err(StoreError::ClaimTaken(actor)) => {
                    one.rollback().await?;
                    places.insert(*id, Err(Failed::ClaimTaken(actor)));
                }
                Err(e) => return Err(e),
            }
        }
    }
    announce(&mut tx, &appended).await?;
    for w in batch {
        if let Write::Compact {
            id,
            snapshot,
            covered,
            ..
        } = w
        {
            let seq = compact_in(&mut tx, id, snapshot, covered).await?;
            places.insert(*id, Ok(seq));
            // Others holding it learn of the snapshot's place (and that the chunks it replaced are gone).
            announce(&mut tx, &[(*id, seq, None)]).await?;
        }
    }
    tx.commit().await?;
    Ok(places)
}

/// One recorded append inside `tx` (the caller's savepoint): the chunk, its actor claims (refused when
/// one is someone else's), its access-log entries; returns the chunk's place.
async fn append_recorded_in(
    tx: &mut sqlx::AnyConnection,
    id: &DocumentId,
    data: &[u8],
    record: &Record,
) -> Result<Seq, StoreError> {
    let seq: Seq = sqlx::query_scalar(
        "INSERT INTO chunks (doc_id, kind, data, size) VALUES ($1, 'changes', $2, $3) RETURNING seq",
    )
    .bind(id.to_string())
    .bind(data)
    .bind(data.len() as i64)
    .fetch_one(&mut *tx)
    .await?;
    for claim in &record.claims {
        sqlx::query(
            "INSERT INTO actor_owners (actor, owner, device, registered_at) VALUES ($1, $2, $3, $4) ON CONFLICT (actor) DO NOTHING",
        )
        .bind(&claim.actor)
        .bind(&claim.owner)
        .bind(&claim.device)
        .bind(record.now)
        .execute(&mut *tx)
        .await?;
        let holder: String = sqlx::query_scalar("SELECT owner FROM actor_owners WHERE actor = $1")
            .bind(&claim.actor)
            .fetch_one(&mut *tx)
            .await?;
        if holder != claim.owner {
            return Err(StoreError::ClaimTaken(claim.actor.clone()));
        }
    }
    for event in &record.events {
        crate::access_log::append_in(&mut *tx, event, record.now).await?;
    }
    Ok(seq)
}

impl SqlStore {
    /// Opens (creating if needed) `mamori.db` in `dir` and applies the migrations.
    pub async fn open(dir: &Path) -> Result<SqlStore, StoreError> {
        Ok(SqlStore::on(db::open_sqlite_dir(dir).await?))
    }

    /// Opens (creating if needed) a SQLite file and applies the migrations.
    pub async fn open_file(path: &Path) -> Result<SqlStore, StoreError> {
        Ok(SqlStore::on(db::open_sqlite_file(path).await?))
    }

    /// The server's store: PostgreSQL at `database_url` when given, else SQLite in `data_dir`.
    pub async fn at(data_dir: &Path, database_url: Option<&str>) -> Result<SqlStore, StoreError> {
        match database_url {
            Some(url) => SqlStore::connect(url).await,
            None => SqlStore::open(data_dir).await,
        }
    }

    /// Opens the database at `url` (`postgres://…`, or `sqlite://…`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        Ok(SqlStore::on(db::open(url).await?))
    }

    /// The store on an open, migrated pool; starts its writer task.
    pub fn on(pool: AnyPool) -> SqlStore {
        let (writes, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(pool.clone(), queue));
        SqlStore { pool, writes }
    }

    /// The connection pool, shared with the directory of people (one database, one backup).
    pub fn pool(&self) -> AnyPool {
        self.pool.clone()
    }

    /// Which engine this store runs on.
    pub fn engine(&self) -> Engine {
        Engine::of(&self.pool)
    }

    /// Hands a write to the writer task and waits until it is committed.
    async fn write(&self, make: impl FnOnce(Done) -> Write) -> Result<Seq, StoreError> {
        let (done, committed) = oneshot::channel();
        self.writes
            .send(make(done))
            .await
            .map_err(|_| StoreError::Other("the store's writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Other("the store's writer has stopped".into()))?
            .map_err(|failed| match failed {
                Failed::ClaimTaken(actor) => StoreError::ClaimTaken(actor),
                Failed::Other(e) => StoreError::Other(e),
            })
    }
}

#[async_trait]
impl DocStore for SqlStore {
    async fn load_chunks(&self, id: DocumentId) -> Result<Option<Vec<(Seq, Vec<u8>)>>, StoreError> {
        let rows = sqlx::query("SELECT seq, data FROM chunks WHERE doc_id = $1 ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .map(|r| (r.get::<i64, _>(0), r.get::<Vec<u8>, _>(1)))
                .collect(),
        ))
    }

    async fn beside(&self, id: DocumentId, known: &[Seq]) -> Result<Beside, StoreError> {
        // One statement, so one snapshot: every place and size, and the bytes only of the chunks the copy
        // lacks (a long list of known places reads every chunk's bytes instead).
        let sql = if known.is_empty() || known.len() > DELETE_AT_ONCE {
            "SELECT seq, length(data), data FROM chunks WHERE doc_id = $1 ORDER BY seq".to_string()
        } else {
            format!(
                "SELECT seq, length(data), CASE WHEN seq IN ({}) THEN NULL ELSE data END FROM chunks WHERE doc_id = $1 ORDER BY seq",
                placeholders(2, known.len())
            )
        };
        let mut select = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string());
        if known.len() <= DELETE_AT_ONCE {
            for seq in known {
                select = select.bind(*seq);
            }
        }
        let known: std::collections::HashSet<Seq> = known.iter().copied().collect();
        let mut beside = Beside::default();
        for row in select.fetch_all(&self.pool).await? {
            let seq: i64 = row.get(0);
            beside
                .present
                .push((seq, row.get::<i64, _>(1).max(0) as usize));
            if let Some(data) = row.get::<Option<Vec<u8>>, _>(2)
                && !known.contains(&seq)
            {
                beside.unknown.push((seq, data));
            }
        }
        Ok(beside)
    }

    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<Seq, StoreError> {
        self.write(|done| Write::Append {
            id,
            data: changes,
            record: None,
            done,
        })
        .await
    }

    async fn append_recorded(
        &self,
        id: DocumentId,
        changes: Vec<u8>,
        record: Recorded<'_>,
    ) -> Result<Seq, StoreError> {
        self.write(|done| Write::Append {
            id,
            data: changes,
            record: Some(Record {
                claims: record.claims.to_vec(),
                events: record.events.to_vec(),
                now: record.now,
                log: record.log.clone(),
            }),
            done,
        })
        .await
    }

    async fn compact(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
        covered: Vec<Seq>,
    ) -> Result<Seq, StoreError> {
        self.write(|done| Write::Compact {
            id,
            snapshot,
            covered,
            done,
        })
        .await
    }

    async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        match self.engine() {
            // VACUUM INTO writes a consistent snapshot of the live database (readers and writers continue).
            Engine::Sqlite => {
                sqlx::query("VACUUM INTO $1")
                    .bind(to.display().to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
            // The engine's own tool: one consistent snapshot (a repeatable-read transaction) while
            // instances keep writing; the custom format is what pg_restore reads.
            Engine::Postgres => {
                let url = self.pool.connect_options().database_url.to_string();
                // The password goes in the environment, not the command line (`ps` shows that to anyone).
                let (bare, password) = crate::db::without_password(&url);
                let mut dump = tokio::process::Command::new("pg_dump");
                dump.arg("--format=custom")
                    .arg("--no-owner")
                    .arg("--file")
                    .arg(to)
                    .arg(&bare);
                if let Some(p) = password {
                    dump.env("PGPASSWORD", p);
                }
                let out = dump
                    .output()
                    .await
                    .map_err(|e| StoreError::Other(format!("pg_dump could not run: {e}")))?;
                if !out.status.success() {
                    let _ = std::fs::remove_file(to);
                    return Err(StoreError::Other(format!(
                        "pg_dump failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                std::fs::File::open(to)?.sync_all()?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transactions that read, then write, on four connections at once: each one's write must wait for
    /// the others, not fail with SQLITE_BUSY_SNAPSHOT (what a deferred `BEGIN` gives when another
    /// connection commits between its read and its write).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn read_then_write_transactions_wait_for_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(dir.path()).await.unwrap();
        let pool = store.pool();
        sqlx::query("CREATE TABLE counter (n INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO counter (n) VALUES (0)")
            .execute(&pool)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut tx = db::write_tx(&pool).await?;
                    let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
                        .fetch_one(&mut *tx)
                        .await?;
                    tokio::task::yield_now().await;
                    sqlx::query("UPDATE counter SET n = $1")
                        .bind(n + 1)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 40, "no update lost");
    }
}
