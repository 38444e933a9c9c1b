//! A 機器台帳 as clinics make it by hand: a merged title cell, a blank row and a notes row above the headers,
//! headers in the words clinics use (機器名, 購入日, ﾎｽﾄ名 in half-width kana), real Excel dates and 和暦 dates
//! typed as text. The header row is found without help, 機器名 fills コンピュータ名, every date reads, and the
//! rows come in natural order of 管理番号 (2 before 10). A file with no number or name column is not imported.

use mamori_tests::{Browser, TestServer};

fn hand_made_workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let title = Format::new().set_bold();
    ws.merge_range(
        0,
        0,
        0,
        4,
        "みどり薬局グループ 機器台帳（令和8年11月更新）",
        &title,
    )
    .unwrap();
    ws.write_string(2, 0, "作成: 薬局長 / 毎年4月に見直し")
        .unwrap();
    for (c, h) in ["No.", "機器名", "設置場所", "OS", "購入日"]
        .iter()
        .enumerate()
    {
        ws.write_string(3, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy/m/d");
    let rows: [(&str, &str, &str, &str, Option<&str>); 3] = [
        ("1", "調剤PC1", "調剤室", "Windows 11", None),
        ("2", "受付PC", "受付", "Windows 8", Some("令和2年6月23日")),
        ("10", "監査PC", "調剤室", "Windows 10", Some("H30/4/1")),
    ];
    for (i, (no, name, place, os, day)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        for (c, v) in [no, name, place, os].iter().enumerate() {
            ws.write_string(r, c as u16, **v).unwrap();
        }
        match day {
            Some(text) => {
                ws.write_string(r, 4, *text).unwrap();
            }
            None => {
                let d = ExcelDateTime::from_ymd(2024, 4, 1).unwrap();
                ws.write_datetime_with_format(r, 4, &d, &date).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_made_workbook_imports_with_its_title_rows_and_era_dates() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "みどり薬局", "pharmacy", "佐藤")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("機器台帳.xlsx");
    std::fs::write(&file, hand_made_workbook()).unwrap();
    b.goto(&format!("{}/ledgers/devices", server.url)).await;

    // A file without a number or a name: the preview says so and 取り込む stays off.
    let nameless = dir.path().join("場所だけ.csv");
    std::fs::write(&nameless, "設置場所,OS\n受付,Windows 11\n").unwrap();
    let input = b.wait(".import-file").await;
    input.send_keys(nameless.to_str().unwrap()).await.unwrap();
    b.wait(".no-identifier").await;
    b.wait_until(
        "取り込む is off",
        "document.querySelector('.confirm-import').disabled === true",
    )
    .await;
    b.click(".cancel-import").await;

    let input = b.wait(".import-file").await;
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    let summary = b.wait(".import-summary").await.text().await.unwrap();
    assert!(
        summary.contains("3行") && summary.contains("問題のある行: 0"),
        "{summary}"
    );
    b.click(".confirm-import").await;
    b.wait_until(
        "three devices in the ledger",
        "document.querySelector('.ledger-count')?.textContent === '3 / 3'",
    )
    .await;
    // 管理番号 in natural order: 2 before 10.
    b.wait_until(
        "rows by number",
        "[...document.querySelectorAll('.ledger-row')].map(r => r.querySelector('td[data-col=number]')?.textContent.trim()).join(',') === '1,2,10'",
    )
    .await;
    for (search, shows) in [
        ("受付PC", "2020/06/23"),
        ("監査PC", "2018/04/01"),
        ("調剤PC1", "2024/04/01"),
    ] {
        b.fill(".ledger-search", search).await;
        b.wait_until(
            &format!("{search} with its date"),
            &format!(
                "document.querySelectorAll('.ledger-row').length === 1 && \
                 document.querySelector('.ledger-row').textContent.includes('{shows}')"
            ),
        )
        .await;
    }
}
