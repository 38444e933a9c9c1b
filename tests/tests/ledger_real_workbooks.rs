//! The 機器台帳 from the workbooks clinics really keep, in a real browser: the ledger on the second sheet is
//! found without help; a header that only resembles a column (管理者) is offered as a guess, never taken
//! silently, and kept as an extra column meanwhile; the preview shows the first rows as they will be imported
//! and groups notices (one line for 140 rows naming an unregistered vendor); extra columns are kept, shown,
//! edited and exported; the export keeps numbers as numbers and dates as dates in 管理番号 order; an .xls
//! workbook imports; and an import stopped half-way leaves the ledger as it was.

use mamori_tests::fixtures::device_workbook;
use mamori_tests::{Browser, TestServer};
use serde_json::json;

/// A notes sheet first, then the ledger under a title row: 140 devices, each with a 管理者 (not 利用者), a
/// 資産区分 the ledger has no column for, a 型番, a real Excel date and one vendor not yet registered.
fn workbook_with_notes_sheet() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("更新履歴").unwrap();
    notes
        .write_string(0, 0, "2026/11/01 作成（薬局長）")
        .unwrap();
    let ws = book.add_worksheet();
    ws.set_name("機器台帳").unwrap();
    ws.write_string(0, 0, "みどり薬局 機器台帳").unwrap();
    for (c, h) in [
        "No.",
        "機器名",
        "型番",
        "OS",
        "管理者",
        "購入日",
        "保守業者",
        "資産区分",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy/m/d");
    for i in 1..=140u32 {
        let r = 1 + i;
        ws.write_number(r, 0, f64::from(i)).unwrap();
        ws.write_string(r, 1, format!("調剤PC{i}")).unwrap();
        ws.write_string(r, 2, "OptiPlex 3000").unwrap();
        ws.write_string(r, 3, "Windows 11").unwrap();
        ws.write_string(r, 4, "薬局長").unwrap();
        let d = ExcelDateTime::from_ymd(2024, 4, 1).unwrap();
        ws.write_datetime_with_format(r, 5, &d, &date).unwrap();
        ws.write_string(r, 6, "さくら保守").unwrap();
        ws.write_string(r, 7, if i % 2 == 0 { "リース" } else { "購入" })
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

async fn upload(b: &Browser, path: &std::path::Path) {
    b.wait(".import-file")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .expect("the file input takes the file");
}

async fn count(b: &Browser) -> String {
    b.wait(".ledger-count").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_workbooks_import_with_guesses_extras_types_and_a_cancel() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "みどり薬局", "pharmacy", "佐藤")
        .await;
    let dir = tempfile::tempdir().unwrap();
    b.goto(&format!("{}/ledgers/devices", server.url)).await;

    // The ledger is on the second sheet, its headers on the second row.
    let file = dir.path().join("機器台帳.xlsx");
    std::fs::write(&file, workbook_with_notes_sheet()).unwrap();
    upload(&b, &file).await;
    let summary = b.wait(".import-summary").await.text().await.unwrap();
    assert!(
        summary.contains("140行") && summary.contains("問題のある行: 0"),
        "{summary}"
    );
    assert_eq!(
        b.eval_string("return document.querySelector('.pick-sheet').value")
            .await,
        "1",
        "the second sheet is chosen"
    );
    assert_eq!(
        b.eval_string("return document.querySelector('.pick-header').value")
            .await,
        "1"
    );
    // 機器名 fills コンピュータ名 by itself; 管理者 is kept as an extra column with 利用者 offered.
    assert_eq!(
        b.eval_string(
            "const s = document.querySelector('[data-column=\"機器名\"] select'); return s.options[s.selectedIndex].text"
        )
        .await,
        "コンピュータ名"
    );
    assert_eq!(
        b.eval_string("return document.querySelector('[data-column=\"管理者\"] select').value")
            .await,
        "extra"
    );
    let guess = b
        .wait("[data-column=\"管理者\"] .take-guess")
        .await
        .text()
        .await
        .unwrap();
    assert!(guess.contains("利用者"), "{guess}");
    // The first rows as they will be imported, and one notice line for 140 rows.
    b.wait_until(
        "five sample rows with the extra column",
        "document.querySelectorAll('.import-sample tbody tr').length === 5 && \
         document.querySelector('.import-sample').textContent.includes('資産区分') && \
         document.querySelector('.import-sample tbody tr').textContent.includes('2024/04/01')",
    )
    .await;
    b.wait_until(
        "one notice for the vendor",
        "document.querySelectorAll('.import-group').length === 1 && \
         document.querySelector('.import-group.notice')?.dataset.count === '140' && \
         document.querySelector('.import-group').textContent.includes('さくら保守')",
    )
    .await;
    // Taking the guess maps 管理者 to 利用者.
    b.click("[data-column=\"管理者\"] .take-guess").await;
    b.wait_until(
        "管理者 now fills 利用者",
        "(() => { const s = document.querySelector('[data-column=\"管理者\"] select'); \
          return s && s.options[s.selectedIndex].text === '利用者'; })()",
    )
    .await;
    b.click(".confirm-import").await;
    b.wait_until(
        "140 devices",
        "document.querySelector('.ledger-count')?.textContent === '140 / 140'",
    )
    .await;
    // The extra column is in the table and in the row's form, and can be edited.
    b.wait_until(
        "資産区分 is a column of the table",
        "[...document.querySelectorAll('.ledger-table th')].some(th => th.textContent.includes('資産区分'))",
    )
    .await;
    b.fill(".ledger-search", "調剤PC140").await;
    b.wait_until(
        "one row",
        "document.querySelectorAll('.ledger-row').length === 1",
    )
    .await;
    b.click(".ledger-row").await;
    b.fill(".row-sheet input[name=\"extra:資産区分\"]", "返却予定")
        .await;
    b.click(".save-row").await;
    b.wait_until(
        "the edit shows",
        "document.querySelector('.ledger-row')?.textContent.includes('返却予定')",
    )
    .await;
    b.fill(".ledger-search", "").await;

    // The export, caught as the page hands it to the browser: 管理番号 as numbers in order, dates as dates.
    b.eval(
        "window.__exported = null; const make = URL.createObjectURL; \
         URL.createObjectURL = (blob) => { window.__exported = blob; return make.call(URL, blob); };",
    )
    .await;
    b.click(".export-xlsx").await;
    let bytes = b
        .eval_async(
            "(async () => { while (!window.__exported) await new Promise(r => setTimeout(r, 50)); \
              const buf = new Uint8Array(await window.__exported.arrayBuffer()); \
              done(Array.from(buf)); })()",
        )
        .await;
    let bytes: Vec<u8> = serde_json::from_value(bytes).unwrap();
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("機器台帳").unwrap();
        let header: Vec<String> = (0..range.width())
            .map(|c| range.get((0, c)).map(|d| d.to_string()).unwrap_or_default())
            .collect();
        let col = |h: &str| {
            header
                .iter()
                .position(|x| x == h)
                .unwrap_or_else(|| panic!("{h} in {header:?}"))
        };
        let numbers: Vec<Option<&Data>> =
            (1..=3).map(|r| range.get((r, col("管理番号")))).collect();
        assert_eq!(
            numbers,
            [
                Some(&Data::Float(1.0)),
                Some(&Data::Float(2.0)),
                Some(&Data::Float(3.0))
            ],
            "numbers, in 管理番号 order"
        );
        assert!(
            matches!(range.get((1, col("登録日"))), Some(Data::DateTime(_))),
            "a date: {:?}",
            range.get((1, col("登録日")))
        );
        assert_eq!(
            range.get((140, col("資産区分"))),
            Some(&Data::String("返却予定".into()))
        );
        assert_eq!(
            range.get((1, col("型番"))),
            Some(&Data::String("OptiPlex 3000".into()))
        );
    }

    // An .xls workbook (Excel 97–2003) imports as a workbook.
    let xls = dir.path().join("devices.xls");
    std::fs::write(&xls, include_bytes!("../fixtures/devices.xls")).unwrap();
    upload(&b, &xls).await;
    let summary = b.wait(".import-summary").await.text().await.unwrap();
    assert!(summary.contains("3行"), "{summary}");
    b.click(".confirm-import").await;
    b.wait_until(
        "143 devices",
        "document.querySelector('.ledger-count')?.textContent === '143 / 143'",
    )
    .await;

    // A large import stopped half-way: nothing of it stays.
    let big = dir.path().join("large.xlsx");
    std::fs::write(&big, device_workbook(4000)).unwrap();
    upload(&b, &big).await;
    b.wait(".import-summary").await;
    b.cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 4 }))
        .await;
    b.click(".confirm-import").await;
    b.wait_until(
        "the import is under way",
        "Number(document.querySelector('.import-progress')?.value) > 0",
    )
    .await;
    b.click(".cancel-import").await;
    b.wait_until(
        "the import stopped",
        "document.querySelector('.import-note')?.textContent.includes('中止')",
    )
    .await;
    b.cdp("Emulation.setCPUThrottlingRate", json!({ "rate": 1 }))
        .await;
    assert_eq!(count(&b).await, "143 / 143", "the ledger is as it was");
    // And after a reload, from the device's storage.
    b.goto(&format!("{}/ledgers/devices", server.url)).await;
    b.wait_until(
        "still 143 after a reload",
        "document.querySelector('.ledger-count')?.textContent === '143 / 143'",
    )
    .await;
}
