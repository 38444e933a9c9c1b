//! Home's first steps after set-up, as a pharmacist follows them: each "next" button opens the step, the
//! step turns done only when its check passes (every item answered and dated; every contact on the chart
//! with a number; a device in the ledger; a vendor registered), and after the four the card says done.

use mamori_tests::{Browser, TestServer};

/// The steps' count and the step put forward, as home shows them.
async fn home_state(b: &Browser, url: &str) -> (String, String) {
    b.goto(url).await;
    b.wait(".first-steps").await;
    let done = b
        .eval_string("return document.querySelector('.first-steps').dataset.done")
        .await;
    let current = b
        .eval_string(
            "const c = document.querySelector('.first-step[aria-current=step]'); return c ? c.dataset.step : ''",
        )
        .await;
    (done, current)
}

async fn expect_next(b: &Browser, url: &str, step: &str, count: &str) {
    let (done, current) = home_state(b, url).await;
    assert_eq!((done.as_str(), current.as_str()), ("false", step));
    let shown = b
        .eval_string("return document.querySelector('.first-steps-count').textContent")
        .await;
    assert_eq!(shown, count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_steps_lead_to_done() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = Browser::start().await;
    b.set_up_facility(url, "さくら薬局", "pharmacy", "佐藤 花子")
        .await;
    expect_next(&b, url, "checklist", "0/4 完了").await;
    let total_items = b
        .eval_string(
            "return document.querySelector('.first-step[data-step=checklist] .first-step-status').textContent",
        )
        .await;
    assert!(total_items.starts_with("0/"), "{total_items}");

    // 1. The checklist: every item はい (the 確認日 is today), section by section.
    b.click(".first-steps-go").await;
    b.wait("li.item").await;
    let base = b.checklist_url().await;
    let sections = b
        .eval("return [...document.querySelectorAll('.section-tabs a')].length")
        .await
        .as_u64()
        .unwrap();
    assert!(sections >= 4, "{sections} sections");
    for n in 1..=sections {
        b.goto(&format!("{base}/section/{n}")).await;
        b.wait("li.item").await;
        let items = b
            .eval("return document.querySelectorAll('li.item').length")
            .await
            .as_u64()
            .unwrap();
        for i in 0..items {
            b.eval(&format!(
                "document.querySelectorAll('li.item')[{i}].querySelector('button[data-choice=yes]').click()"
            ))
            .await;
        }
        b.wait_until(
            "every item of the section says はい",
            "[...document.querySelectorAll('li.item')].every(li => li.querySelector('button[data-choice=yes]').getAttribute('aria-pressed') === 'true')",
        )
        .await;
    }
    b.wait_saved().await;
    expect_next(&b, url, "contacts", "1/4 完了").await;

    // 2. The contact chart: the template's placeholders need a name and a number each.
    b.click(".first-steps-go").await;
    b.wait(".chart-diagram svg").await;
    for (n, id) in [
        "t-officer",
        "t-top",
        "t-staff",
        "t-security",
        "t-prefecture",
        "t-association",
    ]
    .into_iter()
    .enumerate()
    {
        b.click(&format!(
            r#"li.contact-row[data-contact="{id}"] .edit-contact"#
        ))
        .await;
        b.wait(".contact-sheet").await;
        b.fill(".contact-sheet input[name=name]", &format!("担当 {n}"))
            .await;
        b.fill(
            ".contact-sheet input[name=phone_0]",
            &format!("03-1234-56{n:02}"),
        )
        .await;
        b.click(".save-contact").await;
        b.wait_until(
            "the sheet closed",
            "!document.querySelector('.contact-sheet')",
        )
        .await;
    }
    b.wait_saved().await;
    expect_next(&b, url, "devices", "2/4 完了").await;

    // 3. The device ledger: one device.
    b.click(".first-steps-go").await;
    b.click(".add-row").await;
    b.fill(".row-sheet input[name=number]", "PC-001").await;
    b.fill(".row-sheet input[name=os]", "Windows 11").await;
    b.click(".save-row").await;
    b.wait(".ledger-row").await;
    b.wait_saved().await;
    expect_next(&b, url, "vendors", "3/4 完了").await;

    // 4. A vendor, with its number (it joins the chart, which stays complete).
    b.add_vendor(url, "レセコン株式会社", "レセコン", "03-9999-0000")
        .await;
    b.wait_saved().await;
    let (done, _) = home_state(&b, url).await;
    assert_eq!(done, "true", "the four steps are done");
    let line = b
        .eval_string("return document.querySelector('.first-steps').textContent")
        .await;
    assert!(line.contains("完了"), "{line}");
    b.close().await;
}
