//! What the ledgers say about checklist items 2-①…2-⑥ and 2-⑩: suggestions shown beside each item with the
//! rows behind them, never an answer (the person still answers はい/いいえ).
//!
//! A [`Finding`] is data, not prose: the app words it in Japanese and English. Its [`Part`]s are the
//! separate things found (2-①: one per empty field; 2-⑥: unsupported OS, then unpatched), each with its rows
//! in the order to act on them, and each with its own filter on the ledger page
//! (`?check=2-⑥&part=unsupported`).

use std::collections::BTreeMap;

use crate::calendar::Date;
use crate::model::Vendor;
use crate::schema::ledger::{Account, Device, Remote};

use super::columns::{natural_key, normalise};

/// Days without a patch, or without use, after which a device or an account is flagged.
pub const STALE_DAYS: i64 = 90;

/// One item's suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: &'static str,
    /// Nothing found that needs attention.
    pub ok: bool,
    /// What was looked at, for the wording.
    pub about: About,
    /// What was found, most urgent first; empty when nothing was (2-④ lists its administrators even then).
    pub parts: Vec<Part>,
}

/// What a finding looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// Devices in use (not 廃棄), and of those how many a vendor maintains remotely (2-②).
    Devices { in_use: usize, remote: usize },
    /// Accounts still usable, and the most administrator accounts expected among them (2-④:
    /// max(2, a tenth)).
    Accounts {
        usable: usize,
        admins_allowed: usize,
    },
    /// The vendors in the register (2-③).
    Vendors { registered: usize },
    /// 2-⑩: whole months until 令和9年度 begins.
    MonthsToR9 { months: i32 },
}

/// One thing found, with the rows behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub issue: Issue,
    /// In the order to act on them (2-⑥: earliest support end first; 2-⑤: earliest date first; else by
    /// name in natural order).
    pub rows: Vec<Entry>,
}

/// The kinds of thing a finding names. Each has a stable key for the ledger page's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Issue {
    /// 2-①: 設置場所 empty.
    NoLocation,
    /// 2-①: 利用者 empty.
    NoUser,
    /// 2-①: ソフトウェアバージョン empty.
    NoVersion,
    /// 2-②: a vendor maintains it, remote maintenance 不明.
    RemoteUnknown,
    /// 2-③: no MDS/SDS received (rows are vendors).
    NoMds,
    /// 2-④: every usable administrator account (a fault only when more than expected).
    Admin,
    /// 2-④: an administrator account with no person's name (a shared account).
    UnnamedAdmin,
    /// 2-⑤: still usable after its planned end (退職予定).
    PastPlannedEnd,
    /// 2-⑤: unused for [`STALE_DAYS`] (and not already past its planned end).
    Unused,
    /// 2-⑥: its OS's support has ended.
    UnsupportedOs,
    /// 2-⑥: unpatched for [`STALE_DAYS`] (and not already on an unsupported OS).
    Unpatched,
}

impl Issue {
    pub const ALL: [Issue; 11] = [
        Issue::NoLocation,
        Issue::NoUser,
        Issue::NoVersion,
        Issue::RemoteUnknown,
        Issue::NoMds,
        Issue::Admin,
        Issue::UnnamedAdmin,
        Issue::PastPlannedEnd,
        Issue::Unused,
        Issue::UnsupportedOs,
        Issue::Unpatched,
    ];

    /// The filter's key: `?check=<item>&part=<key>`.
    pub fn key(self) -> &'static str {
        match self {
            Issue::NoLocation => "location",
            Issue::NoUser => "user",
            Issue::NoVersion => "version",
            Issue::RemoteUnknown => "remote",
            Issue::NoMds => "mds",
            Issue::Admin => "admin",
            Issue::UnnamedAdmin => "unnamed",
            Issue::PastPlannedEnd => "ended",
            Issue::Unused => "unused",
            Issue::UnsupportedOs => "unsupported",
            Issue::Unpatched => "unpatched",
        }
    }

    pub fn from_key(key: &str) -> Option<Issue> {
        Issue::ALL.into_iter().find(|i| i.key() == key)
    }
}

/// One row named in a finding, with what the wording needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// The row's id in its ledger (the vendor's id for 2-③).
    pub id: String,
    /// How people know it: コンピュータ名, else 管理番号; 性 名, else ユーザID; the vendor's name.
    pub name: String,
    /// A device's OS; an account's ユーザID (empty when it is already the name).
    pub detail: String,
    /// A device's 設置場所.
    pub location: String,
    /// The date the issue is about: support end (2-⑥ OS), last patch (2-⑥ unpatched), planned end or last
    /// use (2-⑤).
    pub date: Option<Date>,
}

impl Finding {
    pub fn part(&self, issue: Issue) -> Option<&Part> {
        self.parts.iter().find(|p| p.issue == issue)
    }

    /// The row ids a ledger filter shows: one part's (`part` is its key), or every part's once (`None`). An
    /// unknown key shows none.
    pub fn rows_for(&self, part: Option<&str>) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.parts {
            if part.is_some_and(|k| k != p.issue.key()) {
                continue;
            }
            for e in &p.rows {
                if !out.contains(&e.id.as_str()) {
                    out.push(&e.id);
                }
            }
        }
        out
    }
}

fn part(issue: Issue, rows: Vec<Entry>) -> Option<Part> {
    (!rows.is_empty()).then_some(Part { issue, rows })
}

fn by_name(mut rows: Vec<Entry>) -> Vec<Entry> {
    crate::order::sort_by_cached_key(&mut rows, |e| {
        (natural_key(&e.name), e.name.clone(), e.id.clone())
    });
    rows
}

/// Earliest date first (no date last), then by name.
fn by_date(mut rows: Vec<Entry>) -> Vec<Entry> {
    crate::order::sort_by_cached_key(&mut rows, |e| {
        (e.date.is_none(), e.date, natural_key(&e.name), e.id.clone())
    });
    rows
}

/// A device still in the facility (its 状態 does not say 廃棄).
pub fn in_use_device(d: &Device) -> bool {
    !d.status.contains("廃棄")
}

fn usable_account(a: &Account) -> bool {
    !["停止", "無効", "削除", "休止"]
        .iter()
        .any(|s| a.status.contains(s))
}

fn device_entry(d: &Device, date: Option<Date>) -> Entry {
    let name = if d.computer_name.trim().is_empty() {
        d.number.trim()
    } else {
        d.computer_name.trim()
    };
    Entry {
        id: d.id.clone(),
        name: name.to_string(),
        detail: d.os.trim().to_string(),
        location: d.location.trim().to_string(),
        date,
    }
}

fn person(a: &Account) -> String {
    format!("{} {}", a.family_name.trim(), a.given_name.trim())
        .trim()
        .to_string()
}

fn account_entry(a: &Account, date: Option<Date>) -> Entry {
    let person = person(a);
    let user_id = a.user_id.trim().to_string();
    let (name, detail) = if person.is_empty() {
        (user_id, String::new())
    } else {
        (person, user_id)
    };
    Entry {
        id: a.id.clone(),
        name,
        detail,
        location: String::new(),
        date,
    }
}

fn devices_about(devices: &[Device]) -> About {
    About::Devices {
        in_use: devices.iter().filter(|d| in_use_device(d)).count(),
        remote: devices
            .iter()
            .filter(|d| in_use_device(d) && d.remote == Remote::Yes)
            .count(),
    }
}

/// 2-①: every device in use has its location, its user and its software version; one part per field
/// that is empty somewhere, with the devices where it is.
pub fn inventory(devices: &[Device]) -> Finding {
    let in_use: Vec<&Device> = devices.iter().filter(|d| in_use_device(d)).collect();
    type Field = fn(&Device) -> &str;
    let fields: [(Issue, Field); 3] = [
        (Issue::NoLocation, |d| &d.location),
        (Issue::NoUser, |d| &d.user),
        (Issue::NoVersion, |d| &d.software_version),
    ];
    let parts: Vec<Part> = fields
        .iter()
        .filter_map(|(issue, field)| {
            let rows = in_use
                .iter()
                .filter(|d| field(d).trim().is_empty())
                .map(|d| device_entry(d, None))
                .collect();
            part(*issue, by_name(rows))
        })
        .collect();
    Finding {
        item: "2-①",
        ok: !in_use.is_empty() && parts.is_empty(),
        about: devices_about(devices),
        parts,
    }
}

/// 2-②: remote maintenance is known for every device a vendor maintains.
pub fn remote_maintenance(devices: &[Device]) -> Finding {
    let unknown = devices
        .iter()
        .filter(|d| in_use_device(d) && d.vendor_id.is_some() && d.remote == Remote::Unknown)
        .map(|d| device_entry(d, None))
        .collect();
    let parts: Vec<Part> = part(Issue::RemoteUnknown, by_name(unknown))
        .into_iter()
        .collect();
    Finding {
        item: "2-②",
        ok: parts.is_empty(),
        about: devices_about(devices),
        parts,
    }
}

/// 2-③: every vendor's MDS/SDS has arrived.
pub fn mds_sds(vendors: &BTreeMap<String, Vendor>) -> Finding {
    let missing = vendors
        .values()
        .filter(|v| v.mds_received_on.is_none())
        .map(|v| Entry {
            id: v.id.to_string(),
            name: v.name.trim().to_string(),
            ..Entry::default()
        })
        .collect();
    let parts: Vec<Part> = part(Issue::NoMds, by_name(missing)).into_iter().collect();
    Finding {
        item: "2-③",
        ok: parts.is_empty(),
        about: About::Vendors {
            registered: vendors.len(),
        },
        parts,
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

/// 2-④: administrator accounts are listed, named, and few (more than max(2, a tenth of the usable
/// accounts) is flagged).
pub fn admins(accounts: &[Account]) -> Finding {
    let usable: Vec<&Account> = accounts.iter().filter(|a| usable_account(a)).collect();
    let admins: Vec<&Account> = usable.iter().copied().filter(|a| is_admin(a)).collect();
    let admins_allowed = (usable.len() / 10).max(2);
    let unnamed = admins
        .iter()
        .filter(|a| person(a).is_empty())
        .map(|a| account_entry(a, None))
        .collect();
    let listed = admins.iter().map(|a| account_entry(a, None)).collect();
    let parts: Vec<Part> = [
        part(Issue::Admin, by_name(listed)),
        part(Issue::UnnamedAdmin, by_name(unnamed)),
    ]
    .into_iter()
    .flatten()
    .collect();
    Finding {
        item: "2-④",
        ok: !accounts.is_empty()
            && admins.len() <= admins_allowed
            && parts.iter().all(|p| p.issue != Issue::UnnamedAdmin),
        about: About::Accounts {
            usable: usable.len(),
            admins_allowed,
        },
        parts,
    }
}

/// 2-⑤: accounts still usable after their planned end, or unused for [`STALE_DAYS`].
pub fn stale_accounts(accounts: &[Account], today: Date) -> Finding {
    let usable: Vec<&Account> = accounts.iter().filter(|a| usable_account(a)).collect();
    let ended = |a: &Account| a.planned_end_on.is_some_and(|d| d < today);
    let past_end = usable
        .iter()
        .filter(|a| ended(a))
        .map(|a| account_entry(a, a.planned_end_on))
        .collect();
    let unused = usable
        .iter()
        .filter(|a| !ended(a))
        .filter(|a| {
            a.last_used_on
                .is_some_and(|d| today.days_since(d) >= STALE_DAYS)
        })
        .map(|a| account_entry(a, a.last_used_on))
        .collect();
    let parts: Vec<Part> = [
        part(Issue::PastPlannedEnd, by_date(past_end)),
        part(Issue::Unused, by_date(unused)),
    ]
    .into_iter()
    .flatten()
    .collect();
    Finding {
        item: "2-⑤",
        ok: parts.is_empty(),
        about: About::Accounts {
            usable: usable.len(),
            admins_allowed: (usable.len() / 10).max(2),
        },
        parts,
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

/// 2-⑥: devices in use on an OS past its support end (earliest end first), then, as a second part, the
/// others unpatched for [`STALE_DAYS`] (longest unpatched first).
pub fn outdated(devices: &[Device], today: Date) -> Finding {
    let in_use: Vec<&Device> = devices.iter().filter(|d| in_use_device(d)).collect();
    let ended = |d: &Device| support_end(d).filter(|end| *end < today);
    let unsupported = in_use
        .iter()
        .filter_map(|d| ended(d).map(|end| device_entry(d, Some(end))))
        .collect();
    let unpatched = in_use
        .iter()
        .filter(|d| ended(d).is_none())
        .filter(|d| {
            d.last_patch_on
                .is_some_and(|p| today.days_since(p) >= STALE_DAYS)
        })
        .map(|d| device_entry(d, d.last_patch_on))
        .collect();
    let parts: Vec<Part> = [
        part(Issue::UnsupportedOs, by_date(unsupported)),
        part(Issue::Unpatched, by_date(unpatched)),
    ]
    .into_iter()
    .flatten()
    .collect();
    Finding {
        item: "2-⑥",
        ok: parts.is_empty(),
        about: devices_about(devices),
        parts,
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
        about: About::MonthsToR9 { months },
        parts: Vec::new(),
    }
}
