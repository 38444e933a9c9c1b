//! Where the server keeps documents: a small trait, so the embedded SQLite default can be joined by
//! PostgreSQL (a later issue) without touching sync code. A change from a signed-in person is stored with
//! its access-log entry and the actor ids it claims in one transaction ([`DocStore::append_recorded`]).
//!
//! Concurrency: the caller (a room) serialises writes per document, so implementations need not order
//! concurrent appends to one document; different documents may be written concurrently.

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
    #[error("the access log could not be written: {0}")]
    Log(#[from] crate::access_log::LogError),
    #[error("actor {0} was claimed by someone else meanwhile")]
    ClaimTaken(String),
}

/// An actor id the changes claim for their sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The actor id, hex.
    pub actor: String,
    /// `person:<id>` or `token:<id>`.
    pub owner: String,
    /// The sender's peer id, for the record.
    pub device: String,
}

/// What is written in the same transaction as a document's changes: the actor ids they claim and the
/// access-log entries that record them. Either all of it is written, or none of it and not the changes.
pub struct Recorded<'a> {
    pub claims: &'a [Claim],
    pub events: &'a [crate::access_log::Event],
    pub log: &'a crate::access_log::AccessLog,
    /// Server time for the log entries.
    pub now: i64,
}

#[async_trait]
pub trait DocStore: Send + Sync + 'static {
    /// Every chunk of a document, oldest first, or `None` if it was never stored.
    async fn load(&self, id: DocumentId) -> Result<Option<Vec<Vec<u8>>>, StoreError>;

    /// Appends changes as one more chunk. Durable when it returns (committed and synced to disk): the caller
    /// sends nothing that acknowledges these changes before then.
    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<(), StoreError>;

    /// As [`DocStore::append`], with the claims and access-log entries of `record` in the same transaction.
    async fn append_recorded(
        &self,
        id: DocumentId,
        changes: Vec<u8>,
        record: Recorded<'_>,
    ) -> Result<(), StoreError>;

    /// Replaces every chunk of the document with one snapshot, atomically.
    async fn compact(&self, id: DocumentId, snapshot: Vec<u8>) -> Result<(), StoreError>;

    /// Writes a consistent copy of the whole store to `to` while the server keeps running.
    async fn backup(&self, to: &Path) -> Result<(), StoreError>;
}
