//! Where the server keeps documents: a small trait, so the embedded SQLite default can be joined by
//! PostgreSQL (a later issue) without touching sync code.
//!
//! Concurrency: the caller (a room) serialises writes per document, so implementations need not order
//! concurrent appends to one document; different documents may be written concurrently.

pub mod memory;
pub mod sqlite;

use std::path::Path;

use async_trait::async_trait;
use mamori_shared::model::DocumentId;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

#[async_trait]
pub trait DocStore: Send + Sync + 'static {
    /// Every chunk of a document, oldest first, or `None` if it was never stored.
    async fn load(&self, id: DocumentId) -> Result<Option<Vec<Vec<u8>>>, StoreError>;

    /// Appends changes as one more chunk. Durable when it returns (committed and synced to disk): the caller
    /// sends nothing that acknowledges these changes before then.
    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<(), StoreError>;

    /// Replaces every chunk of the document with one snapshot, atomically.
    async fn compact(&self, id: DocumentId, snapshot: Vec<u8>) -> Result<(), StoreError>;

    /// Writes a consistent copy of the whole store to `to` while the server keeps running.
    async fn backup(&self, to: &Path) -> Result<(), StoreError>;
}
