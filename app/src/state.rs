//! The documents this device holds, and the actions that change them.
//!
//! The Automerge documents are the source of truth and live in a non-reactive store; the UI reads hydrated
//! views that re-compute when `revision` moves. Every action edits a document, bumps `revision`, and writes
//! the document to IndexedDB; `save` says "saved" only once every write has committed.

use std::collections::{BTreeMap, BTreeSet};

use automerge::AutoCommit;
use leptos::prelude::*;
use mamori_shared::calendar::Date;
use mamori_shared::error::SchemaError;
use mamori_shared::model::{DocumentId, Facility, Vendor};
use mamori_shared::schema::index::{self, FacilityIndex};

use crate::settings::use_settings;
use crate::storage::{DeviceStore, StorageError};

mod checklists;
mod evidence;
mod incidents;
mod ledgers;
mod persistence;
mod readiness;
mod reminders;
mod set_aside;
mod vendor_devices;
pub use checklists::{AnswerProblem, ChecklistHead, ChecklistView, checklist_title};
pub use incidents::ChartView;
pub use ledgers::{Imported, account_finding, device_finding};
pub use readiness::{Heard, Readiness};
pub use vendor_devices::AcceptProblem;

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

#[derive(Clone, Copy)]
pub struct Workspace {
    docs: StoredValue<BTreeMap<DocumentId, AutoCommit>, LocalStorage>,
    device: StoredValue<Option<DeviceStore>, LocalStorage>,
    /// Documents changed in memory and not yet committed to IndexedDB.
    dirty: RwSignal<BTreeSet<DocumentId>>,
    /// The number of the latest write started per document, to know when the newest one has landed.
    save_seq: StoredValue<BTreeMap<DocumentId, u64>>,
    /// Writes of changes made here on their way, per document (the sync client waits for them).
    saving: StoredValue<Saving>,
    pending: RwSignal<u32>,
    /// Moves on every change to any document: for views that read several at once. A view of one document
    /// tracks that one instead ([`Workspace::track_doc`]).
    pub revision: RwSignal<u64>,
    /// A trigger per document read reactively: a change to one document re-runs only what read that one,
    /// so an answer typed into a checklist does not re-read the ledgers or every other item (#23).
    doc_triggers: StoredValue<BTreeMap<DocumentId, ArcTrigger>, LocalStorage>,
    /// Fires when every document may have changed at once (loaded, forgotten, an edition arrived).
    epoch: Trigger,
    pub save: RwSignal<SaveState>,
    pub load: RwSignal<LoadState>,
    /// Every record parsed, the large ones too ([`Workspace::start`]).
    all_loaded: RwSignal<bool>,
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

/// Writes of changes made here that are on their way to IndexedDB, per document: the sync client offers a
/// document only when none is (see [`SyncDocs`]). Writes of what came from the network are not counted: the
/// server has those changes already, and any change made here has a write of its own.
#[derive(Debug, Default)]
struct Saving(BTreeMap<DocumentId, u32>);

impl Saving {
    fn started(&mut self, id: DocumentId) {
        *self.0.entry(id).or_insert(0) += 1;
    }

    /// A write of `id` landed (or failed: a full disk must not also cut the facility off from its other
    /// copy): whether it was the last on its way, so the sync client may offer the document now.
    fn landed(&mut self, id: DocumentId) -> bool {
        match self.0.get_mut(&id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            _ => {
                self.0.remove(&id);
                true
            }
        }
    }
}

/// The documents as the sync client sees them ([`Workspace::with_sync_docs`]): every one, but one with a write
/// on its way is not offered to the server until the write lands. A sync message carries the whole document
/// in memory whatever prompted it (an earlier write landing, the server's answer, a reconnect), and what the
/// server holds a reload must not lose: a facility index listing a new checklist that reached the server
/// before either was saved here came back after a reload listing a checklist no one had.
pub struct SyncDocs<'a> {
    docs: &'a mut BTreeMap<DocumentId, AutoCommit>,
    saving: &'a mut Saving,
}

impl mamori_shared::sync::Documents for SyncDocs<'_> {
    fn ids(&self) -> Vec<DocumentId> {
        self.docs.keys().copied().collect()
    }

    fn get_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        self.docs.get_mut(&id)
    }

    fn create_empty(&mut self, id: DocumentId) -> &mut AutoCommit {
        self.docs.entry(id).or_default()
    }

    fn may_offer(&mut self, id: DocumentId) -> bool {
        // Offered again when the last write lands (`Workspace::persist`).
        !self.saving.0.contains_key(&id)
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
/// The local calendar day of a Unix time (ms), as this device's clock and time zone read it.
pub fn local_date(ms: i64) -> Option<Date> {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    Date::new(
        d.get_full_year() as i32,
        d.get_month() as u8 + 1,
        d.get_date() as u8,
    )
    .ok()
}

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
            saving: StoredValue::new(Saving::default()),
            pending: RwSignal::new(0),
            revision: RwSignal::new(0),
            doc_triggers: StoredValue::new_local(BTreeMap::new()),
            epoch: Trigger::new(),
            save: RwSignal::new(SaveState::Saved),
            load: RwSignal::new(LoadState::Loading),
            all_loaded: RwSignal::new(false),
            too_new: RwSignal::new(BTreeSet::new()),
            outbox: StoredValue::new_local(Vec::new()),
            outbox_ready: Trigger::new(),
            set_aside: RwSignal::new(Vec::new()),
            actor: StoredValue::new_local(automerge::ActorId::random()),
        }
    }

    /// Opens the device database and loads every document.
    /// Large records (a big ledger) are parsed after the first screen has painted, one at a time; until
    /// then [`Workspace::all_loaded`] is false and nothing creates a document a record may hold. Returns
    /// once every record is in: sync starts after, so it never sees a partial set.
    pub async fn start(self) {
        match self.load_from_device().await {
            Ok(later) => {
                self.note_actor();
                self.record_this_tab();
                self.load.set(LoadState::Ready);
                self.touched_all();
                for row in later {
                    crate::timer::after_next_paint().await;
                    self.take_loaded(vec![row]);
                }
                self.all_loaded.set(true);
            }
            Err(e) => self.load.set(LoadState::Failed(e.to_string())),
        }
        self.touched_all();
    }

    /// Whether every record on the device has been parsed (reactive).
    pub fn all_loaded(&self) -> bool {
        self.all_loaded.get()
    }

    /// Refuses to create a document while large records are still being parsed: the one wanted may be
    /// among them (a second ledger would be made beside the real one).
    pub(crate) fn require_all_loaded(&self) -> Result<(), SchemaError> {
        if self.all_loaded.get_untracked() {
            Ok(())
        } else {
            Err(SchemaError::StillLoading)
        }
    }

    /// Makes the running reactive reader depend on document `id`: it re-runs when that document changes
    /// (or when everything may have), not on changes to others.
    pub fn track_doc(&self, id: DocumentId) {
        self.epoch.track();
        if let Some(trigger) = self
            .doc_triggers
            .try_update_value(|t| t.entry(id).or_default().clone())
        {
            trigger.track();
        }
    }

    /// Document `id` changed here or arrived: `revision` moves and what read `id` re-runs.
    pub(crate) fn touched(&self, id: DocumentId) {
        self.revision.update(|r| *r += 1);
        if let Some(trigger) = self.doc_triggers.with_value(|t| t.get(&id).cloned()) {
            trigger.notify();
        }
    }

    /// Any document may have changed.
    pub(crate) fn touched_all(&self) {
        self.revision.update(|r| *r += 1);
        self.epoch.notify();
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
    pub(in crate::state) fn require_index(&self) -> Result<DocumentId, SchemaError> {
        self.index_id().ok_or(SchemaError::NoFacility)
    }

    /// The facility index, without tracking (for tasks outside the reactive graph).
    pub fn index_untracked(&self) -> Option<FacilityIndex> {
        let id = self.index_id()?;
        self.docs
            .with_value(|docs| index::read(docs.get(&id)?).ok())
    }

    /// The facility index (reactive on `revision`: many readers go on to read the documents it lists).
    pub fn index(&self) -> Option<FacilityIndex> {
        self.revision.track();
        let id = self.index_id()?;
        self.docs
            .with_value(|docs| index::read(docs.get(&id)?).ok())
    }

    /// The facility index, reactive on its own document only (and on which one the settings name): for
    /// readers that track each other document they read ([`Workspace::track_doc`]).
    pub fn index_narrow(&self) -> Option<FacilityIndex> {
        use_settings().track();
        let Some(id) = self.index_id() else {
            // None yet: any document that arrives may be it.
            self.revision.track();
            return None;
        };
        self.track_doc(id);
        self.docs
            .with_value(|docs| index::read(docs.get(&id)?).ok())
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
                // The patch events Automerge recorded for these operations are never read.
                mamori_shared::sync::forget_patches(doc);
                outcome
            })
            .unwrap_or(Ok(()));
        self.touched(id);
        self.persist(id, true);
        result
    }

    pub(in crate::state) fn insert(&self, id: DocumentId, doc: AutoCommit) {
        let mut doc = doc.with_actor(self.actor.get_value());
        doc.commit();
        self.docs.update_value(|docs| {
            docs.insert(id, doc);
        });
        self.touched(id);
        self.persist(id, true);
    }

    /// Runs `f` on every document with the sync core's view of them.
    pub fn with_docs<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<DocumentId, AutoCommit>) -> R,
    ) -> Option<R> {
        self.docs.try_update_value(f)
    }

    /// Runs `f` on the documents as the sync client may offer them ([`SyncDocs`]).
    pub fn with_sync_docs<R>(&self, f: impl FnOnce(&mut SyncDocs<'_>) -> R) -> Option<R> {
        self.saving
            .try_update_value(|saving| {
                self.docs
                    .try_update_value(|docs| f(&mut SyncDocs { docs, saving }))
            })
            .flatten()
    }

    /// A document arrived or changed from elsewhere (the server, another tab): show it and keep it.
    pub fn changed_elsewhere(&self, id: DocumentId, persist: bool) {
        self.touched(id);
        if persist {
            self.persist(id, false);
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
    pub(in crate::state) fn note_actor(&self) {
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

    /// Asks the sync client for a document this device does not hold yet (a form a facility asked this
    /// vendor to fill in).
    pub fn want(&self, id: DocumentId) {
        self.ask_sync(ToSync::Want(id));
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new()
    }
}

pub fn use_workspace() -> Workspace {
    expect_context::<Workspace>()
}
