//! A checklist document: one facility, one form, one edition, one fiscal year (and one vendor for
//! 事業者確認用).
//!
//! ```text
//! { schema: 1, kind: "checklist",
//!   meta:    { facility_id, form, edition, fiscal_year, vendor_id | null, vendor_name, created_at_ms,
//!              copied_from | null, moved_from_edition | null },
//!   answers: { "2-⑥": { choice: "no", checked_on: "2026-11-24", target_on: "2027-03-31" | null,
//!                        note, reason, entry: { by, device, at_ms, on_behalf_of_vendor } } },
//!   seal:    "-----BEGIN MAMORI SEAL-----\n…" (absent until the year's check is sealed) }
//! ```
//!
//! The seal (年次確認の確定) is the printed block of [`crate::seal`] as one string, written by the device that
//! asked the server for it (the server never authors a document's changes). One scalar, not a map: any
//! change to it is a new value written by a new change, which the server's sync step verifies.
//!
//! Every answer is put as a **new map object** at its item's key ([`put_answer`]), never reconciled into
//! the existing map field by field. Two devices answering the same item apart therefore make two concurrent
//! puts of one key: Automerge keeps both whole ([`answers`] returns the winner and the others), and the
//! merged document never shows one device's はい with the other's 目標日.

use std::collections::BTreeMap;

use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value, transaction::Transactable,
};
use autosurgeon::{Hydrate, Reconcile, hydrate_prop, reconcile_prop};

use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::answer::{Answer, Entry};
use crate::calendar::FiscalYear;
use crate::edition::{Edition, FormKind};
use crate::error::SchemaError;
use crate::model::{DocumentId, FacilityId, ItemId, VendorId};
use crate::seal::Seal;

/// What a checklist is. Also copied into the facility index so lists need not open each checklist.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ChecklistMeta {
    pub facility_id: FacilityId,
    pub form: FormKind,
    /// Edition id (`"r7"`).
    pub edition: String,
    pub fiscal_year: FiscalYear,
    /// The vendor a 事業者確認用 is about.
    pub vendor_id: Option<VendorId>,
    /// 事業者名 as printed on the form (kept with the checklist so the form prints without the index).
    pub vendor_name: String,
    pub created_at_ms: i64,
    /// The previous year's checklist this one was started from.
    pub copied_from: Option<DocumentId>,
    /// The edition this checklist was moved from within its year, so the form can say which items are new
    /// or reworded (absent in checklists written before editions could move).
    #[autosurgeon(missing = "Default::default")]
    pub moved_from_edition: Option<String>,
}

#[cfg(test)]
impl ChecklistMeta {
    /// For tests: a 令和7年度版 checklist of `form` for FY2026 at a new facility, no vendor, not copied.
    pub(crate) fn sample(form: FormKind) -> ChecklistMeta {
        ChecklistMeta {
            facility_id: FacilityId::generate(),
            form,
            edition: "r7".into(),
            fiscal_year: FiscalYear(2026),
            vendor_id: None,
            vendor_name: String::new(),
            created_at_ms: 1,
            copied_from: None,
            moved_from_edition: None,
        }
    }
}

/// One item's current answer, and any answers given concurrently on other devices that nobody has
/// chosen between yet.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemAnswers {
    /// The value Automerge picks (the same on every device).
    pub current: Answer,
    /// The other concurrent answers, whole. Empty when there is no conflict.
    pub conflicts: Vec<Answer>,
    /// The Automerge actor (hex) that wrote the current answer: each answer is written whole as a new map,
    /// so its creator is who answered. The server knows which person each actor belongs to.
    pub author: Option<String>,
}

/// Creates a checklist document with an empty answer map.
pub fn create(meta: &ChecklistMeta) -> Result<AutoCommit, SchemaError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", DocKind::Checklist.as_str())?;
    reconcile_prop(&mut doc, ROOT, "meta", meta)?;
    doc.put_object(ROOT, "answers", ObjType::Map)?;
    Ok(doc)
}

pub fn meta(doc: &AutoCommit) -> Result<ChecklistMeta, SchemaError> {
    expect_kind(doc, DocKind::Checklist)?;
    Ok(hydrate_prop(doc, ROOT, "meta")?)
}

fn answers_obj(doc: &AutoCommit) -> Result<Option<ObjId>, SchemaError> {
    Ok(match doc.get(ROOT, "answers")? {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    })
}

/// Writes an answer whole, as a new map at the item's key.
pub fn put_answer(doc: &mut AutoCommit, item: &ItemId, answer: &Answer) -> Result<(), SchemaError> {
    let answers = match answers_obj(doc)? {
        Some(id) => id,
        None => doc.put_object(ROOT, "answers", ObjType::Map)?,
    };
    // A fresh object: reconciling into it creates every field, it never merges with the old answer.
    doc.put_object(&answers, item.as_str(), ObjType::Map)?;
    reconcile_prop(doc, &answers, item.as_str(), answer)?;
    Ok(())
}

/// Removes an item's answer (back to unanswered).
pub fn clear_answer(doc: &mut AutoCommit, item: &ItemId) -> Result<(), SchemaError> {
    if let Some(answers) = answers_obj(doc)? {
        doc.delete(&answers, item.as_str())?;
    }
    Ok(())
}

/// Every answered item, with concurrent answers kept apart. Values that do not parse as an answer (written
/// by a newer or broken client) are skipped rather than failing the whole checklist.
pub fn answers(doc: &AutoCommit) -> Result<BTreeMap<ItemId, ItemAnswers>, SchemaError> {
    let mut out = BTreeMap::new();
    let Some(answers) = answers_obj(doc)? else {
        return Ok(out);
    };
    for key in doc.keys(&answers) {
        if let Some(read) = read_item(doc, &answers, &key)? {
            out.insert(ItemId::new(key), read);
        }
    }
    Ok(out)
}

/// One item's answers, read alone (what [`answers`] gives for it): a screen showing one item re-reads only
/// that item when the checklist changes.
pub fn item_answers(doc: &AutoCommit, item: &ItemId) -> Result<Option<ItemAnswers>, SchemaError> {
    match answers_obj(doc)? {
        Some(answers) => read_item(doc, &answers, item.as_str()),
        None => Ok(None),
    }
}

fn read_item(
    doc: &AutoCommit,
    answers: &ObjId,
    key: &str,
) -> Result<Option<ItemAnswers>, SchemaError> {
    let mut all: Vec<(Answer, ObjId)> = doc
        .get_all(answers, key)?
        .into_iter()
        .filter_map(|(value, id)| match value {
            Value::Object(ObjType::Map) => Answer::hydrate_map(doc, &id).ok().map(|a| (a, id)),
            _ => None,
        })
        .collect();
    // `get_all` lists conflicting values with the winner last.
    let Some((current, id)) = all.pop() else {
        return Ok(None);
    };
    all.reverse();
    let author = match id {
        ObjId::Id(_, actor, _) => Some(actor.to_hex_string()),
        ObjId::Root => None,
    };
    Ok(Some(ItemAnswers {
        current,
        conflicts: all.into_iter().map(|(a, _)| a).collect(),
        author,
    }))
}

/// The year's seal, if the check was sealed and it reads (the value Automerge picks when two were put at
/// once). A value that does not read is no seal.
pub fn seal(doc: &AutoCommit) -> Option<Seal> {
    match doc.get(ROOT, "seal").ok()?? {
        (Value::Scalar(s), _) => Seal::read(s.as_str()?).ok(),
        _ => None,
    }
}

/// Writes the seal the server returned (replacing an earlier one).
pub fn put_seal(doc: &mut AutoCommit, seal: &Seal) -> Result<(), SchemaError> {
    doc.put(ROOT, "seal", seal.printed())?;
    Ok(())
}

/// Every value at the seal's key (concurrent puts included), each with the id of the operation that wrote
/// it: the server verifies those its peer's changes wrote.
pub fn seal_values(doc: &AutoCommit) -> Result<Vec<(Value<'_>, ObjId)>, SchemaError> {
    Ok(doc.get_all(ROOT, "seal")?)
}

/// Starts the next fiscal year's checklist from this one: every answer whose item exists in the new edition
/// (same id, or one the new item `replaces`) is copied as a draft with its dates cleared.
pub fn carry_forward(
    previous: &AutoCommit,
    previous_id: DocumentId,
    edition: &Edition,
    fiscal_year: FiscalYear,
    created_at_ms: i64,
    entry: &Entry,
) -> Result<(AutoCommit, ChecklistMeta), SchemaError> {
    let old_meta = meta(previous)?;
    let new_meta = ChecklistMeta {
        edition: edition.id().to_string(),
        fiscal_year,
        created_at_ms,
        copied_from: Some(previous_id),
        moved_from_edition: None,
        ..old_meta.clone()
    };
    let mut doc = create(&new_meta)?;
    let old = answers(previous)?;
    for item in edition.form_items(new_meta.form) {
        let source = std::iter::once(&item.id)
            .chain(
                edition
                    .data()
                    .items
                    .iter()
                    .find(|i| i.id == item.id)
                    .map(|i| i.replaces.iter())
                    .into_iter()
                    .flatten(),
            )
            .find_map(|id| old.get(id));
        if let Some(prev) = source {
            put_answer(&mut doc, &item.id, &prev.current.as_draft(entry.clone()))?;
        }
    }
    Ok((doc, new_meta))
}

/// What moving a checklist to another edition does to its items, shown before it is done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditionMove {
    /// Items the new edition's form adds, with no answer to carry.
    pub new_items: Vec<ItemId>,
    /// Items whose wording differs in the new edition (or that replace an old item): their answers carry
    /// over, but the wording deserves a second look.
    pub reworded: Vec<ItemId>,
    /// Answers carried to another item id: (old id, the new item that `replaces` it).
    pub carried: Vec<(ItemId, ItemId)>,
    /// Answered items with no place in the new edition: their answers stay in the document (nothing is
    /// deleted) but the new form does not show them.
    pub left_behind: Vec<ItemId>,
}

/// What moving a checklist of `form` with `answers` from `from` to `to` would do.
pub fn plan_move(
    from: &Edition,
    to: &Edition,
    form: FormKind,
    answers: &BTreeMap<ItemId, ItemAnswers>,
) -> EditionMove {
    let mut plan = EditionMove::default();
    let mut placed = std::collections::BTreeSet::new();
    for item in to.form_items(form) {
        placed.insert(item.id.clone());
        if let Some(old) = from.item(form, &item.id) {
            if old.text != item.text || old.note != item.note {
                plan.reworded.push(item.id.clone());
            }
            continue;
        }
        let replaces = to
            .data()
            .items
            .iter()
            .find(|i| i.id == item.id)
            .map(|i| i.replaces.clone())
            .unwrap_or_default();
        match replaces.iter().find(|r| answers.contains_key(*r)) {
            Some(old) => {
                placed.insert(old.clone());
                plan.carried.push((old.clone(), item.id.clone()));
                plan.reworded.push(item.id.clone());
            }
            None => {
                placed.extend(replaces);
                plan.new_items.push(item.id.clone());
            }
        }
    }
    plan.left_behind = answers
        .keys()
        .filter(|id| !placed.contains(*id))
        .cloned()
        .collect();
    plan
}

/// Moves a checklist to another edition (a newer one published within the year): the meta names `to`,
/// answers stay where their item id is the same, and an answer to an item the new edition `replaces` is
/// written whole at the new item's id (its dates kept: the check was done). Nothing is deleted.
pub fn move_to_edition(doc: &mut AutoCommit, to: &Edition) -> Result<EditionMove, SchemaError> {
    let mut meta = meta(doc)?;
    let from = crate::edition::edition(&meta.edition)
        .ok_or_else(|| SchemaError::UnknownEdition(meta.edition.clone()))?;
    let answers = answers(doc)?;
    let plan = plan_move(from, to, meta.form, &answers);
    for (old, new) in &plan.carried {
        if let Some(a) = answers.get(old) {
            put_answer(doc, new, &a.current)?;
        }
    }
    meta.moved_from_edition = Some(std::mem::replace(&mut meta.edition, to.id().to_string()));
    reconcile_prop(doc, ROOT, "meta", &meta)?;
    Ok(plan)
}

/// Each answered item's current answer object: an item whose object differs between two versions of a
/// document was answered (or changed, or cleared) in between. Cheap: no answer is read whole. Empty for a
/// document that is not a checklist. One walk of the answers map (a lookup by key per item cost the server
/// a seek into Automerge's op set each, twice for every attributed change).
pub fn answer_versions(doc: &AutoCommit) -> BTreeMap<String, ObjId> {
    let Ok(Some(answers)) = answers_obj(doc) else {
        return BTreeMap::new();
    };
    doc.map_range(&answers, ..)
        .map(|item| (item.key.to_string(), item.id()))
        .collect()
}

/// [`answer_versions`] as the document was at `heads`.
pub fn answer_versions_at(doc: &AutoCommit, heads: &[ChangeHash]) -> BTreeMap<String, ObjId> {
    let Ok(Some((Value::Object(ObjType::Map), answers))) = doc.get_at(ROOT, "answers", heads)
    else {
        return BTreeMap::new();
    };
    doc.map_range_at(&answers, .., heads)
        .map(|item| (item.key.to_string(), item.id()))
        .collect()
}

/// The latest device time (`entry.at_ms`) among the current answers to `items`: when a change to them says
/// it was made. Reads only those answers' entries (the server asks this on every attributed change).
pub fn latest_entry_at(doc: &AutoCommit, items: &[String]) -> Option<i64> {
    let answers = answers_obj(doc).ok()??;
    items
        .iter()
        .filter_map(|item| {
            let (_, answer) = doc.get(&answers, item.as_str()).ok()??;
            // The one field, not the whole entry: each field read is a seek into the document.
            let (_, entry) = doc.get(&answer, "entry").ok()??;
            hydrate_prop::<_, i64, _, _>(doc, &entry, "at_ms").ok()
        })
        .max()
}

/// The items whose answers differ between two [`answer_versions`].
pub fn changed_items(
    before: &BTreeMap<String, ObjId>,
    after: &BTreeMap<String, ObjId>,
) -> Vec<String> {
    let mut items: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(before.keys().filter(|k| !after.contains_key(*k)).cloned())
        .collect();
    crate::order::sort(&mut items);
    items
}

/// Starts a checklist from another one of the same form (a vendor's 事業者確認用 at one facility from its
/// answers at another): every item `to` has not answered yet and `from` has is copied as a draft, its dates
/// cleared, so the person checks and dates each item again. Answers already in `to` are never touched.
/// Returns how many items were copied.
pub fn copy_answers(
    from: &AutoCommit,
    to: &mut AutoCommit,
    edition: &Edition,
    entry: &Entry,
) -> Result<usize, SchemaError> {
    let target = meta(to)?;
    if meta(from)?.form != target.form {
        return Err(SchemaError::DifferentForms);
    }
    let source = answers(from)?;
    let present = answers(to)?;
    let mut copied = 0;
    for item in edition.form_items(target.form) {
        if present.contains_key(&item.id) {
            continue;
        }
        if let Some(prev) = source.get(&item.id) {
            put_answer(to, &item.id, &prev.current.as_draft(entry.clone()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests;
