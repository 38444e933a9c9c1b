//! An incident log document (インシデント対応記録): one incident, from its start to its close.
//!
//! ```text
//! { schema: 1, kind: "incident",
//!   meta:    { facility_id, title, started_at_ms, started_by, device },
//!   entries: { <entry id>: { id, at_ms, recorded_at_ms, by, device, kind: "observed"|"called"|"isolated"|
//!                            "decided"|"other", text, called, answer } },
//!   closed:  { at_ms, by, summary } | null }
//! ```
//! Entries are a map keyed by a random id and never changed once written (a correction is a new entry):
//! devices that log apart during an outage each add their own keys, so merging can never lose or mix an
//! entry, and every device sorts them the same way ([`Incident::timeline`]).

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ROOT, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile_prop};

use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::error::SchemaError;
use crate::model::FacilityId;

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct IncidentMeta {
    pub facility_id: FacilityId,
    pub title: String,
    /// When the incident was started on a device (device clock).
    pub started_at_ms: i64,
    pub started_by: String,
    pub device: String,
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Reconcile, Hydrate)]
pub enum EntryKind {
    /// 状況: what was observed.
    #[autosurgeon(rename = "observed")]
    Observed,
    /// 連絡: who was called and what they said.
    #[autosurgeon(rename = "called")]
    Called,
    /// 隔離: what was disconnected or shut off.
    #[autosurgeon(rename = "isolated")]
    Isolated,
    /// 判断: a decision (switch to paper, stop accepting patients …).
    #[autosurgeon(rename = "decided")]
    Decided,
    #[autosurgeon(rename = "other")]
    Other,
}

impl EntryKind {
    pub const ALL: [EntryKind; 5] = [
        EntryKind::Observed,
        EntryKind::Called,
        EntryKind::Isolated,
        EntryKind::Decided,
        EntryKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Observed => "observed",
            EntryKind::Called => "called",
            EntryKind::Isolated => "isolated",
            EntryKind::Decided => "decided",
            EntryKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            EntryKind::Observed => "状況",
            EntryKind::Called => "連絡",
            EntryKind::Isolated => "隔離・遮断",
            EntryKind::Decided => "判断",
            EntryKind::Other => "その他",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            EntryKind::Observed => "Observed",
            EntryKind::Called => "Called",
            EntryKind::Isolated => "Isolated",
            EntryKind::Decided => "Decided",
            EntryKind::Other => "Other",
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Entry {
    pub id: String,
    /// When it happened (the person may set it: "the screen went black at 10:05").
    pub at_ms: i64,
    /// When it was written down, on the device's clock.
    pub recorded_at_ms: i64,
    pub by: String,
    pub device: String,
    pub kind: EntryKind,
    pub text: String,
    /// For 連絡: who was called.
    pub called: String,
    /// For 連絡: what they answered.
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Closing {
    pub at_ms: i64,
    pub by: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Incident {
    pub schema: u64,
    pub kind: String,
    pub meta: IncidentMeta,
    pub entries: BTreeMap<String, Entry>,
    pub closed: Option<Closing>,
}

impl Incident {
    /// Every entry in time order; ties (same minute typed on two devices) by when recorded, then by id, so
    /// every device shows the same order.
    pub fn timeline(&self) -> Vec<&Entry> {
        let mut all: Vec<&Entry> = self.entries.values().collect();
        crate::order::sort_by(&mut all, |a, b| {
            (a.at_ms, a.recorded_at_ms, &a.id).cmp(&(b.at_ms, b.recorded_at_ms, &b.id))
        });
        all
    }

    /// Entries written after the incident was closed (a device that was offline at the time): shown, and
    /// flagged, never dropped.
    pub fn late_entries(&self) -> usize {
        match &self.closed {
            Some(c) => self
                .entries
                .values()
                .filter(|e| e.recorded_at_ms > c.at_ms)
                .count(),
            None => 0,
        }
    }
}

pub fn create(meta: &IncidentMeta) -> Result<AutoCommit, SchemaError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", DocKind::Incident.as_str())?;
    reconcile_prop(&mut doc, ROOT, "meta", meta)?;
    doc.put_object(ROOT, "entries", ObjType::Map)?;
    reconcile_prop(&mut doc, ROOT, "closed", Option::<Closing>::None)?;
    Ok(doc)
}

pub fn read(doc: &AutoCommit) -> Result<Incident, SchemaError> {
    expect_kind(doc, DocKind::Incident)?;
    Ok(hydrate(doc)?)
}

/// Adds one entry (a new key: entries are never rewritten).
pub fn add_entry(doc: &mut AutoCommit, entry: &Entry) -> Result<(), SchemaError> {
    use automerge::ReadDoc;
    let entries = match doc.get(ROOT, "entries")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => doc.put_object(ROOT, "entries", ObjType::Map)?,
    };
    reconcile_prop(doc, &entries, entry.id.as_str(), entry)?;
    Ok(())
}

pub fn close(doc: &mut AutoCommit, closing: &Closing) -> Result<(), SchemaError> {
    reconcile_prop(doc, ROOT, "closed", Some(closing))?;
    Ok(())
}

/// Opens a closed incident again (more happened).
pub fn reopen(doc: &mut AutoCommit) -> Result<(), SchemaError> {
    reconcile_prop(doc, ROOT, "closed", Option::<Closing>::None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, at: i64, text: &str) -> Entry {
        Entry {
            id: id.into(),
            at_ms: at,
            recorded_at_ms: at,
            by: "山田".into(),
            device: "受付".into(),
            kind: EntryKind::Observed,
            text: text.into(),
            called: String::new(),
            answer: String::new(),
        }
    }

    #[test]
    fn entries_logged_on_two_devices_apart_merge_in_time_order() {
        let mut a = create(&IncidentMeta {
            facility_id: FacilityId::generate(),
            title: "ランサムウェア".into(),
            started_at_ms: 100,
            started_by: "山田".into(),
            device: "受付".into(),
        })
        .unwrap();
        let mut b = a.fork().with_actor(automerge::ActorId::random());
        add_entry(&mut a, &entry("a1", 300, "電子カルテが開けない")).unwrap();
        add_entry(&mut a, &entry("a2", 500, "LANケーブルを抜いた")).unwrap();
        add_entry(&mut b, &entry("b1", 400, "業者に電話")).unwrap();
        add_entry(&mut b, &entry("b2", 200, "画面に脅迫文")).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        let order = |d: &AutoCommit| -> Vec<String> {
            read(d)
                .unwrap()
                .timeline()
                .iter()
                .map(|e| e.id.clone())
                .collect()
        };
        assert_eq!(order(&a), ["b2", "a1", "b1", "a2"]);
        assert_eq!(order(&a), order(&b));
    }

    #[test]
    fn entries_after_closing_are_kept_and_counted() {
        let mut doc = create(&IncidentMeta {
            facility_id: FacilityId::generate(),
            title: String::new(),
            started_at_ms: 1,
            started_by: String::new(),
            device: String::new(),
        })
        .unwrap();
        add_entry(&mut doc, &entry("x", 10, "a")).unwrap();
        close(
            &mut doc,
            &Closing {
                at_ms: 20,
                by: "院長".into(),
                summary: "復旧".into(),
            },
        )
        .unwrap();
        add_entry(&mut doc, &entry("y", 30, "b")).unwrap();
        let i = read(&doc).unwrap();
        assert_eq!(i.timeline().len(), 2);
        assert_eq!(i.late_entries(), 1);
        reopen(&mut doc).unwrap();
        assert!(read(&doc).unwrap().closed.is_none());
    }
}
