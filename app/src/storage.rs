//! On-device persistence of document bytes in IndexedDB.
//!
//! IndexedDB, not localStorage: localStorage holds only ~5 MB of strings and blocks the main thread, and a
//! large hospital's documents outgrow it. Each document is one record (its full Automerge save) keyed by
//! document id; a put is one transaction, so a failed write (a full disk) leaves the previous copy intact.
//!
//! Written directly on web-sys (about a hundred lines) rather than a wrapper crate, because telling a full
//! disk from other failures needs the *transaction's* error (`QuotaExceededError`), while the request only
//! reports `AbortError`.

use js_sys::{Array, Function, Promise, Uint8Array};
use mamori_shared::model::DocumentId;
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction, IdbTransactionMode,
};

const DB_NAME: &str = "mamori";
const STORE: &str = "documents";
/// Copies of documents whose changes the server refused, kept until the user exports and removes them.
const SET_ASIDE: &str = "set_aside";
const VERSION: u32 = 2;

/// One set-aside copy.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAside {
    /// IndexedDB key (assigned on write).
    pub key: f64,
    pub document: DocumentId,
    pub reason: String,
    pub at_ms: f64,
    /// What the document was, for people (e.g. 令和8年度 医療機関確認用).
    pub title: String,
    /// The device's copy, whole (an Automerge save).
    pub bytes: Vec<u8>,
    /// Who was signed in when the server refused it: when someone else signs in, it is offered again (a
    /// shared tablet's earlier person may be the one whose changes these are).
    pub refused_for: Option<mamori_shared::model::PersonId>,
}

#[derive(Debug, Clone, Error, PartialEq)]
pub enum StorageError {
    /// The browser refused the write because the device (or the site's quota) is full.
    #[error("the device storage for Mamori is full")]
    QuotaExceeded,
    #[error("on-device storage failed: {0}")]
    Failed(String),
}

impl StorageError {
    fn from_js(e: JsValue) -> StorageError {
        match e.dyn_ref::<DomException>() {
            // Safari and Firefox say QuotaExceededError; Chromium, when the disk itself is full, aborts with
            // an UnknownError whose message names FILE_ERROR_NO_SPACE.
            Some(d) if d.name() == "QuotaExceededError" || d.message().contains("NO_SPACE") => {
                StorageError::QuotaExceeded
            }
            Some(d) => StorageError::Failed(format!("{}: {}", d.name(), d.message())),
            None => StorageError::Failed(format!("{e:?}")),
        }
    }
}

/// Resolves with `result()` when `target` fires one of `ok`, rejects with `error()` on one of `fail`.
///
/// The listeners are attached at once (not at the first poll), so an event that fires before the caller
/// awaits is not missed; they are removed and freed once it settles, so nothing leaks per operation.
fn settle<R, E>(
    target: &web_sys::EventTarget,
    ok: &'static [&'static str],
    fail: &'static [&'static str],
    result: R,
    error: E,
) -> impl std::future::Future<Output = Result<JsValue, JsValue>> + use<R, E>
where
    R: Fn() -> JsValue + 'static,
    E: Fn() -> JsValue + 'static,
{
    let mut callbacks: Option<(Function, Function)> = None;
    let promise = Promise::new(&mut |resolve, reject| callbacks = Some((resolve, reject)));
    let (resolve, reject) = callbacks.expect("the promise executor runs at once");
    let on_ok = Closure::<dyn FnMut()>::new(move || {
        let _ = resolve.call1(&JsValue::NULL, &result());
    });
    let on_fail = Closure::<dyn FnMut()>::new(move || {
        let _ = reject.call1(&JsValue::NULL, &error());
    });
    for name in ok {
        let _ = target.add_event_listener_with_callback(name, on_ok.as_ref().unchecked_ref());
    }
    for name in fail {
        let _ = target.add_event_listener_with_callback(name, on_fail.as_ref().unchecked_ref());
    }
    let target = target.clone();
    async move {
        let out = JsFuture::from(promise).await;
        for name in ok {
            let _ =
                target.remove_event_listener_with_callback(name, on_ok.as_ref().unchecked_ref());
        }
        for name in fail {
            let _ =
                target.remove_event_listener_with_callback(name, on_fail.as_ref().unchecked_ref());
        }
        out
    }
}

fn request(req: IdbRequest) -> impl std::future::Future<Output = Result<JsValue, StorageError>> {
    let (r1, r2) = (req.clone(), req.clone());
    let pending = settle(
        &req,
        &["success"],
        &["error"],
        move || r1.result().unwrap_or(JsValue::UNDEFINED),
        move || {
            r2.error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::UNDEFINED)
        },
    );
    async move { pending.await.map_err(StorageError::from_js) }
}

/// Waits for a transaction to commit; its error (not the request's) says why it aborted.
fn committed(tx: IdbTransaction) -> impl std::future::Future<Output = Result<(), StorageError>> {
    let t = tx.clone();
    let pending = settle(
        &tx,
        &["complete"],
        &["abort", "error"],
        || JsValue::UNDEFINED,
        move || t.error().map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
    );
    async move { pending.await.map(|_| ()).map_err(StorageError::from_js) }
}

/// An open connection to the device database.
#[derive(Clone)]
pub struct DeviceStore {
    db: IdbDatabase,
}

impl DeviceStore {
    pub async fn open() -> Result<DeviceStore, StorageError> {
        DeviceStore::open_named(DB_NAME).await
    }

    /// A database under another name (the storage benchmark uses its own, never the user's).
    pub async fn open_named(name: &str) -> Result<DeviceStore, StorageError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or_else(|| {
                StorageError::Failed("IndexedDB is not available in this browser".into())
            })?;
        let open = factory
            .open_with_u32(name, VERSION)
            .map_err(StorageError::from_js)?;
        let upgrading = open.clone();
        // Upgrades only add stores, so every older database opens without losing anything.
        let on_upgrade = Closure::<dyn FnMut()>::new(move || {
            let Ok(db) = upgrading.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
                return;
            };
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
            if !db.object_store_names().contains(SET_ASIDE) {
                let params = web_sys::IdbObjectStoreParameters::new();
                params.set_auto_increment(true);
                let _ = db.create_object_store_with_optional_parameters(SET_ASIDE, &params);
            }
        });
        open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let db = request(open.clone().into()).await;
        open.set_onupgradeneeded(None);
        let db = db?
            .dyn_into::<IdbDatabase>()
            .map_err(StorageError::from_js)?;
        Ok(DeviceStore { db })
    }

    fn store(
        &self,
        mode: IdbTransactionMode,
    ) -> Result<(IdbTransaction, IdbObjectStore), StorageError> {
        self.store_named(STORE, mode)
    }

    fn store_named(
        &self,
        name: &str,
        mode: IdbTransactionMode,
    ) -> Result<(IdbTransaction, IdbObjectStore), StorageError> {
        let tx = self
            .db
            .transaction_with_str_and_mode(name, mode)
            .map_err(StorageError::from_js)?;
        let store = tx.object_store(name).map_err(StorageError::from_js)?;
        Ok((tx, store))
    }

    /// Removes one document (before it is fetched again from the server after a refusal).
    pub async fn delete(&self, id: DocumentId) -> Result<(), StorageError> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let done = committed(tx);
        store
            .delete(&JsValue::from_str(&id.to_string()))
            .map_err(StorageError::from_js)?;
        done.await
    }

    /// Keeps a refused copy (the key is assigned by the database).
    pub async fn put_set_aside(&self, entry: &SetAside) -> Result<(), StorageError> {
        let (tx, store) = self.store_named(SET_ASIDE, IdbTransactionMode::Readwrite)?;
        let done = committed(tx);
        let obj = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&obj, &JsValue::from_str(k), &v);
        let _ = set("document", JsValue::from_str(&entry.document.to_string()));
        let _ = set("reason", JsValue::from_str(&entry.reason));
        let _ = set("atMs", JsValue::from_f64(entry.at_ms));
        let _ = set("title", JsValue::from_str(&entry.title));
        let _ = set("bytes", Uint8Array::from(entry.bytes.as_slice()).into());
        if let Some(p) = entry.refused_for {
            let _ = set("refusedFor", JsValue::from_str(&p.to_string()));
        }
        store.add(&obj).map_err(StorageError::from_js)?;
        done.await
    }

    /// Every set-aside copy, oldest first.
    pub async fn set_aside(&self) -> Result<Vec<SetAside>, StorageError> {
        let (_tx, store) = self.store_named(SET_ASIDE, IdbTransactionMode::Readonly)?;
        let keys = request(store.get_all_keys().map_err(StorageError::from_js)?);
        let values = request(store.get_all().map_err(StorageError::from_js)?);
        let (keys, values) = (Array::from(&keys.await?), Array::from(&values.await?));
        let get = |o: &JsValue, k: &str| {
            js_sys::Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
        };
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| {
                Some(SetAside {
                    key: k.as_f64()?,
                    document: DocumentId::parse(&get(&v, "document").as_string()?)?,
                    reason: get(&v, "reason").as_string().unwrap_or_default(),
                    at_ms: get(&v, "atMs").as_f64().unwrap_or_default(),
                    title: get(&v, "title").as_string().unwrap_or_default(),
                    bytes: get(&v, "bytes").dyn_into::<Uint8Array>().ok()?.to_vec(),
                    refused_for: get(&v, "refusedFor")
                        .as_string()
                        .and_then(|p| mamori_shared::model::PersonId::parse(&p)),
                })
            })
            .collect())
    }

    /// Removes a set-aside copy (after the user exported it).
    pub async fn delete_set_aside(&self, key: f64) -> Result<(), StorageError> {
        let (tx, store) = self.store_named(SET_ASIDE, IdbTransactionMode::Readwrite)?;
        let done = committed(tx);
        store
            .delete(&JsValue::from_f64(key))
            .map_err(StorageError::from_js)?;
        done.await
    }

    /// Writes one document; resolves only once the transaction has committed.
    pub async fn save(&self, id: DocumentId, bytes: &[u8]) -> Result<(), StorageError> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let value: JsValue = Uint8Array::from(bytes).into();
        store
            .put_with_key(&value, &JsValue::from_str(&id.to_string()))
            .map_err(StorageError::from_js)?;
        committed(tx).await
    }

    /// Writes one document after merging in what is already stored (another tab of this device may have saved
    /// changes this tab has not seen): read, merge and write happen in one transaction, so two tabs never
    /// overwrite each other's changes. `merge` gets the stored bytes and returns what to store (`None`: write
    /// nothing, the document is gone from this device).
    pub async fn save_merged(
        &self,
        id: DocumentId,
        merge: impl FnOnce(Option<Vec<u8>>) -> Option<Vec<u8>>,
    ) -> Result<(), StorageError> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let key = JsValue::from_str(&id.to_string());
        let done = committed(tx);
        let stored = request(store.get(&key).map_err(StorageError::from_js)?).await?;
        let stored = stored.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec());
        let Some(bytes) = merge(stored) else {
            return done.await;
        };
        let value: JsValue = Uint8Array::from(bytes.as_slice()).into();
        store
            .put_with_key(&value, &key)
            .map_err(StorageError::from_js)?;
        done.await
    }

    /// One stored document.
    pub async fn load(&self, id: DocumentId) -> Result<Option<Vec<u8>>, StorageError> {
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        let stored = request(
            store
                .get(&JsValue::from_str(&id.to_string()))
                .map_err(StorageError::from_js)?,
        )
        .await?;
        Ok(stored.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec()))
    }

    /// Every stored document. Records whose key is not a document id are skipped (never deleted).
    pub async fn load_all(&self) -> Result<Vec<(DocumentId, Vec<u8>)>, StorageError> {
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        // Both requests are made before awaiting either, so the transaction stays active for both.
        let keys = request(store.get_all_keys().map_err(StorageError::from_js)?);
        let values = request(store.get_all().map_err(StorageError::from_js)?);
        let (keys, values) = (keys.await?, values.await?);
        let (keys, values) = (Array::from(&keys), Array::from(&values));
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| {
                let id = DocumentId::parse(&k.as_string()?)?;
                Some((id, v.dyn_into::<Uint8Array>().ok()?.to_vec()))
            })
            .collect())
    }

    /// Removes every record (the benchmark's own database only).
    pub async fn clear(&self) -> Result<(), StorageError> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        store.clear().map_err(StorageError::from_js)?;
        committed(tx).await
    }
}
