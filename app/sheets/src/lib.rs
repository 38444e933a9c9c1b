//! Excel workbooks (.xlsx) as the ledgers see them: a table of strings in, a table of strings out.
//!
//! Reading and writing spreadsheets takes more code than the rest of the app's features together
//! (calamine, rust_xlsxwriter and a zip implementation), so it lives in its own wasm module that the app
//! starts as a web worker only when someone imports or exports a spreadsheet ([`bin/worker.rs`]); the
//! functions here are plain Rust and tested natively. Header recognition, checks and the preview are the
//! same as for CSV (`mamori_shared::ledger`).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use thiserror::Error;

/// More rows than any ledger import takes (the import refuses it with a clear message, before the sheet
/// is copied row by row).
pub const MAX_ROWS: usize = 20_001;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("Excel ファイル（.xlsx）として読めません: {0} (not an .xlsx workbook)")]
    NotAWorkbook(String),
    #[error("ブックにシートがありません (the workbook has no sheet)")]
    NoSheet,
    #[error("行が多すぎます: {rows}行（上限 {max}行）(too many rows)")]
    TooManyRows { rows: usize, max: usize },
    #[error("Excel ファイルを書き出せません: {0} (could not write the workbook)")]
    Write(String),
}

/// The first sheet's cells as text, the way a person reads them: dates as 2024/04/01, whole numbers
/// without a decimal point.
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    // A sheet declares its size up front (<dimension ref="A1:L100001"/>): refuse an oversized one before
    // the workbook's shared strings (all of them, for every sheet) are read into memory.
    if let Some(rows) = declared_rows(bytes)
        && rows > MAX_ROWS
    {
        return Err(SheetError::TooManyRows {
            rows: rows - 1,
            max: MAX_ROWS - 1,
        });
    }
    let bad = |e: calamine::XlsxError| SheetError::NotAWorkbook(e.to_string());
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::NoSheet)?;
    // Cell by cell, so a sheet of a hundred thousand rows is refused as soon as it passes the limit
    // instead of being held whole in a tablet's memory first.
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(bad)?;
    let mut table: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(bad)? {
        let (row, col) = cell.get_position();
        let (row, col) = (row as usize, col as usize);
        if row >= MAX_ROWS {
            return Err(SheetError::TooManyRows {
                rows: row,
                max: MAX_ROWS - 1,
            });
        }
        if table.len() <= row {
            table.resize_with(row + 1, Vec::new);
        }
        let line = &mut table[row];
        if line.len() <= col {
            line.resize(col + 1, String::new());
        }
        line[col] = text(&Data::from(cell.get_value().clone()));
    }
    Ok(table)
}

/// The last row the first worksheet part declares in its `<dimension>`, if it says.
fn declared_rows(bytes: &[u8]) -> Option<usize> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("xl/worksheets/sheet") && n.ends_with(".xml"))
        .map(|n| n.into_owned())
        .collect();
    names.sort_by_key(|n| (n.len(), n.clone()));
    let mut head = vec![0u8; 4096];
    let mut part = zip.by_name(names.first()?).ok()?;
    let mut filled = 0;
    while filled < head.len() {
        match part.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    let head = String::from_utf8_lossy(&head[..filled]);
    let at = head.find("<dimension ref=\"")? + "<dimension ref=\"".len();
    let reference = head[at..].split('"').next()?;
    let last = reference.rsplit(':').next()?;
    last.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .ok()
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

/// A ledger file's table, whatever it is: an .xlsx workbook (by its zip signature or name), else CSV text in
/// UTF-8 or Shift_JIS. Errors are the person's to read.
pub fn read_any(name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    if bytes.starts_with(b"PK\x03\x04") || name.to_lowercase().ends_with(".xlsx") {
        return read(bytes).map_err(|e| e.to_string());
    }
    use mamori_shared::ledger::import::{decode, parse_csv};
    let table = decode(bytes)
        .and_then(|text| parse_csv(&text))
        .map_err(|e| e.to_string())?;
    if table.is_empty() {
        return Err(mamori_shared::ledger::import::ImportError::Empty.to_string());
    }
    Ok(table)
}

/// A workbook with one sheet holding `rows` as text (the first row is the header row), so reading it back
/// gives exactly the same table.
pub fn write(sheet: &str, rows: &[Vec<String>]) -> Result<Vec<u8>, SheetError> {
    let err = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            if r == 0 {
                ws.write_string_with_format(r as u32, c as u16, value, &bold)
                    .map_err(err)?;
            } else {
                ws.write_string(r as u32, c as u16, value).map_err(err)?;
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
        let bytes = write("機器台帳", &rows).unwrap();
        let back = read(&bytes).unwrap();
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
            let table = read(bytes).unwrap();
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
            let table = read(bytes).unwrap();
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
        let rows: Vec<Vec<String>> = (0..=MAX_ROWS).map(|i| vec![i.to_string()]).collect();
        let bytes = write("big", &rows).unwrap();
        assert_eq!(declared_rows(&bytes), Some(MAX_ROWS + 1));
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
}
