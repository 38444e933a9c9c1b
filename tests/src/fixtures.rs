//! Documents and files the tests and benchmarks share: a new 医療機関確認用 checklist, answers by a named
//! person, a large hospital's 機器台帳 as an .xlsx workbook.

use automerge::AutoCommit;
use mamori_shared::answer::{Answer, Choice, Entry};
use mamori_shared::calendar::{Date, FiscalYear};
use mamori_shared::edition::FormKind;
use mamori_shared::model::{FacilityId, ItemId};
use mamori_shared::schema::checklist::{self, ChecklistMeta};

/// A new, empty 令和7年度 checklist for a hospital.
pub fn new_checklist() -> AutoCommit {
    new_checklist_at(FacilityId::generate(), FormKind::Medical)
}

/// A new, empty 令和7年度 checklist of `form` for `facility` (FY2026).
pub fn new_checklist_at(facility: FacilityId, form: FormKind) -> AutoCommit {
    checklist::create(&ChecklistMeta {
        facility_id: facility,
        form,
        edition: "r7".into(),
        fiscal_year: FiscalYear(2026),
        vendor_id: None,
        vendor_name: String::new(),
        created_at_ms: 0,
        copied_from: None,
        moved_from_edition: None,
    })
    .expect("a new checklist")
}

/// Answers `item` as `who`, checked on 2026-11-20.
pub fn answer(doc: &mut AutoCommit, item: &str, choice: Choice, who: &str) {
    let a = Answer::new(
        choice,
        Date::new(2026, 11, 20).expect("a date"),
        Entry {
            by: who.into(),
            ..Entry::default()
        },
    );
    checklist::put_answer(doc, &ItemId::from(item), &a).expect("an answer");
}

/// A 機器台帳 workbook of `rows` devices in the manual's twelve columns, 登録日 as real Excel dates (what
/// people's files hold); PC-0003 runs Windows 8, as in the manual's example.
pub fn device_workbook(rows: usize) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    const HEADERS: [&str; 12] = [
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
    ];
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy/m/d");
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("a cell");
    }
    let day = ExcelDateTime::from_ymd(2024, 4, 1).expect("a day");
    for i in 1..=rows {
        let r = i as u32;
        let os = if i == 3 { "Win8" } else { "Win11" };
        let cells = [
            format!("PC-{i:04}"),
            "A社".into(),
            os.into(),
            "さくら電子カルテ".into(),
            "2.0".into(),
            format!("192.168.{}.{}", i / 250, i % 250),
            format!("病棟{}のPC{i}", i % 12),
            format!("病棟{}", i % 12),
            format!("職員{i}"),
        ];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string(r, c as u16, v).expect("a cell");
        }
        ws.write_datetime_with_format(r, 9, &day, &date)
            .expect("a date");
        ws.write_string(r, 10, "稼働").expect("a cell");
    }
    book.save_to_buffer().expect("a workbook")
}
