//! A vendor (事業者): one entity, referenced by id from checklists, the contact chart and the ledgers.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::VendorId;

impl Vendor {
    /// A new vendor with a fresh id and only its name (everything else is filled in later).
    pub fn named(name: &str) -> Vendor {
        Vendor {
            id: VendorId::generate(),
            name: name.to_string(),
            systems: String::new(),
            phone: String::new(),
            contact_person: String::new(),
            email: String::new(),
            hours: String::new(),
            mds_received_on: None,
            mds_version: String::new(),
            remote: Remote::Unknown,
        }
    }
}

/// An IT vendor that supplies or maintains a facility's systems. Later issues extend this one entity with
/// contacts, systems, devices and the server-side link to vendor accounts.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Vendor {
    pub id: VendorId,
    /// 事業者名, as printed on the 事業者確認用.
    pub name: String,
    /// The systems it provides (電子カルテ, レセコン …), free text for now.
    pub systems: String,
    /// The number to call in an incident (its support desk), shown on the contact chart (連絡体制図).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub phone: String,
    /// Who answers there (担当者名), if known.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub contact_person: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub email: String,
    /// When the number is answered (平日 9:00–18:00, 24時間 …).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub hours: String,
    /// When the vendor's MDS/SDS (製造業者/サービス事業者による医療情報セキュリティ開示書) arrived (item 2-③).
    #[autosurgeon(missing = "Default::default", with = "crate::schema::date_repr")]
    #[serde(default)]
    pub mds_received_on: Option<crate::calendar::Date>,
    /// Which version of the MDS/SDS it was.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub mds_version: String,
    /// Whether it maintains the facility's systems remotely (item 2-②).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub remote: Remote,
}

/// Whether a vendor maintains the device remotely (item 2-②).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
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

    pub fn label_en(self) -> &'static str {
        match self {
            Remote::Yes => "Yes",
            Remote::No => "No",
            Remote::Unknown => "Unknown",
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
