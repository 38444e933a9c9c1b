//! The 立入検査用資料 (binder) printed as the browser prints it and read back from the PDF: a cover with the
//! access log's head hash (the one the server has at that number), every part from a new page, the
//! ledgers on A4 landscape, "n / N" on every page, and no heading (or table head) left alone at the bottom of a page.

use mamori_tests::TestServer;
use mamori_tests::passkeys::{registered_admin, run};
use mamori_tests::pdf::Printed;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binder_prints_with_page_numbers_and_the_log_head() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = registered_admin(&server, "みどり薬局", "田中 一郎").await;

    // Step 1: something in each part: two devices, a document in the evidence register.
    b.goto(&format!("{url}/ledgers/devices")).await;
    for (number, os) in [("PC-001", "Windows 11"), ("PC-002", "Windows 10")] {
        b.click(".add-row").await;
        b.fill(".row-sheet input[name=number]", number).await;
        b.fill(".row-sheet input[name=os]", os).await;
        b.click(".save-row").await;
        b.wait_until("the sheet closed", "!document.querySelector('.row-sheet')")
            .await;
    }
    b.goto(&format!("{url}/evidence")).await;
    b.click(".add-record[data-kind=bcp]").await;
    b.fill(
        ".record-sheet input[name=record_title]",
        "サイバー攻撃を想定したBCP",
    )
    .await;
    b.click(".save-record").await;
    b.wait(".evidence-row[data-kind=bcp]").await;
    b.wait_saved().await;

    // Step 2: the binder from the readiness screen; its cover names the log's head as the server has it.
    b.goto(&format!("{url}/readiness")).await;
    b.click(".open-binder").await;
    b.wait_until(
        "the cover names the log's head",
        "document.querySelector('.binder-log-head')?.textContent.includes('ハッシュ')",
    )
    .await;
    let cover = b
        .eval_string("return document.querySelector('.binder-log-head').textContent")
        .await;
    let (seq, hash) = cover
        .strip_prefix("記録番号 ")
        .and_then(|r| r.split_once(" 時点のハッシュ: "))
        .unwrap_or_else(|| panic!("cover: {cover}"));
    let at = run(&b, &format!("return api('GET', '/api/log/hash/{seq}');")).await;
    assert_eq!(
        at["body"]["hash"].as_str(),
        Some(hash),
        "the cover's hash is the server's at that number: {at}"
    );
    let headings: Vec<String> = serde_json::from_value(
        b.eval("return [...document.querySelectorAll('.binder h2, .binder h3, .binder caption, .binder thead tr')].map(h => h.textContent.replace(/\\s/g, ''))")
            .await,
    )
    .unwrap();
    let parts = b
        .eval("return document.querySelectorAll('.binder-part').length")
        .await
        .as_u64()
        .unwrap() as usize;

    // Step 3: printed.
    let printed = Printed::read(&b.print_pdf().await);
    let n = printed.pages.len();
    assert!(
        n > parts,
        "a cover and {parts} parts, each from a new page: {n} pages"
    );
    // A4 throughout: the ledgers' pages landscape, every other page portrait.
    let portrait = |(w, h): (f32, f32)| (w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0;
    let landscape = |(w, h): (f32, f32)| (w - 841.9).abs() < 2.0 && (h - 595.3).abs() < 2.0;
    for page in 0..n {
        let text = printed.page_text(page).replace(char::is_whitespace, "");
        let size = printed.sizes[page];
        if text.contains("機器台帳（2-①）") || text.contains("利用者ID台帳（2-④）")
        {
            assert!(
                landscape(size),
                "page {} (a ledger) is A4 landscape: {size:?}",
                page + 1
            );
        } else {
            assert!(portrait(size), "page {} is A4 portrait: {size:?}", page + 1);
        }
    }
    assert_eq!(
        printed.sizes.iter().filter(|s| landscape(**s)).count(),
        2,
        "each ledger on its own landscape page: {:?}",
        printed.sizes
    );
    let first = printed.page_text(0).replace(char::is_whitespace, "");
    assert!(
        first.contains("立入検査用資料") && first.contains("目次"),
        "{first}"
    );
    assert!(
        first.contains(hash),
        "the cover prints the whole hash: {first}"
    );
    let column_heads = "項番チェック項目回答確認日目標日";
    for page in 0..n {
        let lines: Vec<String> = printed
            .page_text(page)
            .lines()
            .map(|l| l.replace(char::is_whitespace, ""))
            .filter(|l| !l.is_empty())
            .collect();
        let number = format!("{}/{}", page + 1, n);
        assert!(
            lines.iter().any(|l| l.ends_with(&number)),
            "page {} says {number}: {lines:?}",
            page + 1
        );
        // The last line of content (above the page number).
        let content: Vec<&String> = lines.iter().filter(|l| !l.ends_with(&number)).collect();
        if let Some(last) = content.last() {
            assert!(
                last.as_str() != column_heads && !headings.iter().any(|h| h == *last),
                "page {} ends with a heading: {last}",
                page + 1
            );
        }
    }
    b.close().await;
}
