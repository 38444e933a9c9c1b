//! A vendor's contribution to the 機器台帳: the rows of the devices one vendor maintains for one facility,
//! which the vendor's user fills in (offline too) without seeing anything else of the facility.
//!
//! ```text
//! { schema: 1, kind: "vendor_devices",
//!   meta: { facility_id, vendor_id, created_at_ms },
//!   rows:      { <row id>: { …a Device } },   the vendor's rows: written by the vendor
//!   base:      { <row id>: { …a Device } },   each row as the facility handed it over or last accepted it
//!   decisions: { <row id>: { state: "accepted" | "rejected", digest, at_ms } } }
//! ```
//! The facility registers the document with the vendor's id (the server grants that vendor write access to
//! it and nothing else) and copies in the rows of its ledger whose `vendor_id` is that vendor, under the
//! same row ids. What the vendor proposes is what its rows say that their `base` does not; a 管理者 or 担当者
//! accepts or rejects each row ([`crate::ledger::proposals`]), and the decision names the exact row it was
//! about (`digest`), so a rejected row does not come back unless the vendor changes it again.
//!
//! The vendor can write every part of this document, `base` and `decisions` too: nothing here is trusted
//! beyond what is shown. Its rows reach the facility's ledger only when a person there accepts them, and
//! an acceptance writes the vendor's own id as the row's vendor whatever the rows say.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile, hydrate_prop, reconcile_prop};

use super::ledger::{Device, read_map};
use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::error::SchemaError;
use crate::model::{FacilityId, VendorId};

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ContributionMeta {
    pub facility_id: FacilityId,
    pub vendor_id: VendorId,
    pub created_at_ms: i64,
}

/// What a person of the facility decided about one proposed row.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Decision {
    /// `accepted` or `rejected`.
    pub state: String,
    /// [`digest`] of the row as it was proposed when decided.
    pub digest: String,
    pub at_ms: i64,
}

pub const ACCEPTED: &str = "accepted";
pub const REJECTED: &str = "rejected";

/// The whole contribution, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    pub meta: ContributionMeta,
    /// The vendor's rows; each row's `id` is its key.
    pub rows: BTreeMap<String, Device>,
    pub base: BTreeMap<String, Device>,
    pub decisions: BTreeMap<String, Decision>,
}

/// A new, empty contribution of `vendor` for `facility`.
pub fn create(
    facility: FacilityId,
    vendor: VendorId,
    now_ms: i64,
) -> Result<AutoCommit, SchemaError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", DocKind::VendorDevices.as_str())?;
    reconcile_prop(
        &mut doc,
        ROOT,
        "meta",
        &ContributionMeta {
            facility_id: facility,
            vendor_id: vendor,
            created_at_ms: now_ms,
        },
    )?;
    for key in ["rows", "base", "decisions"] {
        doc.put_object(ROOT, key, ObjType::Map)?;
    }
    Ok(doc)
}

pub fn meta(doc: &AutoCommit) -> Result<ContributionMeta, SchemaError> {
    expect_kind(doc, DocKind::VendorDevices)?;
    Ok(hydrate_prop(doc, ROOT, "meta")?)
}

/// Everything in the contribution. Rows and decisions that do not read are skipped; a row's `id` is its key,
/// whatever the row says.
pub fn read(doc: &AutoCommit) -> Result<Contribution, SchemaError> {
    let meta = meta(doc)?;
    let keyed = |mut rows: BTreeMap<String, Device>| {
        for (key, row) in rows.iter_mut() {
            row.id = key.clone();
        }
        rows
    };
    let mut decisions = BTreeMap::new();
    if let Some((automerge::Value::Object(ObjType::Map), obj)) = doc.get(ROOT, "decisions")? {
        for key in doc.keys(&obj) {
            if let Ok(Some(d)) = hydrate_prop::<_, Option<Decision>, _, _>(doc, &obj, key.as_str())
            {
                decisions.insert(key, d);
            }
        }
    }
    Ok(Contribution {
        meta,
        rows: keyed(read_map(doc, "rows")?),
        base: keyed(read_map(doc, "base")?),
        decisions,
    })
}

fn map_at(doc: &mut AutoCommit, key: &str) -> Result<automerge::ObjId, SchemaError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(ROOT, key, ObjType::Map)?),
    }
}

/// The vendor adds or edits one of its rows (field by field).
pub fn put_row(doc: &mut AutoCommit, row: &Device) -> Result<(), SchemaError> {
    expect_kind(doc, DocKind::VendorDevices)?;
    let rows = map_at(doc, "rows")?;
    reconcile_prop(doc, &rows, row.id.as_str(), row)?;
    Ok(())
}

/// The facility hands over ledger rows (those whose vendor is this contribution's): each row not handed
/// over before goes into `base` and, unless the vendor already has a row under that id, into `rows`.
/// Returns how many were new.
pub fn hand_over(doc: &mut AutoCommit, rows: &[Device]) -> Result<usize, SchemaError> {
    let current = read(doc)?;
    let mut added = 0;
    for row in rows {
        if current.base.contains_key(&row.id) {
            continue;
        }
        let base = map_at(doc, "base")?;
        reconcile_prop(doc, &base, row.id.as_str(), row)?;
        if !current.rows.contains_key(&row.id) {
            let theirs = map_at(doc, "rows")?;
            reconcile_prop(doc, &theirs, row.id.as_str(), row)?;
        }
        added += 1;
    }
    Ok(added)
}

/// Records a decision about row `id` as proposed (`row`); an accepted row also becomes the row's `base`, so
/// what the vendor changes next is measured from what the ledger took.
pub fn decide(
    doc: &mut AutoCommit,
    row: &Device,
    accepted: bool,
    at_ms: i64,
) -> Result<(), SchemaError> {
    expect_kind(doc, DocKind::VendorDevices)?;
    let decision = Decision {
        state: if accepted { ACCEPTED } else { REJECTED }.to_string(),
        digest: digest(row),
        at_ms,
    };
    let decisions = map_at(doc, "decisions")?;
    reconcile_prop(doc, &decisions, row.id.as_str(), &decision)?;
    if accepted {
        let base = map_at(doc, "base")?;
        reconcile_prop(doc, &base, row.id.as_str(), row)?;
    }
    Ok(())
}

/// A short fingerprint of a row's content (its vendor left out: an acceptance sets it anyway), so a decision
/// stays with the row as it was decided. FNV-1a over the row's serde form: stable across builds and
/// platforms, unlike the standard library's hasher.
pub fn digest(row: &Device) -> String {
    let row = Device {
        vendor_id: None,
        ..row.clone()
    };
    let text = serde_json::to_string(&row).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, os: &str) -> Device {
        Device {
            id: id.into(),
            number: "001".into(),
            os: os.into(),
            ..Device::default()
        }
    }

    #[test]
    fn handed_over_rows_are_the_vendors_to_edit_and_decisions_are_kept() {
        let (f, v) = (FacilityId::generate(), VendorId::generate());
        let mut doc = create(f, v, 1).unwrap();
        assert_eq!(hand_over(&mut doc, &[device("a", "Win10")]).unwrap(), 1);
        // The vendor edits offline on its own copy; the facility hands the same row over again: not new.
        let mut vendor = doc.fork().with_actor(automerge::ActorId::random());
        put_row(&mut vendor, &device("a", "Win11")).unwrap();
        put_row(&mut vendor, &device("b", "Linux")).unwrap();
        assert_eq!(hand_over(&mut doc, &[device("a", "Win10")]).unwrap(), 0);
        doc.merge(&mut vendor).unwrap();
        let c = read(&doc).unwrap();
        assert_eq!(c.meta.vendor_id, v);
        assert_eq!(c.rows["a"].os, "Win11");
        assert_eq!(c.base["a"].os, "Win10");
        assert_eq!(c.rows.len(), 2);
        decide(&mut doc, &c.rows["b"], false, 5).unwrap();
        decide(&mut doc, &c.rows["a"], true, 6).unwrap();
        let c = read(&doc).unwrap();
        assert_eq!(c.decisions["b"].state, REJECTED);
        assert_eq!(c.decisions["b"].digest, digest(&c.rows["b"]));
        assert_eq!(c.base["a"].os, "Win11", "accepted: the new base");
        assert!(super::super::check(&doc, Some(DocKind::VendorDevices)).is_ok());
    }

    #[test]
    fn a_row_keyed_otherwise_than_it_says_reads_under_its_key() {
        let mut doc = create(FacilityId::generate(), VendorId::generate(), 1).unwrap();
        put_row(&mut doc, &device("a", "Win11")).unwrap();
        let rows = match doc.get(ROOT, "rows").unwrap() {
            Some((_, rows)) => rows,
            None => unreachable!(),
        };
        let row = match doc.get(&rows, "a").unwrap() {
            Some((_, row)) => row,
            None => unreachable!(),
        };
        doc.put(&row, "id", "someone-elses-row").unwrap();
        assert_eq!(read(&doc).unwrap().rows["a"].id, "a");
    }

    #[test]
    fn the_digest_ignores_the_vendor_and_follows_the_content() {
        let a = device("a", "Win11");
        let with_vendor = Device {
            vendor_id: Some(VendorId::generate()),
            ..a.clone()
        };
        assert_eq!(digest(&a), digest(&with_vendor));
        assert_ne!(digest(&a), digest(&device("a", "Win10")));
    }
}
