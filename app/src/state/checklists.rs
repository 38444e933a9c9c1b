//! Checklists: reading one as the screens show it, creating one (or the next fiscal year's), answering
//! items under the form's rules, a vendor's answers copied between facilities.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use leptos::prelude::*;
use mamori_shared::answer::{Answer, Entry};
use mamori_shared::calendar::FiscalYear;
use mamori_shared::edition::{FormKind, edition, edition_for_fiscal_year};
use mamori_shared::error::SchemaError;
use mamori_shared::model::{DocumentId, ItemId, VendorId};
use mamori_shared::schema::checklist::{self, ChecklistMeta, ItemAnswers};
use mamori_shared::schema::index::{self, DocumentEntry};

use super::*;
use crate::settings::use_settings;

/// A checklist as the screens read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistView {
    pub id: DocumentId,
    pub meta: ChecklistMeta,
    pub answers: BTreeMap<ItemId, ItemAnswers>,
    /// Newer than this build understands: shown, never written. (Whether this person may write it is the
    /// page's question, from the account.)
    pub too_new: bool,
    /// The year's seal (年次確認の確定), once a 管理者 has sealed it.
    pub seal: Option<mamori_shared::seal::Seal>,
}

/// What a checklist's screen shows around its items: unchanged when only answers change, so answering
/// re-renders the answered item and nothing around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistHead {
    pub id: DocumentId,
    pub meta: ChecklistMeta,
    pub too_new: bool,
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

/// Why an answer was not written.
#[derive(Debug, thiserror::Error)]
pub enum AnswerProblem {
    #[error("{0}")]
    Rule(mamori_shared::error::AnswerError),
    #[error("{0}")]
    Schema(SchemaError),
}

impl Workspace {
    /// A checklist's meta (reactive: tracks the checklist; see [`ChecklistHead`]).
    pub fn checklist_head(&self, id: DocumentId) -> Result<ChecklistHead, SchemaError> {
        self.track_doc(id);
        let too_new = self.too_new.with(|t| t.contains(&id));
        self.docs.with_value(|docs| {
            let doc = docs
                .get(&id)
                .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?;
            let meta = if too_new {
                // Read what this build can, knowing fields may be missing.
                autosurgeon::hydrate_prop(doc, automerge::ROOT, "meta")?
            } else {
                checklist::meta(doc)?
            };
            Ok(ChecklistHead { id, meta, too_new })
        })
    }

    /// One item's answers, reading that item only (reactive: tracks the checklist). An item card's memo
    /// over this changes only when that item's answers do.
    pub fn item_answers(&self, id: DocumentId, item: &ItemId) -> Option<ItemAnswers> {
        self.track_doc(id);
        self.docs
            .with_value(|docs| checklist::item_answers(docs.get(&id)?, item).ok())
            .flatten()
    }

    /// The checklist's seal, if sealed (reactive: tracks the checklist).
    pub fn checklist_seal(&self, id: DocumentId) -> Option<mamori_shared::seal::Seal> {
        self.track_doc(id);
        self.docs.with_value(|docs| checklist::seal(docs.get(&id)?))
    }

    /// A checklist's progress today (reactive: tracks the checklist); `None` when it does not read.
    pub fn checklist_progress(&self, id: DocumentId) -> Option<mamori_shared::progress::Progress> {
        let view = self.checklist(id).ok()?;
        let ed = edition(&view.meta.edition)?;
        Some(mamori_shared::progress::Progress::of(
            ed,
            view.meta.form,
            view.meta.fiscal_year,
            &view.answers,
            today(),
        ))
    }

    /// A checklist whole: its head, every answer and the seal (reactive: tracks the checklist).
    pub fn checklist(&self, id: DocumentId) -> Result<ChecklistView, SchemaError> {
        let ChecklistHead { meta, too_new, .. } = self.checklist_head(id)?;
        self.docs.with_value(|docs| {
            let doc = docs
                .get(&id)
                .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?;
            Ok(ChecklistView {
                id,
                meta,
                answers: checklist::answers(doc)?,
                too_new,
                seal: checklist::seal(doc),
            })
        })
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
            moved_from_edition: None,
        };
        self.add_checklist(index_id, checklist::create(&meta)?, meta)
    }

    /// Keeps a new checklist on the device and lists it in the facility index.
    pub(super) fn add_checklist(
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
            vendor_id: None,
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

    /// Keeps the seal the server made for this checklist in the document, where every device (offline
    /// ones once they sync) and the binder find it. The server checks it again when it arrives.
    pub fn keep_seal(
        &self,
        id: DocumentId,
        sealed: &mamori_shared::api::Sealed,
    ) -> Result<(), SchemaError> {
        let seal = mamori_shared::seal::Seal::read(&sealed.printed)?;
        self.change(id, |doc| checklist::put_seal(doc, &seal))
    }

    /// Moves a checklist to a newer edition (answers kept by item id and `replaces`), and its entry in the
    /// facility index with it.
    pub fn move_checklist(
        &self,
        id: DocumentId,
        to: &'static mamori_shared::edition::Edition,
    ) -> Result<checklist::EditionMove, SchemaError> {
        let index_id = self.require_index()?;
        let mut plan = None;
        self.change(id, |doc| {
            plan = Some(checklist::move_to_edition(doc, to)?);
            Ok(())
        })?;
        let meta = self.checklist(id)?.meta;
        let created_at_ms = meta.created_at_ms;
        let entry = DocumentEntry {
            id,
            created_at_ms,
            checklist: Some(meta),
            kind: None,
            vendor_id: None,
        };
        self.change(index_id, |doc| index::put_document(doc, &entry))?;
        Ok(plan.unwrap_or_default())
    }

    pub fn clear_answer(&self, id: DocumentId, item: &ItemId) -> Result<(), SchemaError> {
        self.change(id, |doc| checklist::clear_answer(doc, item))
    }
}
