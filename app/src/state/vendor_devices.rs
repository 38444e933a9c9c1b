//! Vendors' contributions to the 機器台帳 on this device: the facility asks a vendor for its devices' rows
//! (a `vendor_devices` document holding the ledger rows of that vendor), reviews what comes back and accepts
//! or rejects each row; the vendor's user edits its rows on its own device, seeing nothing else.

use std::collections::BTreeMap;

use leptos::prelude::*;
use mamori_shared::error::SchemaError;
use mamori_shared::ledger::proposals::{self, NotAccepted, Proposal};
use mamori_shared::model::{DocumentId, VendorId};
use mamori_shared::schema::DocKind;
use mamori_shared::schema::index::{self, DocumentEntry};
use mamori_shared::schema::ledger::{self, Device};
use mamori_shared::schema::vendor_devices::{self, Contribution};

use super::{Workspace, now_ms};

/// Why a proposed row was not taken into the ledger.
#[derive(Debug, thiserror::Error)]
pub enum AcceptProblem {
    #[error("{0}")]
    NotAccepted(#[from] NotAccepted),
    #[error("{0}")]
    Schema(#[from] SchemaError),
}

impl Workspace {
    /// One contribution (reactive on `revision`).
    pub fn contribution(&self, id: DocumentId) -> Result<Contribution, SchemaError> {
        self.revision.track();
        self.docs.with_value(|docs| {
            vendor_devices::read(
                docs.get(&id)
                    .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?,
            )
        })
    }

    /// Every contribution on this device with its meta, whatever its facility (a vendor's user serves
    /// several), reactive.
    pub fn contributions(&self) -> Vec<(DocumentId, vendor_devices::ContributionMeta)> {
        self.revision.track();
        self.docs.with_value(|docs| {
            docs.iter()
                .filter_map(|(id, d)| vendor_devices::meta(d).ok().map(|m| (*id, m)))
                .collect()
        })
    }

    /// The facility's contribution document for `vendor`, if it asked for one (reactive).
    pub fn contribution_of(&self, vendor: VendorId) -> Option<DocumentId> {
        self.index()?.contribution_of(vendor)
    }

    /// Asks `vendor` for its devices' rows: a contribution document holding the ledger's rows of that vendor
    /// (same row ids), listed in the index with the vendor so the server lets that vendor write it. Asking
    /// again hands over the rows given to the vendor since.
    pub fn ask_vendor_for_devices(&self, vendor: VendorId) -> Result<DocumentId, SchemaError> {
        let index_id = self.require_index()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        let theirs: Vec<Device> = self
            .ledger_rows::<Device>()
            .values()
            .filter(|d| d.vendor_id == Some(vendor))
            .cloned()
            .collect();
        if let Some(id) = idx.contribution_of(vendor) {
            self.change(id, |doc| {
                vendor_devices::hand_over(doc, &theirs).map(|_| ())
            })?;
            return Ok(id);
        }
        let now = now_ms();
        let mut doc = vendor_devices::create(idx.facility.id, vendor, now)?;
        vendor_devices::hand_over(&mut doc, &theirs)?;
        let id = DocumentId::generate();
        self.insert(id, doc);
        let entry = DocumentEntry {
            id,
            created_at_ms: now,
            checklist: None,
            kind: Some(DocKind::VendorDevices.as_str().to_string()),
            vendor_id: Some(vendor),
        };
        self.change(index_id, |doc| index::put_document(doc, &entry))?;
        Ok(id)
    }

    /// What `vendor`'s contribution proposes against this device's 機器台帳 (reactive).
    pub fn proposals(&self, vendor: VendorId) -> Vec<Proposal> {
        let Some(id) = self.contribution_of(vendor) else {
            return Vec::new();
        };
        let Ok(mut c) = self.contribution(id) else {
            return Vec::new();
        };
        // Whose it is comes from the index, which the vendor cannot write.
        c.meta.vendor_id = vendor;
        proposals::proposals(&c, &self.ledger_rows::<Device>())
    }

    /// Takes the vendor's row `row` into the 機器台帳 (only the fields it changed, with the vendor as its
    /// vendor), then records the acceptance where the vendor sees it.
    pub fn accept_proposal(&self, vendor: VendorId, row: &str) -> Result<(), AcceptProblem> {
        let (id, c) = self.own_contribution(vendor)?;
        let ledger_rows: BTreeMap<String, Device> = (*self.ledger_rows::<Device>()).clone();
        let accepted = proposals::accepted_row(&c, &ledger_rows, row)?;
        let ledger_id = self.ensure_ledger::<Device>()?;
        self.change(ledger_id, |doc| ledger::put_row(doc, &accepted))?;
        let proposed = c.rows[row].clone();
        self.change(id, |doc| {
            vendor_devices::decide(doc, &proposed, true, now_ms())
        })?;
        Ok(())
    }

    /// Marks the vendor's row `row` as not taken, as it stands; the ledger is not touched.
    pub fn reject_proposal(&self, vendor: VendorId, row: &str) -> Result<(), SchemaError> {
        let (id, c) = self.own_contribution(vendor)?;
        let proposed = c
            .rows
            .get(row)
            .cloned()
            .ok_or_else(|| SchemaError::UnknownDocument(row.to_string()))?;
        self.change(id, |doc| {
            vendor_devices::decide(doc, &proposed, false, now_ms())
        })
    }

    /// The facility's contribution document for `vendor`, read; the vendor it names must be `vendor` (the
    /// index says whose it is, the document cannot change that).
    fn own_contribution(
        &self,
        vendor: VendorId,
    ) -> Result<(DocumentId, Contribution), SchemaError> {
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        let id = idx
            .contribution_of(vendor)
            .ok_or_else(|| SchemaError::UnknownDocument(vendor.to_string()))?;
        let mut c = self
            .docs
            .with_value(|docs| docs.get(&id).map(vendor_devices::read))
            .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))??;
        c.meta.vendor_id = vendor;
        Ok((id, c))
    }

    /// The vendor's user adds or edits one of its rows.
    pub fn put_contribution_row(&self, id: DocumentId, row: &Device) -> Result<(), SchemaError> {
        self.change(id, |doc| vendor_devices::put_row(doc, row))
    }
}
