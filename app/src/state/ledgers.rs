//! The facility's ledgers (機器台帳, 利用者ID台帳) on this device: reading their rows (cached per document
//! state, so a table of thousands of rows is not re-read on every unrelated change) and the actions that
//! change them.

use std::collections::BTreeMap;
use std::sync::Arc;

use automerge::ChangeHash;
use leptos::prelude::*;
use mamori_shared::calendar::Date;
use mamori_shared::error::SchemaError;
use mamori_shared::ledger::checks::{self, Finding};
use mamori_shared::model::{DocumentId, Vendor};
use mamori_shared::schema::DocKind;
use mamori_shared::schema::index::FacilityIndex;
use mamori_shared::schema::ledger::{self, Account, Device, Row};

use super::{Workspace, now_ms};

/// Rows read from a ledger, with the document state they were read at.
type Cached = (
    DocumentId,
    Vec<ChangeHash>,
    Arc<dyn std::any::Any + Send + Sync>,
);
/// A ledger's rows by id, shared with the screens.
type Rows<R> = Arc<BTreeMap<String, R>>;

thread_local! {
    static CACHE: std::cell::RefCell<BTreeMap<&'static str, Cached>> = Default::default();
}

/// Rows imported in one change: about 19,000 operations, well under what one sync message may carry.
pub const ROWS_PER_CHANGE: usize = 1_000;

/// How long an import works before it lets the page paint and take input again: under the 50 ms a browser
/// counts as a long task, on the device's own clock, so a slow tablet does less per slice, not longer
/// slices (12 ms made a 3,000-row import at 4x CPU throttling take over a minute of yields; measured by
/// `scripts/bench.sh ledger`).
const IMPORT_SLICE_MS: f64 = 40.0;

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Done,
    /// The person cancelled it: the ledger is as it was.
    Cancelled,
}

impl Workspace {
    fn ledger_id_in(&self, index: &FacilityIndex, kind: DocKind) -> Option<DocumentId> {
        self.docs.with_value(|docs| {
            index
                .documents_of(kind)
                .into_iter()
                .map(|e| e.id)
                .find(|id| docs.contains_key(id))
        })
    }

    /// The ledger holding rows `R`, if the facility has one on this device (reactive).
    pub fn ledger_id<R: Row>(&self) -> Option<DocumentId> {
        let index = self.index_narrow()?;
        self.ledger_id_in(&index, R::KIND)
    }

    /// The ledger's rows by id (reactive). Read whole once; after that only the rows a change touched are
    /// read again (found from Automerge's diff between the cached state and now), so saving one edit in a
    /// 3,000-row ledger does not re-read 3,000 rows.
    pub fn ledger_rows<R: Row + Send + Sync + 'static>(&self) -> Arc<BTreeMap<String, R>> {
        let Some(id) = self.ledger_id::<R>() else {
            return Arc::new(BTreeMap::new());
        };
        self.track_doc(id);
        let heads = self.heads_of(id);
        let key = R::KIND.as_str();
        let cached: Option<(Vec<ChangeHash>, Rows<R>)> = CACHE.with_borrow(|c| {
            c.get(key)
                .filter(|(doc, _, _)| *doc == id)
                .and_then(|(_, h, rows)| {
                    rows.clone()
                        .downcast::<BTreeMap<String, R>>()
                        .ok()
                        .map(|r| (h.clone(), r))
                })
        });
        if let Some((old, rows)) = &cached
            && *old == heads
        {
            return rows.clone();
        }
        let rows = cached
            .and_then(|(old, rows): (Vec<ChangeHash>, Rows<R>)| {
                self.update_rows(id, &old, &heads, rows)
            })
            .unwrap_or_else(|| {
                Arc::new(
                    self.docs
                        .with_value(|docs| docs.get(&id).map(ledger::rows::<R>))
                        .and_then(Result::ok)
                        .unwrap_or_default(),
                )
            });
        CACHE.with_borrow_mut(|c| {
            c.insert(key, (id, heads, rows.clone()));
        });
        rows
    }

    /// The cached rows brought from `old` to `new` by re-reading only the rows changed in between; `None`
    /// when that is not worth it (most rows changed) or not possible (the document was replaced).
    fn update_rows<R: Row + Send + Sync + 'static>(
        &self,
        id: DocumentId,
        old: &[ChangeHash],
        new: &[ChangeHash],
        rows: Arc<BTreeMap<String, R>>,
    ) -> Option<Arc<BTreeMap<String, R>>> {
        let touched: Vec<String> = self
            .docs
            .try_update_value(|docs| {
                let doc = docs.get_mut(&id)?;
                if old.iter().any(|h| doc.get_change_by_hash(h).is_none()) {
                    return None;
                }
                let mut ids = std::collections::BTreeSet::new();
                for patch in doc.diff(old, new) {
                    let row = match (patch.path.get(1), &patch.action) {
                        (Some((_, automerge::Prop::Map(row))), _) => row.clone(),
                        (None, automerge::PatchAction::PutMap { key, .. })
                        | (None, automerge::PatchAction::DeleteMap { key })
                            if patch.path.len() == 1 =>
                        {
                            key.clone()
                        }
                        _ => continue,
                    };
                    ids.insert(row);
                }
                Some(ids.into_iter().collect())
            })
            .flatten()?;
        if touched.len() > rows.len() / 2 + 16 {
            return None;
        }
        let fresh = self
            .docs
            .with_value(|docs| docs.get(&id).map(|d| ledger::rows_at::<R>(d, &touched)))?
            .ok()?;
        let mut rows = (*rows).clone();
        for (row, value) in fresh {
            match value {
                Some(r) => rows.insert(row, r),
                None => rows.remove(&row),
            };
        }
        Some(Arc::new(rows))
    }

    /// A document's heads on this device (none when it is not here).
    fn heads_of(&self, id: DocumentId) -> Vec<ChangeHash> {
        self.docs
            .try_update_value(|docs| docs.get_mut(&id).map(|d| d.get_heads()))
            .flatten()
            .unwrap_or_default()
    }

    /// Makes the facility's ledger of rows `R`, unless it has one.
    pub fn ensure_ledger<R: Row>(&self) -> Result<DocumentId, SchemaError> {
        let index_id = self.require_index()?;
        self.require_all_loaded()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        if let Some(id) = self.ledger_id_in(&idx, R::KIND) {
            return Ok(id);
        }
        let now = now_ms();
        let doc = ledger::create::<R>(idx.facility.id, now)?;
        self.add_document(index_id, doc, R::KIND, now)
    }

    pub fn put_ledger_row<R: Row>(&self, row: &R) -> Result<(), SchemaError> {
        let id = self.ensure_ledger::<R>()?;
        self.change(id, |doc| ledger::put_row(doc, row))
    }

    pub fn remove_ledger_row<R: Row>(&self, row: &str) -> Result<(), SchemaError> {
        let id = self.ensure_ledger::<R>()?;
        self.change(id, |doc| ledger::remove_row(doc, row))
    }

    /// Marks the ledger checked today by the person entering (見直し), as the contact chart is.
    pub fn mark_ledger_reviewed<R: Row>(&self) -> Result<(), SchemaError> {
        let id = self.ensure_ledger::<R>()?;
        let by = crate::settings::use_settings().with_untracked(|s| s.user_name.clone());
        let review = ledger::Review {
            on: Some(super::today()),
            by,
        };
        self.change(id, |doc| ledger::mark_reviewed(doc, &review))
    }

    /// The ledger's last review (reactive); `None` before anyone marked one.
    pub fn ledger_reviewed<R: Row>(&self) -> Option<ledger::Review> {
        let id = self.ledger_id::<R>()?;
        self.revision.track();
        self.docs
            .with_value(|docs| docs.get(&id).map(ledger::reviewed))?
            .ok()
            .flatten()
    }

    /// Imports confirmed rows, and the vendors they name that were not registered, a slice at a time so the
    /// page keeps painting and answering (`done` counts the rows written), and all or nothing: the rows are
    /// written into a fork of the ledger (or a new ledger) and only a finished import takes its place, so a
    /// cancelled (`cancelled()`) or failed one leaves the ledger, the vendors and the device's storage as
    /// they were. Changes hold at most [`ROWS_PER_CHANGE`] rows: the server takes at most
    /// [`MAX_OPS_PER_MESSAGE`](mamori_shared::sync::chunks::MAX_OPS_PER_MESSAGE) operations in one message,
    /// a row is about 19, and one change cannot be split over messages.
    pub async fn import_rows<R: Row + Send + Sync + 'static>(
        &self,
        rows: Vec<R>,
        new_vendors: Vec<Vendor>,
        done: RwSignal<usize>,
        cancelled: impl Fn() -> bool,
    ) -> Result<Imported, SchemaError> {
        let index_id = self.require_index()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        let existing = self.ledger_id_in(&idx, R::KIND);
        if existing.is_some_and(|id| self.too_new.with_untracked(|t| t.contains(&id))) {
            return Err(SchemaError::TooNew {
                found: 0,
                supported: mamori_shared::schema::SCHEMA_VERSION,
            });
        }
        let actor = self.actor.get_value();
        let (mut work, base) = match existing {
            Some(id) => self
                .docs
                .try_update_value(|docs| docs.get_mut(&id).map(|d| (d.fork(), d.get_heads())))
                .flatten()
                .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?,
            None => (ledger::create::<R>(idx.facility.id, now_ms())?, Vec::new()),
        };
        work.set_actor(actor.clone());
        let mut at = 0;
        while at < rows.len() {
            let started = js_sys::Date::now();
            // Row by row, looking at the clock after each: a row costs about 3 ms on a slow tablet.
            while at < rows.len() && js_sys::Date::now() - started < IMPORT_SLICE_MS {
                ledger::put_rows(&mut work, &rows[at..at + 1])?;
                at += 1;
                if at % ROWS_PER_CHANGE == 0 {
                    work.commit();
                }
            }
            done.set(at);
            crate::timer::sleep_ms(0).await;
            if cancelled() {
                return Ok(Imported::Cancelled);
            }
        }
        work.commit();
        // ~190 bytes of never-read patch events an operation: megabytes for a hospital's ledger.
        mamori_shared::sync::forget_patches(&mut work);
        // From here on nothing awaits: no other change can come between the check and the swap.
        if let Some(id) = existing {
            let clash = self
                .docs
                .try_update_value(|docs| {
                    let real = docs.get_mut(&id)?;
                    // This tab wrote to the ledger meanwhile under the same actor: its changes and the
                    // import's would share sequence numbers. Refused; the person imports again.
                    Some(
                        real.get_changes(&base)
                            .iter()
                            .any(|c| c.actor_id() == &actor),
                    )
                })
                .flatten()
                .unwrap_or(true);
            if clash {
                return Err(SchemaError::ChangedMeanwhile);
            }
        }
        for v in new_vendors {
            self.put_vendor(v)?;
        }
        let id = match existing {
            Some(id) => {
                let merged = self
                    .docs
                    .try_update_value(|docs| {
                        let real = docs.get_mut(&id)?;
                        let quiet = real.get_heads() == base;
                        // What others sent meanwhile (usually nothing) joins the import; then it takes
                        // the ledger's place. Nothing is re-applied, so a large import costs no second pass.
                        Some(work.merge(real).map(|_| {
                            std::mem::swap(real, &mut work);
                            quiet
                        }))
                    })
                    .flatten();
                match merged {
                    Some(Ok(true)) => self.seed_rows(id, &base, rows),
                    Some(Ok(false)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => return Err(SchemaError::UnknownDocument(id.to_string())),
                }
                self.touched(id);
                self.persist(id, true);
                id
            }
            None => {
                let id = self.add_document(index_id, work, R::KIND, now_ms())?;
                self.seed_rows(id, &base, rows);
                id
            }
        };
        let _ = id;
        Ok(Imported::Done)
    }

    /// After an import: the cached rows, if they were read at `base`, gain the imported rows at the
    /// ledger's new state, so the table does not read thousands of rows back from the document.
    fn seed_rows<R: Row + Send + Sync + 'static>(
        &self,
        id: DocumentId,
        base: &[ChangeHash],
        rows: Vec<R>,
    ) {
        let heads = self.heads_of(id);
        let key = R::KIND.as_str();
        CACHE.with_borrow_mut(|c| {
            let before: BTreeMap<String, R> = match c.get(key) {
                Some((doc, h, cached)) if *doc == id && h.as_slice() == base => cached
                    .clone()
                    .downcast::<BTreeMap<String, R>>()
                    .map(|r| (*r).clone())
                    .unwrap_or_default(),
                _ if base.is_empty() => BTreeMap::new(),
                _ => return,
            };
            let mut all = before;
            for r in rows {
                all.insert(r.id().to_string(), r);
            }
            c.insert(key, (id, heads, Arc::new(all)));
        });
    }
}

impl Workspace {
    /// Every finding the ledgers and the vendor register give a checklist item (for the suggestion beside
    /// it), with the screen where it is fixed.
    pub fn ledger_findings(&self, item: &str) -> Vec<(Finding, &'static str)> {
        let today = super::today();
        let devices: Vec<Device> = self.ledger_rows::<Device>().values().cloned().collect();
        let accounts: Vec<Account> = self.ledger_rows::<Account>().values().cloned().collect();
        let mut out = Vec::new();
        if let Some(f) = device_finding(item, &devices, today) {
            out.push((f, "/ledgers/devices"));
        }
        if let Some(f) = account_finding(item, &accounts, today) {
            out.push((f, "/ledgers/accounts"));
        }
        match item {
            "2-③" => out.push((
                checks::mds_sds(&self.index_narrow().map(|i| i.vendors).unwrap_or_default()),
                "/vendors",
            )),
            "2-⑩" => out.push((checks::months_until_r9(today), "")),
            _ => {}
        }
        out
    }
}

/// What the 機器台帳 says about a checklist item.
pub fn device_finding(item: &str, rows: &[Device], today: Date) -> Option<Finding> {
    match item {
        "2-①" => Some(checks::inventory(rows)),
        "2-②" => Some(checks::remote_maintenance(rows)),
        "2-⑥" => Some(checks::outdated(rows, today)),
        _ => None,
    }
}

/// What the 利用者ID台帳 says about a checklist item.
pub fn account_finding(item: &str, rows: &[Account], today: Date) -> Option<Finding> {
    match item {
        "2-④" => Some(checks::admins(rows)),
        "2-⑤" => Some(checks::stale_accounts(rows, today)),
        _ => None,
    }
}
