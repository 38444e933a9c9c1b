//! Live documents: one room per document that any connection has touched, holding the document, its
//! subscribers, and how many chunks it has in the store.
//!
//! Writes to one document are serialised by the room's lock, which is held across the store append: a
//! change is durable before any connection can generate a message that includes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::AutoCommit;
use mamori_shared::model::DocumentId;
use tokio::sync::mpsc;

use crate::store::{DocStore, StoreError};

/// Compact a document's chunks into one snapshot once it has this many.
const COMPACT_AFTER: usize = 64;

/// A connection's inbox of "this document changed" notes.
pub type Inbox = mpsc::Sender<DocumentId>;

pub struct Room {
    pub id: DocumentId,
    pub doc: tokio::sync::Mutex<RoomDoc>,
    subscribers: Mutex<HashMap<u64, Inbox>>,
}

pub struct RoomDoc {
    pub doc: AutoCommit,
    /// Chunks in the store (0: never stored, the room exists only in memory).
    pub chunks: usize,
}

impl Room {
    pub fn subscribe(&self, conn: u64, inbox: Inbox) {
        self.subscribers
            .lock()
            .expect("room lock")
            .insert(conn, inbox);
    }

    pub fn unsubscribe(&self, conn: u64) {
        self.subscribers.lock().expect("room lock").remove(&conn);
    }

    /// Tells every other subscriber that the document changed. A full inbox already holds a note that will
    /// make its connection read the latest state, so a dropped note loses nothing.
    pub fn notify_others(&self, from: u64) {
        for (conn, inbox) in self.subscribers.lock().expect("room lock").iter() {
            if *conn != from {
                let _ = inbox.try_send(self.id);
            }
        }
    }
}

impl RoomDoc {
    /// Persists the changes made since `before`, durably, compacting when the chunks pile up.
    pub async fn persist_since(
        &mut self,
        id: DocumentId,
        before: &[automerge::ChangeHash],
        store: &dyn DocStore,
    ) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        for mut change in self.doc.get_changes(before) {
            bytes.extend_from_slice(&change.bytes());
        }
        if bytes.is_empty() {
            return Ok(());
        }
        self.chunks = store.append(id, bytes).await?;
        if self.chunks >= COMPACT_AFTER {
            store.compact(id, self.doc.save()).await?;
            self.chunks = 1;
        }
        Ok(())
    }
}

/// Every live room.
pub struct Rooms {
    store: Arc<dyn DocStore>,
    rooms: Mutex<HashMap<DocumentId, Arc<Room>>>,
}

impl Rooms {
    pub fn new(store: Arc<dyn DocStore>) -> Rooms {
        Rooms {
            store,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &dyn DocStore {
        self.store.as_ref()
    }

    /// The room for a document, loading it from the store; a new empty room when `create` is set and the
    /// document was never stored; `None` otherwise.
    pub async fn open(
        &self,
        id: DocumentId,
        create: bool,
    ) -> Result<Option<Arc<Room>>, StoreError> {
        if let Some(room) = self.rooms.lock().expect("rooms lock").get(&id) {
            return Ok(Some(room.clone()));
        }
        let (doc, chunks) = match self.store.load(id).await? {
            Some(chunks) => {
                let mut doc = AutoCommit::new();
                for chunk in &chunks {
                    doc.load_incremental(chunk).map_err(|e| {
                        StoreError::Other(format!("document {id} in the store does not load: {e}"))
                    })?;
                }
                (doc, chunks.len())
            }
            None if create => (AutoCommit::new(), 0),
            None => return Ok(None),
        };
        let mut rooms = self.rooms.lock().expect("rooms lock");
        // Another connection may have opened it meanwhile: keep the first.
        let room = rooms
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Room {
                    id,
                    doc: tokio::sync::Mutex::new(RoomDoc { doc, chunks }),
                    subscribers: Mutex::default(),
                })
            })
            .clone();
        Ok(Some(room))
    }

    /// Drops a room from memory (after a failed write), so the next open reloads what the store has.
    pub fn evict(&self, id: DocumentId) {
        self.rooms.lock().expect("rooms lock").remove(&id);
    }
}
