//! An in-memory store for tests.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use mamori_shared::model::DocumentId;

use super::{DocStore, StoreError};

#[derive(Default)]
pub struct MemoryStore {
    docs: Mutex<HashMap<DocumentId, Vec<Vec<u8>>>>,
}

#[async_trait]
impl DocStore for MemoryStore {
    async fn load(&self, id: DocumentId) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        Ok(self.docs.lock().expect("store lock").get(&id).cloned())
    }

    async fn append(&self, id: DocumentId, changes: Vec<u8>) -> Result<(), StoreError> {
        let mut docs = self.docs.lock().expect("store lock");
        docs.entry(id).or_default().push(changes);
        Ok(())
    }

    async fn compact(&self, id: DocumentId, snapshot: Vec<u8>) -> Result<(), StoreError> {
        self.docs
            .lock()
            .expect("store lock")
            .insert(id, vec![snapshot]);
        Ok(())
    }

    async fn backup(&self, _to: &Path) -> Result<(), StoreError> {
        Err(StoreError::Other(
            "the in-memory store has nothing to back up".into(),
        ))
    }
}
