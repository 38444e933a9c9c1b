//! What the ledgers say about checklist items 2-①…2-⑥ and 2-⑩: suggestions shown beside each item with the
//! rows behind them, never an answer (the person still answers はい/いいえ).

use std::collections::BTreeMap;

use crate::calendar::Date;
use crate::model::Vendor;
use crate::schema::ledger::{Account, Device, Remote};

use super::columns::normalise;

/// Days without a patch, or without use, after which a device or an account is flagged.
pub const STALE_DAYS: i64 = 90;

/// One item's suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: &'static str,
    /// Nothing found that needs attention.
    pub ok: bool,
    pub summary_ja: String,
    pub summary_en: String,
    /// The rows behind it (row ids in their ledger; vendor ids for 2-③).
    pub rows: Vec<String>,
}

fn in_use_device(d: &Device) -> bool {
    !d.status.contains("廃棄")
}

fn usable_account(a: &Account) -> bool {
    !["停止", "無効", "削除", "休止"]
        .iter()
        .any(|s| a.status.contains(s))
}

fn label(d: &Device) -> String {
    if d.number.is_empty() {
        d.computer_name.clone()
    } else {
        d.number.clone()
    }
}

/// 2-①: every device in use has its location, its user and its software version.
pub fn inventory(devices: &[Device]) -> Finding {
    let missing: Vec<&Device> = devices
        .iter()
        .filter(|d| in_use_device(d))
        .filter(|d| {
            d.location.trim().is_empty()
                || d.user.trim().is_empty()
                || d.software_version.trim().is_empty()
        })
        .collect();
    let (ja, en) = if devices.is_empty() {
        (
            "機器台帳に機器がありません。".to_string(),
            "The device ledger is empty.".to_string(),
        )
    } else if missing.is_empty() {
        (
            format!(
                "機器台帳: {}台、設置場所・利用者・ソフトウェアバージョンがすべて記入済み。",
                devices.len()
            ),
            format!(
                "Device ledger: {} devices, all with location, user and version.",
                devices.len()
            ),
        )
    } else {
        (
            format!(
                "設置場所・利用者・ソフトウェアバージョンのいずれかが空の機器: {}台",
                missing.len()
            ),
            format!(
                "{} devices lack a location, user or software version.",
                missing.len()
            ),
        )
    };
    Finding {
        item: "2-①",
        ok: !devices.is_empty() && missing.is_empty(),
        summary_ja: ja,
        summary_en: en,
        rows: missing.iter().map(|d| d.id.clone()).collect(),
    }
}

/// 2-②: remote maintenance is known for every device a vendor maintains.
pub fn remote_maintenance(devices: &[Device]) -> Finding {
    let unknown: Vec<&Device> = devices
        .iter()
        .filter(|d| in_use_device(d) && d.vendor_id.is_some() && d.remote == Remote::Unknown)
        .collect();
    let remote = devices.iter().filter(|d| d.remote == Remote::Yes).count();
    Finding {
        item: "2-②",
        ok: unknown.is_empty(),
        summary_ja: if unknown.is_empty() {
            format!(
                "事業者が保守する機器のリモートメンテナンスはすべて確認済み（有: {remote}台）。"
            )
        } else {
            format!(
                "リモートメンテナンスの有無が不明な、事業者保守の機器: {}台",
                unknown.len()
            )
        },
        summary_en: if unknown.is_empty() {
            format!(
                "Remote maintenance known for every vendor-maintained device ({remote} remote)."
            )
        } else {
            format!(
                "{} vendor-maintained devices with remote maintenance unknown.",
                unknown.len()
            )
        },
        rows: unknown.iter().map(|d| d.id.clone()).collect(),
    }
}

/// 2-③: every vendor's MDS/SDS has arrived.
pub fn mds_sds(vendors: &BTreeMap<String, Vendor>) -> Finding {
    let missing: Vec<&Vendor> = vendors
        .values()
        .filter(|v| v.mds_received_on.is_none())
        .collect();
    Finding {
        item: "2-③",
        ok: missing.is_empty(),
        summary_ja: if missing.is_empty() {
            format!("{}社すべての MDS/SDS を受領済み。", vendors.len())
        } else {
            format!(
                "MDS/SDS 未受領の事業者: {}",
                missing
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            )
        },
        summary_en: if missing.is_empty() {
            format!("MDS/SDS received from all {} vendors.", vendors.len())
        } else {
            format!("{} vendors have not sent their MDS/SDS.", missing.len())
        },
        rows: missing.iter().map(|v| v.id.to_string()).collect(),
    }
}

fn is_admin(a: &Account) -> bool {
    let p = normalise(&a.privilege);
    [
        "admin",
        "管理者",
        "特権",
        "root",
        "administrator",
        "システム管理",
    ]
    .iter()
    .any(|k| p.contains(k))
}

/// 2-④: administrator accounts are listed, named, and few.
pub fn admins(accounts: &[Account]) -> Finding {
    let usable: Vec<&Account> = accounts.iter().filter(|a| usable_account(a)).collect();
    let admins: Vec<&Account> = usable.iter().copied().filter(|a| is_admin(a)).collect();
    let allowed = (usable.len() / 10).max(2);
    let names = admins
        .iter()
        .map(|a| {
            format!("{} {}（{}）", a.family_name, a.given_name, a.user_id)
                .trim()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("、");
    Finding {
        item: "2-④",
        ok: !accounts.is_empty() && admins.len() <= allowed,
        summary_ja: if accounts.is_empty() {
            "利用者ID台帳に利用者がいません。".into()
        } else if admins.len() > allowed {
            format!(
                "管理者権限が{}件（利用可能な{}件中）と多めです: {names}",
                admins.len(),
                usable.len()
            )
        } else {
            format!("管理者権限: {}件 {names}", admins.len())
        },
        summary_en: format!(
            "{} administrator accounts of {} in use.",
            admins.len(),
            usable.len()
        ),
        rows: admins.iter().map(|a| a.id.clone()).collect(),
    }
}

/// 2-⑤: accounts still usable after their planned end, or unused for [`STALE_DAYS`].
pub fn stale_accounts(accounts: &[Account], today: Date) -> Finding {
    let stale: Vec<&Account> = accounts
        .iter()
        .filter(|a| usable_account(a))
        .filter(|a| {
            a.planned_end_on.is_some_and(|d| d < today)
                || a.last_used_on
                    .is_some_and(|d| today.days_since(d) >= STALE_DAYS)
        })
        .collect();
    Finding {
        item: "2-⑤",
        ok: stale.is_empty(),
        summary_ja: if stale.is_empty() {
            "退職予定日を過ぎた、または90日以上使われていない有効なアカウントはありません。".into()
        } else {
            format!(
                "無効化が必要と思われるアカウント: {}",
                stale
                    .iter()
                    .map(|a| format!("{} {}（{}）", a.family_name, a.given_name, a.user_id))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        },
        summary_en: format!(
            "{} accounts past their end date or unused for 90 days.",
            stale.len()
        ),
        rows: stale.iter().map(|a| a.id.clone()).collect(),
    }
}

/// End of support of common operating systems, matched on the ledger's OS text (long-term servicing
/// editions are left to their own support end date).
const OS_SUPPORT_ENDS: &[(&str, (i32, u8, u8))] = &[
    ("windowsxp", (2014, 4, 8)),
    ("winxp", (2014, 4, 8)),
    ("windowsvista", (2017, 4, 11)),
    ("windows7", (2020, 1, 14)),
    ("win7", (2020, 1, 14)),
    ("windows8.1", (2023, 1, 10)),
    ("win8.1", (2023, 1, 10)),
    ("windows8", (2016, 1, 12)),
    ("win8", (2016, 1, 12)),
    ("windows10", (2025, 10, 14)),
    ("win10", (2025, 10, 14)),
    ("windowsserver2008", (2020, 1, 14)),
    ("server2008", (2020, 1, 14)),
    ("windowsserver2012", (2023, 10, 10)),
    ("server2012", (2023, 10, 10)),
];

/// When an OS's support ends, from the ledger's own date or the table above.
pub fn support_end(d: &Device) -> Option<Date> {
    if d.os_support_end_on.is_some() {
        return d.os_support_end_on;
    }
    let os = normalise(&d.os);
    if os.contains("ltsc") || os.contains("ltsb") {
        return None;
    }
    OS_SUPPORT_ENDS
        .iter()
        .find(|(name, _)| os.starts_with(name) || os.contains(name))
        .and_then(|(_, (y, m, day))| Date::new(*y, *m, *day).ok())
}

/// 2-⑥: devices in use on an OS past its support end, or unpatched for [`STALE_DAYS`].
pub fn outdated(devices: &[Device], today: Date) -> Finding {
    let old: Vec<&Device> = devices
        .iter()
        .filter(|d| in_use_device(d))
        .filter(|d| {
            support_end(d).is_some_and(|end| end < today)
                || d.last_patch_on
                    .is_some_and(|p| today.days_since(p) >= STALE_DAYS)
        })
        .collect();
    Finding {
        item: "2-⑥",
        ok: old.is_empty(),
        summary_ja: if old.is_empty() {
            "サポート終了OSや90日以上未更新の機器は台帳にありません。".into()
        } else {
            format!(
                "サポート終了OS・90日以上未更新の機器: {}",
                old.iter()
                    .map(|d| format!("{}（{}）", label(d), d.os))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        },
        summary_en: format!(
            "{} devices on an unsupported OS or unpatched for 90 days.",
            old.len()
        ),
        rows: old.iter().map(|d| d.id.clone()).collect(),
    }
}

/// 2-⑩: the months left until 令和9年度 begins (2027-04-01), when the item becomes mandatory.
pub fn months_until_r9(today: Date) -> Finding {
    let start = Date::new(2027, 4, 1).expect("a real day");
    let months = if today >= start {
        0
    } else {
        let m = (2027 - today.year()) * 12 + (4 - i32::from(today.month()));
        if today.day() > 1 { m - 1 } else { m }
    };
    Finding {
        item: "2-⑩",
        ok: today >= start,
        summary_ja: if today >= start {
            "令和9年度に入りました。".into()
        } else {
            format!("令和9年度（2027年4月1日）まで、あと{months}か月です。")
        },
        summary_en: format!("{months} months until fiscal 2027 (1 April 2027)."),
        rows: Vec::new(),
    }
}
