//! Foundation end to end: set up a 診療所, answer 2-⑥ いいえ with a target date and 1-① はい, reload, and
//! everything is still there; the print view fits A4.

use mamori_tests::{Browser, TestServer, browser_today};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_up_answer_reload_and_print() {
    let server = TestServer::start().await;
    let b = Browser::start().await;

    // Step 1: first visit goes to set-up; register a 診療所.
    b.goto(&server.url).await;
    b.wait("form select[name=kind]").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/setup")
    );
    b.fill("select[name=kind]", "clinic").await;
    b.fill("input[name=name]", "さくら内科クリニック").await;
    b.fill("input[name=user]", "佐藤 花子").await;
    b.click("button[type=submit]").await;

    // Step 2: the home screen lists this fiscal year's 医療機関確認用 with nothing answered.
    let row = b.wait(".checklist-row").await;
    let title = row.text().await.unwrap();
    assert!(
        title.contains("医療機関確認用"),
        "home shows the institution form: {title}"
    );
    assert!(title.contains("0/18"), "18 items, none answered: {title}");
    b.click(".checklist-row .checklist-link").await;

    // Step 3: 1-① はい; the check date defaults to today.
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    b.wait(r#"li[data-item="1-①"][data-answer="yes"]"#).await;
    let today = browser_today(&b).await;
    let checked = b
        .eval_string(
            r#"return document.querySelector('li[data-item="1-①"] input[name=checked_on]').value"#,
        )
        .await;
    assert_eq!(checked, today);

    // Step 4: section 2, 2-⑥ いいえ: flagged until a target date is given.
    b.click(r#".section-tabs a[href$="/section/2"]"#).await;
    b.click(r#"li[data-item="2-⑥"] button[data-choice="no"]"#)
        .await;
    b.wait(r#"li[data-item="2-⑥"][data-answer="no"] .flag"#)
        .await;
    let flag = b
        .eval_string(r#"return document.querySelector('li[data-item="2-⑥"] .flag').innerText"#)
        .await;
    assert!(
        flag.contains("目標日"),
        "an いいえ without a target date is flagged: {flag}"
    );
    b.fill(r#"li[data-item="2-⑥"] input[name=target_on]"#, "2027-03-31")
        .await;
    b.wait_until(
        "the flag clears",
        r#"!document.querySelector('li[data-item="2-⑥"] .flag')"#,
    )
    .await;

    // Step 5: a check date in the future is refused in plain words, and not stored.
    b.fill(
        r#"li[data-item="2-⑥"] input[name=checked_on]"#,
        "2099-01-01",
    )
    .await;
    let err = b
        .wait(r#"li[data-item="2-⑥"] .error"#)
        .await
        .text()
        .await
        .unwrap();
    assert!(err.contains("未来"), "future check date refused: {err}");
    b.wait_saved().await;

    // Step 6: reload on a deep link: the answers and dates are there.
    let doc_url = b.client.current_url().await.unwrap();
    b.client.refresh().await.unwrap();
    b.wait(r#"li[data-item="2-⑥"][data-answer="no"]"#).await;
    let (checked, target) = (
        b.eval_string(
            r#"return document.querySelector('li[data-item="2-⑥"] input[name=checked_on]').value"#,
        )
        .await,
        b.eval_string(
            r#"return document.querySelector('li[data-item="2-⑥"] input[name=target_on]').value"#,
        )
        .await,
    );
    assert_eq!(
        (checked.as_str(), target.as_str()),
        (today.as_str(), "2027-03-31"),
        "2-⑥ kept its dates, not the refused one"
    );
    b.goto(&format!(
        "{}/section/1",
        doc_url.as_str().rsplit_once("/section").unwrap().0
    ))
    .await;
    b.wait(r#"li[data-item="1-①"][data-answer="yes"]"#).await;

    // Step 7: the home screen counts the two answers.
    b.goto(&server.url).await;
    let row = b.wait(".checklist-row").await.text().await.unwrap();
    assert!(row.contains("2/18"), "progress after two answers: {row}");

    // Step 8: the print view circles the answers and prints on A4.
    b.click(".checklist-row a[href$=\"/print\"]").await;
    b.wait(".print-sheet").await;
    let circled = b
        .eval_string(r#"return document.querySelector('tr[data-item="2-⑥"] .circled').innerText"#)
        .await;
    assert_eq!(circled, "いいえ");
    let circled = b
        .eval_string(r#"return document.querySelector('tr[data-item="1-①"] .circled').innerText"#)
        .await;
    assert_eq!(circled, "はい");
    let pdf = b.print_pdf().await;
    let doc = lopdf::Document::load_mem(&pdf).expect("a valid PDF");
    let pages = doc.get_pages();
    assert!(
        (1..=2).contains(&pages.len()),
        "the 18-item form fits on at most two A4 pages, got {}",
        pages.len()
    );
    for (n, page) in pages {
        let media = doc
            .get_dictionary(page)
            .unwrap()
            .get(b"MediaBox")
            .unwrap()
            .as_array()
            .unwrap();
        let w = media[2].as_float().unwrap();
        let h = media[3].as_float().unwrap();
        // A4 is 595.3 × 841.9 points.
        assert!(
            (w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0,
            "page {n} is {w}×{h} pt, not A4 portrait"
        );
    }

    b.close().await;
}
