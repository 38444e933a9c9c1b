//! Who may change which document, decided by the server per message, before anything is applied.
//!
//! Until people and sign-in exist every peer may write; the people-and-access issue replaces [`AllowAll`] with
//! the server's records of accounts, roles and vendors. [`ReadOnlyDocuments`] freezes chosen documents (tests,
//! and later an administrator's freeze).

use std::collections::HashSet;
use std::sync::RwLock;

use mamori_shared::model::{DocumentId, PeerId};

pub trait WritePolicy: Send + Sync + 'static {
    /// `Err(reason)` refuses the peer's changes to the document; the reason is shown to its user.
    fn may_write(&self, peer: &PeerId, doc: DocumentId) -> Result<(), String>;
}

/// Every peer may change every document it can open.
pub struct AllowAll;

impl WritePolicy for AllowAll {
    fn may_write(&self, _: &PeerId, _: DocumentId) -> Result<(), String> {
        Ok(())
    }
}

/// Refuses all changes to the documents in its set.
#[derive(Default)]
pub struct ReadOnlyDocuments(RwLock<HashSet<DocumentId>>);

impl ReadOnlyDocuments {
    pub fn freeze(&self, doc: DocumentId) {
        self.0.write().expect("policy lock").insert(doc);
    }

    pub fn thaw(&self, doc: DocumentId) {
        self.0.write().expect("policy lock").remove(&doc);
    }
}

impl WritePolicy for ReadOnlyDocuments {
    fn may_write(&self, _: &PeerId, doc: DocumentId) -> Result<(), String> {
        if self.0.read().expect("policy lock").contains(&doc) {
            Err("この文書は現在、変更を受け付けていません（閲覧のみ）".into())
        } else {
            Ok(())
        }
    }
}
