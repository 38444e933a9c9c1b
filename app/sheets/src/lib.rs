//! Excel workbooks (.xlsx, and .xls for older files) as the ledgers see them: sheets of strings in, a typed
//! table out.
//!
//! Reading and writing spreadsheets takes more code than the rest of the app's features together
//! (calamine, rust_xlsxwriter and a zip implementation), so it lives in its own wasm module that the app
//! starts as a web worker only when someone imports or exports a spreadsheet ([`bin/worker.rs`]); the
//! functions here are plain Rust and tested natively. Header recognition, checks and the preview are the
//! same as for CSV (`mamori_shared::ledger`).

use std::io::Cursor;

use calamine::{Data, Reader, Xls, Xlsx};
use mamori_shared::export::Cell;
pub use mamori_shared::ledger::import::Sheet;
use thiserror::Error;

/// More rows than any ledger import takes (the import refuses it with a clear message, before the sheet
/// is copied row by row).
pub const MAX_ROWS: usize = 20_001;
/// The most rows all of a workbook's sheets may hold together: a workbook keeps the ledger beside a few
/// other sheets (a history, a list of rooms), never dozens of full ones.
pub const MAX_WORKBOOK_ROWS: usize = 3 * MAX_ROWS;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("Excel ファイル（.xlsx）として読めません: {0} (not an .xlsx workbook)")]
    NotAWorkbook(String),
    #[error("古い形式の Excel ファイル（.xls）として読めません: {0} (not an .xls workbook)")]
    NotAnXls(String),
    #[error("ブックにシートがありません (the workbook has no sheet)")]
    NoSheet,
    #[error("行が多すぎます: {rows}行（上限 {max}行）(too many rows)")]
    TooManyRows { rows: usize, max: usize },
    #[error(
        "シート「{sheet}」の行が多すぎます（{rows}行、上限 {max}行）。台帳のシートだけを別のファイルに保存して取り込んでください (a sheet has too many rows)"
    )]
    SheetTooLarge {
        sheet: String,
        rows: usize,
        max: usize,
    },
    #[error(
        "ブック全体の行が多すぎます（上限 {max}行）。台帳のシートだけを別のファイルに保存して取り込んでください (the workbook has too many rows)"
    )]
    WorkbookTooLarge { max: usize },
    #[error("Excel ファイルを書き出せません: {0} (could not write the workbook)")]
    Write(String),
}

/// Every sheet of an .xlsx workbook, in the workbook's order.
pub fn read(bytes: &[u8]) -> Result<Vec<Sheet>, SheetError> {
    // Each sheet declares its size up front (<dimension ref="A1:L100001"/>): refuse an oversized one before
    // the workbook's shared strings (all of them, for every sheet) are read into memory.
    let declared = declared_rows(bytes);
    if let Some(rows) = declared.iter().copied().max()
        && rows > MAX_ROWS
    {
        return Err(SheetError::TooManyRows {
            rows: rows - 1,
            max: MAX_ROWS - 1,
        });
    }
    if declared.iter().sum::<usize>() > MAX_WORKBOOK_ROWS {
        return Err(SheetError::WorkbookTooLarge {
            max: MAX_WORKBOOK_ROWS,
        });
    }
    let bad = |e: calamine::XlsxError| SheetError::NotAWorkbook(e.to_string());
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(SheetError::NoSheet);
    }
    let mut sheets = Vec::with_capacity(names.len());
    let mut total = 0;
    for name in names {
        // Cell by cell, so a sheet of a hundred thousand rows is refused as soon as it passes the limit
        // instead of being held whole in a tablet's memory first.
        let mut cells = book.worksheet_cells_reader(&name).map_err(bad)?;
        let mut table: Vec<Vec<String>> = Vec::new();
        while let Some(cell) = cells.next_cell().map_err(bad)? {
            let (row, col) = cell.get_position();
            let (row, col) = (row as usize, col as usize);
            if row >= MAX_ROWS {
                return Err(SheetError::SheetTooLarge {
                    sheet: name,
                    rows: row,
                    max: MAX_ROWS - 1,
                });
            }
            if table.len() <= row {
                if total + row + 1 > MAX_WORKBOOK_ROWS {
                    return Err(SheetError::WorkbookTooLarge {
                        max: MAX_WORKBOOK_ROWS,
                    });
                }
                table.resize_with(row + 1, Vec::new);
            }
            let line = &mut table[row];
            if line.len() <= col {
                line.resize(col + 1, String::new());
            }
            line[col] = text(&Data::from(cell.get_value().clone()));
        }
        drop(cells);
        total += table.len();
        sheets.push(Sheet { name, rows: table });
    }
    Ok(sheets)
}

/// Every sheet of an .xls workbook (the binary format of Excel 97–2003, which clinics still keep). Its
/// format caps a sheet at 65,536 rows, so each is read whole and then measured.
pub fn read_xls(bytes: &[u8]) -> Result<Vec<Sheet>, SheetError> {
    let bad = |e: calamine::XlsError| SheetError::NotAnXls(e.to_string());
    let mut book = Xls::new(Cursor::new(bytes)).map_err(bad)?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(SheetError::NoSheet);
    }
    let mut sheets = Vec::with_capacity(names.len());
    let mut total = 0;
    for name in names {
        let range = book.worksheet_range(&name).map_err(bad)?;
        let (height, width) = match (range.start(), range.end()) {
            (Some(_), Some((rows, cols))) => (rows as usize + 1, cols as usize + 1),
            _ => (0, 0),
        };
        if height > MAX_ROWS {
            return Err(SheetError::SheetTooLarge {
                sheet: name,
                rows: height - 1,
                max: MAX_ROWS - 1,
            });
        }
        total += height;
        if total > MAX_WORKBOOK_ROWS {
            return Err(SheetError::WorkbookTooLarge {
                max: MAX_WORKBOOK_ROWS,
            });
        }
        // Absolute positions, as for .xlsx: a sheet whose data starts at C3 keeps its blank rows and
        // columns, so line numbers and column letters match what the person sees in Excel.
        let mut table = vec![Vec::new(); height];
        for (row, col, cell) in range.used_cells() {
            let (row, col) = (
                row + range.start().map_or(0, |s| s.0 as usize),
                col + range.start().map_or(0, |s| s.1 as usize),
            );
            let line = &mut table[row];
            if line.len() <= col {
                line.resize((col + 1).min(width), String::new());
            }
            line[col] = text(cell);
        }
        sheets.push(Sheet { name, rows: table });
    }
    Ok(sheets)
}

/// The last row each worksheet part declares in its `<dimension>`, for those that say.
fn declared_rows(bytes: &[u8]) -> Vec<usize> {
    use std::io::Read;
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("xl/worksheets/sheet") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    let mut out = Vec::new();
    for name in names {
        let Ok(mut part) = zip.by_name(&name) else {
            continue;
        };
        let mut head = vec![0u8; 4096];
        let mut filled = 0;
        while filled < head.len() {
            match part.read(&mut head[filled..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => filled += n,
            }
        }
        let head = String::from_utf8_lossy(&head[..filled]);
        let rows: Option<usize> = head.find("<dimension ref=\"").and_then(|at| {
            let reference = head[at + "<dimension ref=\"".len()..].split('"').next()?;
            let last = reference.rsplit(':').next()?;
            last.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .ok()
        });
        out.extend(rows);
    }
    out
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => serial_date(dt.as_f64()),
    }
}

/// An Excel serial day (1900 date system) as YYYY/MM/DD, with the time when there is one.
fn serial_date(serial: f64) -> String {
    // Day 0 is 1899-12-30 once Excel's 1900 leap-year bug is accounted for (serials from 61 on).
    // 1970-01-01 is serial 25569.
    let (year, month, day) =
        mamori_shared::calendar::civil_from_days(serial.floor() as i64 - 25_569);
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    if secs == 0 {
        format!("{year:04}/{month:02}/{day:02}")
    } else {
        format!(
            "{year:04}/{month:02}/{day:02} {:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60
        )
    }
}

/// The signature every OLE2 compound file (an .xls workbook) starts with.
const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// A ledger file's sheets, whatever it is: an .xlsx workbook (by its zip signature), an .xls workbook (by
/// its OLE2 signature), else CSV text in UTF-8 or Shift_JIS, as one sheet named after the file. A file
/// named .xls or .xlsx that is neither is refused, never read as text. Errors are the person's to read.
pub fn read_any(name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    let lower = name.to_lowercase();
    if bytes.starts_with(b"PK\x03\x04") {
        return read(bytes).map_err(|e| e.to_string());
    }
    if bytes.starts_with(OLE2) {
        return read_xls(bytes).map_err(|e| e.to_string());
    }
    if lower.ends_with(".xlsx") {
        return Err(SheetError::NotAWorkbook("no zip signature".into()).to_string());
    }
    if lower.ends_with(".xls") {
        return Err(SheetError::NotAnXls("no OLE2 signature".into()).to_string());
    }
    use mamori_shared::ledger::import::{decode, parse_csv};
    let table = decode(bytes)
        .and_then(|text| parse_csv(&text))
        .map_err(|e| e.to_string())?;
    if table.is_empty() {
        return Err(mamori_shared::ledger::import::ImportError::Empty.to_string());
    }
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    Ok(vec![Sheet {
        name: stem.to_string(),
        rows: table,
    }])
}

/// A workbook with one sheet holding `rows` (the first row is the header row, bold and frozen), numbers as
/// numbers and dates as Excel dates, so reading it back gives the same table.
pub fn write(sheet: &str, rows: &[Vec<Cell>]) -> Result<Vec<u8>, SheetError> {
    let err = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/mm/dd");
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) if r == 0 => {
                    ws.write_string_with_format(r, c, t, &bold).map_err(err)?;
                }
                Cell::Text(t) => {
                    ws.write_string(r, c, t).map_err(err)?;
                }
                Cell::Number(n) => {
                    ws.write_number(r, c, *n).map_err(err)?;
                }
                Cell::Date(d) => {
                    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year() as u16,
                        d.month(),
                        d.day(),
                    )
                    .map_err(err)?;
                    ws.write_datetime_with_format(r, c, &d, &date)
                        .map_err(err)?;
                }
            }
        }
    }
    if !rows.is_empty() {
        ws.set_freeze_panes(1, 0).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_table_reads_back_the_same() {
        let rows = vec![
            vec!["管理番号".to_string(), "登録日".into(), "説明".into()],
            vec!["001".into(), "2020/12/01".into(), String::new()],
            vec![
                "002".into(),
                "2021/08/01".into(),
                "メンテナンス, \"予備\"".into(),
            ],
        ];
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| r.iter().map(|c| Cell::Text(c.clone())).collect())
            .collect();
        let bytes = write("機器台帳", &cells).unwrap();
        let back = read(&bytes).unwrap().remove(0).rows;
        // Trailing empty cells are not stored; pad as the importer does.
        let pad = |t: Vec<Vec<String>>| -> Vec<Vec<String>> {
            t.into_iter()
                .map(|mut r| {
                    r.resize(3, String::new());
                    r
                })
                .collect()
        };
        assert_eq!(pad(back), rows);
    }

    /// The manual's two example ledgers, real values in place of its ○ placeholders, as workbooks with real
    /// Excel dates: imported, exported, imported again, the rows are identical.
    #[test]
    fn the_manuals_example_ledgers_round_trip_through_xlsx() {
        use mamori_shared::ledger::columns::{Context, account_columns, device_columns};
        use mamori_shared::ledger::import::{export_table, map_headers, preview};

        fn workbook(rows: &[&[&str]], date_col: Option<usize>) -> Vec<u8> {
            let mut book = rust_xlsxwriter::Workbook::new();
            let ws = book.add_worksheet();
            let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    if r > 0 && Some(c) == date_col {
                        let p: Vec<u16> = v.split('/').map(|x| x.parse().unwrap()).collect();
                        let d =
                            rust_xlsxwriter::ExcelDateTime::from_ymd(p[0], p[1] as u8, p[2] as u8)
                                .unwrap();
                        ws.write_datetime_with_format(r as u32, c as u16, &d, &fmt)
                            .unwrap();
                    } else {
                        ws.write_string(r as u32, c as u16, *v).unwrap();
                    }
                }
            }
            book.save_to_buffer().unwrap()
        }
        let devices: &[&[&str]] = &[
            &[
                "管理番号",
                "メーカー",
                "OS",
                "ソフトウェア",
                "ソフトウェアバージョン",
                "IPアドレス",
                "コンピュータ名",
                "設置場所",
                "利用者",
                "登録日",
                "状態",
                "説明",
            ],
            &[
                "001",
                "A社",
                "Win11",
                "さくら電子カルテ",
                "2.0",
                "192.168.10.11",
                "Room1のPC1",
                "Room1",
                "a医師（内科）",
                "2020/12/1",
                "稼働",
                "",
            ],
            &[
                "002",
                "A社",
                "Win11",
                "さくら電子カルテ",
                "1.2",
                "192.168.10.12",
                "Room1のPC2",
                "Room1",
                "b医師（内科）",
                "2020/12/1",
                "停止",
                "メンテナンス",
            ],
            &[
                "003",
                "A社",
                "Win8",
                "さくら電子カルテ",
                "2.0",
                "192.168.10.21",
                "Room2のPC1",
                "Room2",
                "c医師（外科）",
                "2014/10/1",
                "稼働",
                "",
            ],
            &[
                "004",
                "B社",
                "Win11",
                "みどり管理システム",
                "5.0.1",
                "192.168.10.31",
                "Room3のPC1",
                "Room3",
                "a医師（内科）、b医師（内科）、c医師（外科）",
                "2021/8/1",
                "稼働",
                "",
            ],
        ];
        let accounts: &[&[&str]] = &[
            &[
                "No.",
                "所属部署",
                "性",
                "名",
                "電話番号",
                "ユーザID",
                "説明",
                "権限",
                "状態",
            ],
            &[
                "001",
                "システム管理",
                "山田",
                "太郎",
                "03-1111-0001",
                "yamada@clinic",
                "安全管理責任者",
                "Admin",
                "使用可",
            ],
            &[
                "002",
                "A科",
                "佐藤",
                "花子",
                "03-1111-0002",
                "sato@clinic",
                "使用者",
                "User",
                "使用可",
            ],
            &[
                "003",
                "A科",
                "鈴木",
                "一郎",
                "03-1111-0003",
                "suzuki@clinic",
                "使用者/退職予定",
                "User",
                "使用可 (23年3月まで)",
            ],
            &[
                "004",
                "B科",
                "高橋",
                "次郎",
                "03-1111-0004",
                "takahashi@clinic",
                "使用者",
                "User",
                "使用可",
            ],
        ];
        let cx = Context::default();

        let cols = device_columns();
        let import = |bytes: &[u8]| {
            let table = read(bytes).unwrap().remove(0).rows;
            let m = map_headers(&cols, &table[0]);
            let p = preview(&cols, &table, 0, m, &cx, &[]).unwrap();
            assert!(p.rows.iter().all(|r| r.problems.is_empty()), "{:?}", p.rows);
            p.rows
                .into_iter()
                .map(|r| mamori_shared::schema::ledger::Device {
                    id: String::new(),
                    ..r.row
                })
                .collect::<Vec<_>>()
        };
        let first = import(&workbook(devices, Some(9)));
        assert_eq!(first.len(), 4);
        assert_eq!(first[2].registered_on.unwrap().iso(), "2014-10-01");
        let again = import(&write("機器台帳", &export_table(&cols, &first, &cx)).unwrap());
        assert_eq!(again, first);

        let cols = account_columns(false);
        let import = |bytes: &[u8]| {
            let table = read(bytes).unwrap().remove(0).rows;
            let m = map_headers(&cols, &table[0]);
            preview(&cols, &table, 0, m, &cx, &[])
                .unwrap()
                .rows
                .into_iter()
                .map(|r| mamori_shared::schema::ledger::Account {
                    id: String::new(),
                    ..r.row
                })
                .collect::<Vec<_>>()
        };
        let first = import(&workbook(accounts, None));
        assert_eq!(first[2].status, "使用可 (23年3月まで)");
        let again = import(&write("利用者ID台帳", &export_table(&cols, &first, &cx)).unwrap());
        assert_eq!(again, first);
    }

    #[test]
    fn a_sheet_over_the_row_limit_is_refused() {
        let rows: Vec<Vec<Cell>> = (0..=MAX_ROWS)
            .map(|i| vec![Cell::Number(i as f64)])
            .collect();
        let bytes = write("big", &rows).unwrap();
        assert_eq!(declared_rows(&bytes), [MAX_ROWS + 1]);
        assert!(matches!(read(&bytes), Err(SheetError::TooManyRows { .. })));
    }

    #[test]
    fn dates_numbers_and_bad_files() {
        assert_eq!(serial_date(44166.0), "2020/12/01");
        assert_eq!(serial_date(45383.5), "2024/04/01 12:00");
        assert_eq!(text(&Data::Float(42.0)), "42");
        assert_eq!(text(&Data::Float(2.5)), "2.5");
        assert!(matches!(
            read(b"not a zip at all"),
            Err(SheetError::NotAWorkbook(_))
        ));
    }

    /// A workbook as clinics make them: a notes sheet first, then the ledger under a merged title cell, a
    /// date line and a blank row, headers in full-width characters and Japanese synonyms, a notes row under
    /// them, numbers and real Excel dates, and columns the ledger does not have. Previewed and imported
    /// right; exported with its numbers, dates and order kept; imported again, the same rows.
    #[test]
    fn a_hand_made_workbook_is_read_and_round_trips_with_types() {
        use mamori_shared::ledger::columns::{Context, device_columns, natural_cmp};
        use mamori_shared::ledger::import::{
            Target, export_table, find_sheet, map_headers, preview,
        };
        use mamori_shared::schema::ledger::Device;
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

        let mut book = Workbook::new();
        let notes = book.add_worksheet();
        notes.set_name("更新履歴").unwrap();
        notes.write_string(0, 0, "2026/11/01 作成").unwrap();
        let ws = book.add_worksheet();
        ws.set_name("機器台帳").unwrap();
        ws.merge_range(
            0,
            0,
            0,
            6,
            "みどり薬局グループ 機器台帳（令和8年11月更新）",
            &Format::new(),
        )
        .unwrap();
        ws.write_string(1, 0, "作成: 薬局長").unwrap();
        let headers = [
            "Ｎｏ．",
            "機器名",
            "種別",
            "型番",
            "設置場所",
            "ＯＳ",
            "管理者",
            "購入日",
            "保守業者",
            "資産区分",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(3, c as u16, *h).unwrap();
        }
        ws.write_string(4, 0, "※ 1台につき1行").unwrap();
        let date = Format::new().set_num_format("yyyy/m/d");
        type Row<'a> = (f64, &'a str, &'a str, (u16, u8, u8));
        let rows: [Row; 3] = [
            (10.0, "調剤PC10", "Win11", (2024, 4, 1)),
            (2.0, "受付PC2", "Windows 8", (2014, 10, 1)),
            (1.0, "レセコン1", "Win10", (2020, 6, 23)),
        ];
        for (i, (n, name, os, (y, m, d))) in rows.iter().enumerate() {
            let r = 5 + i as u32;
            ws.write_number(r, 0, *n).unwrap();
            ws.write_string(r, 1, *name).unwrap();
            ws.write_string(r, 2, "端末PC").unwrap();
            ws.write_string(r, 3, "OptiPlex 3000").unwrap();
            ws.write_string(r, 4, "調剤室").unwrap();
            ws.write_string(r, 5, *os).unwrap();
            ws.write_string(r, 6, "薬局長").unwrap();
            let when = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
            ws.write_datetime_with_format(r, 7, &when, &date).unwrap();
            ws.write_string(r, 8, "さくら保守").unwrap();
            ws.write_string(r, 9, "リース").unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();

        let cols = device_columns();
        let cx = Context::default();
        let import = |bytes: &[u8]| {
            let sheets = read_any("台帳.xlsx", bytes).unwrap();
            let tables: Vec<&[Vec<String>]> = sheets.iter().map(|s| s.rows.as_slice()).collect();
            let (sheet, header) = find_sheet(&cols, &tables);
            let table = &sheets[sheet].rows;
            let m = map_headers(&cols, &table[header]);
            (
                sheet,
                header,
                m.clone(),
                preview(&cols, table, header, m, &cx, &[]).unwrap(),
            )
        };
        let (sheet, header, m, p) = import(&bytes);
        assert_eq!((sheet, header), (1, 3), "the second sheet, the fourth row");
        assert_eq!(p.notes_rows, [5]);
        let key = |t: Target| match t {
            Target::Column(i) => Some(cols[i].key),
            _ => None,
        };
        assert_eq!(key(m.targets[0]), Some("number"), "Ｎｏ． folds to No.");
        assert_eq!(key(m.targets[1]), Some("computer_name"));
        assert_eq!(key(m.targets[3]), Some("model"));
        assert_eq!(key(m.targets[5]), Some("os"), "ＯＳ");
        assert_eq!(m.targets[6], Target::Extra, "管理者 is not 利用者…");
        assert_eq!(
            m.guesses[6].map(|i| cols[i].key),
            Some("user"),
            "…but offered"
        );
        assert_eq!(m.extras(), ["管理者", "資産区分"]);
        let first: Vec<Device> = p.rows.iter().map(|r| r.row.clone()).collect();
        assert_eq!(first.len(), 3);
        assert_eq!(first[0].number, "10");
        assert_eq!(first[1].computer_name, "受付PC2");
        assert_eq!(first[1].registered_on.unwrap().iso(), "2014-10-01");
        assert_eq!(first[2].model, "OptiPlex 3000");
        assert_eq!(first[2].extra["資産区分"], "リース");
        assert_eq!(first[2].extra["管理者"], "薬局長");
        assert_eq!(p.new_vendors.len(), 1);

        // Exported in the ledger's order (管理番号 1, 2, 10), numbers and dates typed.
        let mut ordered = first.clone();
        ordered.sort_by(|a, b| natural_cmp(&a.number, &b.number));
        let out = write("機器台帳", &export_table(&cols, &ordered, &cx)).unwrap();
        let mut xlsx = Xlsx::new(Cursor::new(out.as_slice())).unwrap();
        let range = xlsx.worksheet_range("機器台帳").unwrap();
        let registered = cols.iter().position(|c| c.key == "registered_on").unwrap();
        assert_eq!(
            range.get((1, 0)),
            Some(&Data::Float(1.0)),
            "a number stays a number"
        );
        assert_eq!(
            range.get((3, 0)),
            Some(&Data::Float(10.0)),
            "in the ledger's order"
        );
        assert!(
            matches!(range.get((1, registered)), Some(Data::DateTime(_))),
            "a date stays a date: {:?}",
            range.get((1, registered))
        );
        let strip = |rows: Vec<Device>| -> Vec<Device> {
            rows.into_iter()
                .map(|r| Device {
                    id: String::new(),
                    vendor_id: None,
                    ..r
                })
                .collect()
        };
        let (_, header, _, again) = import(&out);
        assert_eq!(header, 0);
        let again: Vec<Device> = again.rows.into_iter().map(|r| r.row).collect();
        assert_eq!(
            strip(again),
            strip(ordered),
            "the same rows, extras included"
        );
    }

    /// An .xls workbook (Excel 97–2003, made by `tests/fixtures/make-xls.py`) is read as a workbook: its
    /// sheets, a real date, a whole number, 和暦 dates as text that the ledger then reads.
    #[test]
    fn an_xls_workbook_is_read_as_a_workbook() {
        use mamori_shared::ledger::columns::{Context, device_columns};
        use mamori_shared::ledger::import::{find_sheet, map_headers, preview};
        let bytes = include_bytes!("../../../tests/fixtures/devices.xls");
        let sheets = read_any("devices.xls", bytes).unwrap();
        let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["メモ", "機器台帳"]);
        let table = &sheets[1].rows;
        assert_eq!(table[3][0], "1", "a whole number without a decimal point");
        assert_eq!(table[3][4], "2015/04/01", "a real date");
        let cols = device_columns();
        let tables: Vec<&[Vec<String>]> = sheets.iter().map(|s| s.rows.as_slice()).collect();
        assert_eq!(find_sheet(&cols, &tables), (1, 2));
        let m = map_headers(&cols, &table[2]);
        let p = preview(&cols, table, 2, m, &Context::default(), &[]).unwrap();
        let dates: Vec<String> = p
            .rows
            .iter()
            .map(|r| r.row.registered_on.unwrap().iso())
            .collect();
        assert_eq!(dates, ["2015-04-01", "2020-06-23", "2018-04-01"]);
        assert_eq!(p.rows[2].row.model, "PowerEdge T30");
    }

    #[test]
    fn a_file_named_as_a_workbook_that_is_not_one_is_refused_not_read_as_text() {
        let e = read_any("台帳.xls", "管理番号,機器名\n1,PC".as_bytes()).unwrap_err();
        assert!(e.contains(".xls"), "{e}");
        let e = read_any("台帳.xlsx", b"plain text").unwrap_err();
        assert!(e.contains(".xlsx"), "{e}");
        let csv = read_any("台帳.csv", "管理番号,機器名\n1,PC".as_bytes()).unwrap();
        assert_eq!(csv[0].name, "台帳");
    }
}
