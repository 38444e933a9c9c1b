//! The columns of each ledger: the header the manual prints (what export writes), the other headers people
//! use for it (what import recognises), and how a cell is read and written.

use std::collections::BTreeMap;

use crate::calendar::Date;
use crate::model::{Vendor, VendorId};
use crate::schema::ledger::{Account, Device, Remote};

/// What reading a cell can find wrong (the value is never dropped: see [`super::import`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellProblem {
    BadDate(String),
    BadChoice(String),
}

impl CellProblem {
    /// The problem as a person reads it beside the column's field, in Japanese or English.
    pub fn describe<R>(&self, column: &Column<R>, english: bool) -> String {
        match (self, english) {
            (CellProblem::BadDate(v), false) => format!(
                "{}「{v}」は日付として読めません（例: 2026/11/25）",
                column.header
            ),
            (CellProblem::BadDate(v), true) => {
                format!("{} “{v}” is not a date (e.g. 2026/11/25)", column.header_en)
            }
            (CellProblem::BadChoice(v), false) => {
                format!("{}「{v}」は 有・無・不明 のいずれかです", column.header)
            }
            (CellProblem::BadChoice(v), true) => format!(
                "{} “{v}” must be 有 (yes), 無 (no) or 不明 (unknown)",
                column.header_en
            ),
        }
    }
}

/// What a cell needs besides its text: the facility's vendors (by id), for the 保守事業者 column.
#[derive(Debug, Default)]
pub struct Context {
    pub vendors: BTreeMap<String, Vendor>,
}

impl Context {
    pub fn vendor_name(&self, id: Option<VendorId>) -> String {
        id.and_then(|v| self.vendors.get(&v.to_string()))
            .map(|v| v.name.clone())
            .unwrap_or_default()
    }

    pub fn vendor_named(&self, name: &str) -> Option<VendorId> {
        let name = normalise(name);
        self.vendors
            .values()
            .find(|v| normalise(&v.name) == name)
            .map(|v| v.id)
    }
}

/// What a column holds, for a typed export (a date column is written as an Excel date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Date,
}

/// One column of a ledger.
pub struct Column<R> {
    /// Stable key (mapping choices are saved by it).
    pub key: &'static str,
    /// The header as the manual prints it, written on export.
    pub header: &'static str,
    /// The header in the English UI (export always writes the manual's Japanese).
    pub header_en: &'static str,
    /// Other headers meaning the same (compared after [`normalise`]).
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub get: fn(&R, &Context) -> String,
    /// Sets the field from a cell; `Err` leaves the field as it was.
    pub set: fn(&mut R, &str, &Context) -> Result<(), CellProblem>,
}

/// Header and cell comparison form: widths folded ([`fold_width`]), spaces and a few marks removed, lower
/// case.
pub fn normalise(s: &str) -> String {
    fold_width(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '・' | '_' | '-' | '(' | ')'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Half-width katakana U+FF66–U+FF9D as full-width katakana (ｦ ｧｨｩｪｫ ｬｭｮ ｯ ｰ ｱ…ﾝ).
const HALF_WIDTH_KANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// The width forms Japanese spreadsheets mix, folded as NFKC folds them: full-width ASCII and the ideographic
/// space to ASCII, half-width katakana (with its separate voiced marks ﾞ ﾟ) and punctuation to full-width.
/// Written out rather than taken from a Unicode normalisation crate: its compatibility tables would add
/// 121 KB to the app's wasm (62 KB gzip, measured) for these few ranges.
pub fn fold_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '｡' => '。',
            '｢' => '「',
            '｣' => '」',
            '､' => '、',
            '･' => '・',
            '\u{FF66}'..='\u{FF9D}' => HALF_WIDTH_KANA
                .chars()
                .nth((c as u32 - 0xFF66) as usize)
                .unwrap_or(c),
            'ﾞ' | 'ﾟ' => {
                // The voiced marks join the kana before them: ｶﾞ is ガ, ﾊﾟ is パ, ｳﾞ is ヴ.
                let voiced = c == 'ﾞ';
                let joined = out.chars().last().and_then(|last| {
                    let step = if voiced && last == 'ウ' {
                        return Some('ヴ');
                    } else if voiced && "カキクケコサシスセソタチツテト".contains(last)
                    {
                        1
                    } else if "ハヒフヘホ".contains(last) {
                        if voiced { 1 } else { 2 }
                    } else {
                        return None;
                    };
                    char::from_u32(last as u32 + step)
                });
                match joined {
                    Some(j) => {
                        out.pop();
                        out.push(j);
                        continue;
                    }
                    None if voiced => '\u{3099}',
                    None => '\u{309A}',
                }
            }
            c => c,
        };
        out.push(c);
    }
    out
}

/// A cell's key in natural order, as people read 管理番号: runs of digits compare by their value (PC-2 before
/// PC-10, 2 before 10), other characters by their folded, lower-case form; dates written by [`write_date`]
/// sort by date. Made once per row and compared as a string, so sorting thousands of rows stays cheap.
pub fn natural_key(s: &str) -> String {
    let folded = fold_width(s).to_lowercase();
    let mut key = String::with_capacity(folded.len() + 16);
    let mut digits = String::new();
    let flush = |digits: &mut String, key: &mut String| {
        if !digits.is_empty() {
            let value = digits.trim_start_matches('0');
            // The length first, so a longer number is the larger whatever its digits.
            key.push_str(&format!("{:03}{value}", value.len()));
            digits.clear();
        }
    };
    for c in folded.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut key);
            key.push(c);
        }
    }
    flush(&mut digits, &mut key);
    key
}

/// Natural order ([`natural_key`]); equal keys fall back to the plain strings, so the order is total.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    natural_key(a).cmp(&natural_key(b)).then_with(|| a.cmp(b))
}

/// The Japanese eras a ledger may date by (和暦), with the Western year before each era's first year.
const ERAS: [(&str, &str, i32); 4] = [
    ("令和", "r", 2018),
    ("平成", "h", 1988),
    ("昭和", "s", 1925),
    ("大正", "t", 1911),
];

/// A date as people type it in a ledger: 2020/12/1, 2020-12-01, 2020.12.1, 2020年12月1日, and in the Japanese
/// calendar 令和2年6月23日, 令和元年5月1日, R2.6.23, H30/4/1 (full-width digits too).
pub fn parse_date(s: &str) -> Result<Option<Date>, CellProblem> {
    let raw = s.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || CellProblem::BadDate(raw.to_string());
    let t: String = fold_width(raw).to_lowercase();
    // An era name or letter first: the year counts from the era's start (元年 is its first).
    let (offset, rest) = ERAS
        .iter()
        .find_map(|(name, letter, base)| {
            t.strip_prefix(name)
                .or_else(|| t.strip_prefix(letter))
                .map(|rest| (*base, rest.replacen("元", "1", 1)))
        })
        .unwrap_or((0, t.clone()));
    let parts: Vec<&str> = rest
        .split(['/', '-', '.', '年', '月', '日'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let n = |p: &str| p.trim().parse::<i32>().map_err(|_| bad());
    let (y, m, d) = (n(parts[0])?, n(parts[1])?, n(parts[2])?);
    if offset != 0 && !(1..=99).contains(&y) {
        return Err(bad());
    }
    let y = y + offset;
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Date::new(y, m as u8, d as u8).map(Some).map_err(|_| bad())
}

/// How dates are written on export (Excel reads it as a date).
pub fn write_date(d: Option<Date>) -> String {
    d.map(|d| format!("{:04}/{:02}/{:02}", d.year(), d.month(), d.day()))
        .unwrap_or_default()
}

/// A column's header in English, by its key (the same key means the same in both ledgers).
const fn header_en(key: &str) -> &'static str {
    match key.as_bytes() {
        b"number" => "Asset no.",
        b"maker" => "Maker",
        b"os" => "OS",
        b"software" => "Software",
        b"software_version" => "Software version",
        b"ip_address" => "IP address",
        b"computer_name" => "Computer name",
        b"location" => "Location",
        b"user" => "User",
        b"registered_on" => "Registered on",
        b"status" => "Status",
        b"description" => "Description",
        b"category" => "Type",
        b"model" => "Model",
        b"vendor" => "Maintained by",
        b"remote" => "Remote maintenance",
        b"last_patch_on" => "Last patched on",
        b"os_support_end_on" => "OS support ends on",
        b"no" => "No.",
        b"department" => "Department",
        b"family_name" => "Family name",
        b"given_name" => "Given name",
        b"phone" => "Phone",
        b"user_id" => "User ID",
        b"privilege" => "Privilege",
        b"planned_end_on" => "Leaving on",
        b"last_used_on" => "Last used on",
        _ => "",
    }
}

macro_rules! text {
    ($ty:ty, $key:literal, $header:literal, [$($alias:literal),*], $field:ident) => {
        Column {
            key: $key,
            header: $header,
            header_en: header_en($key),
            aliases: &[$($alias),*],
            kind: Kind::Text,
            get: |r: &$ty, _: &Context| r.$field.clone(),
            set: |r: &mut $ty, v: &str, _: &Context| {
                r.$field = v.trim().to_string();
                Ok(())
            },
        }
    };
}

macro_rules! date {
    ($ty:ty, $key:literal, $header:literal, [$($alias:literal),*], $field:ident) => {
        Column {
            key: $key,
            header: $header,
            header_en: header_en($key),
            aliases: &[$($alias),*],
            kind: Kind::Date,
            get: |r: &$ty, _: &Context| write_date(r.$field),
            set: |r: &mut $ty, v: &str, _: &Context| {
                r.$field = parse_date(v)?;
                Ok(())
            },
        }
    };
}

/// The 機器台帳: the manual's twelve columns, then Mamori's.
pub fn device_columns() -> Vec<Column<Device>> {
    vec![
        text!(
            Device,
            "number",
            "管理番号",
            ["機器番号", "資産番号", "管理no", "no", "no."],
            number
        ),
        text!(
            Device,
            "maker",
            "メーカー",
            ["メーカー名", "製造元", "製造者", "製造会社"],
            maker
        ),
        text!(Device, "os", "OS", ["オペレーティングシステム", "os名"], os),
        text!(
            Device,
            "software",
            "ソフトウェア",
            ["ソフト", "アプリケーション", "システム"],
            software
        ),
        text!(
            Device,
            "software_version",
            "ソフトウェアバージョン",
            ["バージョン", "ver", "version", "ソフトウェアver"],
            software_version
        ),
        text!(
            Device,
            "ip_address",
            "IPアドレス",
            ["ip", "ipaddress"],
            ip_address
        ),
        text!(
            Device,
            "computer_name",
            "コンピュータ名",
            [
                "コンピューター名",
                "ホスト名",
                "端末名",
                "pc名",
                "機器名",
                "機器名称",
                "端末名称",
                "hostname"
            ],
            computer_name
        ),
        text!(
            Device,
            "location",
            "設置場所",
            ["場所", "設置部署", "所在", "設置場所名", "部屋"],
            location
        ),
        text!(Device, "user", "利用者", ["使用者", "利用者名"], user),
        date!(
            Device,
            "registered_on",
            "登録日",
            ["導入日", "登録年月日", "購入日", "導入年月日", "購入年月日"],
            registered_on
        ),
        text!(Device, "status", "状態", ["ステータス", "稼働状況"], status),
        text!(Device, "description", "説明", ["備考", "メモ"], description),
        text!(
            Device,
            "category",
            "種別",
            ["機器種別", "区分", "分類"],
            category
        ),
        text!(
            Device,
            "model",
            "型番",
            [
                "モデル",
                "モデル名",
                "型式",
                "機種",
                "機種名",
                "品番",
                "model"
            ],
            model
        ),
        Column {
            key: "vendor",
            header: "保守事業者",
            header_en: header_en("vendor"),
            aliases: &["事業者", "保守業者", "保守会社", "ベンダー"],
            kind: Kind::Text,
            get: |r: &Device, cx: &Context| cx.vendor_name(r.vendor_id),
            // Resolved by import (an unknown vendor becomes a new vendor entity there).
            set: |r: &mut Device, v: &str, cx: &Context| {
                r.vendor_id = cx.vendor_named(v);
                Ok(())
            },
        },
        Column {
            key: "remote",
            header: "リモートメンテナンス",
            header_en: header_en("remote"),
            aliases: &["リモート保守", "リモートメンテナンス有無", "遠隔保守"],
            kind: Kind::Text,
            get: |r: &Device, _: &Context| r.remote.label_ja().to_string(),
            set: |r: &mut Device, v: &str, _: &Context| {
                r.remote =
                    Remote::parse(v).ok_or_else(|| CellProblem::BadChoice(v.trim().into()))?;
                Ok(())
            },
        },
        date!(
            Device,
            "last_patch_on",
            "最終パッチ適用日",
            ["パッチ適用日", "最終更新適用日", "アップデート日"],
            last_patch_on
        ),
        date!(
            Device,
            "os_support_end_on",
            "OSサポート終了日",
            ["サポート終了日", "eos", "サポート期限"],
            os_support_end_on
        ),
    ]
}

/// The 利用者ID台帳; `pharmacy` writes 利用者属性 where institutions write 所属部署 (both are read).
pub fn account_columns(pharmacy: bool) -> Vec<Column<Account>> {
    let department = if pharmacy {
        text!(
            Account,
            "department",
            "利用者属性",
            ["所属部署", "所属", "部署", "職種"],
            department
        )
    } else {
        text!(
            Account,
            "department",
            "所属部署",
            ["利用者属性", "所属", "部署", "職種"],
            department
        )
    };
    vec![
        text!(Account, "no", "No.", ["no", "番号", "項番"], no),
        department,
        text!(Account, "family_name", "性", ["姓", "氏"], family_name),
        text!(Account, "given_name", "名", [], given_name),
        text!(Account, "phone", "電話番号", ["電話", "内線", "tel"], phone),
        text!(
            Account,
            "user_id",
            "ユーザID",
            ["ユーザーid", "ログインid", "id", "アカウント"],
            user_id
        ),
        text!(
            Account,
            "description",
            "説明",
            ["備考", "メモ"],
            description
        ),
        text!(Account, "privilege", "権限", ["ロール", "role"], privilege),
        text!(Account, "status", "状態", ["ステータス"], status),
        date!(
            Account,
            "planned_end_on",
            "退職予定日",
            ["退職予定", "利用終了予定日", "終了予定日"],
            planned_end_on
        ),
        date!(
            Account,
            "last_used_on",
            "最終利用日",
            ["最終ログイン日", "最終使用日"],
            last_used_on
        ),
    ]
}

/// Headers that name a secret: such a column is refused, never read or stored.
pub fn names_a_secret(header: &str) -> bool {
    let h = normalise(header);
    [
        "パスワード",
        "password",
        "passwd",
        "pwd",
        "暗証",
        "pass",
        "pin",
        "秘密",
    ]
    .iter()
    .any(|s| h.contains(s))
}

/// Which column a header is, if any.
pub fn recognise<R>(columns: &[Column<R>], header: &str) -> Option<usize> {
    let h = normalise(header);
    if h.is_empty() {
        return None;
    }
    columns
        .iter()
        .position(|c| normalise(c.header) == h)
        .or_else(|| {
            columns
                .iter()
                .position(|c| c.aliases.iter().any(|a| normalise(a) == h))
        })
}

/// Words that sit near a column without meaning it (管理者 is not 利用者, 設置日 may or may not be 登録日): a
/// header with one of them is offered as a guess in the preview, never mapped without the person choosing.
const NEAR: &[(&str, &[&str])] = &[
    ("number", &["番号", "資産", "台帳番号"]),
    ("computer_name", &["名称", "品名", "製品名", "端末"]),
    ("location", &["フロア", "階", "部門", "診療科", "設置先"]),
    (
        "user",
        &["管理者", "担当者", "責任者", "使用部署", "主担当"],
    ),
    (
        "registered_on",
        &["設置日", "納品日", "取得日", "日付", "年月日"],
    ),
    ("software", &["用途", "業務"]),
    ("status", &["使用状況", "稼働"]),
    ("description", &["摘要", "コメント", "注記"]),
    ("vendor", &["販売店", "購入先", "業者", "保守"]),
    ("os_support_end_on", &["サポート終了", "保守期限"]),
    ("department", &["科", "部門", "所属先"]),
    ("family_name", &["氏名", "名前", "利用者名"]),
    ("privilege", &["管理者権限", "権限区分"]),
    ("user_id", &["ユーザ", "ログイン", "アカウント名"]),
];

/// The column a header only resembles, if any: it contains a column's header or alias (of two characters or
/// more), or a word [`NEAR`] one. Shown as a guess; [`recognise`] is what maps.
pub fn resemble<R>(columns: &[Column<R>], header: &str) -> Option<usize> {
    let h = normalise(header);
    if h.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    let mut consider = |i: usize, needle: &str| {
        let n = normalise(needle);
        if n.chars().count() >= 2 && h.contains(&n) && best.is_none_or(|(_, len)| n.len() > len) {
            best = Some((i, n.len()));
        }
    };
    for (i, c) in columns.iter().enumerate() {
        consider(i, c.header);
        for a in c.aliases {
            consider(i, a);
        }
    }
    if best.is_none() {
        for (key, words) in NEAR {
            if let Some(i) = columns.iter().position(|c| c.key == *key) {
                for w in *words {
                    let n = normalise(w);
                    if h.contains(&n) && best.is_none_or(|(_, len)| n.len() > len) {
                        best = Some((i, n.len()));
                    }
                }
            }
        }
    }
    best.map(|(i, _)| i)
}
