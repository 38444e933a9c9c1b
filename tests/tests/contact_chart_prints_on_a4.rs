//! The pharmacy's contact chart prints on one A4 portrait page (the browser's own print to PDF), with the
//! facility, the print date and the chart's last change, the vendors included, no text under 10 pt and no
//! name cut short; checklist item 3-① says what the chart holds and when it was last reviewed.

use mamori_tests::pdf::Printed;
use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pharmacy_chart_fits_one_a4_page() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "みどり薬局", "pharmacy", "田中")
        .await;
    for (name, phone) in [
        ("レセコン株式会社", "03-1111-2222"),
        ("薬歴システム株式会社", "0120-123-456"),
    ] {
        b.add_vendor(&server.url, name, "", phone).await;
    }
    b.goto(&format!("{}/contacts", server.url)).await;
    b.wait(".chart-diagram svg").await;
    let nodes = b
        .eval("return document.querySelectorAll('.chart-diagram .chart-screen .chart-node').length")
        .await;
    assert_eq!(
        nodes, 11,
        "whoever notices, the template's 8 contacts and 2 vendors"
    );
    let head = b
        .eval_string("return document.querySelector('.chart-print-head').textContent")
        .await;
    assert!(
        head.contains("みどり薬局") && head.contains("印刷日") && head.contains("最終更新"),
        "{head}"
    );

    let printed = Printed::read(&b.print_pdf().await);
    assert_eq!(printed.pages.len(), 1, "one page");
    // A4 portrait: 595 x 842 points.
    let (w, h) = printed.sizes[0];
    assert!(
        (w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0,
        "A4 portrait: {w}×{h}"
    );
    // Readable on paper: nothing under 10 pt (the diagram used to print at 7.5 pt), every name whole.
    let smallest = printed.smallest().unwrap();
    assert!(smallest.size >= 9.95, "smallest text: {smallest:?}");
    let flat = printed.text().replace(char::is_whitespace, "");
    assert!(
        flat.contains("レセコン株式会社") && flat.contains("薬歴システム株式会社"),
        "{flat}"
    );
    assert!(!flat.contains('…'), "nothing cut: {flat}");
    // Checklist item 3-① reads the chart: it exists, not reviewed yet, which contacts lack a number.
    b.goto(&server.url).await;
    let checklist = b.open_first_checklist().await;
    b.goto(&format!("{checklist}/section/3")).await;
    let said = b
        .wait(r#"li[data-item="3-①"] .chart-suggestion"#)
        .await
        .text()
        .await
        .unwrap();
    assert!(said.contains("連絡体制図があります"), "{said}");
    assert!(said.contains("見直しの記録がありません"), "{said}");
    assert!(
        said.contains("管理薬剤師"),
        "a contact without a number is named: {said}"
    );
    assert!(
        !said.contains("電話番号のない事業者"),
        "both vendors have numbers: {said}"
    );
    b.goto(&format!("{}/contacts", server.url)).await;
    b.click(".mark-reviewed").await;
    b.goto(&format!("{checklist}/section/3")).await;
    b.wait_until(
        "the review shows on 3-①",
        r#"document.querySelector('li[data-item="3-①"] .chart-suggestion')?.textContent.includes('最終見直し')"#,
    )
    .await;
    b.close().await;
}
