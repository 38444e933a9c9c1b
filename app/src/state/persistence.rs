//! Saving on the device: every document in IndexedDB, written after each change (merged with what
//! another tab saved), retried after a failure, told to the sync client once written; loading at start.

use std::collections::BTreeSet;

use automerge::AutoCommit;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::schema::migrate::{self, Outcome};

use super::*;
use crate::storage::{DeviceStore, StorageError};

/// Records larger than this are parsed once the first screen is up: a 3,000-row 機器台帳 (~160 KB) took
/// ~220 ms of a ~500 ms offline cold start at 1x (`bench.sh cold`); a checklist, the index, the contact chart
/// are a few KB to a few tens of KB.
const PARSE_LATER_ABOVE: usize = 96 * 1024;

impl Workspace {
    /// Reads every record and parses those the first screen may need; returns the large ones (above
    /// [`PARSE_LATER_ABOVE`]) still as bytes, for [`Workspace::take_loaded`] once the first screen is up.
    pub(super) async fn load_from_device(self) -> Result<Vec<(DocumentId, Vec<u8>)>, StorageError> {
        let store = DeviceStore::open().await?;
        let rows = store.load_all().await?;
        // The cold-start benchmark prints where start-up time goes from these marks.
        super::mark("mamori:read");
        self.set_aside
            .set(store.set_aside().await.unwrap_or_default());
        self.device.set_value(Some(store));
        let (now, later): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|(_, bytes)| bytes.len() <= PARSE_LATER_ABOVE);
        self.take_loaded(now);
        super::mark("mamori:parsed");
        Ok(later)
    }

    /// Parses records read from IndexedDB into the workspace. A document already in memory (one that
    /// arrived from the server or another tab while a large record waited) takes the record's changes in
    /// (an Automerge merge), never the other way round: nothing either holds is lost.
    pub(super) fn take_loaded(self, rows: Vec<(DocumentId, Vec<u8>)>) {
        let mut too_new = Vec::new();
        let mut migrated = Vec::new();
        let actor = self.actor.get_value();
        self.docs.update_value(|docs| {
            for (id, bytes) in rows {
                // A record that does not load is left in IndexedDB untouched and reported, never overwritten.
                let Ok(doc) = AutoCommit::load(&bytes) else {
                    leptos::logging::error!("document {id} on this device could not be read");
                    continue;
                };
                let mut doc = doc.with_actor(actor.clone());
                match migrate::migrate(&mut doc) {
                    Ok(Outcome::TooNew { .. }) => too_new.push(id),
                    Ok(Outcome::Migrated { .. }) => migrated.push(id),
                    Ok(Outcome::Current) => {}
                    Err(e) => leptos::logging::error!("document {id} could not be migrated: {e}"),
                }
                mamori_shared::sync::forget_patches(&mut doc);
                match docs.get_mut(&id) {
                    Some(held) => {
                        if let Err(e) = held.merge(&mut doc) {
                            leptos::logging::error!(
                                "document {id} on this device could not be merged: {e}"
                            );
                        }
                        mamori_shared::sync::forget_patches(held);
                    }
                    None => {
                        docs.insert(id, doc);
                    }
                }
            }
        });
        if !too_new.is_empty() {
            self.too_new.update(|t| t.extend(too_new));
        }
        // Changes made by migrations are saved like any other change.
        for id in migrated {
            self.persist(id, true);
        }
    }

    /// The open device database, reopening it after a failure closed it.
    pub(super) async fn device_store(self) -> Result<DeviceStore, StorageError> {
        if let Some(store) = self.device.get_value() {
            return Ok(store);
        }
        let store = DeviceStore::open().await?;
        self.device.set_value(Some(store.clone()));
        Ok(store)
    }

    /// Writes a document to IndexedDB in the background, tracking the save state; then, for a change made
    /// here (`local`), tells the sync client.
    pub(super) fn persist(&self, id: DocumentId, local: bool) {
        if self.docs.with_value(|docs| !docs.contains_key(&id)) {
            return;
        }
        self.dirty.update(|d| {
            d.insert(id);
        });
        let mut seq = 0;
        self.save_seq.update_value(|s| {
            let n = s.entry(id).or_insert(0);
            *n += 1;
            seq = *n;
        });
        if local {
            self.saving.update_value(|s| s.started(id));
        }
        self.pending.update(|p| *p += 1);
        self.save.set(SaveState::Saving);
        let this = *self;
        spawn_local(async move {
            let (mut result, mut merged_in) = this.write_to_device(id).await;
            if result == Err(StorageError::QuotaExceeded) && crate::files::give_up_room().await {
                // Cached evidence files are copies of what the server keeps; this change may exist nowhere
                // else. They make room, and the write is tried once more on a fresh connection.
                this.device.set_value(None);
                let (again, merged) = this.write_to_device(id).await;
                result = again;
                merged_in |= merged;
            }
            if merged_in {
                this.touched(id);
                this.notify_sync(id);
            }
            if result.is_ok() {
                crate::tabs::announce(id);
            }
            if result.is_err() {
                // A failed write may close the connection (Chromium does on a full disk): reopen next time.
                this.device.set_value(None);
            }
            this.pending.update(|p| *p -= 1);
            mark(&format!("mamori-saved:{id}"));
            // The sync client offers a document only with no write of a change made here on its way: told
            // when the last one lands, it offers everything the device now keeps.
            if local
                && this
                    .saving
                    .try_update_value(|s| s.landed(id))
                    .unwrap_or(true)
            {
                this.notify_sync(id);
            }
            match result {
                Ok(()) => {
                    // Clean only if no newer change of this document is still waiting.
                    if this.save_seq.with_value(|s| s.get(&id) == Some(&seq)) {
                        this.dirty.update(|d| {
                            d.remove(&id);
                        });
                    }
                }
                Err(e) => this.save.set(SaveState::Failed(e)),
            }
            if this.pending.get_untracked() == 0
                && !matches!(this.save.get_untracked(), SaveState::Failed(_))
            {
                this.save.set(SaveState::Saved);
            }
        });
    }

    /// Saves the document whole, merged with what another tab saved; whether that merge brought changes.
    async fn write_to_device(self, id: DocumentId) -> (Result<(), StorageError>, bool) {
        let mut merged_in = false;
        let result = match self.device_store().await {
            Ok(store) => {
                store
                    .save_merged(id, |stored| {
                        self.docs
                            .try_update_value(|docs| {
                                let doc = docs.get_mut(&id)?;
                                if let Some(stored) = stored {
                                    let before = doc.get_heads();
                                    // Another tab's saved changes join this tab's copy first.
                                    let _ = doc.load_incremental(&stored);
                                    merged_in = doc.get_heads() != before;
                                }
                                Some(doc.save())
                            })
                            .flatten()
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        (result, merged_in)
    }

    /// Waits (at most `max_ms`) until every write started so far has landed or failed.
    pub async fn settled(self, max_ms: i32) {
        let mut waited = 0;
        while self.pending.get_untracked() > 0 && waited < max_ms {
            crate::timer::sleep_ms(20).await;
            waited += 20;
        }
    }

    /// Tells the sync client that a document changed here (and is on the device).
    pub(super) fn notify_sync(&self, id: DocumentId) {
        self.ask_sync(ToSync::Changed(id));
    }

    pub(super) fn ask_sync(&self, what: ToSync) {
        self.outbox.update_value(|o| o.push(what));
        self.outbox_ready.notify();
    }

    /// What this workspace asked of the sync client since the last call, oldest first.
    pub fn take_outbox(&self) -> Vec<ToSync> {
        self.outbox
            .try_update_value(std::mem::take)
            .unwrap_or_default()
    }

    /// Merges what another tab of this device saved for `id`.
    pub async fn merge_from_device(self, id: DocumentId) {
        let Ok(store) = self.device_store().await else {
            return;
        };
        let Ok(Some(bytes)) = store.load(id).await else {
            return;
        };
        let changed = self
            .docs
            .try_update_value(|docs| {
                let doc = docs.entry(id).or_default();
                let before = doc.get_heads();
                let _ = doc.load_incremental(&bytes);
                doc.get_heads() != before
            })
            .unwrap_or(false);
        if changed {
            self.touched(id);
            self.notify_sync(id);
        }
    }

    /// Every document this device holds for one of `facilities`, saved whole, with its facility.
    pub fn saved_documents_of(
        &self,
        facilities: &[FacilityId],
    ) -> Vec<(DocumentId, FacilityId, Vec<u8>)> {
        self.docs
            .try_update_value(|docs| {
                docs.iter_mut()
                    .filter_map(|(id, doc)| {
                        let f = Self::facility_of(doc).filter(|f| facilities.contains(f))?;
                        Some((*id, f, doc.save()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The facility a document belongs to, whatever its kind.
    pub(super) fn facility_of(doc: &AutoCommit) -> Option<FacilityId> {
        mamori_shared::schema::facility_of(doc)
    }

    /// Deletes documents, and any set-aside copies of them, from this device and from memory.
    pub async fn forget(self, ids: &BTreeSet<DocumentId>) -> Result<(), StorageError> {
        let store = self.device_store().await?;
        for id in ids {
            store.delete(*id).await?;
        }
        for entry in store.set_aside().await? {
            if ids.contains(&entry.document) {
                store.delete_set_aside(entry.key).await?;
            }
        }
        self.docs
            .update_value(|d| d.retain(|id, _| !ids.contains(id)));
        self.dirty.update(|d| d.retain(|id| !ids.contains(id)));
        self.set_aside
            .set(store.set_aside().await.unwrap_or_default());
        self.touched_all();
        Ok(())
    }

    /// Tries every unsaved document again (after the user freed space).
    pub fn retry_saves(&self) {
        self.save.set(SaveState::Saving);
        let ids: Vec<DocumentId> = self.dirty.get_untracked().into_iter().collect();
        if ids.is_empty() {
            self.save.set(SaveState::Saved);
        }
        for id in ids {
            self.persist(id, true);
        }
    }

    /// Every document's saved size (re-serialises every document: call once, not reactively).
    pub fn stored_bytes(&self) -> usize {
        self.docs
            .try_update_value(|docs| docs.values_mut().map(|d| d.save().len()).sum())
            .unwrap_or(0)
    }
}
