//! The embedded default store: SQLite in the data folder, no set-up by the user.
//!
//! WAL mode with `synchronous = FULL`, so a committed append is on disk before `append` returns: whatever a
//! client was told the server has survives `kill -9`.
//!
//! Writes go through one writer task that commits whatever has queued up meanwhile in one transaction (group
//! commit): one disk sync for many devices' changes instead of one each. Under load this was the difference
//! between the store and Automerge being the bottleneck (see docs/sync.md, sync under load).

use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use mamori_shared::model::DocumentId;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use tokio::sync::{mpsc, oneshot};

use super::{DocStore, Recorded, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
    writes: mpsc::Sender<Write>,
}

/// Pages of write-ahead log after which a commit also copies the log into the database.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 100;

/// A commit slower than this is logged.
const SLOW_COMMIT: std::time::Duration = std::time::Duration::from_millis(250);

/// The most writes committed in one transaction (three SQL parameters each, well under SQLite's limit).
const MAX_BATCH: usize = 256;

/// One write waiting for the writer task.
enum Write {
    Append {
        id: DocumentId,
        data: Vec<u8>,
        done: oneshot::Sender<Result<(), String>>,
    },
    Compact {
        id: DocumentId,
        snapshot: Vec<u8>,
        done: oneshot::Sender<Result<(), String>>,
    },
}

impl Write {
    fn finish(self, result: Result<(), String>) {
        let done = match self {
            Write::Append { done, .. } | Write::Compact { done, .. } => done,
        };
        let _ = done.send(result);
    }
}

/// Commits queued writes in batches until every sender is gone. Rooms serialise writes per document, so one
/// batch never holds two writes to the same document and their order within it does not matter.
async fn write_batches(pool: SqlitePool, mut queue: mpsc::Receiver<Write>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(w) => batch.push(w),
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
            w.finish(result.clone());
        }
    }
}

/// Starts a write transaction that holds SQLite's write lock from its first statement (`BEGIN IMMEDIATE`).
/// A deferred one that reads before it writes fails with `SQLITE_BUSY_SNAPSHOT` (517) when another
/// connection committed in between, and `busy_timeout` cannot wait that out: under load it surfaced as a
/// 500 on accepting an invitation. Every transaction that writes starts here.
pub async fn write_tx(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

async fn commit(pool: &SqlitePool, batch: &[Write]) -> Result<(), sqlx::Error> {
    let mut tx = write_tx(pool).await?;
    let appends: Vec<(&DocumentId, &Vec<u8>)> = batch
        .iter()
        .filter_map(|w| match w {
            Write::Append { id, data, .. } => Some((id, data)),
            Write::Compact { .. } => None,
        })
        .collect();
    if !appends.is_empty() {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO chunks (doc_id, kind, data) ");
        insert.push_values(appends, |mut row, (id, data)| {
            row.push_bind(id.to_string())
                .push_bind("changes")
                .push_bind(data.as_slice());
        });
        insert.build().execute(&mut *tx).await?;
    }
    for w in batch {
        if let Write::Compact { id, snapshot, .. } = w {
            sqlx::query("DELETE FROM chunks WHERE doc_id = ?")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO chunks (doc_id, kind, data) VALUES (?, 'snapshot', ?)")
                .bind(id.to_string())
                .bind(snapshot.as_slice())
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

impl SqliteStore {
    /// Opens (creating if needed) `mamori.db` in `dir` and applies the migrations.
    pub async fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir)?;
        SqliteStore::open_file(&dir.join("mamori.db")).await
    }

    pub async fn open_file(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // SQLite copies its write-ahead log into the database inside whichever commit fills it past this
            // many pages, and every change waiting to be stored waits for that commit. At the default 1,000
            // pages that took 40–70 ms now and then (the spikes in the sync benchmark's p99); 100 pages
            // spreads the same work over commits of a few milliseconds.
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let (writes, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(pool.clone(), queue));
        Ok(SqliteStore { pool, writes })
    }

    /// The connection pool, shared with the directory of people (one database file, one backup).
    pub fn pool(&self) -> SqlitePool {
        self.pool.clone()
    }

    /// Hands a write to the writer task and waits until it is committed.
    async fn write(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), String>>) -> Write,
    ) -> Result<(), StoreError> {
        let (done, committed) = oneshot::channel();
        self.writes
            .send(make(done))
            .await
            .map_err(|_| StoreError::Other("the store's writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Other("the store's writer has stopped".into()))?
            .map_err(StoreError::Other)
    }
}

#[async_trait]
impl DocStore for SqliteStore {
    async fn load(&self, id: DocumentId) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let rows = sqlx::query("SELECT data FROM chunks WHERE doc_id = ? ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter().map(|r| r.get::<Vec<u8>, _>(0)).collect(),
        ))
    }

    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<(), StoreError> {
        self.write(|done| Write::Append {
            id,
            data: changes,
            done,
        })
        .await
    }

    async fn append_recorded(
        &self,
        id: DocumentId,
        changes: Vec<u8>,
        record: Recorded<'_>,
    ) -> Result<(), StoreError> {
        // Not through the group-committing writer: the log's chain is appended under its own turn, and the
        // whole write must stand or fall alone.
        let _turn = record.log.turn().await;
        let mut tx = write_tx(&self.pool).await?;
        sqlx::query("INSERT INTO chunks (doc_id, kind, data) VALUES (?, 'changes', ?)")
            .bind(id.to_string())
            .bind(changes.as_slice())
            .execute(&mut *tx)
            .await?;
        for claim in record.claims {
            sqlx::query(
                "INSERT INTO actor_owners (actor, owner, device, registered_at) VALUES (?, ?, ?, ?) ON CONFLICT (actor) DO NOTHING",
            )
            .bind(&claim.actor)
            .bind(&claim.owner)
            .bind(&claim.device)
            .bind(record.now)
            .execute(&mut *tx)
            .await?;
            let holder: String =
                sqlx::query_scalar("SELECT owner FROM actor_owners WHERE actor = ?")
                    .bind(&claim.actor)
                    .fetch_one(&mut *tx)
                    .await?;
            if holder != claim.owner {
                return Err(StoreError::ClaimTaken(claim.actor.clone()));
            }
        }
        for event in record.events {
            crate::access_log::append_in(&mut tx, event, record.now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn compact(&self, id: DocumentId, snapshot: Vec<u8>) -> Result<(), StoreError> {
        self.write(|done| Write::Compact { id, snapshot, done })
            .await
    }

    async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        // VACUUM INTO writes a consistent snapshot of the live database (readers and writers continue).
        sqlx::query("VACUUM INTO ?")
            .bind(to.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
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
        let store = SqliteStore::open(dir.path()).await.unwrap();
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
                    let mut tx = write_tx(&pool).await?;
                    let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
                        .fetch_one(&mut *tx)
                        .await?;
                    tokio::task::yield_now().await;
                    sqlx::query("UPDATE counter SET n = ?")
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

    #[tokio::test]
    async fn appends_survive_reopen_and_compaction_replaces_chunks() {
        let dir = std::env::temp_dir().join(format!("mamori-store-{}", uuid_like()));
        let id = DocumentId::generate();
        {
            let store = SqliteStore::open(&dir).await.unwrap();
            assert_eq!(store.load(id).await.unwrap(), None);
            store.append(id, vec![1]).await.unwrap();
            store.append(id, vec![2]).await.unwrap();
        }
        let store = SqliteStore::open(&dir).await.unwrap();
        assert_eq!(store.load(id).await.unwrap(), Some(vec![vec![1], vec![2]]));
        store.compact(id, vec![9]).await.unwrap();
        assert_eq!(store.load(id).await.unwrap(), Some(vec![vec![9]]));
        let copy = dir.join("backup.db");
        store.backup(&copy).await.unwrap();
        let restored = SqliteStore::open_file(&copy).await.unwrap();
        assert_eq!(restored.load(id).await.unwrap(), Some(vec![vec![9]]));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn concurrent_appends_commit_together_and_all_land() {
        let dir = std::env::temp_dir().join(format!("mamori-store-{}", uuid_like()));
        let store = std::sync::Arc::new(SqliteStore::open(&dir).await.unwrap());
        let ids: Vec<DocumentId> = (0..300).map(|_| DocumentId::generate()).collect();
        let tasks: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let (store, id) = (store.clone(), *id);
                tokio::spawn(async move { store.append(id, vec![i as u8; 10]).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                store.load(*id).await.unwrap(),
                Some(vec![vec![i as u8; 10]])
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn uuid_like() -> String {
        format!(
            "{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )
    }
}
