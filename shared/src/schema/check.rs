//! Whether a whole document still reads as the Mamori document it claims to be: asked by the server after
//! applying a peer's changes, so that no change it accepts leaves a document that devices cannot read (a
//! text object where an answer's string belongs, an unknown form, another kind at the root).
//!
//! Stricter than the readers the app uses, which skip a value they cannot read (written by a newer build)
//! rather than fail a whole screen: here every answer and every ledger row must read.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::{AutoCommit, Change, ObjType, ROOT, ReadDoc, Value};
use autosurgeon::Hydrate;

use super::map_cache::MapCache;
use super::{
    DocKind, SCHEMA_VERSION, checklist, contact_chart, evidence, incident, index, kind_of, ledger,
    schema_version, vendor_devices,
};
use crate::answer::Answer;

/// Checks `doc` reads whole as its kind, and that the kind is the one it had (`before`; `None` for a
/// document that was empty). Returns the kind, or why not.
pub fn check(doc: &AutoCommit, before: Option<DocKind>) -> Result<DocKind, String> {
    check_with(doc, before, None).map(|checked| checked.kind)
}

/// What [`check_changed`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub kind: DocKind,
    /// Whether the changes can have altered anything but a checklist's answers (its root, meta or seal):
    /// `false` only when every operation provably lies within the answers, so what the caller checks of the
    /// rest of the document (its edition, its seals) still holds as it did before them.
    pub beyond_answers: bool,
    /// The checklist items whose answers the changes wrote (the keys of the answers they put, deleted or
    /// wrote into), read from the changes' own operations; empty for other kinds; `None` when that cannot
    /// be told (the changes wrote at the root, where the answers map itself may be new).
    pub answers: Option<BTreeSet<String>>,
}

/// [`check`] after `arrived` were applied to a document that read whole before them: of a checklist's
/// answers, only those the changes can have altered are read again (every answer was read when it
/// arrived). The server asks this on every change it takes in; reading every answer cost it a tenth of its
/// CPU with five answers to a checklist, and a real checklist holds forty. When the changes stay within the
/// answers (how the app writes one), the root, the meta and the seal cannot have changed and are not read
/// again: those reads were most of what a signed-in server spent checking a change.
pub fn check_changed(
    doc: &AutoCommit,
    before: Option<DocKind>,
    arrived: &[Change],
) -> Result<Checked, String> {
    if before == Some(DocKind::Checklist)
        && let Some(Touched {
            keys,
            beyond_answers: false,
        }) = touched_answers(doc, arrived)
    {
        answers_read(doc, keys.iter().map(String::as_str))?;
        return Ok(Checked {
            kind: DocKind::Checklist,
            beyond_answers: false,
            answers: Some(keys),
        });
    }
    check_with(doc, before, Some(arrived))
}

fn check_with(
    doc: &AutoCommit,
    before: Option<DocKind>,
    arrived: Option<&[Change]>,
) -> Result<Checked, String> {
    let version = schema_version(doc);
    if version > SCHEMA_VERSION {
        return Err(format!(
            "schema version {version} is newer than this server's ({SCHEMA_VERSION})"
        ));
    }
    let Some(kind) = kind_of(doc) else {
        return Err("no known kind at the document's root".into());
    };
    if before.is_some_and(|b| b != kind) {
        return Err(format!("the document's kind changed to {}", kind.as_str()));
    }
    let read = match kind {
        DocKind::FacilityIndex => index::read(doc).map(|_| ()),
        DocKind::Checklist => checklist::meta(doc).map(|_| ()),
        DocKind::ContactChart => contact_chart::read(doc).map(|_| ()),
        DocKind::Incident => incident::read(doc).map(|_| ()),
        DocKind::DeviceLedger => ledger::rows::<ledger::Device>(doc).map(|_| ()),
        DocKind::UserLedger => ledger::rows::<ledger::Account>(doc).map(|_| ()),
        DocKind::VendorDevices => vendor_devices::meta(doc).map(|_| ()),
        DocKind::Evidence => evidence::read(doc).map(|_| ()),
    };
    read.map_err(|e| e.to_string())?;
    let mut answers = Some(BTreeSet::new());
    match kind {
        DocKind::Checklist => {
            let touched = match (before, arrived) {
                (Some(DocKind::Checklist), Some(arrived)) => touched_answers(doc, arrived),
                _ => None,
            };
            match &touched {
                Some(touched) => answers_read(doc, touched.keys.iter().map(String::as_str))?,
                None => every_answer_reads(doc)?,
            }
            answers = touched.map(|t| t.keys);
            every_seal_reads(doc)?;
        }
        DocKind::DeviceLedger | DocKind::UserLedger => {
            every_row_reads(doc, kind, "rows")?;
            ledger::reviewed(doc).map_err(|e| format!("the review mark does not read: {e}"))?;
        }
        DocKind::VendorDevices => {
            every_row_reads(doc, kind, "rows")?;
            every_row_reads(doc, kind, "base")?;
            every_decision_reads(doc)?;
        }
        _ => {}
    }
    Ok(Checked {
        kind,
        beyond_answers: true,
        answers,
    })
}

fn every_answer_reads(doc: &AutoCommit) -> Result<(), String> {
    let keys: Vec<String> = match doc.get(ROOT, "answers").map_err(|e| e.to_string())? {
        Some((Value::Object(ObjType::Map), id)) => doc.keys(&id).collect(),
        _ => Vec::new(),
    };
    answers_read(doc, keys.iter().map(String::as_str))
}

/// Every value (the current one and any concurrent others) at each of `keys` of a checklist's answers reads
/// as an answer.
fn answers_read<'a>(doc: &AutoCommit, keys: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let answers = match doc.get(ROOT, "answers").map_err(|e| e.to_string())? {
        Some((Value::Object(ObjType::Map), id)) => id,
        None => return Ok(()),
        Some(_) => return Err("answers is not a map".into()),
    };
    for key in keys {
        for (value, id) in doc.get_all(&answers, key).map_err(|e| e.to_string())? {
            if !matches!(value, Value::Object(ObjType::Map)) {
                return Err(format!("the answer to {key} is not a map"));
            }
            Answer::hydrate_map(&MapCache::new(doc), &id)
                .map_err(|e| format!("the answer to {key}: {e}"))?;
        }
    }
    Ok(())
}

/// The answers (item keys) that `arrived` can have altered: those whose key they put or delete, and those
/// holding an existing object they wrote into (an answer's map, or an object directly within it such as its
/// `entry`: what an answer is read from). Objects the changes themselves made are placed where they were
/// made, so an answer written whole (how the app writes one) costs no walk of the other answers. `None`
/// when the changes touch the document's root (the answers map itself may be new): every answer is read.
///
/// An object deeper in an answer needs no search: an answer holds scalars and its `entry`, whose fields are
/// scalars, so an object made deeper was refused when it arrived (its answer no longer read).
fn touched_answers(doc: &AutoCommit, arrived: &[Change]) -> Option<Touched> {
    use automerge::legacy::{Key, ObjectId, OpType};
    /// Where an object the changes wrote into sits.
    #[derive(Clone)]
    enum Place {
        Answer(String),
        /// An object that was there before (as `counter@actor`).
        Existing(String),
    }
    let answers = match doc.get(ROOT, "answers") {
        Ok(Some((Value::Object(ObjType::Map), id))) => id,
        _ => return None,
    };
    let answers_id = answers.to_string();
    let mut keys = BTreeSet::new();
    let mut existing: HashSet<String> = HashSet::new();
    let mut made: HashMap<String, Place> = HashMap::new();
    for change in arrived {
        let (actor, start) = (change.actor_id().to_string(), change.start_op().get());
        for (i, op) in change.decode().operations.iter().enumerate() {
            let ObjectId::Id(obj) = &op.obj else {
                return None;
            };
            let obj = obj.to_string();
            let place = if obj == answers_id {
                match &op.key {
                    Key::Map(key) => Place::Answer(key.to_string()),
                    Key::Seq(_) => return None,
                }
            } else {
                made.get(&obj).cloned().unwrap_or(Place::Existing(obj))
            };
            match &place {
                Place::Answer(key) => keys.insert(key.clone()),
                Place::Existing(obj) => existing.insert(obj.clone()),
            };
            if matches!(op.action, OpType::Make(_)) {
                made.insert(format!("{}@{actor}", start + i as u64), place);
            }
        }
    }
    if existing.is_empty() {
        return Some(Touched {
            keys,
            beyond_answers: false,
        });
    }
    // Which answer each of those objects belongs to, if any: every value at every key, and the objects
    // directly within it.
    for key in doc.keys(&answers) {
        for (_, answer) in doc.get_all(&answers, key.as_str()).ok()? {
            let mut hit = existing.remove(&answer.to_string());
            for field in doc.map_range(&answer, ..) {
                if matches!(field.value, automerge::ValueRef::Object(_)) {
                    hit |= existing.remove(&field.id().to_string());
                }
            }
            if hit {
                keys.insert(key.clone());
            }
        }
    }
    Some(Touched {
        keys,
        beyond_answers: !existing.is_empty(),
    })
}

/// The answers some changes can have altered, and whether they wrote anywhere else too.
struct Touched {
    keys: BTreeSet<String>,
    beyond_answers: bool,
}

fn every_seal_reads(doc: &AutoCommit) -> Result<(), String> {
    for (value, _) in checklist::seal_values(doc).map_err(|e| e.to_string())? {
        let printed = match &value {
            Value::Scalar(s) => s.as_str(),
            _ => None,
        }
        .ok_or("the seal is not a string")?;
        crate::seal::Seal::read(printed).map_err(|e| format!("the seal: {e}"))?;
    }
    Ok(())
}

fn every_row_reads(doc: &AutoCommit, kind: DocKind, key: &str) -> Result<(), String> {
    let rows = match doc.get(ROOT, key).map_err(|e| e.to_string())? {
        Some((Value::Object(ObjType::Map), id)) => id,
        None => return Ok(()),
        Some(_) => return Err(format!("{key} is not a map")),
    };
    let count = doc.length(&rows);
    let read = match kind {
        DocKind::UserLedger => ledger::read_map::<ledger::Account>(doc, key).map(|r| r.len()),
        _ => ledger::read_map::<ledger::Device>(doc, key).map(|r| r.len()),
    }
    .map_err(|e| e.to_string())?;
    if read != count {
        return Err(format!("{} of {count} {key} do not read", count - read));
    }
    Ok(())
}

fn every_decision_reads(doc: &AutoCommit) -> Result<(), String> {
    let decisions = match doc.get(ROOT, "decisions").map_err(|e| e.to_string())? {
        Some((Value::Object(ObjType::Map), id)) => id,
        None => return Ok(()),
        Some(_) => return Err("decisions is not a map".into()),
    };
    for key in doc.keys(&decisions) {
        autosurgeon::hydrate_prop::<_, vendor_devices::Decision, _, _>(
            doc,
            &decisions,
            key.as_str(),
        )
        .map_err(|e| format!("the decision on {key}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;
    use crate::edition::FormKind;

    fn checklist() -> AutoCommit {
        let meta = checklist::ChecklistMeta::sample(FormKind::Medical);
        checklist::create(&meta).unwrap()
    }

    #[test]
    fn a_fresh_checklist_reads_and_a_text_answer_does_not() {
        let mut doc = checklist();
        assert_eq!(check(&doc, None), Ok(DocKind::Checklist));
        let answers = match doc.get(ROOT, "answers").unwrap() {
            Some((_, id)) => id,
            None => unreachable!(),
        };
        let item = doc.put_object(&answers, "1-①", ObjType::Map).unwrap();
        doc.put_object(&item, "choice", ObjType::Text).unwrap();
        assert!(check(&doc, Some(DocKind::Checklist)).is_err());
    }

    fn answers_of(doc: &AutoCommit) -> automerge::ObjId {
        match doc.get(ROOT, "answers").unwrap() {
            Some((_, id)) => id,
            None => unreachable!(),
        }
    }

    /// A checklist with two answers, and what a change made on a copy of it does to the check that reads
    /// only what the change touched, beside the check that reads everything.
    fn after(
        change: impl FnOnce(&mut AutoCommit),
    ) -> (Result<Checked, String>, Result<DocKind, String>) {
        use crate::answer::{Answer, Choice, Entry};
        use crate::model::ItemId;
        let mut doc = checklist();
        let answer = Answer::new(
            Choice::Yes,
            crate::calendar::Date::parse_iso("2026-11-20").unwrap(),
            Entry::default(),
        );
        for item in ["1-①", "2-⑥"] {
            checklist::put_answer(&mut doc, &ItemId::from(item), &answer).unwrap();
        }
        doc.commit();
        let heads = doc.get_heads();
        let mut other = doc.fork();
        change(&mut other);
        other.commit();
        let arrived: Vec<Change> = other.get_changes(&heads).into_iter().collect();
        doc.apply_changes(arrived.clone()).unwrap();
        (
            check_changed(&doc, Some(DocKind::Checklist), &arrived),
            check(&doc, Some(DocKind::Checklist)),
        )
    }

    #[test]
    fn what_a_change_touches_is_read_again_wherever_it_writes() {
        use crate::answer::{Answer, Choice, Entry};
        use crate::model::ItemId;
        // An answer written whole, as the app writes one: reads.
        let (touched, whole) = after(|d| {
            let a = Answer::new(
                Choice::No,
                crate::calendar::Date::parse_iso("2026-11-21").unwrap(),
                Entry::default(),
            );
            checklist::put_answer(d, &ItemId::from("2-⑥"), &a).unwrap();
        });
        assert_eq!(
            touched,
            Ok(Checked {
                kind: DocKind::Checklist,
                beyond_answers: false,
                answers: Some(["2-⑥".to_string()].into())
            })
        );
        assert_eq!(whole, Ok(DocKind::Checklist));
        // An answer edited in place (its entry too) stays within the answers.
        let (touched, _) = after(|d| {
            let (_, a) = d.get(answers_of(d), "1-①").unwrap().unwrap();
            d.put(&a, "note", "更新").unwrap();
            let (_, e) = d.get(&a, "entry").unwrap().unwrap();
            d.put(&e, "by", "佐藤").unwrap();
        });
        assert_eq!(
            touched.map(|c| (c.beyond_answers, c.answers)),
            Ok((false, Some(["1-①".to_string()].into())))
        );
        // Each way of breaking an answer is found by both checks.
        /// What breaks an answer, and how.
        type Break = (&'static str, Box<dyn FnOnce(&mut AutoCommit)>);
        let breaks: [Break; 5] = [
            (
                "a text object in an existing answer",
                Box::new(|d| {
                    let (_, a) = d.get(answers_of(d), "1-①").unwrap().unwrap();
                    d.put_object(&a, "choice", ObjType::Text).unwrap();
                }),
            ),
            (
                "a number in an existing answer's entry",
                Box::new(|d| {
                    let (_, a) = d.get(answers_of(d), "1-①").unwrap().unwrap();
                    let (_, e) = d.get(&a, "entry").unwrap().unwrap();
                    d.put(&e, "by", 7).unwrap();
                }),
            ),
            (
                "a scalar where an answer belongs",
                Box::new(|d| {
                    d.put(answers_of(d), "2-⑥", "はい").unwrap();
                }),
            ),
            (
                "a new answer with a map for its note",
                Box::new(|d| {
                    let a = d.put_object(answers_of(d), "3-①", ObjType::Map).unwrap();
                    d.put(&a, "choice", "yes").unwrap();
                    d.put_object(&a, "note", ObjType::Map).unwrap();
                }),
            ),
            (
                "the answers map replaced by one with a bad answer",
                Box::new(|d| {
                    let answers = d.put_object(ROOT, "answers", ObjType::Map).unwrap();
                    d.put(&answers, "1-①", 1).unwrap();
                }),
            ),
        ];
        for (what, change) in breaks {
            let (touched, whole) = after(change);
            assert!(whole.is_err(), "{what}: the whole check passes");
            assert!(
                touched.is_err(),
                "{what}: the check of what was touched passes"
            );
        }
    }

    /// The check that reads only the touched answers skips the meta and the root: a change that writes an
    /// answer and anything else besides must be read whole, and say so (the caller then checks the edition
    /// and the seals too).
    #[test]
    fn an_answer_written_beside_anything_else_reads_the_whole_document() {
        use crate::answer::{Answer, Choice, Entry};
        use crate::model::ItemId;
        let answer_and = |other: Box<dyn FnOnce(&mut AutoCommit)>| {
            after(move |d| {
                let a = Answer::new(
                    Choice::No,
                    crate::calendar::Date::parse_iso("2026-11-21").unwrap(),
                    Entry::default(),
                );
                checklist::put_answer(d, &ItemId::from("2-⑥"), &a).unwrap();
                other(d);
            })
        };
        let (touched, whole) = answer_and(Box::new(|d| {
            let (_, meta) = d.get(ROOT, "meta").unwrap().unwrap();
            d.put(&meta, "edition", 2025).unwrap();
        }));
        assert!(whole.is_err(), "a meta that does not read");
        assert!(touched.is_err(), "the meta was not read again");
        let (touched, _) = answer_and(Box::new(|d| {
            let (_, meta) = d.get(ROOT, "meta").unwrap().unwrap();
            d.put(&meta, "vendor_name", "別名").unwrap();
        }));
        assert_eq!(touched.map(|c| c.beyond_answers), Ok(true), "meta");
        let (touched, _) = answer_and(Box::new(|d| {
            d.put(ROOT, "seal", "forged").unwrap();
        }));
        assert!(touched.is_err(), "a seal that does not read");
        let (touched, _) = answer_and(Box::new(|d| {
            d.put(ROOT, "schema", 99).unwrap();
        }));
        assert!(touched.is_err(), "a newer schema version at the root");
    }

    #[test]
    fn another_kind_or_none_is_refused() {
        let mut doc = checklist();
        doc.put(ROOT, "kind", "incident").unwrap();
        assert!(check(&doc, Some(DocKind::Checklist)).is_err());
        assert!(check(&AutoCommit::new(), None).is_err());
    }

    #[test]
    fn a_ledger_review_mark_that_does_not_read_is_refused() {
        use crate::schema::ledger::{self, Device, Review};
        let mut doc = ledger::create::<Device>(crate::model::FacilityId::generate(), 1).unwrap();
        let review = Review {
            on: Some(crate::calendar::Date::parse_iso("2026-12-04").unwrap()),
            by: "佐藤".into(),
        };
        ledger::mark_reviewed(&mut doc, &review).unwrap();
        assert_eq!(check(&doc, None), Ok(DocKind::DeviceLedger));
        doc.put(ROOT, "reviewed", "yesterday").unwrap();
        let refused = check(&doc, Some(DocKind::DeviceLedger)).unwrap_err();
        assert!(refused.contains("review mark"), "{refused}");
    }
}
