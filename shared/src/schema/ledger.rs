//! Ledger documents: the 機器台帳 (devices, item 2-①) and the 利用者ID台帳 (user IDs, item 2-④), one of each
//! per facility.
//!
//! ```text
//! { schema: 1, kind: "device_ledger" | "user_ledger",
//!   meta: { facility_id, created_at_ms },
//!   rows: { <row id>: { id, …the row's fields } } }
//! ```
//! Rows are a map keyed by a generated id, never by 管理番号 or No.: two rows with the same 管理番号 are two
//! rows (a warning, not a broken row), and each row is written field by field, so two devices editing
//! different rows, or different fields of one row, both keep their edit.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile, hydrate_prop, reconcile_prop};

use super::{DocKind, SCHEMA_VERSION, expect_kind};
use crate::calendar::Date;
use crate::error::SchemaError;
use crate::model::{FacilityId, VendorId};

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct LedgerMeta {
    pub facility_id: FacilityId,
    pub created_at_ms: i64,
}

/// Whether a vendor maintains the device remotely (item 2-②).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub enum Remote {
    #[autosurgeon(rename = "yes")]
    Yes,
    #[autosurgeon(rename = "no")]
    No,
    #[default]
    #[autosurgeon(rename = "unknown")]
    Unknown,
}

impl Remote {
    pub fn label_ja(self) -> &'static str {
        match self {
            Remote::Yes => "有",
            Remote::No => "無",
            Remote::Unknown => "不明",
        }
    }

    /// Reads 有/無/不明 (and yes/no, あり/なし) as a ledger cell says it.
    pub fn parse(s: &str) -> Option<Remote> {
        match s.trim().to_lowercase().as_str() {
            "有" | "あり" | "有り" | "yes" | "y" | "○" | "〇" => Some(Remote::Yes),
            "無" | "なし" | "無し" | "no" | "n" | "×" | "-" => Some(Remote::No),
            "不明" | "" | "unknown" | "?" => Some(Remote::Unknown),
            _ => None,
        }
    }
}

/// One device of the 機器台帳: the manual's columns, then Mamori's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Device {
    pub id: String,
    /// 管理番号 (not a key: duplicates are warned about, never merged).
    pub number: String,
    pub maker: String,
    pub os: String,
    pub software: String,
    pub software_version: String,
    pub ip_address: String,
    pub computer_name: String,
    pub location: String,
    pub user: String,
    #[autosurgeon(with = "super::date_repr")]
    pub registered_on: Option<Date>,
    /// 状態: 稼働 / 停止 / 廃棄 / 予備 … as written (unknown values are kept and flagged).
    pub status: String,
    pub description: String,
    /// 種別: サーバ / 端末PC / ネットワーク機器 / 医療機器 …
    pub category: String,
    /// The vendor that maintains it (the facility's one vendor entity).
    pub vendor_id: Option<VendorId>,
    pub remote: Remote,
    #[autosurgeon(with = "super::date_repr")]
    pub last_patch_on: Option<Date>,
    #[autosurgeon(with = "super::date_repr")]
    pub os_support_end_on: Option<Date>,
}

/// One account of the 利用者ID台帳. Never a password.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Account {
    pub id: String,
    pub no: String,
    /// 所属部署 (institutions) or 利用者属性 (pharmacies: 薬剤師 / 非常勤薬剤師 / 事務 …).
    pub department: String,
    /// 性 (family name).
    pub family_name: String,
    /// 名 (given name).
    pub given_name: String,
    pub phone: String,
    pub user_id: String,
    pub description: String,
    /// 権限: Admin / User …
    pub privilege: String,
    /// 状態: 使用可 / 停止 / 削除 … as written, with any note ("使用可 (23年3月まで)").
    pub status: String,
    /// 退職予定: the planned end of the account.
    #[autosurgeon(with = "super::date_repr")]
    pub planned_end_on: Option<Date>,
    #[autosurgeon(with = "super::date_repr")]
    pub last_used_on: Option<Date>,
}

/// A row type a ledger document holds.
pub trait Row: Reconcile + Hydrate + Clone {
    const KIND: DocKind;
    fn id(&self) -> &str;
}

impl Row for Device {
    const KIND: DocKind = DocKind::DeviceLedger;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Row for Account {
    const KIND: DocKind = DocKind::UserLedger;
    fn id(&self) -> &str {
        &self.id
    }
}

/// A fresh row id.
pub fn new_row_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An empty ledger of rows `R` for a facility.
pub fn create<R: Row>(facility: FacilityId, now_ms: i64) -> Result<AutoCommit, SchemaError> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", R::KIND.as_str())?;
    reconcile_prop(
        &mut doc,
        ROOT,
        "meta",
        &LedgerMeta {
            facility_id: facility,
            created_at_ms: now_ms,
        },
    )?;
    doc.put_object(ROOT, "rows", ObjType::Map)?;
    Ok(doc)
}

fn rows_obj(doc: &mut AutoCommit) -> Result<automerge::ObjId, SchemaError> {
    match doc.get(ROOT, "rows")? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(ROOT, "rows", ObjType::Map)?),
    }
}

/// Every row, by id. Rows that do not read (written by a newer build) are skipped, not fatal.
pub fn rows<R: Row>(doc: &AutoCommit) -> Result<BTreeMap<String, R>, SchemaError> {
    expect_kind(doc, R::KIND)?;
    let mut out = BTreeMap::new();
    let Some((automerge::Value::Object(ObjType::Map), obj)) = doc.get(ROOT, "rows")? else {
        return Ok(out);
    };
    for key in doc.keys(&obj) {
        if let Ok(row) = hydrate_prop::<_, R, _, _>(doc, &obj, key.as_str()) {
            out.insert(key, row);
        }
    }
    Ok(out)
}

/// Adds or updates one row; only the fields that differ are written.
pub fn put_row<R: Row>(doc: &mut AutoCommit, row: &R) -> Result<(), SchemaError> {
    expect_kind(doc, R::KIND)?;
    let rows = rows_obj(doc)?;
    reconcile_prop(doc, &rows, row.id(), row)?;
    Ok(())
}

/// Adds many rows at once (an import): one change for all of them.
pub fn put_rows<R: Row>(doc: &mut AutoCommit, new: &[R]) -> Result<(), SchemaError> {
    expect_kind(doc, R::KIND)?;
    let rows = rows_obj(doc)?;
    for row in new {
        reconcile_prop(doc, &rows, row.id(), row)?;
    }
    Ok(())
}

pub fn remove_row(doc: &mut AutoCommit, id: &str) -> Result<(), SchemaError> {
    let rows = rows_obj(doc)?;
    doc.delete(&rows, id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(number: &str) -> Device {
        Device {
            id: new_row_id(),
            number: number.into(),
            os: "Win11".into(),
            status: "稼働".into(),
            ..Device::default()
        }
    }

    #[test]
    fn different_fields_of_one_row_edited_on_two_devices_both_survive() {
        let mut a = create::<Device>(FacilityId::generate(), 0).unwrap();
        let row = device("001");
        put_row(&mut a, &row).unwrap();
        let mut b = a.fork().with_actor(automerge::ActorId::random());
        put_row(
            &mut a,
            &Device {
                location: "Room1".into(),
                ..row.clone()
            },
        )
        .unwrap();
        put_row(
            &mut b,
            &Device {
                user: "a医師".into(),
                ..row.clone()
            },
        )
        .unwrap();
        a.merge(&mut b).unwrap();
        let merged = &rows::<Device>(&a).unwrap()[&row.id];
        assert_eq!(merged.location, "Room1");
        assert_eq!(merged.user, "a医師");
    }

    #[test]
    fn a_duplicate_number_is_two_rows_and_kinds_are_checked() {
        let mut doc = create::<Device>(FacilityId::generate(), 0).unwrap();
        put_rows(&mut doc, &[device("001"), device("001")]).unwrap();
        assert_eq!(rows::<Device>(&doc).unwrap().len(), 2);
        assert!(matches!(
            rows::<Account>(&doc),
            Err(SchemaError::WrongKind { .. })
        ));
        let id = rows::<Device>(&doc).unwrap().keys().next().unwrap().clone();
        remove_row(&mut doc, &id).unwrap();
        assert_eq!(rows::<Device>(&doc).unwrap().len(), 1);
    }
}
