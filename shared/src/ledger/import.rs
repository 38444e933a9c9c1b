//! Reading a ledger people already keep (CSV in UTF-8 or Shift_JIS; spreadsheets come in as the same
//! table of strings): recognising its headers, refusing secrets, and a preview that shows every row's
//! problems before anything is imported. Nothing here writes a document: the app imports the preview's
//! rows only once the person confirms, in one change, so a failure imports nothing.

use std::collections::BTreeMap;

use thiserror::Error;

use super::columns::{CellProblem, Column, Context, names_a_secret, normalise, recognise};
use crate::model::{Vendor, VendorId};

/// The most rows one import takes: a large hospital has a few thousand devices, and a sheet of a hundred
/// thousand rows is a mistake (or an attack on a tablet's memory), refused before it is read.
pub const MAX_ROWS: usize = 20_000;

/// A file that cannot be imported at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("ファイルが空です (the file is empty)")]
    Empty,
    #[error(
        "文字コードを判別できません: UTF-8 でも Shift_JIS でもありません (not UTF-8 or Shift_JIS text)"
    )]
    Encoding,
    #[error(
        "{line}行目付近で引用符（\"）が閉じられていません: CSV が壊れています (unterminated quote near line {line})"
    )]
    BrokenQuoting { line: u64 },
    #[error("CSV を読めません: {0} (not a readable CSV)")]
    Csv(String),
    #[error("行が多すぎます: {rows}行（上限 {max}行）(too many rows)")]
    TooManyRows { rows: usize, max: usize },
    #[error(
        "この台帳の列の見出し（管理番号・コンピュータ名・設置場所など）が、1〜20行目のどの行にも見つかりません。見出しの行を表の上のほうに置いてください (no header of this ledger in the first 20 rows)"
    )]
    NoKnownColumns,
    #[error("表計算ファイルを読めません: {0} (not a spreadsheet)")]
    Spreadsheet(String),
}

/// Text from a file: UTF-8 (with or without a BOM), else Shift_JIS, as Japanese Excel writes CSV.
pub fn decode(bytes: &[u8]) -> Result<String, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::Empty);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if had_errors {
        return Err(ImportError::Encoding);
    }
    Ok(text.into_owned())
}

/// A CSV's rows (the first is the header row). Broken quoting is an error, never a guess.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, ImportError> {
    // Quotes come in pairs in well-formed CSV (an escaped quote is doubled): an odd count means a quoted
    // field never ends, which the csv reader would otherwise run to the end of the file.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut last_line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Csv(e.to_string()))?;
        last_line = record.position().map(|p| p.line()).unwrap_or(last_line);
        if rows.len() > MAX_ROWS {
            return Err(ImportError::TooManyRows {
                rows: text.lines().count().saturating_sub(1),
                max: MAX_ROWS,
            });
        }
        rows.push(record.iter().map(str::to_string).collect());
    }
    if text.matches('"').count() % 2 == 1 {
        return Err(ImportError::BrokenQuoting { line: last_line });
    }
    Ok(rows)
}

/// What each column of the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// For each column of the file, the ledger column it fills (an index into the ledger's columns).
    pub columns: Vec<Option<usize>>,
    /// Columns refused because they hold secrets (パスワード …): never read.
    pub refused: Vec<String>,
    /// Columns not recognised: shown, not imported unless the person maps them.
    pub unknown: Vec<String>,
}

/// The columns that say which row is which (管理番号 or コンピュータ名 in the 機器台帳, No. or ユーザーID in the
/// 利用者ID台帳): an import maps at least one, or its rows could not be told apart or found again.
pub const IDENTIFYING: &[&str] = &["number", "computer_name", "no", "user_id"];

impl Mapping {
    /// Whether one of the file's columns fills an identifying column ([`IDENTIFYING`]).
    pub fn identifies<R>(&self, columns: &[Column<R>]) -> bool {
        self.columns.iter().flatten().any(|c| {
            columns
                .get(*c)
                .is_some_and(|c| IDENTIFYING.contains(&c.key))
        })
    }
}

/// Recognises a header row; the person may change the result before previewing.
pub fn map_headers<R>(columns: &[Column<R>], headers: &[String]) -> Mapping {
    let mut mapping = Mapping {
        columns: Vec::with_capacity(headers.len()),
        refused: Vec::new(),
        unknown: Vec::new(),
    };
    for h in headers {
        if names_a_secret(h) {
            mapping.refused.push(h.clone());
            mapping.columns.push(None);
            continue;
        }
        let found = recognise(columns, h).filter(|i| !mapping.columns.contains(&Some(*i)));
        if found.is_none() && !h.trim().is_empty() {
            mapping.unknown.push(h.clone());
        }
        mapping.columns.push(found);
    }
    mapping
}

/// Why a row is shown with a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A date that does not read; the text is kept in the row's 説明.
    BadDate { column: &'static str, value: String },
    /// A choice that does not read (リモートメンテナンス); kept in 説明.
    BadChoice { column: &'static str, value: String },
    /// The same 管理番号 (or No.) as another row, in the file or already in the ledger.
    Duplicate(String),
    /// A 状態 other than the usual ones; kept as written.
    UnknownStatus(String),
    /// A vendor not registered yet: importing registers it.
    NewVendor(String),
}

impl Problem {
    pub fn message_ja(&self) -> String {
        match self {
            Problem::BadDate { column, value } => {
                format!("{column}「{value}」は日付として読めません（説明欄に残します）")
            }
            Problem::BadChoice { column, value } => {
                format!(
                    "{column}「{value}」は有・無・不明のいずれでもありません（説明欄に残します）"
                )
            }
            Problem::Duplicate(n) => format!("番号「{n}」が重複しています"),
            Problem::UnknownStatus(s) => {
                format!("状態「{s}」は通常の値ではありません（そのまま取り込みます）")
            }
            Problem::NewVendor(v) => format!("事業者「{v}」は未登録です（取り込むと登録されます）"),
        }
    }
}

/// One row as it would be imported, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow<R> {
    /// The line in the file (1 = the header row).
    pub line: usize,
    pub row: R,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview<R> {
    /// The header row's index in the table (title rows and blank rows above it are not data).
    pub header: usize,
    pub rows: Vec<PreviewRow<R>>,
    /// Vendors the file names that the facility has not registered (imported with the rows).
    pub new_vendors: Vec<Vendor>,
    pub mapping: Mapping,
}

impl<R> Preview<R> {
    pub fn with_problems(&self) -> usize {
        self.rows.iter().filter(|r| !r.problems.is_empty()).count()
    }
}

/// What a ledger needs from import beyond its columns.
pub trait Importable: Default + Clone {
    /// The identifying number (管理番号, No.) duplicates are checked on.
    fn number(&self) -> &str;
    fn status(&self) -> &str;
    /// States that need no warning.
    const STATUSES: &'static [&'static str];
    fn set_id(&mut self, id: String);
    /// Where unreadable text is kept so nothing is lost.
    fn keep_note(&mut self, note: &str);
    /// The vendor cell, for rows that have one.
    fn vendor_cell(
        _columns: &[Option<usize>],
        _cells: &[String],
        _keys: &[&str],
    ) -> Option<String> {
        None
    }
    fn set_vendor(&mut self, _vendor: VendorId) {}
}

/// How far down a sheet the header row is looked for: hand-made workbooks put a title, a date, blank rows
/// or notes above it.
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The row of the first [`HEADER_SEARCH_ROWS`] that names the most of this ledger's columns (the first such
/// row on a tie); `None` when no row names any.
pub fn find_header_row<R>(columns: &[Column<R>], table: &[Vec<String>]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in table.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let mut named = std::collections::BTreeSet::new();
        for cell in row {
            if let Some(c) = recognise(columns, cell) {
                named.insert(c);
            }
        }
        if !named.is_empty() && best.is_none_or(|(_, n)| named.len() > n) {
            best = Some((i, named.len()));
        }
    }
    best.map(|(i, _)| i)
}

/// Reads every data row below `header` through the mapping. `existing` are the numbers already in the
/// ledger.
pub fn preview<R: Importable>(
    columns: &[Column<R>],
    table: &[Vec<String>],
    header: usize,
    mapping: Mapping,
    context: &Context,
    existing: &[String],
) -> Result<Preview<R>, ImportError> {
    if table.len() > MAX_ROWS + header + 1 {
        return Err(ImportError::TooManyRows {
            rows: table.len() - header - 1,
            max: MAX_ROWS,
        });
    }
    if mapping.columns.iter().all(Option::is_none) {
        return Err(ImportError::NoKnownColumns);
    }
    let keys: Vec<&str> = columns.iter().map(|c| c.key).collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for n in existing {
        *seen.entry(normalise(n)).or_default() += 1;
    }
    let mut new_vendors: Vec<Vendor> = Vec::new();
    let mut rows = Vec::new();
    for (i, cells) in table.iter().enumerate().skip(header + 1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row = R::default();
        row.set_id(crate::schema::ledger::new_row_id());
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        for (col, cell) in mapping.columns.iter().zip(cells) {
            let Some(c) = col.map(|c| &columns[c]) else {
                continue;
            };
            // An exported ledger's neutralised cells read back as they were.
            let cell = &crate::export::restore(cell).to_string();
            match (c.set)(&mut row, cell, context) {
                Ok(()) => {}
                Err(CellProblem::BadDate(v)) => {
                    notes.push(format!("{}: {v}", c.header));
                    problems.push(Problem::BadDate {
                        column: c.header,
                        value: v,
                    });
                }
                Err(CellProblem::BadChoice(v)) => {
                    notes.push(format!("{}: {v}", c.header));
                    problems.push(Problem::BadChoice {
                        column: c.header,
                        value: v,
                    });
                }
            }
        }
        if let Some(name) = R::vendor_cell(&mapping.columns, cells, &keys)
            .filter(|n| !n.trim().is_empty() && context.vendor_named(n).is_none())
        {
            let name = name.trim().to_string();
            let vendor = match new_vendors
                .iter()
                .find(|v| normalise(&v.name) == normalise(&name))
            {
                Some(v) => v.clone(),
                None => {
                    let v = Vendor::named(&name);
                    new_vendors.push(v.clone());
                    v
                }
            };
            row.set_vendor(vendor.id);
            problems.push(Problem::NewVendor(name));
        }
        if !notes.is_empty() {
            row.keep_note(&notes.join(" / "));
        }
        let number = normalise(row.number());
        if !number.is_empty() {
            let count = seen.entry(number).or_default();
            *count += 1;
            if *count > 1 {
                problems.push(Problem::Duplicate(row.number().to_string()));
            }
        }
        let status = row.status().trim();
        if !status.is_empty() && !R::STATUSES.iter().any(|s| status.starts_with(s)) {
            problems.push(Problem::UnknownStatus(status.to_string()));
        }
        rows.push(PreviewRow {
            line: i + 1,
            row,
            problems,
        });
    }
    // The first of a duplicated number is flagged too, so both rows show it.
    let dup: Vec<String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k.clone())
        .collect();
    for r in &mut rows {
        let n = normalise(r.row.number());
        if dup.contains(&n)
            && !r
                .problems
                .iter()
                .any(|p| matches!(p, Problem::Duplicate(_)))
        {
            r.problems
                .push(Problem::Duplicate(r.row.number().to_string()));
        }
    }
    Ok(Preview {
        header,
        rows,
        new_vendors,
        mapping,
    })
}

/// The ledger as a table with the manual's headers (what import reads back), for CSV or a workbook.
pub fn export_table<R>(columns: &[Column<R>], rows: &[R], context: &Context) -> Vec<Vec<String>> {
    let mut table = Vec::with_capacity(rows.len() + 1);
    table.push(columns.iter().map(|c| c.header.to_string()).collect());
    for r in rows {
        // Never a formula when the file is opened (CSV injection): see `crate::export`.
        table.push(
            columns
                .iter()
                .map(|c| crate::export::neutralise(&(c.get)(r, context)).into_owned())
                .collect(),
        );
    }
    table
}

/// A table as CSV: UTF-8 with a BOM (Japanese Excel opens it as such), or Shift_JIS on request, where a
/// character Shift_JIS lacks is named in the error rather than replaced.
pub fn csv_bytes(table: &[Vec<String>], shift_jis: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for row in table {
            w.write_record(row).map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    if !shift_jis {
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(out);
        return Ok(bom);
    }
    let text = String::from_utf8(out).map_err(|e| e.to_string())?;
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    if unmappable {
        let missing: String = text
            .chars()
            .filter(|c| {
                let mut buf = [0u8; 4];
                encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf)).2
            })
            .collect();
        return Err(format!(
            "Shift_JIS で表せない文字があります: {missing}（UTF-8 で書き出してください）"
        ));
    }
    Ok(bytes.into_owned())
}

/// The ledger as CSV with the manual's headers ([`export_table`] then [`csv_bytes`]).
pub fn export_csv<R>(
    columns: &[Column<R>],
    rows: &[R],
    context: &Context,
    shift_jis: bool,
) -> Result<Vec<u8>, String> {
    csv_bytes(&export_table(columns, rows, context), shift_jis)
}
