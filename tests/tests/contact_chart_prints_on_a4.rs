//! The pharmacy's contact chart prints on one A4 portrait page (the browser's own print to PDF), with the
//! facility, the print date and the chart's last change, the vendors included.

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
        .eval("return document.querySelectorAll('.chart-diagram .chart-node').length")
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

    let pdf = b.print_pdf().await;
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page\n").count()
        + text.matches("/Type /Page/").count()
        + text.matches("/Type /Page ").count()
        + text.matches("/Type /Page>").count();
    assert_eq!(pages, 1, "one page");
    // A4 portrait: 595 x 842 points.
    assert!(
        text.contains("/MediaBox [0 0 594.95996 841.91998]") || text.contains("/MediaBox [0 0 595"),
        "A4 portrait media box"
    );
    b.close().await;
}
