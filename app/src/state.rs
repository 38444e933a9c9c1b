//! The documents this device holds, and the actions that change them.
//!
//! The Automerge documents are the source of truth and live in a non-reactive store; the UI reads hydrated
//! views that re-compute when `revision` moves. Every action edits a document, bumps `revision`, and writes
//! the document to IndexedDB; `save` says "saved" only once every write has committed.

use std::collections::{BTreeMap, BTreeSet};

use automerge::AutoCommit;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mamori_shared::answer::{Answer, Entry};
use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::edition::{FormKind, edition, edition_for_fiscal_year};
use mamori_shared::error::SchemaError;
use mamori_shared::model::{DocumentId, Facility, FacilityId, ItemId, PersonId, Vendor, VendorId};
use mamori_shared::schema::checklist::{self, ChecklistMeta, ItemAnswers};
use mamori_shared::schema::index::{self, DocumentEntry, FacilityIndex};
use mamori_shared::schema::migrate::{self, Outcome};

use crate::settings::use_settings;
use crate::storage::{DeviceStore, StorageError};

mod incidents;
mod ledgers;
pub use incidents::ChartView;
pub use ledgers::{account_finding, device_finding};

/// Whether what is on screen is on the device.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    Saved,
    Saving,
    /// A write failed; the change is still in memory and retried on the next change or on request.
    Failed(StorageError),
}

/// Where start-up is.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    Loading,
    Ready,
    Failed(String),
}

/// A checklist as the screens read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistView {
    pub id: DocumentId,
    pub meta: ChecklistMeta,
    pub answers: BTreeMap<ItemId, ItemAnswers>,
    /// Newer than this build understands: shown, never written. (Whether this person may write it is the
    /// page's question, from the account.)
    pub too_new: bool,
}

#[derive(Clone, Copy)]
pub struct Workspace {
    docs: StoredValue<BTreeMap<DocumentId, AutoCommit>, LocalStorage>,
    device: StoredValue<Option<DeviceStore>, LocalStorage>,
    /// Documents changed in memory and not yet committed to IndexedDB.
    dirty: RwSignal<BTreeSet<DocumentId>>,
    /// The number of the latest write started per document, to know when the newest one has landed.
    save_seq: StoredValue<BTreeMap<DocumentId, u64>>,
    pending: RwSignal<u32>,
    pub revision: RwSignal<u64>,
    pub save: RwSignal<SaveState>,
    pub load: RwSignal<LoadState>,
    /// Documents newer than this build.
    pub too_new: RwSignal<BTreeSet<DocumentId>>,
    /// This tab's Automerge actor: every change this tab makes carries it (two tabs never share one).
    actor: StoredValue<automerge::ActorId, LocalStorage>,
    /// Copies whose changes the server refused, kept on the device.
    pub set_aside: RwSignal<Vec<crate::storage::SetAside>>,
    /// What this workspace asks of the sync client, oldest first: taken by the client when `outbox_ready`
    /// fires. The workspace never holds the client, so a change goes state → sync and no further.
    outbox: StoredValue<Vec<ToSync>, LocalStorage>,
    pub outbox_ready: Trigger,
}

/// What the workspace asks of the sync client (which takes these from [`Workspace::take_outbox`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToSync {
    /// A document changed on this device and its save to IndexedDB has finished: the device keeps a change
    /// before the network hears of it. (A save that failed still lets the change go, so a full disk does
    /// not also cut the facility off from its only other copy.)
    Changed(DocumentId),
    /// The device wants a document it does not hold yet.
    Want(DocumentId),
}

/// A checklist's title in the current language: 令和8年度 医療機関確認用 (事業者名).
pub fn checklist_title(meta: &ChecklistMeta) -> String {
    let l = crate::i18n::lang();
    let fy = l.pick(meta.fiscal_year.label_ja(), meta.fiscal_year.label_en());
    let form = l.pick(meta.form.title_ja(), meta.form.title_en());
    if meta.vendor_name.is_empty() {
        format!("{fy} {form}")
    } else {
        format!("{fy} {form}（{}）", meta.vendor_name)
    }
}

/// A named point on the page's performance timeline (devtools and the tests read the order of events
/// from these: a change is saved before it is synced).
pub fn mark(name: &str) {
    if let Some(performance) = window().performance() {
        let _ = performance.mark(name);
    }
}

/// Milliseconds since the epoch, from the device clock.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A device-clock time as the user reads dates (令和8年11月24日 10:05), in the device's time zone.
pub fn format_time(ms: i64, style: mamori_shared::calendar::DateStyle) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    match Date::new(
        d.get_full_year() as i32,
        d.get_month() as u8 + 1,
        d.get_date() as u8,
    ) {
        Ok(day) => format!(
            "{} {:02}:{:02}",
            day.display(style),
            d.get_hours(),
            d.get_minutes()
        ),
        Err(_) => String::new(),
    }
}

/// Today in the device's local calendar.
pub fn today() -> Date {
    let d = js_sys::Date::new_0();
    Date::new(
        d.get_full_year() as i32,
        d.get_month() as u8 + 1,
        d.get_date() as u8,
    )
    .expect("the browser gives a real date")
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            docs: StoredValue::new_local(BTreeMap::new()),
            device: StoredValue::new_local(None),
            dirty: RwSignal::new(BTreeSet::new()),
            save_seq: StoredValue::new(BTreeMap::new()),
            pending: RwSignal::new(0),
            revision: RwSignal::new(0),
            save: RwSignal::new(SaveState::Saved),
            load: RwSignal::new(LoadState::Loading),
            too_new: RwSignal::new(BTreeSet::new()),
            outbox: StoredValue::new_local(Vec::new()),
            outbox_ready: Trigger::new(),
            set_aside: RwSignal::new(Vec::new()),
            actor: StoredValue::new_local(automerge::ActorId::random()),
        }
    }

    /// Opens the device database and loads every document.
    pub async fn start(self) {
        match self.load_from_device().await {
            Ok(()) => {
                self.note_actor();
                self.record_this_tab();
                self.load.set(LoadState::Ready)
            }
            Err(e) => self.load.set(LoadState::Failed(e.to_string())),
        }
        self.revision.update(|r| *r += 1);
    }

    async fn load_from_device(self) -> Result<(), StorageError> {
        let store = DeviceStore::open().await?;
        let rows = store.load_all().await?;
        self.set_aside
            .set(store.set_aside().await.unwrap_or_default());
        self.device.set_value(Some(store));
        let mut too_new = BTreeSet::new();
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
                    Ok(Outcome::TooNew { .. }) => {
                        too_new.insert(id);
                    }
                    Ok(Outcome::Migrated { .. }) => migrated.push(id),
                    Ok(Outcome::Current) => {}
                    Err(e) => leptos::logging::error!("document {id} could not be migrated: {e}"),
                }
                docs.insert(id, doc);
            }
        });
        self.too_new.set(too_new);
        // Changes made by migrations are saved like any other change.
        for id in migrated {
            self.persist(id, true);
        }
        Ok(())
    }

    /// The facility index this device shows, if it has one.
    pub fn index_id(&self) -> Option<DocumentId> {
        let wanted = use_settings().with_untracked(|s| s.facility_index);
        self.docs.with_value(|docs| {
            wanted.filter(|id| docs.contains_key(id)).or_else(|| {
                docs.iter()
                    .find(|(_, d)| index::read(d).is_ok())
                    .map(|(id, _)| *id)
            })
        })
    }

    /// The facility index id, or the error to show when no facility is set up.
    fn require_index(&self) -> Result<DocumentId, SchemaError> {
        self.index_id().ok_or(SchemaError::NoFacility)
    }

    /// The facility index, without tracking (for tasks outside the reactive graph).
    pub fn index_untracked(&self) -> Option<FacilityIndex> {
        let id = self.index_id()?;
        self.docs
            .with_value(|docs| index::read(docs.get(&id)?).ok())
    }

    /// The facility index (reactive on `revision`).
    pub fn index(&self) -> Option<FacilityIndex> {
        self.revision.track();
        let id = self.index_id()?;
        self.docs
            .with_value(|docs| index::read(docs.get(&id)?).ok())
    }

    /// A checklist (reactive on `revision`).
    pub fn checklist(&self, id: DocumentId) -> Result<ChecklistView, SchemaError> {
        self.revision.track();
        let too_new = self.too_new.with_untracked(|t| t.contains(&id));
        self.docs.with_value(|docs| {
            let doc = docs
                .get(&id)
                .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?;
            if too_new {
                // Read what this build can, knowing fields may be missing.
                let meta: ChecklistMeta = autosurgeon::hydrate_prop(doc, automerge::ROOT, "meta")?;
                return Ok(ChecklistView {
                    id,
                    meta,
                    answers: checklist::answers(doc)?,
                    too_new: true,
                });
            }
            Ok(ChecklistView {
                id,
                meta: checklist::meta(doc)?,
                answers: checklist::answers(doc)?,
                too_new: false,
            })
        })
    }

    /// Applies `f` to a document, then saves it. Refused for documents newer than this build.
    pub fn change(
        &self,
        id: DocumentId,
        f: impl FnOnce(&mut AutoCommit) -> Result<(), SchemaError>,
    ) -> Result<(), SchemaError> {
        let mut f = Some(f);
        self.change_in_steps(id, [()], |doc, ()| f.take().map_or(Ok(()), |f| f(doc)))
    }

    /// As [`Workspace::change`], one Automerge change per step (a change cannot be split over sync
    /// messages, so a bulk edit is made of several), saved and announced once. Steps done before one that
    /// fails are kept.
    pub fn change_in_steps<T>(
        &self,
        id: DocumentId,
        steps: impl IntoIterator<Item = T>,
        mut f: impl FnMut(&mut AutoCommit, T) -> Result<(), SchemaError>,
    ) -> Result<(), SchemaError> {
        if self.too_new.with_untracked(|t| t.contains(&id)) {
            return Err(SchemaError::TooNew {
                found: 0,
                supported: mamori_shared::schema::SCHEMA_VERSION,
            });
        }
        let result = self
            .docs
            .try_update_value(|docs| {
                let doc = docs
                    .get_mut(&id)
                    .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?;
                // Documents that arrived from the network carry a throwaway actor until this tab writes.
                let actor = self.actor.get_value();
                if doc.get_actor() != &actor {
                    doc.set_actor(actor);
                }
                let mut outcome = Ok(());
                for step in steps {
                    outcome = f(doc, step);
                    if outcome.is_err() {
                        // Nothing of a failed step is kept.
                        doc.rollback();
                        break;
                    }
                    doc.commit();
                }
                outcome
            })
            .unwrap_or(Ok(()));
        self.revision.update(|r| *r += 1);
        self.persist(id, true);
        result
    }

    fn insert(&self, id: DocumentId, doc: AutoCommit) {
        let mut doc = doc.with_actor(self.actor.get_value());
        doc.commit();
        self.docs.update_value(|docs| {
            docs.insert(id, doc);
        });
        self.revision.update(|r| *r += 1);
        self.persist(id, true);
    }

    /// The open device database, reopening it after a failure closed it.
    async fn device_store(self) -> Result<DeviceStore, StorageError> {
        if let Some(store) = self.device.get_value() {
            return Ok(store);
        }
        let store = DeviceStore::open().await?;
        self.device.set_value(Some(store.clone()));
        Ok(store)
    }

    /// Writes a document to IndexedDB in the background, tracking the save state; then, for a change made
    /// here (`local`), tells the sync client.
    fn persist(&self, id: DocumentId, local: bool) {
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
        self.pending.update(|p| *p += 1);
        self.save.set(SaveState::Saving);
        let this = *self;
        spawn_local(async move {
            let mut merged_in = false;
            let result = match this.device_store().await {
                Ok(store) => {
                    store
                        .save_merged(id, |stored| {
                            this.docs
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
            if merged_in {
                this.revision.update(|r| *r += 1);
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
            if local {
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

    /// Tells the sync client that a document changed here (and is on the device).
    fn notify_sync(&self, id: DocumentId) {
        self.ask_sync(ToSync::Changed(id));
    }

    fn ask_sync(&self, what: ToSync) {
        self.outbox.update_value(|o| o.push(what));
        self.outbox_ready.notify();
    }

    /// What this workspace asked of the sync client since the last call, oldest first.
    pub fn take_outbox(&self) -> Vec<ToSync> {
        self.outbox
            .try_update_value(std::mem::take)
            .unwrap_or_default()
    }

    /// Runs `f` on every document with the sync core's view of them.
    pub fn with_docs<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<DocumentId, AutoCommit>) -> R,
    ) -> Option<R> {
        self.docs.try_update_value(f)
    }

    /// A document arrived or changed from elsewhere (the server, another tab): show it and keep it.
    pub fn changed_elsewhere(&self, id: DocumentId, persist: bool) {
        self.revision.update(|r| *r += 1);
        if persist {
            self.persist(id, false);
        }
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
            self.revision.update(|r| *r += 1);
            self.notify_sync(id);
        }
    }

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
        self.revision.update(|r| *r += 1);
        Ok(())
    }

    /// The facility a document belongs to, whatever its kind.
    fn facility_of(doc: &AutoCommit) -> Option<FacilityId> {
        mamori_shared::schema::facility_of(doc)
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
        self.revision.update(|r| *r += 1);
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

    /// Starts writing under a new actor: when another person signs in on this tab, their changes must not
    /// carry the previous person's actor (the server refuses those as impersonation, and history must say
    /// who did what).
    pub fn new_actor(&self) {
        self.actor.set_value(automerge::ActorId::random());
        self.note_actor();
        self.record_this_tab();
    }

    /// Remembers on the device whose this tab's actor is: the person last signed in here (a shared tablet's
    /// offline edits belong to them). Sent to the server at each connection (`sync::register_actors`).
    fn note_actor(&self) {
        let actor = self.actor.get_value().to_hex_string();
        use_settings().update(|s| {
            if let Some(person) = s.last_person {
                s.actor_people.retain(|(a, _)| *a != actor);
                s.actor_people.push((actor, person));
                let excess = s.actor_people.len().saturating_sub(200);
                s.actor_people.drain(..excess);
            }
        });
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
        self.revision.update(|r| *r += 1);
    }

    /// Records in the facility index which device and person this tab's actor belongs to.
    pub fn record_this_tab(&self) {
        let Some(index_id) = self.index_id() else {
            return;
        };
        let s = use_settings().get_untracked();
        let record = index::ActorRecord {
            device: s.device,
            user: s.user_name,
            since_ms: now_ms(),
        };
        let actor = self.actor.get_value();
        if let Err(e) = self.change(index_id, |doc| index::record_actor(doc, &actor, &record)) {
            leptos::logging::warn!("could not record this tab's actor: {e}");
        }
    }

    /// Sets up the facility on this device (first start).
    pub fn setup_facility(&self, facility: Facility) -> Result<DocumentId, SchemaError> {
        let id = DocumentId::generate();
        self.insert(id, index::create(&facility)?);
        use_settings().update(|s| s.facility_index = Some(id));
        self.record_this_tab();
        // Every facility starts with its contact chart (連絡体制図) from the template that fits it.
        self.ensure_contact_chart()?;
        Ok(id)
    }

    pub fn update_facility(&self, facility: Facility) -> Result<(), SchemaError> {
        let id = self.require_index()?;
        self.change(id, |doc| index::set_facility(doc, &facility))
    }

    pub fn put_vendor(&self, vendor: Vendor) -> Result<(), SchemaError> {
        let id = self.require_index()?;
        self.change(id, |doc| index::put_vendor(doc, &vendor))
    }

    /// Starts a checklist for the facility: the institution form, or a vendor's 事業者確認用.
    pub fn create_checklist(
        &self,
        form: FormKind,
        fiscal_year: FiscalYear,
        vendor: Option<VendorId>,
    ) -> Result<DocumentId, SchemaError> {
        let index_id = self.require_index()?;
        let idx = self.index().ok_or(SchemaError::NoFacility)?;
        let edition = edition_for_fiscal_year(fiscal_year.0);
        let meta = ChecklistMeta {
            facility_id: idx.facility.id,
            form,
            edition: edition.id().to_string(),
            fiscal_year,
            vendor_id: vendor,
            vendor_name: vendor
                .and_then(|v| idx.vendor(v))
                .map(|v| v.name.clone())
                .unwrap_or_default(),
            created_at_ms: now_ms(),
            copied_from: None,
        };
        self.add_checklist(index_id, checklist::create(&meta)?, meta)
    }

    /// Keeps a new checklist on the device and lists it in the facility index.
    fn add_checklist(
        &self,
        index_id: DocumentId,
        doc: AutoCommit,
        meta: ChecklistMeta,
    ) -> Result<DocumentId, SchemaError> {
        let id = DocumentId::generate();
        self.insert(id, doc);
        let entry = DocumentEntry {
            id,
            created_at_ms: meta.created_at_ms,
            checklist: Some(meta),
            kind: None,
        };
        self.change(index_id, |doc| index::put_document(doc, &entry))?;
        Ok(id)
    }

    /// Starts next fiscal year's checklist from this one (answers copied as a draft, dates cleared).
    pub fn carry_forward(
        &self,
        from: DocumentId,
        fiscal_year: FiscalYear,
    ) -> Result<DocumentId, SchemaError> {
        let index_id = self.require_index()?;
        let edition = edition_for_fiscal_year(fiscal_year.0);
        let entry = self.entry(false);
        let (doc, meta) = self.docs.with_value(|docs| {
            let prev = docs
                .get(&from)
                .ok_or_else(|| SchemaError::UnknownDocument(from.to_string()))?;
            checklist::carry_forward(prev, from, edition, fiscal_year, now_ms(), &entry)
        })?;
        self.add_checklist(index_id, doc, meta)
    }

    /// Fills the unanswered items of `to` from another checklist of the same form (a vendor's 事業者確認用
    /// at another facility), as undated drafts; returns how many items were copied.
    pub fn copy_answers(&self, from: DocumentId, to: DocumentId) -> Result<usize, SchemaError> {
        let source = self
            .docs
            .with_value(|docs| docs.get(&from).cloned())
            .ok_or_else(|| SchemaError::UnknownDocument(from.to_string()))?;
        let entry = self.entry(false);
        let mut copied = 0;
        self.change(to, |doc| {
            let meta = checklist::meta(doc)?;
            let ed = edition(&meta.edition).ok_or(SchemaError::UnknownEdition(meta.edition))?;
            copied = checklist::copy_answers(&source, doc, ed, &entry)?;
            Ok(())
        })?;
        Ok(copied)
    }

    /// Every 事業者確認用 on this device, whatever its facility (a vendor's user serves several), reactive.
    pub fn vendor_forms(&self) -> Vec<(DocumentId, ChecklistMeta)> {
        self.revision.track();
        self.docs.with_value(|docs| {
            docs.iter()
                .filter_map(|(id, d)| checklist::meta(d).ok().map(|m| (*id, m)))
                .filter(|(_, m)| m.form == FormKind::Vendor)
                .collect()
        })
    }

    /// Asks the sync client for a document this device does not hold yet (a form a facility asked this
    /// vendor to fill in).
    pub fn want(&self, id: DocumentId) {
        self.ask_sync(ToSync::Want(id));
    }

    /// Who is writing, from this device, now.
    pub fn entry(&self, on_behalf_of_vendor: bool) -> Entry {
        let s = use_settings().get_untracked();
        Entry {
            by: s.user_name,
            device: s.device,
            at_ms: now_ms(),
            on_behalf_of_vendor,
        }
    }

    /// Writes an answer whole, after checking it against the form's rules.
    pub fn answer(
        &self,
        id: DocumentId,
        item: &ItemId,
        answer: Answer,
    ) -> Result<(), AnswerProblem> {
        let view = self.checklist(id).map_err(AnswerProblem::Schema)?;
        let ed = edition(&view.meta.edition).ok_or_else(|| {
            AnswerProblem::Schema(SchemaError::UnknownEdition(view.meta.edition.clone()))
        })?;
        let form_item = ed
            .item(view.meta.form, item)
            .ok_or_else(|| AnswerProblem::Schema(SchemaError::UnknownItem(item.to_string())))?;
        answer
            .check(&form_item, view.meta.form, view.meta.fiscal_year, today())
            .map_err(AnswerProblem::Rule)?;
        self.change(id, |doc| checklist::put_answer(doc, item, &answer))
            .map_err(AnswerProblem::Schema)
    }

    pub fn clear_answer(&self, id: DocumentId, item: &ItemId) -> Result<(), SchemaError> {
        self.change(id, |doc| checklist::clear_answer(doc, item))
    }

    /// Every document's saved size (re-serialises every document: call once, not reactively).
    pub fn stored_bytes(&self) -> usize {
        self.docs
            .try_update_value(|docs| docs.values_mut().map(|d| d.save().len()).sum())
            .unwrap_or(0)
    }
}

/// Why an answer was not written.
#[derive(Debug, thiserror::Error)]
pub enum AnswerProblem {
    #[error("{0}")]
    Rule(mamori_shared::error::AnswerError),
    #[error("{0}")]
    Schema(SchemaError),
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

pub fn use_workspace() -> Workspace {
    expect_context::<Workspace>()
}
