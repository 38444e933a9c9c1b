//! The evidence register (証跡): the documents an inspector asks to see (BCP, 運用管理規程, backup procedure,
//! training records, contracts, MDS/SDS …), the BCP's own fill-in by stage, and the record of backups taken.
//! One per facility.
//!
//! ```text
//! { schema: 1, kind: "evidence",
//!   meta: { facility_id, created_at_ms },
//!   documents: { <id>: { id, kind, title, version, owner, effective_on, next_review_on,
//!                        reviewed: { on, by } | null, items: [item id …], file: { sha256, name, size,
//!                        media_type } | null, note, created_at_ms } },
//!   bcp: { <stage>: { plan, owner, checked_on } },          stage: heiji | kenchi | shodo | fukkyu | jigo
//!   backups: { <id>: { id, taken_on, generation, medium, offline, restore_tested_on, note } } }
//! ```
//! Every entry is a map keyed by a generated id and written field by field (autosurgeon reconciles only
//! what changed), so two devices registering documents offline both keep theirs, and one editing a title
//! while another marks the review keeps both. The effective date (施行日) is the document's own, separate from
//! when a file was attached. A file's bytes live on the server, content-addressed by `sha256`; only the
//! reference is here.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile_prop};

pub use super::contact_chart::Review;
use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::calendar::Date;
use crate::error::SchemaError;
use crate::model::{FacilityId, ItemId};
use crate::readiness;

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct EvidenceMeta {
    pub facility_id: FacilityId,
    pub created_at_ms: i64,
}

/// What a registered document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKind {
    /// 事業継続計画 (3-③).
    Bcp,
    /// 運用管理規程 and other rules (4).
    Rules,
    /// バックアップ・復旧手順 (3-②).
    BackupProcedure,
    /// 訓練・研修の記録.
    Training,
    /// 契約書・SLA.
    Contract,
    /// MDS/SDS (製造業者・サービス事業者による医療情報セキュリティ開示書).
    Disclosure,
    Other,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Bcp,
        RecordKind::Rules,
        RecordKind::BackupProcedure,
        RecordKind::Training,
        RecordKind::Contract,
        RecordKind::Disclosure,
        RecordKind::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RecordKind::Bcp => "bcp",
            RecordKind::Rules => "rules",
            RecordKind::BackupProcedure => "backup_procedure",
            RecordKind::Training => "training",
            RecordKind::Contract => "contract",
            RecordKind::Disclosure => "mds_sds",
            RecordKind::Other => "other",
        }
    }

    /// A kind written by a newer build reads as `Other` (shown, never dropped).
    pub fn parse(s: &str) -> RecordKind {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.key() == s)
            .unwrap_or(RecordKind::Other)
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            RecordKind::Bcp => "BCP（事業継続計画）",
            RecordKind::Rules => "運用管理規程",
            RecordKind::BackupProcedure => "バックアップ手順",
            RecordKind::Training => "訓練記録",
            RecordKind::Contract => "契約書・SLA",
            RecordKind::Disclosure => "MDS/SDS",
            RecordKind::Other => "その他",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            RecordKind::Bcp => "BCP (business continuity plan)",
            RecordKind::Rules => "Operating rules",
            RecordKind::BackupProcedure => "Backup procedure",
            RecordKind::Training => "Training record",
            RecordKind::Contract => "Contract / SLA",
            RecordKind::Disclosure => "MDS/SDS",
            RecordKind::Other => "Other",
        }
    }

    /// The checklist items a document of this kind usually supports (offered when registering one).
    pub fn usual_items(self) -> &'static [&'static str] {
        match self {
            RecordKind::Bcp => &["3-③"],
            RecordKind::Rules => &["4-①"],
            RecordKind::BackupProcedure => &["3-②"],
            _ => &[],
        }
    }
}

/// A file attached to a document: its bytes are on the server under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct FileRef {
    pub sha256: String,
    /// The name it had on the device it came from (shown, never used as a path).
    pub name: String,
    pub size: u64,
    pub media_type: String,
}

/// One registered document.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Record {
    pub id: String,
    /// [`RecordKind::key`].
    pub kind: String,
    pub title: String,
    /// 版 (e.g. 第2版), as the document names itself.
    pub version: String,
    /// 管理責任者: who keeps it current.
    pub owner: String,
    /// 施行日 / 制定日: from when the document applies (not when it was registered).
    #[autosurgeon(with = "super::date_repr")]
    pub effective_on: Option<Date>,
    #[autosurgeon(with = "super::date_repr")]
    pub next_review_on: Option<Date>,
    pub reviewed: Option<Review>,
    /// Checklist items it supports (3-③, 4-① …).
    pub items: Vec<ItemId>,
    pub file: Option<FileRef>,
    pub note: String,
    pub created_at_ms: i64,
}

impl Record {
    pub fn new(kind: RecordKind, now_ms: i64) -> Record {
        Record {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.key().to_string(),
            title: String::new(),
            version: String::new(),
            owner: String::new(),
            effective_on: None,
            next_review_on: None,
            reviewed: None,
            items: kind.usual_items().iter().map(|i| ItemId::new(*i)).collect(),
            file: None,
            note: String::new(),
            created_at_ms: now_ms,
        }
    }

    pub fn kind(&self) -> RecordKind {
        RecordKind::parse(&self.kind)
    }

    /// The last review, or failing one the effective date (a document made on a day was checked that day).
    pub fn last_checked(&self) -> Option<Date> {
        self.reviewed
            .as_ref()
            .and_then(|r| r.on)
            .or(self.effective_on)
    }
}

/// The stages of MHLW's BCP 確認表, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BcpStage {
    /// 平時: preparation before anything happens.
    Normal,
    /// 検知: noticing an incident.
    Detection,
    /// 初動: the first response.
    FirstResponse,
    /// 復旧: restoring systems and data.
    Recovery,
    /// 事後: afterwards (reports, lessons).
    Aftermath,
}

impl BcpStage {
    pub const ALL: [BcpStage; 5] = [
        BcpStage::Normal,
        BcpStage::Detection,
        BcpStage::FirstResponse,
        BcpStage::Recovery,
        BcpStage::Aftermath,
    ];

    pub fn key(self) -> &'static str {
        match self {
            BcpStage::Normal => "heiji",
            BcpStage::Detection => "kenchi",
            BcpStage::FirstResponse => "shodo",
            BcpStage::Recovery => "fukkyu",
            BcpStage::Aftermath => "jigo",
        }
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            BcpStage::Normal => "平時",
            BcpStage::Detection => "検知",
            BcpStage::FirstResponse => "初動",
            BcpStage::Recovery => "復旧",
            BcpStage::Aftermath => "事後",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            BcpStage::Normal => "Normal times",
            BcpStage::Detection => "Detection",
            BcpStage::FirstResponse => "First response",
            BcpStage::Recovery => "Recovery",
            BcpStage::Aftermath => "Afterwards",
        }
    }
}

/// What the facility does at one stage of the BCP, who does it, and when that was last checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Stage {
    pub plan: String,
    pub owner: String,
    #[autosurgeon(with = "super::date_repr")]
    pub checked_on: Option<Date>,
}

/// One backup as taken: the manual asks for generations and calls one kept offline 望ましい.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct BackupRecord {
    pub id: String,
    #[autosurgeon(with = "super::date_repr")]
    pub taken_on: Option<Date>,
    /// 世代: 1 is the newest.
    pub generation: u64,
    /// 媒体 (外付けHDD, クラウド, テープ …).
    pub medium: String,
    /// Kept offline (physically or logically not writable).
    pub offline: bool,
    #[autosurgeon(with = "super::date_repr")]
    pub restore_tested_on: Option<Date>,
    pub note: String,
}

impl BackupRecord {
    pub fn new() -> BackupRecord {
        BackupRecord {
            id: uuid::Uuid::new_v4().to_string(),
            taken_on: None,
            generation: 1,
            medium: String::new(),
            offline: false,
            restore_tested_on: None,
            note: String::new(),
        }
    }
}

impl Default for BackupRecord {
    fn default() -> Self {
        BackupRecord::new()
    }
}

/// The whole register, as read.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Evidence {
    pub schema: u64,
    pub kind: String,
    pub meta: EvidenceMeta,
    pub documents: BTreeMap<String, Record>,
    pub bcp: BTreeMap<String, Stage>,
    pub backups: BTreeMap<String, BackupRecord>,
}

impl Evidence {
    /// Documents by kind (in [`RecordKind::ALL`] order), then title, then when registered.
    pub fn records(&self) -> Vec<&Record> {
        let mut all: Vec<&Record> = self.documents.values().collect();
        crate::order::sort_by(&mut all, |a, b| {
            (a.kind(), &a.title, a.created_at_ms).cmp(&(b.kind(), &b.title, b.created_at_ms))
        });
        all
    }

    pub fn stage(&self, stage: BcpStage) -> Stage {
        self.bcp.get(stage.key()).cloned().unwrap_or_default()
    }

    /// Whether every stage of the BCP says what the facility does: then the fill-in is a BCP.
    pub fn bcp_filled_in(&self) -> bool {
        BcpStage::ALL
            .iter()
            .all(|s| !self.stage(*s).plan.trim().is_empty())
    }

    /// Backups, newest first.
    pub fn backups(&self) -> Vec<&BackupRecord> {
        let mut all: Vec<&BackupRecord> = self.backups.values().collect();
        crate::order::sort_by(&mut all, |a, b| {
            (b.taken_on, a.generation).cmp(&(a.taken_on, b.generation))
        });
        all
    }

    /// The register as the readiness view counts it: each document (the BCP fill-in counts as a BCP once
    /// every stage is filled in, checked on its latest stage's date).
    pub fn readiness_documents(&self, bcp_title: &str) -> Vec<readiness::Document> {
        let mut out: Vec<readiness::Document> = self
            .records()
            .into_iter()
            .map(|r| readiness::Document {
                kind: match r.kind() {
                    RecordKind::Bcp => readiness::DocumentKind::Bcp,
                    RecordKind::Rules => readiness::DocumentKind::Rules,
                    _ => readiness::DocumentKind::Other,
                },
                title: r.title.clone(),
                effective_on: r.effective_on,
                reviewed_on: r.last_checked(),
            })
            .collect();
        if self.bcp_filled_in() {
            let checked = BcpStage::ALL
                .iter()
                .filter_map(|s| self.stage(*s).checked_on)
                .min();
            out.push(readiness::Document {
                kind: readiness::DocumentKind::Bcp,
                title: bcp_title.to_string(),
                effective_on: checked,
                reviewed_on: checked,
            });
        }
        out
    }

    /// The backups as the readiness view counts them, within the last `days` before `today` (older ones are
    /// not generations any more).
    pub fn readiness_backups(&self, today: Date, days: i64) -> Vec<readiness::Backup> {
        self.backups
            .values()
            .filter(|b| b.taken_on.is_some_and(|t| today.days_since(t) <= days))
            .map(|b| readiness::Backup {
                generation: u32::try_from(b.generation).unwrap_or(u32::MAX),
                offline: b.offline,
            })
            .collect()
    }
}

/// An empty register for a facility.
pub fn create(facility: FacilityId, now_ms: i64) -> Result<AutoCommit, SchemaError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", DocKind::Evidence.as_str())?;
    reconcile_prop(
        &mut doc,
        ROOT,
        "meta",
        &EvidenceMeta {
            facility_id: facility,
            created_at_ms: now_ms,
        },
    )?;
    doc.put_object(ROOT, "documents", ObjType::Map)?;
    doc.put_object(ROOT, "bcp", ObjType::Map)?;
    doc.put_object(ROOT, "backups", ObjType::Map)?;
    Ok(doc)
}

/// The whole register; strict (every entry must read), which is what the server checks too.
pub fn read(doc: &AutoCommit) -> Result<Evidence, SchemaError> {
    expect_kind(doc, DocKind::Evidence)?;
    Ok(hydrate(doc)?)
}

fn map_at(doc: &mut AutoCommit, key: &str) -> Result<automerge::ObjId, SchemaError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(ROOT, key, ObjType::Map)?),
    }
}

/// Adds or updates one document (only the fields that changed are written).
pub fn put_record(doc: &mut AutoCommit, record: &Record) -> Result<(), SchemaError> {
    let documents = map_at(doc, "documents")?;
    reconcile_prop(doc, &documents, record.id.as_str(), record)?;
    Ok(())
}

pub fn remove_record(doc: &mut AutoCommit, id: &str) -> Result<(), SchemaError> {
    let documents = map_at(doc, "documents")?;
    doc.delete(&documents, id)?;
    Ok(())
}

/// Records that someone checked the document today (見直し), touching nothing else of it.
pub fn mark_reviewed(doc: &mut AutoCommit, id: &str, review: &Review) -> Result<(), SchemaError> {
    let documents = map_at(doc, "documents")?;
    match doc.get(&documents, id)? {
        Some((automerge::Value::Object(ObjType::Map), obj)) => {
            reconcile_prop(doc, &obj, "reviewed", Some(review))?;
            Ok(())
        }
        _ => Err(SchemaError::Encode(format!("no document {id} to mark"))),
    }
}

pub fn put_stage(doc: &mut AutoCommit, stage: BcpStage, value: &Stage) -> Result<(), SchemaError> {
    let bcp = map_at(doc, "bcp")?;
    reconcile_prop(doc, &bcp, stage.key(), value)?;
    Ok(())
}

pub fn put_backup(doc: &mut AutoCommit, backup: &BackupRecord) -> Result<(), SchemaError> {
    let backups = map_at(doc, "backups")?;
    reconcile_prop(doc, &backups, backup.id.as_str(), backup)?;
    Ok(())
}

pub fn remove_backup(doc: &mut AutoCommit, id: &str) -> Result<(), SchemaError> {
    let backups = map_at(doc, "backups")?;
    doc.delete(&backups, id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility() -> FacilityId {
        FacilityId::parse("00000000-0000-4000-8000-000000000001").unwrap()
    }

    fn date(s: &str) -> Date {
        Date::parse_iso(s).unwrap()
    }

    #[test]
    fn two_devices_register_and_edit_offline_and_both_keep_theirs() {
        let mut a = create(facility(), 1).unwrap();
        let mut bcp = Record::new(RecordKind::Bcp, 2);
        bcp.title = "サイバー攻撃を想定したBCP".into();
        put_record(&mut a, &bcp).unwrap();
        let mut b = a.fork();

        // A renames it; B marks it reviewed and registers the rules.
        let mut renamed = bcp.clone();
        renamed.title = "BCP 第2版".into();
        put_record(&mut a, &renamed).unwrap();
        let review = Review {
            on: Some(date("2026-11-24")),
            by: "田中".into(),
        };
        mark_reviewed(&mut b, &bcp.id, &review).unwrap();
        let mut rules = Record::new(RecordKind::Rules, 3);
        rules.title = "運用管理規程".into();
        put_record(&mut b, &rules).unwrap();

        a.merge(&mut b).unwrap();
        let read = read(&a).unwrap();
        let merged = &read.documents[&bcp.id];
        assert_eq!(merged.title, "BCP 第2版");
        assert_eq!(merged.reviewed, Some(review));
        assert_eq!(read.documents.len(), 2);
        assert_eq!(
            read.records().iter().map(|r| r.kind()).collect::<Vec<_>>(),
            [RecordKind::Bcp, RecordKind::Rules]
        );
    }

    #[test]
    fn a_new_record_offers_the_items_its_kind_supports() {
        assert_eq!(Record::new(RecordKind::Bcp, 0).items, [ItemId::new("3-③")]);
        assert!(Record::new(RecordKind::Training, 0).items.is_empty());
        assert_eq!(RecordKind::parse("from_a_newer_build"), RecordKind::Other);
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::parse(k.key()), k);
        }
    }

    #[test]
    fn the_bcp_fill_in_counts_once_every_stage_says_what_is_done() {
        let mut doc = create(facility(), 1).unwrap();
        for stage in &BcpStage::ALL[..4] {
            let s = Stage {
                plan: format!("{} の対応", stage.name_ja()),
                owner: "院長".into(),
                checked_on: Some(date("2026-05-01")),
            };
            put_stage(&mut doc, *stage, &s).unwrap();
        }
        let ev = read(&doc).unwrap();
        assert!(!ev.bcp_filled_in());
        assert!(ev.readiness_documents("BCP").is_empty());
        put_stage(
            &mut doc,
            BcpStage::Aftermath,
            &Stage {
                plan: "報告と振り返り".into(),
                owner: String::new(),
                checked_on: Some(date("2026-04-20")),
            },
        )
        .unwrap();
        let ev = read(&doc).unwrap();
        let docs = ev.readiness_documents("BCP");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].kind, readiness::DocumentKind::Bcp);
        // Checked as of its oldest stage: the whole plan is only as fresh as that.
        assert_eq!(docs[0].reviewed_on, Some(date("2026-04-20")));
    }

    #[test]
    fn backups_count_only_within_the_window() {
        let mut doc = create(facility(), 1).unwrap();
        for (generation, taken, offline) in [
            (1, "2026-11-20", false),
            (2, "2026-11-13", false),
            (3, "2026-11-06", true),
            (4, "2025-01-01", true),
        ] {
            let mut b = BackupRecord::new();
            b.generation = generation;
            b.taken_on = Some(date(taken));
            b.offline = offline;
            put_backup(&mut doc, &b).unwrap();
        }
        let ev = read(&doc).unwrap();
        let counted = ev.readiness_backups(date("2026-11-24"), 90);
        assert_eq!(counted.len(), 3);
        assert_eq!(counted.iter().filter(|b| b.offline).count(), 1);
        assert_eq!(ev.backups()[0].generation, 1);
    }

    #[test]
    fn marking_a_document_that_is_gone_is_an_error_not_a_new_entry() {
        let mut doc = create(facility(), 1).unwrap();
        let review = Review {
            on: None,
            by: String::new(),
        };
        assert!(mark_reviewed(&mut doc, "nope", &review).is_err());
        assert!(read(&doc).unwrap().documents.is_empty());
    }
}
