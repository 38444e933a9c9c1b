//! On-device persistence of document bytes in IndexedDB.
//!
//! IndexedDB, not localStorage: localStorage holds only ~5 MB of strings and blocks the main thread, and a
//! large hospital's documents outgrow it. Each document is one record (its full Automerge save) keyed by
//! document id; a put is one transaction, so a failed write (a full disk) leaves the previous copy intact.

use js_sys::Uint8Array;
use mamori_shared::model::DocumentId;
use rexie::{ObjectStore, Rexie, TransactionMode};
use thiserror::Error;
use wasm_bindgen::JsValue;

const DB_NAME: &str = "mamori";
const STORE: &str = "documents";

#[derive(Debug, Clone, Error, PartialEq)]
pub enum StorageError {
    /// The browser refused the write because the site's storage quota is used up.
    #[error("the device storage for Mamori is full")]
    QuotaExceeded,
    #[error("on-device storage failed: {0}")]
    Failed(String),
}

impl From<rexie::Error> for StorageError {
    fn from(e: rexie::Error) -> StorageError {
        let detail = match &e {
            rexie::Error::IdbError(idb::Error::DomException(d)) => {
                format!("{}: {}", d.name(), d.message())
            }
            other => format!("{other:?}"),
        };
        // Chromium reports a full quota as QuotaExceededError; Safari and Firefox name it in the message.
        if detail.contains("QuotaExceeded") || detail.to_lowercase().contains("quota") {
            StorageError::QuotaExceeded
        } else {
            StorageError::Failed(detail)
        }
    }
}

/// An open connection to the device database.
#[derive(Clone)]
pub struct DeviceStore {
    db: std::rc::Rc<Rexie>,
}

impl DeviceStore {
    pub async fn open() -> Result<DeviceStore, StorageError> {
        DeviceStore::open_named(DB_NAME).await
    }

    /// A database under another name (the storage benchmark uses its own, never the user's).
    pub async fn open_named(name: &str) -> Result<DeviceStore, StorageError> {
        let db = Rexie::builder(name)
            .version(1)
            .add_object_store(ObjectStore::new(STORE))
            .build()
            .await?;
        Ok(DeviceStore {
            db: std::rc::Rc::new(db),
        })
    }

    /// Removes every record (the benchmark's own database only).
    pub async fn clear(&self) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
        tx.store(STORE)?.clear().await?;
        tx.done().await?;
        Ok(())
    }

    /// Writes one document; resolves only once the transaction has committed.
    pub async fn save(&self, id: DocumentId, bytes: &[u8]) -> Result<(), StorageError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
        let store = tx.store(STORE)?;
        let value: JsValue = Uint8Array::from(bytes).into();
        store
            .put(&value, Some(&JsValue::from_str(&id.to_string())))
            .await?;
        tx.done().await?;
        Ok(())
    }

    /// Every stored document. Records whose key is not a document id are skipped (never deleted).
    pub async fn load_all(&self) -> Result<Vec<(DocumentId, Vec<u8>)>, StorageError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly)?;
        let store = tx.store(STORE)?;
        let rows = store.scan(None, None, None, None).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, v)| {
                let id = DocumentId::parse(&k.as_string()?)?;
                Some((id, Uint8Array::new(&v).to_vec()))
            })
            .collect())
    }
}
