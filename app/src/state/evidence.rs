//! The facility's evidence register (証跡) on this device: reading it and the actions that change it.
//!
//! Two devices that each started the register while apart both keep theirs: every register listed in the
//! index is read and shown as one (entries are keyed by generated ids, so they never collide); an entry is
//! changed in the register that holds it, and new entries go to the oldest one.

use leptos::prelude::*;
use mamori_shared::error::SchemaError;
use mamori_shared::model::DocumentId;
use mamori_shared::schema::DocKind;
use mamori_shared::schema::evidence::{
    self, BackupRecord, BcpStage, Evidence, Record, Review, Stage,
};

use super::{Workspace, now_ms, today};

impl Workspace {
    /// Registers listed in the index and present on this device, oldest first.
    fn evidence_ids(&self) -> Vec<DocumentId> {
        let Some(index) = self.index_untracked() else {
            return Vec::new();
        };
        self.docs.with_value(|docs| {
            index
                .documents_of(DocKind::Evidence)
                .into_iter()
                .map(|e| e.id)
                .filter(|id| docs.contains_key(id))
                .collect()
        })
    }

    /// The register (reactive): every register of the facility on this device read as one; `None` before
    /// anyone started one.
    pub fn evidence(&self) -> Option<Evidence> {
        self.revision.track();
        let mut all = self.evidence_ids().into_iter().filter_map(|id| {
            self.docs
                .with_value(|docs| evidence::read(docs.get(&id)?).ok())
        });
        let mut first = all.next()?;
        for other in all {
            first.documents.extend(other.documents);
            first.backups.extend(other.backups);
            for (stage, s) in other.bcp {
                first.bcp.entry(stage).or_insert(s);
            }
        }
        Some(first)
    }

    /// The register new entries go to, made if the facility has none.
    fn ensure_evidence(&self) -> Result<DocumentId, SchemaError> {
        if let Some(id) = self.evidence_ids().first() {
            return Ok(*id);
        }
        self.require_all_loaded()?;
        let index_id = self.require_index()?;
        let idx = self.index_untracked().ok_or(SchemaError::NoFacility)?;
        let now = now_ms();
        let doc = evidence::create(idx.facility.id, now)?;
        self.add_document(index_id, doc, DocKind::Evidence, now)
    }

    /// The register holding the entry `id` under `key` (`documents` or `backups`), else the main one.
    fn evidence_holding(&self, key: &str, id: &str) -> Result<DocumentId, SchemaError> {
        let holder = self.evidence_ids().into_iter().find(|doc_id| {
            self.docs.with_value(|docs| {
                docs.get(doc_id)
                    .and_then(|d| evidence::read(d).ok())
                    .is_some_and(|e| match key {
                        "documents" => e.documents.contains_key(id),
                        _ => e.backups.contains_key(id),
                    })
            })
        });
        match holder {
            Some(h) => Ok(h),
            None => self.ensure_evidence(),
        }
    }

    pub fn put_evidence_record(&self, record: &Record) -> Result<(), SchemaError> {
        let id = self.evidence_holding("documents", &record.id)?;
        self.change(id, |doc| evidence::put_record(doc, record))
    }

    pub fn remove_evidence_record(&self, record_id: &str) -> Result<(), SchemaError> {
        let id = self.evidence_holding("documents", record_id)?;
        self.change(id, |doc| evidence::remove_record(doc, record_id))
    }

    /// 見直し: the person signed in on this device checked the document today.
    pub fn mark_evidence_reviewed(&self, record_id: &str) -> Result<(), SchemaError> {
        let id = self.evidence_holding("documents", record_id)?;
        let by = crate::settings::use_settings().with_untracked(|s| s.user_name.clone());
        let review = Review {
            on: Some(today()),
            by,
        };
        self.change(id, |doc| evidence::mark_reviewed(doc, record_id, &review))
    }

    pub fn put_bcp_stage(&self, stage: BcpStage, value: &Stage) -> Result<(), SchemaError> {
        let id = self.ensure_evidence()?;
        self.change(id, |doc| evidence::put_stage(doc, stage, value))
    }

    pub fn put_backup_record(&self, backup: &BackupRecord) -> Result<(), SchemaError> {
        let id = self.evidence_holding("backups", &backup.id)?;
        self.change(id, |doc| evidence::put_backup(doc, backup))
    }

    pub fn remove_backup_record(&self, backup_id: &str) -> Result<(), SchemaError> {
        let id = self.evidence_holding("backups", backup_id)?;
        self.change(id, |doc| evidence::remove_backup(doc, backup_id))
    }
}
