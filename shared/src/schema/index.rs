//! The facility index document: the facility, its vendors, and every other document it owns.
//!
//! ```text
//! { schema: 1, kind: "facility_index",
//!   facility: { id, kind, name, address, has_vendor_contract },
//!   vendors:   { <vendor id>: { id, name, systems } },
//!   documents: { <document id>: { id, created_at_ms, checklist: { …ChecklistMeta } | null,
//!                                 kind: "contact_chart" | "incident" | "vendor_devices" | … | absent,
//!                                 vendor_id: <vendor id> | absent } },
//!   actors:    { <actor id hex>: { device, user, since_ms } } }
//! ```
//! Vendors and documents are maps keyed by id, written one entry at a time: two devices adding different
//! entries offline both keep theirs, and no device ever rewrites the whole map from a stale copy.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ROOT, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile_prop};

use super::checklist::ChecklistMeta;
use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::error::SchemaError;
use crate::model::{DocumentId, Facility, Vendor, VendorId};

/// The whole index, as read.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct FacilityIndex {
    pub schema: u64,
    pub kind: String,
    pub facility: Facility,
    pub vendors: BTreeMap<String, Vendor>,
    pub documents: BTreeMap<String, DocumentEntry>,
    /// Every Automerge actor that has written for this facility: which device and person it was, so that each
    /// change can be attributed. Absent in documents written before it existed.
    #[autosurgeon(missing = "Default::default")]
    pub actors: BTreeMap<String, ActorRecord>,
}

/// One running app instance (a tab): its device and the person using it when it started.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ActorRecord {
    pub device: String,
    pub user: String,
    pub since_ms: i64,
}

/// One document the facility owns.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct DocumentEntry {
    pub id: DocumentId,
    pub created_at_ms: i64,
    /// Set for checklists: what the checklist is, so lists need not open every document.
    pub checklist: Option<ChecklistMeta>,
    /// The document's kind (`contact_chart`, `incident`) for documents that are not checklists; absent in
    /// entries written before other kinds existed.
    #[autosurgeon(missing = "Default::default")]
    pub kind: Option<String>,
    /// The vendor whose contribution to the 機器台帳 this is (`vendor_devices`); absent otherwise.
    #[autosurgeon(missing = "Default::default")]
    pub vendor_id: Option<VendorId>,
}

impl FacilityIndex {
    /// Documents of one kind (other than checklists), oldest first.
    pub fn documents_of(&self, kind: super::DocKind) -> Vec<&DocumentEntry> {
        let mut all: Vec<&DocumentEntry> = self
            .documents
            .values()
            .filter(|e| e.kind.as_deref() == Some(kind.as_str()))
            .collect();
        crate::order::sort_by_key(&mut all, |e| (e.created_at_ms, e.id.to_string()));
        all
    }

    /// The document of `vendor`'s contribution to the 機器台帳, if the facility asked for one (the oldest).
    pub fn contribution_of(&self, vendor: VendorId) -> Option<DocumentId> {
        self.documents_of(DocKind::VendorDevices)
            .into_iter()
            .find(|e| e.vendor_id == Some(vendor))
            .map(|e| e.id)
    }

    pub fn vendor(&self, id: VendorId) -> Option<&Vendor> {
        self.vendors.get(&id.to_string())
    }

    /// The facility's own form (医療機関確認用 / 薬局確認用) for `year`: the first one started, if several
    /// were. The one 準備状況, 期限 and the reminder mails all read.
    pub fn own_checklist(&self, year: crate::calendar::FiscalYear) -> Option<&DocumentEntry> {
        let own_form = self.facility.kind.institution_form();
        self.checklists()
            .into_iter()
            .find(|(_, m)| m.form == own_form && m.fiscal_year == year && m.vendor_id.is_none())
            .map(|(e, _)| e)
    }

    /// Checklist entries, newest fiscal year first, then by form.
    pub fn checklists(&self) -> Vec<(&DocumentEntry, &ChecklistMeta)> {
        let mut all: Vec<_> = self
            .documents
            .values()
            .filter_map(|e| e.checklist.as_ref().map(|m| (e, m)))
            .collect();
        crate::order::sort_by(&mut all, |a, b| {
            (
                std::cmp::Reverse(a.1.fiscal_year),
                a.1.form,
                &a.1.vendor_name,
                a.0.created_at_ms,
            )
                .cmp(&(
                    std::cmp::Reverse(b.1.fiscal_year),
                    b.1.form,
                    &b.1.vendor_name,
                    b.0.created_at_ms,
                ))
        });
        all
    }
}

/// A new index for a facility set up on this device.
pub fn create(facility: &Facility) -> Result<AutoCommit, SchemaError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", DocKind::FacilityIndex.as_str())?;
    reconcile_prop(&mut doc, ROOT, "facility", facility)?;
    doc.put_object(ROOT, "vendors", ObjType::Map)?;
    doc.put_object(ROOT, "documents", ObjType::Map)?;
    Ok(doc)
}

pub fn read(doc: &AutoCommit) -> Result<FacilityIndex, SchemaError> {
    expect_kind(doc, DocKind::FacilityIndex)?;
    Ok(hydrate(doc)?)
}

/// Updates the facility's own fields.
pub fn set_facility(doc: &mut AutoCommit, facility: &Facility) -> Result<(), SchemaError> {
    reconcile_prop(doc, ROOT, "facility", facility)?;
    Ok(())
}

fn map_at(doc: &mut AutoCommit, key: &str) -> Result<automerge::ObjId, SchemaError> {
    use automerge::ReadDoc;
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(ROOT, key, ObjType::Map)?),
    }
}

/// Adds or updates one vendor.
pub fn put_vendor(doc: &mut AutoCommit, vendor: &Vendor) -> Result<(), SchemaError> {
    let vendors = map_at(doc, "vendors")?;
    reconcile_prop(doc, &vendors, vendor.id.to_string().as_str(), vendor)?;
    Ok(())
}

/// Records which device and person an actor (one tab's writer) belongs to.
pub fn record_actor(
    doc: &mut AutoCommit,
    actor: &automerge::ActorId,
    record: &ActorRecord,
) -> Result<(), SchemaError> {
    let actors = map_at(doc, "actors")?;
    reconcile_prop(doc, &actors, actor.to_hex_string().as_str(), record)?;
    Ok(())
}

/// Takes a document off the index's list (the document itself is kept, on the device and the server).
pub fn unlist_document(doc: &mut AutoCommit, id: DocumentId) -> Result<(), SchemaError> {
    let documents = map_at(doc, "documents")?;
    doc.delete(&documents, id.to_string().as_str())?;
    Ok(())
}

/// Lists a document in the index.
pub fn put_document(doc: &mut AutoCommit, entry: &DocumentEntry) -> Result<(), SchemaError> {
    let documents = map_at(doc, "documents")?;
    reconcile_prop(doc, &documents, entry.id.to_string().as_str(), entry)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FacilityId, FacilityKind};

    #[test]
    fn actors_are_recorded_and_older_indexes_without_them_still_read() {
        let facility = Facility {
            id: FacilityId::generate(),
            kind: FacilityKind::Clinic,
            name: "さくら内科".into(),
            address: String::new(),
            has_vendor_contract: true,
        };
        let mut doc = create(&facility).unwrap();
        // An index written before `actors` existed reads with none.
        assert!(read(&doc).unwrap().actors.is_empty());
        let actor = automerge::ActorId::random();
        let record = ActorRecord {
            device: "device-1".into(),
            user: "佐藤".into(),
            since_ms: 1,
        };
        record_actor(&mut doc, &actor, &record).unwrap();
        assert_eq!(read(&doc).unwrap().actors[&actor.to_hex_string()], record);
    }
}
