//! The checklist says what it means to a pharmacist meeting it for the first time: the date box shows the
//! stored date when a date is refused (the reason beside it), 「様式の文言は未確認」 explains itself in one
//! tap, 3-① does not read as done while the contact chart is still the template (the next year's button, one
//! Japanese phrase, is year_offers.rs's).

use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklist_says_what_it_means() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "つばさ薬局", "pharmacy", "森")
        .await;

    // (「令和N年度を前年度から開始」, no stray space: year_offers.rs, where the clock makes it due.)

    // Step 2: the unconfirmed badge on 1-① explains itself in one tap.
    b.open_first_checklist().await;
    let badge = r#"li[data-item="1-①"] details.unconfirmed"#;
    b.wait(badge).await;
    b.click(&format!("{badge} summary")).await;
    b.wait_until(
        "the explanation is open",
        &format!("document.querySelector('{badge}').open"),
    )
    .await;
    let why = b
        .eval_string(&format!(
            "return document.querySelector('{badge} .unconfirmed-why').innerText"
        ))
        .await;
    assert!(why.contains("公式") && why.contains("厚生労働省"), "{why}");

    // Step 3: はい, then a future 確認日: refused beside the box, and the box shows the stored date.
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    let date = r#"li[data-item="1-①"] input[name=checked_on]"#;
    b.wait(date).await;
    let stored = b
        .eval_string(&format!("return document.querySelector('{date}').value"))
        .await;
    assert!(!stored.is_empty());
    b.fill(date, "2099-01-01").await;
    let error = b
        .wait(r#"li[data-item="1-①"] .answer-fields .date-error"#)
        .await
        .text()
        .await
        .unwrap();
    assert!(error.contains("未来"), "{error}");
    let shown = b
        .eval_string(&format!("return document.querySelector('{date}').value"))
        .await;
    assert_eq!(shown, stored, "the box shows what is stored");
    // A good date clears the message.
    b.fill(date, &stored).await;
    b.wait_until(
        "the refusal is gone",
        r#"!document.querySelector('li[data-item="1-①"] .date-error')"#,
    )
    .await;

    // Step 4: 3-① with the template's contact chart untouched: not done.
    b.click(r#".section-tabs a[href$="/section/3"]"#).await;
    let suggestion = r#"li[data-item="3-①"] .chart-suggestion"#;
    b.wait(suggestion).await;
    b.wait_until(
        "the suggestion has read the chart",
        &format!("document.querySelector('{suggestion}').textContent.includes('連絡体制図')"),
    )
    .await;
    let text = b
        .eval_string(&format!(
            "return document.querySelector('{suggestion}').textContent"
        ))
        .await;
    assert!(text.contains("ひな形のまま"), "{text}");
    assert!(!text.contains("連絡体制図があります"), "{text}");
    assert_eq!(
        b.eval_string(&format!(
            "return document.querySelector('{suggestion} [data-state]').dataset.state"
        ))
        .await,
        "todo"
    );
    b.close().await;
}
