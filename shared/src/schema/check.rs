//! Whether a whole document still reads as the Mamori document it claims to be: asked by the server after
//! applying a peer's changes, so that no change it accepts leaves a document that devices cannot read (a
//! text object where an answer's string belongs, an unknown form, another kind at the root).
//!
//! Stricter than the readers the app uses, which skip a value they cannot read (written by a newer build)
//! rather than fail a whole screen: here every answer and every ledger row must read.

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use autosurgeon::Hydrate;

use super::{
    DocKind, SCHEMA_VERSION, checklist, contact_chart, evidence, incident, index, kind_of, ledger,
    schema_version, vendor_devices,
};
use crate::answer::Answer;

/// Checks `doc` reads whole as its kind, and that the kind is the one it had (`before`; `None` for a
/// document that was empty). Returns the kind, or why not.
pub fn check(doc: &AutoCommit, before: Option<DocKind>) -> Result<DocKind, String> {
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
    match kind {
        DocKind::Checklist => {
            every_answer_reads(doc)?;
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
    Ok(kind)
}

fn every_answer_reads(doc: &AutoCommit) -> Result<(), String> {
    let answers = match doc.get(ROOT, "answers").map_err(|e| e.to_string())? {
        Some((Value::Object(ObjType::Map), id)) => id,
        None => return Ok(()),
        Some(_) => return Err("answers is not a map".into()),
    };
    for key in doc.keys(&answers) {
        for (value, id) in doc
            .get_all(&answers, key.as_str())
            .map_err(|e| e.to_string())?
        {
            if !matches!(value, Value::Object(ObjType::Map)) {
                return Err(format!("the answer to {key} is not a map"));
            }
            Answer::hydrate_map(doc, &id).map_err(|e| format!("the answer to {key}: {e}"))?;
        }
    }
    Ok(())
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
