//! Where the server keeps documents: a small trait, so sync code does not know which database holds them
//! (SQLite or PostgreSQL, [`sql::SqlStore`] for both). A change from a signed-in person is stored with
//! its access-log entry and the actor ids it claims in one transaction ([`DocStore::append_recorded`]).
//!
//! Concurrency: the caller (a room) serialises writes per document within a process, so implementations
//! need not order concurrent appends to one document; different documents may be written concurrently, and
//! other instances sharing the database may append to the same document at any time (hence compaction by
//! named chunks).

pub mod sql;

use std::path::Path;

use async_trait::async_trait;
use mamori_shared::model::DocumentId;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
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
    /// The log whose turn the write takes (shared with the store's writer task, which commits many
    /// devices' recorded changes in one transaction).
    pub log: &'a std::sync::Arc<crate::access_log::AccessLog>,
    /// Server time for the log entries.
    pub now: i64,
}

/// A document's chunks in the store beside a copy of it (see [`DocStore::beside`]).
#[derive(Debug, Default)]
pub struct Beside {
    /// Every chunk's place and size, as the store holds them now.
    pub present: Vec<(Seq, usize)>,
    /// The chunks the copy lacks, with their bytes, oldest first.
    pub unknown: Vec<(Seq, Vec<u8>)>,
}

/// A stored chunk's place in the store: increasing with each write (a compaction deletes exactly the chunks
/// it was given, by these).
pub type Seq = i64;

#[async_trait]
pub trait DocStore: Send + Sync + 'static {
    /// Every chunk of a document with its place, oldest first, or `None` if it was never stored.
    async fn load_chunks(&self, id: DocumentId) -> Result<Option<Vec<(Seq, Vec<u8>)>>, StoreError>;

    /// Every chunk of a document, oldest first, or `None` if it was never stored.
    async fn load(&self, id: DocumentId) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        Ok(self
            .load_chunks(id)
            .await?
            .map(|chunks| chunks.into_iter().map(|(_, data)| data).collect()))
    }

    /// What the store holds of a document beside a copy that knows the chunks `known`: every chunk's place
    /// and size now (another instance's compaction may have replaced some), and the bytes of those the copy
    /// lacks. One consistent read.
    async fn beside(&self, id: DocumentId, known: &[Seq]) -> Result<Beside, StoreError> {
        let known: std::collections::HashSet<Seq> = known.iter().copied().collect();
        let chunks = self.load_chunks(id).await?.unwrap_or_default();
        Ok(Beside {
            present: chunks.iter().map(|(s, d)| (*s, d.len())).collect(),
            unknown: chunks
                .into_iter()
                .filter(|(seq, _)| !known.contains(seq))
                .collect(),
        })
    }

    /// Appends changes as one more chunk; returns its place. Durable when it returns (committed and synced to
    /// disk): the caller sends nothing that acknowledges these changes before then.
    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<Seq, StoreError>;

    /// As [`DocStore::append`], with the claims and access-log entries of `record` in the same transaction.
    async fn append_recorded(
        &self,
        id: DocumentId,
        changes: Vec<u8>,
        record: Recorded<'_>,
    ) -> Result<Seq, StoreError>;

    /// Replaces the chunks `covered` (those whose changes the snapshot holds) with one snapshot, atomically;
    /// returns the snapshot's place. Chunks not named stay: another instance may have appended one meanwhile
    /// that this snapshot lacks, and deleting "every chunk of the document" would lose it.
    async fn compact(
        &self,
        id: DocumentId,
        snapshot: Vec<u8>,
        covered: Vec<Seq>,
    ) -> Result<Seq, StoreError>;

    /// Writes a consistent copy of the whole store to `to` while the server keeps running.
    async fn backup(&self, to: &Path) -> Result<(), StoreError>;
}
