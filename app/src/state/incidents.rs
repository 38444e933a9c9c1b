//! The facility's contact chart (連絡体制図) and incident logs on this device: reading them and the actions
//! that change them.

use std::collections::BTreeMap;

use leptos::prelude::*;
use mamori_shared::contacts::{self, Shown};
use mamori_shared::error::SchemaError;
use mamori_shared::model::{DocumentId, FacilityId, Vendor};
use mamori_shared::schema::contact_chart::{self, Contact, ContactChart, Review};
use mamori_shared::schema::incident::{self, Closing, Entry, EntryKind, Incident, IncidentMeta};
use mamori_shared::schema::index::{self, DocumentEntry, FacilityIndex};
use mamori_shared::schema::{DocKind, facility_of};

use super::{Workspace, now_ms, today};
use crate::settings::use_settings;

/// One facility's chart as the emergency screens show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartView {
    pub id: DocumentId,
    pub facility_id: FacilityId,
    pub facility: String,
    pub chart: ContactChart,
    pub vendors: BTreeMap<String, Vendor>,
    /// Contacts in escalation order, vendors included.
    pub shown: Vec<Shown>,
}

impl Workspace {
    /// The contact chart of a facility index: the oldest one listed (two devices that each made one while
    /// apart both keep theirs; the other is shown as well, see [`Workspace::extra_charts`]).
    fn chart_id_in(&self, index: &FacilityIndex) -> Option<DocumentId> {
        self.docs.with_value(|docs| {
            index
                .documents_of(DocKind::ContactChart)
                .into_iter()
                .map(|e| e.id)
                .find(|id| docs.contains_key(id))
        })
    }

    /// The chart of the facility this device shows (reactive).
    pub fn contact_chart(&self) -> Option<ChartView> {
        let index = self.index_narrow()?;
        if let Some(id) = self.chart_id_in(&index) {
            self.track_doc(id);
        } else {
            // Not on this device yet: any arrival may be it.
            self.revision.track();
        }
        self.chart_view(&index)
    }

    fn chart_view(&self, index: &FacilityIndex) -> Option<ChartView> {
        let id = self.chart_id_in(index)?;
        let chart = self
            .docs
            .with_value(|docs| contact_chart::read(docs.get(&id)?).ok())?;
        let shown = contacts::resolve(&chart, &index.vendors);
        Some(ChartView {
            id,
            facility_id: index.facility.id,
            facility: index.facility.name.clone(),
            chart,
            vendors: index.vendors.clone(),
            shown,
        })
    }

    /// Every facility's chart on this device (a device may hold several facilities), untracked: what the
    /// static emergency page shows.
    pub fn all_charts_untracked(&self) -> Vec<ChartView> {
        let indexes: Vec<FacilityIndex> = self
            .docs
            .with_value(|docs| docs.values().filter_map(|d| index::read(d).ok()).collect());
        let mut out: Vec<ChartView> = indexes.iter().filter_map(|i| self.chart_view(i)).collect();
        mamori_shared::order::sort_by(&mut out, |a, b| a.facility.cmp(&b.facility));
        out
    }

    /// Charts listed in the index besides the one in use (made on two devices while apart).
    pub fn extra_charts(&self) -> usize {
        self.index()
            .map(|i| {
                i.documents_of(DocKind::ContactChart)
                    .len()
                    .saturating_sub(1)
            })
            .unwrap_or(0)
    }

    /// Makes the facility's chart from the template that fits it, unless it has one.
    pub fn ensure_contact_chart(&self) -> Result<DocumentId, SchemaError> {
        let index_id = self.require_index()?;
        self.require_all_loaded()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        if let Some(id) = self.chart_id_in(&idx) {
            return Ok(id);
        }
        let now = now_ms();
        let doc = contact_chart::create(idx.facility.id, idx.facility.kind, now)?;
        self.add_document(index_id, doc, DocKind::ContactChart, now)
    }

    /// Keeps a new document on the device and lists it in the facility index under its kind.
    pub(super) fn add_document(
        &self,
        index_id: DocumentId,
        doc: automerge::AutoCommit,
        kind: DocKind,
        now: i64,
    ) -> Result<DocumentId, SchemaError> {
        let id = DocumentId::generate();
        self.insert(id, doc);
        let entry = DocumentEntry {
            id,
            created_at_ms: now,
            checklist: None,
            kind: Some(kind.as_str().to_string()),
            vendor_id: None,
        };
        self.change(index_id, |doc| index::put_document(doc, &entry))?;
        Ok(id)
    }

    /// Brings the contacts of charts made on other devices while apart into the chart in use
    /// (`contact_chart::take_in`), then takes the others off the index's list. Nothing is deleted: the other
    /// documents stay as they were.
    pub fn merge_extra_charts(&self) -> Result<usize, SchemaError> {
        let index_id = self.require_index()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        let Some(main) = self.chart_id_in(&idx) else {
            return Ok(0);
        };
        let read = |id: DocumentId| {
            self.docs
                .with_value(|docs| docs.get(&id).map(contact_chart::read))
        };
        let mut copied = 0;
        for entry in idx.documents_of(DocKind::ContactChart) {
            if entry.id == main {
                continue;
            }
            // Not on this device yet: leave it listed until it arrives.
            let Some(Ok(other)) = read(entry.id) else {
                continue;
            };
            self.change(main, |doc| {
                copied += contact_chart::take_in(doc, &other, now_ms())?;
                Ok(())
            })?;
            self.change(index_id, |doc| index::unlist_document(doc, entry.id))?;
        }
        Ok(copied)
    }

    pub fn put_contact(&self, chart: DocumentId, contact: &Contact) -> Result<(), SchemaError> {
        self.change(chart, |doc| {
            contact_chart::put_contact(doc, contact, now_ms())
        })
    }

    pub fn remove_contact(&self, chart: DocumentId, contact: &str) -> Result<(), SchemaError> {
        self.change(chart, |doc| {
            contact_chart::remove_contact(doc, contact, now_ms())
        })
    }

    /// Records that the chart was checked today by the person entering.
    pub fn mark_chart_reviewed(&self, chart: DocumentId) -> Result<(), SchemaError> {
        let by = use_settings().with_untracked(|s| s.user_name.clone());
        self.change(chart, |doc| {
            contact_chart::mark_reviewed(
                doc,
                &Review {
                    on: Some(today()),
                    by,
                },
                now_ms(),
            )
        })
    }

    /// The facility's incidents, newest first (reactive).
    pub fn incidents(&self) -> Vec<(DocumentId, Incident)> {
        self.revision.track();
        let Some(index) = self.index() else {
            return Vec::new();
        };
        let facility = index.facility.id;
        let mut all: Vec<(DocumentId, Incident)> = self.docs.with_value(|docs| {
            docs.iter()
                .filter(|(_, d)| facility_of(*d) == Some(facility))
                .filter_map(|(id, d)| incident::read(d).ok().map(|i| (*id, i)))
                .collect()
        });
        mamori_shared::order::sort_by_key(&mut all, |(_, i)| {
            std::cmp::Reverse(i.meta.started_at_ms)
        });
        all
    }

    /// One incident (reactive).
    pub fn incident(&self, id: DocumentId) -> Result<Incident, SchemaError> {
        self.revision.track();
        self.docs.with_value(|docs| {
            incident::read(
                docs.get(&id)
                    .ok_or_else(|| SchemaError::UnknownDocument(id.to_string()))?,
            )
        })
    }

    /// Starts an incident now; the start is its first entry.
    pub fn start_incident(&self, title: &str) -> Result<DocumentId, SchemaError> {
        let index_id = self.require_index()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        let s = use_settings().get_untracked();
        let now = now_ms();
        let doc = incident::create(&IncidentMeta {
            facility_id: idx.facility.id,
            title: title.to_string(),
            started_at_ms: now,
            started_by: s.user_name.clone(),
            device: s.device_label(),
        })?;
        self.add_document(index_id, doc, DocKind::Incident, now)
    }

    /// Adds an entry written on this device.
    pub fn add_incident_entry(
        &self,
        id: DocumentId,
        at_ms: i64,
        kind: EntryKind,
        text: &str,
        called: &str,
        answer: &str,
    ) -> Result<(), SchemaError> {
        let s = use_settings().get_untracked();
        let entry = Entry {
            id: uuid::Uuid::new_v4().to_string(),
            at_ms,
            recorded_at_ms: now_ms(),
            by: s.user_name.clone(),
            device: s.device_label(),
            kind,
            text: text.to_string(),
            called: called.to_string(),
            answer: answer.to_string(),
        };
        self.change(id, |doc| incident::add_entry(doc, &entry))
    }

    pub fn close_incident(&self, id: DocumentId, summary: &str) -> Result<(), SchemaError> {
        let by = use_settings().with_untracked(|s| s.user_name.clone());
        self.change(id, |doc| {
            incident::close(
                doc,
                &Closing {
                    at_ms: now_ms(),
                    by,
                    summary: summary.to_string(),
                },
            )
        })
    }

    pub fn reopen_incident(&self, id: DocumentId) -> Result<(), SchemaError> {
        self.change(id, incident::reopen)
    }
}
