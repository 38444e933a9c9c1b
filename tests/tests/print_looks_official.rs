//! A 診療所's checklist (two items answered, with dates) and contact chart printed as the browser prints them (to PDF, A4), read back from
//! the PDF: no section heading left alone at the bottom of a page, the same column widths in every section,
//! the edition by its official name only, and a chart whose smallest text is 10 pt or more, on one page for
//! the template with two vendors and on two pages for a chart with many.

use mamori_tests::pdf::Printed;
use mamori_tests::{Browser, TestServer};
use serde_json::json;

/// 10 pt, with what rounding the PDF's matrices leave.
const SMALLEST_PT: f32 = 9.95;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklist_and_the_chart_print_like_official_forms() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "さくら内科クリニック", "clinic", "佐藤")
        .await;

    // Step 1: 1-① はい (checked today) and 2-⑥ いいえ with a target date; then the print view of the
    // 医療機関確認用, each section's heading and its first item.
    let checklist = b.open_first_checklist().await;
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    b.wait(r#"li[data-item="1-①"][data-answer="yes"]"#).await;
    b.goto(&format!("{checklist}/section/2")).await;
    b.click(r#"li[data-item="2-⑥"] button[data-choice="no"]"#)
        .await;
    b.fill(r#"li[data-item="2-⑥"] input[name=target_on]"#, "2027-03-31")
        .await;
    b.wait_until(
        "the target date is kept",
        r#"!document.querySelector('li[data-item="2-⑥"] .flag')"#,
    )
    .await;
    b.wait_saved().await;
    b.goto(&format!("{checklist}/print")).await;
    b.wait(".print-sheet tr[data-item]").await;
    let sections = b
        .eval(
            "return [...document.querySelectorAll('.print-table')].map(t => \
             [t.caption.textContent.replace(/\\s/g, ''), t.querySelector('tbody tr[data-item]').dataset.item])",
        )
        .await;
    let sections: Vec<(String, String)> = serde_json::from_value(sections).unwrap();
    assert_eq!(sections.len(), 4, "{sections:?}");

    // Step 2: laid out as on paper (print media, the printable width of A4), every section's table has the
    // same column widths.
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }))
        .await;
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 703, "height": 1000, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    let widths = b
        .eval(
            "return [...document.querySelectorAll('.print-table')].map(t => \
             [...t.querySelectorAll('thead tr:last-child th')].map(th => Math.round(th.getBoundingClientRect().width)))",
        )
        .await;
    b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "" }))
        .await;
    let widths: Vec<Vec<i64>> = serde_json::from_value(widths).unwrap();
    assert!(
        widths.iter().all(|w| w == &widths[0]),
        "column widths per section: {widths:?}"
    );

    // Step 3: printed, A4 portrait, at most two pages.
    let printed = Printed::read(&b.print_pdf().await);
    assert!(
        (1..=2).contains(&printed.pages.len()),
        "{} pages",
        printed.pages.len()
    );
    for (w, h) in &printed.sizes {
        assert!(
            (w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0,
            "{w}×{h}"
        );
    }
    let text = printed.text();
    assert!(text.contains("令和7年度版"), "{text}");
    assert!(
        !text.contains("r7"),
        "no internal code of the edition: {text}"
    );

    // Step 4: no page ends with a heading or the column heads, and each section's first item is on the
    // same page as its heading, below it.
    let column_heads = "項番チェック項目回答確認日目標日";
    for page in 0..printed.pages.len() {
        let lines: Vec<String> = printed
            .page_text(page)
            .lines()
            .map(|l| l.replace(char::is_whitespace, ""))
            .collect();
        let last = lines.last().unwrap();
        assert!(
            last != column_heads && !sections.iter().any(|(heading, _)| heading == last),
            "page {} ends with a heading: {last}",
            page + 1
        );
        for (heading, first) in &sections {
            if let Some(at) = lines.iter().position(|l| l == heading) {
                assert!(
                    lines[at..].iter().any(|l| l.starts_with(first.as_str())),
                    "{heading} is on page {} without its first item {first}: {lines:?}",
                    page + 1
                );
            }
        }
    }
    assert!(
        sections.iter().all(|(heading, _)| text
            .lines()
            .any(|l| l.replace(char::is_whitespace, "") == *heading)),
        "every heading was found in the PDF: {sections:?}\n{text}"
    );

    // Step 5: the 診療所's chart from the template with two vendors, one with a long name and its hours:
    // one page, nothing under 10 pt, the whole name, the hours.
    let long_name = "株式会社ほくとメディカルシステムズ 東日本カスタマーサポートセンター";
    add_vendor_with_hours(&b, &server.url, long_name, "0120-123-456", "平日9時〜18時").await;
    b.add_vendor(&server.url, "レセコン株式会社", "", "03-1111-2222")
        .await;
    b.goto(&format!("{}/contacts", server.url)).await;
    b.wait_until(
        "the chart or the offer to create it",
        "document.querySelector('.create-chart, .chart-diagram svg')",
    )
    .await;
    if b.eval("return !!document.querySelector('.create-chart')")
        .await
        == json!(true)
    {
        b.click(".create-chart").await;
    }
    b.wait(".chart-diagram svg").await;
    let chart = Printed::read(&b.print_pdf().await);
    let smallest = chart.smallest().unwrap();
    println!(
        "chart, template and 2 vendors: {} page(s), smallest text {:.1} pt ({})",
        chart.pages.len(),
        smallest.size,
        smallest.text
    );
    assert_eq!(chart.pages.len(), 1, "one page");
    assert!(smallest.size >= SMALLEST_PT, "{smallest:?}");
    let flat = chart.text().replace(char::is_whitespace, "");
    assert!(
        flat.contains(&long_name.replace(' ', "")),
        "the whole name: {flat}"
    );
    assert!(!flat.contains('…'), "nothing cut: {flat}");
    assert!(flat.contains("受付時間平日9時〜18時"), "the hours: {flat}");

    // Step 6: twelve more vendors: two pages, still nothing under 10 pt; the 緊急連絡 screen prints the same.
    for i in 1..=12 {
        b.add_vendor(
            &server.url,
            &format!("保守サービス第{i}株式会社"),
            "",
            "03-2222-3333",
        )
        .await;
    }
    for path in ["/contacts", "/emergency"] {
        b.goto(&format!("{}{path}", server.url)).await;
        b.wait_until(
            "every vendor is drawn",
            "document.querySelector('.chart-diagram')?.textContent.includes('保守サービス第12株式会社')",
        )
        .await;
        let chart = Printed::read(&b.print_pdf().await);
        let smallest = chart.smallest().unwrap();
        println!(
            "{path}, 24 contacts: {} page(s), smallest text {:.1} pt ({})",
            chart.pages.len(),
            smallest.size,
            smallest.text
        );
        assert!(
            chart.pages.len() <= 2,
            "{path}: {} pages",
            chart.pages.len()
        );
        assert!(smallest.size >= SMALLEST_PT, "{path}: {smallest:?}");
        assert!(
            chart.text().contains("保守サービス第12株式会社"),
            "{path}: the last vendor is printed"
        );
    }
    b.close().await;
}

/// Registers a vendor with its hours (受付時間) on the vendor register's form sheet.
async fn add_vendor_with_hours(b: &Browser, url: &str, name: &str, phone: &str, hours: &str) {
    b.goto(&format!("{url}/vendors")).await;
    b.click(".add-vendor").await;
    b.fill(".vendor-sheet input[name=vendor_name]", name).await;
    b.fill(".vendor-sheet input[name=vendor_phone]", phone)
        .await;
    b.fill(".vendor-sheet input[name=vendor_hours]", hours)
        .await;
    b.click(".save-vendor").await;
    b.wait_until(
        "the vendor is listed",
        &format!("document.querySelector('.vendor-list')?.textContent.includes({name:?})"),
    )
    .await;
}
