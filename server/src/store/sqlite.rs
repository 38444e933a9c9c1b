//! The embedded default store: SQLite in the data folder, no set-up by the user.
//!
//! WAL mode with `synchronous = FULL`, so a committed append is on disk before `append` returns: whatever a
//! client was told the server has survives `kill -9`.

use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use mamori_shared::model::DocumentId;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{DocStore, StoreError};

pub struct SqliteStore {
    pool: SqlitePool,
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
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(SqliteStore { pool })
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

    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO chunks (doc_id, kind, data) VALUES (?, 'changes', ?)")
            .bind(id.to_string())
            .bind(changes)
            .execute(&mut *tx)
            .await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chunks WHERE doc_id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(count as usize)
    }

    async fn compact(&self, id: DocumentId, snapshot: Vec<u8>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM chunks WHERE doc_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO chunks (doc_id, kind, data) VALUES (?, 'snapshot', ?)")
            .bind(id.to_string())
            .bind(snapshot)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
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

    #[tokio::test]
    async fn appends_survive_reopen_and_compaction_replaces_chunks() {
        let dir = std::env::temp_dir().join(format!("mamori-store-{}", uuid_like()));
        let id = DocumentId::generate();
        {
            let store = SqliteStore::open(&dir).await.unwrap();
            assert_eq!(store.load(id).await.unwrap(), None);
            assert_eq!(store.append(id, vec![1]).await.unwrap(), 1);
            assert_eq!(store.append(id, vec![2]).await.unwrap(), 2);
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
