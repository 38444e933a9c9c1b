//! Co-editing in real browsers through the real server: an answer on one tablet appears on the other without
//! a reload; a tablet that was offline catches up both ways; a same-item conflict is shown on both and
//! resolved once; two tabs of one device edit with the server gone and lose nothing.

use mamori_tests::{Browser, TestServer};

async fn answer(b: &Browser, item: &str, choice: &str) {
    b.click(&format!(
        r#"li[data-item="{item}"] button[data-choice="{choice}"]"#
    ))
    .await;
    b.wait(&format!(
        r#"li[data-item="{item}"][data-answer="{choice}"]"#
    ))
    .await;
}

async fn open_section(b: &Browser, checklist: &str, n: u8) {
    b.goto(&format!("{checklist}/section/{n}")).await;
    b.wait("li.item").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tablets_co_edit_through_the_server() {
    let mut server = TestServer::start().await;
    let a = Browser::start().await;
    let b = Browser::start().await;

    // Step 1: tablet A sets up the facility; its documents reach the server.
    a.set_up_facility(&server.url, "さくら内科", "clinic", "佐藤")
        .await;
    let join = a.join_link(&server.url).await;

    // Step 2: tablet B opens the join link and gets the facility and its checklist.
    b.goto(&join).await;
    b.wait(".checklist-row").await;
    b.click(".checklist-row .checklist-link").await;
    let checklist = b.checklist_url().await;
    a.goto(&checklist).await;
    a.wait("li.item").await;

    // Step 3: an answer on A appears on B without a reload.
    answer(&a, "1-①", "yes").await;
    b.wait(r#"li[data-item="1-①"][data-answer="yes"]"#).await;

    // Step 4: B goes offline and answers 2-⑥; A answers 2-① meanwhile; B comes back and both converge.
    open_section(&a, &checklist, 2).await;
    open_section(&b, &checklist, 2).await;
    b.set_offline(true).await;
    b.wait(r#".save-state[data-network="offline"]"#).await;
    answer(&b, "2-⑥", "no").await;
    answer(&a, "2-①", "yes").await;
    b.wait(r#".sync-state[data-sync="pending"]"#).await;
    b.set_offline(false).await;
    a.wait(r#"li[data-item="2-⑥"][data-answer="no"]"#).await;
    b.wait(r#"li[data-item="2-①"][data-answer="yes"]"#).await;

    // Step 5: both answer 2-③ differently while apart: both see the conflict; A chooses; it clears on both.
    a.set_offline(true).await;
    b.set_offline(true).await;
    answer(&a, "2-③", "yes").await;
    answer(&b, "2-③", "no").await;
    a.set_offline(false).await;
    b.set_offline(false).await;
    a.wait(r#"li[data-item="2-③"] .conflict"#).await;
    b.wait(r#"li[data-item="2-③"] .conflict"#).await;
    a.click(r#"li[data-item="2-③"] .conflict li:last-child button"#)
        .await;
    a.wait_until(
        "A's conflict is resolved",
        r#"!document.querySelector('li[data-item="2-③"] .conflict')"#,
    )
    .await;
    b.wait_until(
        "B's conflict is resolved",
        r#"!document.querySelector('li[data-item="2-③"] .conflict')"#,
    )
    .await;
    let (on_a, on_b) = (
        a.eval_string(r#"return document.querySelector('li[data-item="2-③"]').dataset.answer"#)
            .await,
        b.eval_string(r#"return document.querySelector('li[data-item="2-③"]').dataset.answer"#)
            .await,
    );
    assert_eq!(on_a, on_b, "both tablets show the chosen answer");

    // Step 6: two tabs on tablet A, with the server gone: each answers an item; nothing is lost.
    server.stop().await;
    open_section(&a, &checklist, 3).await;
    let first = a.client.window().await.unwrap();
    let second = a.client.new_window(true).await.unwrap();
    a.client.switch_to_window(second.handle).await.unwrap();
    open_section(&a, &checklist, 3).await;
    answer(&a, "3-②", "yes").await;
    a.wait_saved().await;
    a.client.switch_to_window(first).await.unwrap();
    a.wait(r#"li[data-item="3-②"][data-answer="yes"]"#).await;
    answer(&a, "3-①", "no").await;
    a.wait_saved().await;
    a.client.refresh().await.unwrap();
    a.wait(r#"li[data-item="3-①"][data-answer="no"]"#).await;
    a.wait(r#"li[data-item="3-②"][data-answer="yes"]"#).await;

    a.close().await;
    b.close().await;
}
