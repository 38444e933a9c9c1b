//! Reactivity that touches only what changed (#23): with a section of the checklist on screen (13 of the
//! form's 18 items, some already answered), answering one item changes the DOM of that item's card and of no
//! other, and so does an answer arriving from another device. Watched in the release build the tests run,
//! with a MutationObserver on every item card and one on the list that holds them (a card rebuilt whole is
//! a list mutation).

use mamori_tests::{Browser, TestServer};

/// Starts recording which cards change: `window.__mutated` collects the `data-item` of every card whose
/// subtree mutates, `window.__lists` counts cards added to or removed from the list.
async fn watch(b: &Browser) {
    b.eval(
        r#"
        window.__mutated = new Set();
        window.__lists = 0;
        for (const card of document.querySelectorAll('li.item')) {
            new MutationObserver(() => window.__mutated.add(card.dataset.item))
                .observe(card, { subtree: true, childList: true, attributes: true, characterData: true });
        }
        new MutationObserver(() => window.__lists += 1)
            .observe(document.querySelector('ol.items'), { childList: true });
        return document.querySelectorAll('li.item').length;
        "#,
    )
    .await;
}

/// The cards that changed since [`watch`], and how many times the list itself changed.
async fn changed(b: &Browser) -> (Vec<String>, u64) {
    let v = b
        .eval("return [Array.from(window.__mutated).sort(), window.__lists]")
        .await;
    let cards = v[0]
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .collect();
    (cards, v[1].as_u64().unwrap_or(u64::MAX))
}

/// Waits until this device's copy of the checklist has reached the server and is saved on the device, then
/// a moment more, so that anything the change set off (the server's reply, the save) has rendered.
async fn settled(b: &Browser) {
    b.wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    b.wait_saved().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_answer_renders_one_card_here_and_on_another_device() {
    let server = TestServer::start().await;
    let a = Browser::start().await;
    let b = Browser::start().await;
    a.set_up_facility(&server.url, "さくら内科", "clinic", "佐藤")
        .await;
    let join = a.join_link(&server.url).await;
    b.goto(&join).await;
    b.wait(".checklist-row").await;
    let checklist = b.open_first_checklist().await;
    let section = format!("{checklist}/section/2");
    a.goto(&section).await;
    b.goto(&section).await;
    a.wait("li.item").await;
    b.wait("li.item").await;
    let cards = a
        .eval("return document.querySelectorAll('li.item').length")
        .await;
    assert_eq!(cards, 13, "section 2 of the clinic's form shows 13 items");

    // Some items answered already: their cards show dates, a note box, who answered.
    for item in ["2-①", "2-③", "2-⑧"] {
        a.answer_yes(item).await;
    }
    b.wait(r#"li[data-item="2-⑧"][data-answer="yes"]"#).await;
    settled(&a).await;
    settled(&b).await;

    // Step 1: answering one item here changes that card only.
    watch(&a).await;
    watch(&b).await;
    a.answer_yes("2-⑤").await;
    settled(&a).await;
    assert_eq!(
        changed(&a).await,
        (vec!["2-⑤".to_string()], 0),
        "answering 2-⑤ re-rendered other cards on the device that answered"
    );

    // Step 2: the same answer arriving from the other device changes that card only there.
    b.wait(r#"li[data-item="2-⑤"][data-answer="yes"]"#).await;
    settled(&b).await;
    assert_eq!(
        changed(&b).await,
        (vec!["2-⑤".to_string()], 0),
        "an answer from another device re-rendered other cards"
    );

    // Step 3: a change to an answered item (its note) stays in that card too, on both devices.
    watch(&a).await;
    watch(&b).await;
    a.fill(r#"li[data-item="2-③"] textarea[name="note"]"#, "手順書あり")
        .await;
    b.wait_until(
        "the note arrives on the other device",
        r#"document.querySelector('li[data-item="2-③"] textarea[name="note"]').value === '手順書あり'"#,
    )
    .await;
    settled(&a).await;
    settled(&b).await;
    assert_eq!(changed(&a).await, (vec!["2-③".to_string()], 0));
    assert_eq!(changed(&b).await, (vec!["2-③".to_string()], 0));

    a.close().await;
    b.close().await;
}
