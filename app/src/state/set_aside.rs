//! Copies set aside: when the server refuses this device's changes to a document, the device's copy is
//! kept whole in IndexedDB (exportable from 保留中の変更), the document is fetched again, and the copy is
//! offered again when someone else signs in. Nothing entered is lost.

use automerge::AutoCommit;
use leptos::prelude::*;
use mamori_shared::model::{DocumentId, PersonId};
use mamori_shared::schema::checklist::{self};

use super::*;
use crate::storage::StorageError;

impl Workspace {
    /// The server refused this device's changes to `id` (on a connection signed in as `refused_for`): keep this device's copy whole in the set-aside
    /// store, then empty the document so it is fetched again from the server. Nothing entered is lost: the
    /// copy can be exported as a file from the 保留中の変更 screen.
    pub async fn set_aside_and_reset(
        self,
        id: DocumentId,
        reason: String,
        refused_for: Option<PersonId>,
    ) -> Result<(), StorageError> {
        let Some(bytes) = self
            .docs
            .try_update_value(|d| d.get_mut(&id).map(|doc| doc.save()))
            .flatten()
        else {
            return Ok(());
        };
        let title = self
            .docs
            .with_value(|d| d.get(&id).and_then(|doc| checklist::meta(doc).ok()))
            .map(|m| checklist_title(&m))
            .unwrap_or_else(|| {
                crate::i18n::lang()
                    .pick("施設の情報", "Facility details")
                    .to_string()
            });
        let store = self.device_store().await?;
        let entry = crate::storage::SetAside {
            key: 0.0,
            document: id,
            reason,
            at_ms: js_sys::Date::now(),
            title,
            bytes,
            refused_for,
        };
        store.put_set_aside(&entry).await?;
        store.delete(id).await?;
        self.docs.update_value(|d| {
            d.insert(id, AutoCommit::new());
        });
        self.set_aside
            .set(store.set_aside().await.unwrap_or_default());
        self.touched(id);
        Ok(())
    }

    /// Removes a set-aside copy (after it was exported).
    pub async fn remove_set_aside(self, key: f64) -> Result<(), StorageError> {
        let store = self.device_store().await?;
        store.delete_set_aside(key).await?;
        self.set_aside
            .set(store.set_aside().await.unwrap_or_default());
        Ok(())
    }

    /// Offers set-aside copies again when someone other than the person they were refused for is signed in:
    /// on a shared tablet they are often the earlier person's changes, which the server now accepts. A copy
    /// refused again is set aside again; nothing is lost either way.
    pub async fn retry_set_aside(self, now_signed_in: PersonId) {
        let Ok(store) = self.device_store().await else {
            return;
        };
        let retry: Vec<_> = self
            .set_aside
            .get_untracked()
            .into_iter()
            .filter(|s| s.refused_for != Some(now_signed_in))
            .collect();
        for entry in retry {
            let merged = self
                .docs
                .try_update_value(|docs| {
                    let doc = docs.entry(entry.document).or_default();
                    doc.load_incremental(&entry.bytes).ok()?;
                    Some(doc.save())
                })
                .flatten();
            // The merged document is on the device before its set-aside copy goes: a reload in between
            // loses nothing.
            let Some(bytes) = merged else { continue };
            if store.save(entry.document, &bytes).await.is_ok()
                && store.delete_set_aside(entry.key).await.is_ok()
            {
                self.notify_sync(entry.document);
            }
        }
        self.set_aside
            .set(store.set_aside().await.unwrap_or_default());
        self.touched_all();
    }
}
