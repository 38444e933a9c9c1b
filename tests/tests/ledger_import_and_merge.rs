//! The 機器台帳 in real browsers: a large hospital's 4,000 devices imported from an .xlsx offline (preview
//! first, nothing imported until confirmed; the spreadsheet worker loads only then); one device edits a
//! row's 設置場所 and another the same row's 利用者 while apart, and after sync both edits are on both;
//! checklist item 2-⑥ names the fixture's Windows 8 PC by its コンピュータ名. Bad files (an .xlsx that is not
//! a spreadsheet, one of 100,000 rows, a CSV with broken quoting, text in no known encoding) are refused with
//! a clear error and import nothing; a Shift_JIS CSV as Japanese Excel writes it imports too.

use mamori_tests::fixtures::device_workbook;
use mamori_tests::{Browser, TestServer};

/// 4,000 devices in the manual's columns (about 76,000 operations: more than one sync message may carry, so
/// they reach the other device in batches); PC-0003 runs Windows 8, as in the manual's example.
fn fixture() -> String {
    let mut csv = String::from(
        "管理番号,メーカー,OS,ソフトウェア,ソフトウェアバージョン,IPアドレス,コンピュータ名,設置場所,利用者,登録日,状態,説明\n",
    );
    for i in 1..=4000 {
        let os = if i == 3 { "Win8" } else { "Win11" };
        csv.push_str(&format!(
            "PC-{i:04},A社,{os},さくら電子カルテ,2.0,192.168.{}.{},病棟{}のPC{},病棟{},職員{i},2024/4/1,稼働,\n",
            i / 250,
            i % 250,
            i % 12,
            i,
            i % 12
        ));
    }
    csv
}

async fn upload(b: &Browser, path: &std::path::Path) {
    let input = b.wait(".import-file").await;
    input
        .send_keys(path.to_str().unwrap())
        .await
        .expect("the file input takes the file");
}

async fn count(b: &Browser) -> String {
    b.wait(".ledger-count").await.text().await.unwrap()
}

async fn edit(b: &Browser, number: &str, field: &str, value: &str) {
    b.fill(".ledger-search", number).await;
    b.wait_until(
        "one row matches",
        "document.querySelectorAll('.ledger-row').length === 1",
    )
    .await;
    b.click(".ledger-row").await;
    b.fill(&format!(".row-sheet input[name={field}]"), value)
        .await;
    b.click(".save-row").await;
    b.wait_until("the sheet closed", "!document.querySelector('.row-sheet')")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_thousand_devices_import_offline_and_edits_of_one_row_merge() {
    let server = TestServer::start().await;
    let a = Browser::start().await;
    let b = Browser::start().await;
    a.set_up_facility(&server.url, "みなと総合病院", "hospital", "佐藤")
        .await;
    let join = a.join_link(&server.url).await;
    b.goto(&join).await;
    b.wait(".checklist-row").await;

    let dir = tempfile::tempdir().unwrap();
    // Bad input first: clear errors, nothing imported.
    let not_a_sheet = dir.path().join("台帳.xlsx");
    std::fs::write(&not_a_sheet, b"PK\x03\x04 this is not really a workbook").unwrap();
    let huge = dir.path().join("huge.xlsx");
    std::fs::write(&huge, device_workbook(100_000)).unwrap();
    let garbage = dir.path().join("garbage.csv");
    std::fs::write(&garbage, [0x81u8, 0x82, 0xff, 0xfe, 0x00, 0x81, 0x90]).unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "管理番号,説明\nPC-1,\"閉じていない\nPC-2,ok\n").unwrap();
    a.goto(&format!("{}/ledgers/devices", server.url)).await;
    a.wait_for_service_worker().await;
    a.set_offline(true).await;
    for (file, says) in [
        (&not_a_sheet, "Excel ファイル"),
        (&huge, "行が多すぎます"),
        (&garbage, "文字コード"),
        (&broken, "引用符"),
    ] {
        upload(&a, file).await;
        a.wait_until(
            &format!("a clear error for {}", file.display()),
            &format!(
                "document.querySelector('.ledger-page .error')?.textContent.includes({says:?})"
            ),
        )
        .await;
    }
    assert_eq!(count(&a).await, "0 / 0", "nothing was imported");

    // A Shift_JIS CSV as Japanese Excel writes it: previewed, then cancelled.
    let text = fixture();
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    let csv = dir.path().join("機器台帳.csv");
    std::fs::write(&csv, &sjis).unwrap();
    upload(&a, &csv).await;
    let summary = a.wait(".import-summary").await.text().await.unwrap();
    assert!(summary.contains("4000行"), "{summary}");
    a.click(".cancel-import").await;

    // The workbook, offline.
    let xlsx = dir.path().join("機器台帳.xlsx");
    std::fs::write(&xlsx, device_workbook(4000)).unwrap();
    upload(&a, &xlsx).await;
    let summary = a.wait(".import-summary").await.text().await.unwrap();
    assert!(
        summary.contains("4000行") && summary.contains("問題のある行: 0"),
        "{summary}"
    );
    assert_eq!(count(&a).await, "0 / 0", "nothing before confirming");
    a.click(".confirm-import").await;
    a.wait_until(
        "4,000 rows in the ledger",
        "document.querySelector('.ledger-count').textContent === '4000 / 4000'",
    )
    .await;
    a.fill(".ledger-search", "PC-0003").await;
    a.wait_until(
        "the Excel date reads as a date",
        "document.querySelector('.ledger-row')?.textContent.includes('2024/04/01')",
    )
    .await;
    a.fill(".ledger-search", "").await;
    let drawn = a
        .eval("return document.querySelectorAll('.ledger-row').length")
        .await
        .as_u64()
        .unwrap();
    assert!(drawn < 100, "only the rows on screen are drawn: {drawn}");
    // A reload parses a ledger this large after the first screen has painted: the page, open at once, still
    // comes to show every row, and its edits are kept (the same record, not a new ledger beside it).
    a.wait_saved().await;
    a.client.refresh().await.unwrap();
    a.wait_until(
        "4,000 rows after a reload",
        "document.querySelector('.ledger-count')?.textContent === '4000 / 4000'",
    )
    .await;
    a.set_offline(false).await;
    b.goto(&format!("{}/ledgers/devices", server.url)).await;
    b.wait_until(
        "the other device has the 4,000 rows",
        "document.querySelector('.ledger-count')?.textContent === '4000 / 4000'",
    )
    .await;

    // Apart, each edits a different field of the same row.
    a.set_offline(true).await;
    b.set_offline(true).await;
    edit(&a, "PC-1500", "location", "手術室").await;
    edit(&b, "PC-1500", "user", "山田医師").await;
    a.set_offline(false).await;
    b.set_offline(false).await;
    for d in [&a, &b] {
        d.fill(".ledger-search", "PC-1500").await;
        d.wait_until(
            "both edits are on the row",
            "(() => { const r = document.querySelector('.ledger-row'); return r && r.textContent.includes('手術室') && r.textContent.includes('山田医師'); })()",
        )
        .await;
    }

    // Filtering by 状態: one device stopped.
    edit(&a, "PC-0007", "status", "停止").await;
    a.fill(".ledger-search", "").await;
    a.fill(".ledger-status", "停止").await;
    a.wait_until(
        "only the stopped device",
        "document.querySelector('.ledger-count').textContent === '1 / 4000'",
    )
    .await;

    // 2-⑥ names the Windows 8 PC, with a link to the rows behind it.
    a.goto(&server.url).await;
    let checklist = a.open_first_checklist().await;
    a.goto(&format!("{checklist}/section/2")).await;
    let finding = a
        .wait(r#"li[data-item="2-⑥"] .ledger-suggestion"#)
        .await
        .text()
        .await
        .unwrap();
    // Named by its コンピュータ名, with its OS, support end and place.
    assert!(
        finding.contains("病棟3のPC3（Win8、サポート終了 平成28年1月12日、病棟3）"),
        "{finding}"
    );
    a.click(r#"li[data-item="2-⑥"] .finding-link"#).await;
    a.wait_until(
        "only the rows behind 2-⑥",
        "document.querySelector('.ledger-count')?.textContent === '1 / 4000'",
    )
    .await;
    a.close().await;
    b.close().await;
}
