//! Reading a ledger people already keep (CSV in UTF-8 or Shift_JIS; spreadsheets come in as the same
//! table of strings): recognising its headers, refusing secrets, and a preview that shows every row's
//! problems before anything is imported. Nothing here writes a document: the app imports the preview's
//! rows only once the person confirms, in one change, so a failure imports nothing.

use std::collections::BTreeMap;

use thiserror::Error;

use super::columns::{
    CellProblem, Column, Context, Kind, fold_width, names_a_secret, normalise, parse_date,
    recognise, resemble,
};
use crate::export::Cell;
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

/// One sheet of a file, as the spreadsheet worker hands it to the app: its name and its cells as text, the
/// way a person reads them (dates as 2024/04/01, whole numbers without a decimal point). A CSV file is one
/// sheet named after the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
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

/// What one column of the file becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A ledger column (an index into the ledger's columns).
    Column(usize),
    /// An extra column of the ledger under its own header ([`Mapping::names`]): what a file has beyond the
    /// ledger's columns is kept, never dropped.
    Extra,
    /// Not imported: a secret (refused), or the person chose so.
    Skip,
}

/// What each column of the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// For each column of the file, what it fills.
    pub targets: Vec<Target>,
    /// For each column of the file, its header as an extra column would carry it (a blank header becomes
    /// 「列C」 after its spreadsheet letter; a repeated one gets 「(2)」).
    pub names: Vec<String>,
    /// For each column not recognised, a ledger column its header resembles ([`resemble`]): offered in the
    /// preview, never applied without the person choosing it (管理者 is not 利用者).
    pub guesses: Vec<Option<usize>>,
    /// Columns refused because they hold secrets (パスワード …): never read.
    pub refused: Vec<String>,
}

/// The columns that say which row is which (管理番号 or コンピュータ名 in the 機器台帳, No. or ユーザーID in the
/// 利用者ID台帳): an import maps at least one, or its rows could not be told apart or found again.
pub const IDENTIFYING: &[&str] = &["number", "computer_name", "no", "user_id"];

impl Mapping {
    /// Whether one of the file's columns fills an identifying column ([`IDENTIFYING`]).
    pub fn identifies<R>(&self, columns: &[Column<R>]) -> bool {
        self.targets.iter().any(|t| {
            matches!(t, Target::Column(c) if columns
                .get(*c)
                .is_some_and(|c| IDENTIFYING.contains(&c.key)))
        })
    }

    /// The file column filling ledger column `column`, if any.
    pub fn source_of(&self, column: usize) -> Option<usize> {
        self.targets
            .iter()
            .position(|t| *t == Target::Column(column))
    }

    /// The person's choice for file column `at`; a ledger column chosen twice leaves its earlier file column
    /// kept as an extra column (one file column per ledger column).
    pub fn set(&mut self, at: usize, target: Target) {
        if let Target::Column(c) = target
            && let Some(before) = self.source_of(c)
        {
            self.targets[before] = Target::Extra;
        }
        if let Some(t) = self.targets.get_mut(at) {
            *t = target;
        }
    }

    /// The file columns kept as extra columns, by their names.
    pub fn extras(&self) -> Vec<&str> {
        self.targets
            .iter()
            .zip(&self.names)
            .filter(|(t, _)| **t == Target::Extra)
            .map(|(_, n)| n.as_str())
            .collect()
    }
}

/// A spreadsheet's column letter (0 → A, 26 → AA).
pub fn column_letter(mut at: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'A' + (at % 26) as u8));
        if at < 26 {
            break;
        }
        at = at / 26 - 1;
    }
    out.iter().rev().collect()
}

/// Recognises a header row; the person may change the result before previewing. Headers the ledger does
/// not know are kept as extra columns, with a guess where they resemble one of its columns.
pub fn map_headers<R>(columns: &[Column<R>], headers: &[String]) -> Mapping {
    let mut mapping = Mapping {
        targets: Vec::with_capacity(headers.len()),
        names: Vec::with_capacity(headers.len()),
        guesses: Vec::with_capacity(headers.len()),
        refused: Vec::new(),
    };
    for (at, h) in headers.iter().enumerate() {
        let base = match h.trim() {
            "" => format!("列{}", column_letter(at)),
            h => h.to_string(),
        };
        let mut name = base.clone();
        let mut n = 1;
        while mapping.names.contains(&name) {
            n += 1;
            name = format!("{base}({n})");
        }
        mapping.names.push(name);
        if names_a_secret(h) {
            mapping.refused.push(h.clone());
            mapping.targets.push(Target::Skip);
            mapping.guesses.push(None);
            continue;
        }
        let found = recognise(columns, h).filter(|i| mapping.source_of(*i).is_none());
        mapping.guesses.push(match found {
            Some(_) => None,
            None => resemble(columns, h).filter(|i| mapping.source_of(*i).is_none()),
        });
        mapping
            .targets
            .push(found.map_or(Target::Extra, Target::Column));
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

    /// A problem loses something as the row is imported (a value not read into its column, a number that
    /// no longer tells rows apart); the rest are notices (a vendor that will be registered, a 状態 kept as
    /// written).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Problem::BadDate { .. } | Problem::BadChoice { .. } | Problem::Duplicate(_)
        )
    }

    /// What rows with this problem have in common, in Japanese and English, and the value that differs.
    fn group(&self) -> (String, String, Option<&str>) {
        match self {
            Problem::BadDate { column, value } => (
                format!("{column}が日付として読めません。元の文字は説明欄に残します"),
                format!("{column} does not read as a date; the text is kept in 説明"),
                Some(value),
            ),
            Problem::BadChoice { column, value } => (
                format!("{column}が 有・無・不明 のどれでもありません。元の文字は説明欄に残します"),
                format!("{column} is not 有, 無 or 不明; the text is kept in 説明"),
                Some(value),
            ),
            Problem::Duplicate(n) => (
                "番号が重複しています（別の行として取り込みます）".to_string(),
                "Numbers used twice (imported as separate rows)".to_string(),
                Some(n),
            ),
            Problem::UnknownStatus(s) => (
                format!("状態「{s}」は通常の値ではありません（そのまま取り込みます）"),
                format!("State 「{s}」 is not a usual one (imported as written)"),
                None,
            ),
            Problem::NewVendor(v) => (
                format!("事業者「{v}」は未登録です（取り込むと登録されます）"),
                format!("Vendor 「{v}」 is not registered yet (importing registers it)"),
                None,
            ),
        }
    }
}

/// Rows that share one problem or notice, for the preview: one line with a count, not a line per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// A problem (the row loses something), else a notice.
    pub problem: bool,
    pub ja: String,
    pub en: String,
    /// The differing values, the first few (the unreadable dates, the duplicated numbers).
    pub examples: Vec<String>,
    /// The file's lines concerned.
    pub lines: Vec<usize>,
}

/// How many differing values a group names.
const EXAMPLES: usize = 5;

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
    /// Lines right under the header row read as notes to whoever fills the sheet in, not imported.
    pub notes_rows: Vec<usize>,
    pub rows: Vec<PreviewRow<R>>,
    /// Vendors the file names that the facility has not registered (imported with the rows).
    pub new_vendors: Vec<Vendor>,
    pub mapping: Mapping,
}

impl<R> Preview<R> {
    /// Rows that lose something as imported ([`Problem::is_problem`]).
    pub fn with_problems(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.problems.iter().any(Problem::is_problem))
            .count()
    }

    /// The problems, then the notices, each grouped with its count and lines, in the order first met.
    pub fn groups(&self) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        for r in &self.rows {
            for p in &r.problems {
                let (ja, en, example) = p.group();
                let at = match groups.iter().position(|g| g.ja == ja) {
                    Some(at) => at,
                    None => {
                        groups.push(Group {
                            problem: p.is_problem(),
                            ja,
                            en,
                            examples: Vec::new(),
                            lines: Vec::new(),
                        });
                        groups.len() - 1
                    }
                };
                let g = &mut groups[at];
                if g.lines.last() != Some(&r.line) {
                    g.lines.push(r.line);
                }
                if let Some(e) = example
                    && g.examples.len() < EXAMPLES
                    && !g.examples.iter().any(|x| x == e)
                {
                    g.examples.push(e.to_string());
                }
            }
        }
        crate::order::sort_by_key(&mut groups, |g| !g.problem);
        groups
    }
}

/// What a ledger needs from import beyond its columns.
pub trait Importable: crate::schema::ledger::Row + Default {
    /// The identifying number (管理番号, No.) duplicates are checked on.
    fn number(&self) -> &str;
    fn status(&self) -> &str;
    /// States that need no warning.
    const STATUSES: &'static [&'static str];
    fn set_id(&mut self, id: String);
    /// Where unreadable text is kept so nothing is lost.
    fn keep_note(&mut self, note: &str);
    fn set_vendor(&mut self, _vendor: VendorId) {}
}

/// How far down a sheet the header row is looked for: hand-made workbooks put a title, a date, blank rows
/// or notes above it.
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The row of the first [`HEADER_SEARCH_ROWS`] that names the most of this ledger's columns (the first such
/// row on a tie), with how many it names; `None` when no row names any.
pub fn find_header<R>(columns: &[Column<R>], table: &[Vec<String>]) -> Option<(usize, usize)> {
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
    best
}

/// The header row alone ([`find_header`]).
pub fn find_header_row<R>(columns: &[Column<R>], table: &[Vec<String>]) -> Option<usize> {
    find_header(columns, table).map(|(i, _)| i)
}

/// Of a workbook's sheets, the one holding the ledger (whose header row names the most columns; the first
/// on a tie, the first sheet when none names any) and its header row.
pub fn find_sheet<R>(columns: &[Column<R>], sheets: &[&[Vec<String>]]) -> (usize, usize) {
    let mut best = (0, 0, 0);
    for (s, table) in sheets.iter().enumerate() {
        if let Some((row, n)) = find_header(columns, table)
            && n > best.2
        {
            best = (s, row, n);
        }
    }
    (best.0, best.1)
}

/// A row of notes to whoever fills the sheet in: its first filled cell starts with a note mark (※, *) or
/// says 記入例 / 入力例 / …してください.
fn is_notes_row(cells: &[String]) -> bool {
    let Some(first) = cells.iter().map(|c| c.trim()).find(|c| !c.is_empty()) else {
        return false;
    };
    let first = fold_width(first);
    first.starts_with(['※', '*', '＊', '注'])
        || ["記入例", "入力例", "記載例", "してください"]
            .iter()
            .any(|w| first.contains(w))
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
    if !mapping
        .targets
        .iter()
        .any(|t| matches!(t, Target::Column(_)))
    {
        return Err(ImportError::NoKnownColumns);
    }
    // The file column naming each row's vendor (the 機器台帳's 保守事業者).
    let vendor_at = columns
        .iter()
        .position(|c| c.key == "vendor")
        .and_then(|c| mapping.source_of(c));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for n in existing {
        *seen.entry(normalise(n)).or_default() += 1;
    }
    let mut new_vendors: Vec<Vendor> = Vec::new();
    let mut rows = Vec::new();
    let mut notes_rows = Vec::new();
    let mut below_header = true;
    for (i, cells) in table.iter().enumerate().skip(header + 1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // Notes right under the headers (「※ 記入例」, 「入力してください」) are not a device.
        if below_header && is_notes_row(cells) {
            notes_rows.push(i + 1);
            continue;
        }
        below_header = false;
        let mut row = R::default();
        row.set_id(crate::schema::ledger::new_row_id());
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        for ((target, name), cell) in mapping.targets.iter().zip(&mapping.names).zip(cells) {
            // An exported ledger's neutralised cells read back as they were.
            let cell = crate::export::restore(cell);
            let c = match target {
                Target::Skip => continue,
                Target::Extra => {
                    if !cell.trim().is_empty() {
                        row.extra_mut()
                            .insert(name.clone(), cell.trim().to_string());
                    }
                    continue;
                }
                Target::Column(c) => &columns[*c],
            };
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
        if let Some(name) = vendor_at
            .and_then(|at| cells.get(at))
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
        notes_rows,
        rows,
        new_vendors,
        mapping,
    })
}

/// The extra columns the rows carry ([`Target::Extra`]), in natural order of their headers.
pub fn extra_headers<R: crate::schema::ledger::Row>(rows: &[R]) -> Vec<String> {
    let mut all: Vec<String> = rows
        .iter()
        .flat_map(|r| r.extra().keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    crate::order::sort_by(&mut all, |a, b| super::columns::natural_cmp(a, b));
    all
}

/// The ledger as a typed table with the manual's headers, then the extra columns (what import reads back),
/// in the order given: dates as dates, plain numbers as numbers ([`Cell::from_text`]), for CSV or a workbook.
pub fn export_table<R: crate::schema::ledger::Row>(
    columns: &[Column<R>],
    rows: &[R],
    context: &Context,
) -> Vec<Vec<Cell>> {
    let extras = extra_headers(rows);
    let mut table = Vec::with_capacity(rows.len() + 1);
    table.push(
        columns
            .iter()
            .map(|c| c.header.to_string())
            .chain(extras.iter().cloned())
            .map(Cell::Text)
            .collect(),
    );
    for r in rows {
        // Never a formula when the file is opened (CSV injection): see `crate::export`.
        let cells = columns.iter().map(|c| {
            let text = (c.get)(r, context);
            match c.kind {
                Kind::Date => match parse_date(&text) {
                    Ok(Some(d)) => Cell::Date(d),
                    _ => Cell::Text(crate::export::neutralise(&text).into_owned()),
                },
                Kind::Text => Cell::from_text(&text),
            }
        });
        let extra = extras
            .iter()
            .map(|h| Cell::from_text(r.extra().get(h).map_or("", String::as_str)));
        table.push(cells.chain(extra).collect());
    }
    table
}

/// A table as CSV: UTF-8 with a BOM (Japanese Excel opens it as such), or Shift_JIS on request, where a
/// character Shift_JIS lacks is named in the error rather than replaced.
pub fn csv_bytes(table: &[Vec<Cell>], shift_jis: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for row in table {
            w.write_record(row.iter().map(Cell::text))
                .map_err(|e| e.to_string())?;
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
pub fn export_csv<R: crate::schema::ledger::Row>(
    columns: &[Column<R>],
    rows: &[R],
    context: &Context,
    shift_jis: bool,
) -> Result<Vec<u8>, String> {
    csv_bytes(&export_table(columns, rows, context), shift_jis)
}
