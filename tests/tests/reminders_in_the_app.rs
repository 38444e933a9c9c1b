//! 期限 in the app, with the device's clock moved: a new facility has nothing due; a いいえ with a 目標日 16
//! days away shows the top bar's badge and a line under 近づいている期限; once the date has passed the badge
//! turns red and the line moves to 期限切れ, opening the checklist; offline, the list is the same (computed
//! on the device); a document whose review date is near joins it.

use mamori_tests::{Browser, TestServer};

/// The lines of the 期限 screen: (key, overdue).
async fn lines(b: &Browser, url: &str) -> Vec<(String, String)> {
    b.goto(&format!("{url}/reminders")).await;
    b.wait(".reminders .lead").await;
    let v = b
        .eval(
            "return [...document.querySelectorAll('.reminder-line')].map(l => [l.dataset.key, l.dataset.overdue])",
        )
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_dates_show_as_a_badge_and_a_list() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = Browser::start().await;

    // Step 1: 4 December 2026: a new facility has nothing due, and no badge.
    let clock = b.set_clock(2026, 12, 4).await;
    b.set_up_facility(url, "さくら内科", "clinic", "佐藤").await;
    assert_eq!(lines(&b, url).await, vec![]);
    b.wait(".reminders-none").await;
    assert_eq!(
        b.eval("return !!document.querySelector('.reminders-badge')")
            .await,
        false
    );

    // Step 2: 1-① いいえ, to be fixed by 20 December: one thing coming up.
    b.goto(url).await;
    b.click(".checklist-row .checklist-link").await;
    b.click(r#"li[data-item="1-①"] button[data-choice="no"]"#)
        .await;
    b.fill(r#"li[data-item="1-①"] input[name=target_on]"#, "2026-12-20")
        .await;
    b.wait_until(
        "the target is kept",
        r#"!document.querySelector('li[data-item="1-①"] .flag')"#,
    )
    .await;
    b.wait_saved().await;
    let checklist = b.eval_string("return location.pathname").await;
    let got = lines(&b, url).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].0.ends_with(":1-①") && got[0].1 == "false", "{got:?}");
    let text = b
        .eval_string("return document.querySelector('.reminder-line').textContent")
        .await;
    assert!(
        text.contains("1-①") && text.contains("目標日") && text.contains("12月20日"),
        "{text}"
    );
    let badge = b.wait(".reminders-badge").await;
    assert_eq!(
        badge.attr("data-overdue").await.unwrap().as_deref(),
        Some("false")
    );
    assert_eq!(
        badge.attr("aria-label").await.unwrap().as_deref(),
        Some("期限 1件")
    );
    b.unset_clock(clock).await;

    // Step 3: 21 December: overdue, in red, and the line opens the checklist.
    let clock = b.set_clock(2026, 12, 21).await;
    let got = lines(&b, url).await;
    assert_eq!(got[0].1, "true", "{got:?}");
    b.wait(r#".reminders-badge[data-overdue="true"]"#).await;
    b.wait(".reminder-lines.overdue .reminder-line").await;
    assert!(
        b.eval_string("return document.querySelector('.reminder-line').textContent")
            .await
            .contains("期限切れ")
    );
    b.click(".reminder-line .reminder-link").await;
    b.wait("li[data-item]").await;
    assert_eq!(b.eval_string("return location.pathname").await, checklist);

    // Step 4: a document whose review falls due in ten days joins the list.
    b.goto(&format!("{url}/evidence")).await;
    b.click(".add-record[data-kind=rules]").await;
    b.fill(".record-sheet input[name=record_title]", "運用管理規程")
        .await;
    b.fill(".record-sheet input[name=record_next_review]", "2026-12-31")
        .await;
    b.click(".save-record").await;
    b.wait(".evidence-row[data-kind=rules]").await;
    b.wait_saved().await;

    // Step 5: offline, the same list: computed on the device.
    b.set_offline(true).await;
    let got = lines(&b, url).await;
    let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys.len(), 2, "{got:?}");
    assert!(keys[0].ends_with(":1-①"), "overdue first: {keys:?}");
    assert_eq!(keys[1], "review:運用管理規程");
    b.unset_clock(clock).await;
    b.close().await;
}
