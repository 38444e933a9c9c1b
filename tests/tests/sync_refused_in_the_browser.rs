//! In the browser: when the server refuses a tablet's changes to a checklist (a rule set by the test), the
//! tablet says so in plain Japanese, keeps its copy on the device (exportable as a file), shows the server's
//! state again, and syncs on once changes are allowed.

use std::sync::Arc;

use mamori_server::gate::Frozen;
use mamori_shared::model::DocumentId;
use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_is_set_aside_and_exportable() {
    let frozen = Arc::new(Frozen::default());
    let server = TestServer::start_with_frozen(frozen.clone()).await;
    let b = Browser::start().await;

    // Step 1: set up, answer 1-① はい, and wait until the server has it.
    b.set_up_facility(&server.url, "けやき薬局", "pharmacy", "小林")
        .await;
    b.click(".checklist-row .checklist-link").await;
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    b.wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    let doc = b
        .eval_string("return document.querySelector('section.checklist').dataset.doc")
        .await;
    let doc = DocumentId::parse(&doc).unwrap();

    // Step 2: the server stops accepting changes to this checklist; the tablet answers いいえ anyway.
    frozen.freeze(doc);
    b.click(r#"li[data-item="1-①"] button[data-choice="no"]"#)
        .await;

    // Step 3: told in plain words; the item shows the server's state again.
    let banner = b.wait(".set-aside-banner").await.text().await.unwrap();
    assert!(banner.contains("受け付けなかった変更"), "{banner}");
    b.wait(r#"li[data-item="1-①"][data-answer="yes"]"#).await;

    // Step 4: the copy is listed with the document and the reason, and exports as a file.
    b.eval(
        "window.__exports = []; const orig = URL.createObjectURL; \
         URL.createObjectURL = (blob) => { window.__exports.push(blob.size); return orig(blob); };",
    )
    .await;
    b.click(".set-aside-banner a").await;
    let entry = b.wait(".set-aside").await.text().await.unwrap();
    assert!(
        entry.contains("薬局確認用") && entry.contains("閲覧のみ"),
        "{entry}"
    );
    b.click(".set-aside button.export").await;
    let size = b
        .eval("return window.__exports[0] || 0")
        .await
        .as_u64()
        .unwrap_or_default();
    assert!(
        size > 100,
        "the exported file holds the document ({size} bytes)"
    );

    // Step 5: changes are allowed again: a new answer syncs and stays.
    frozen.thaw(doc);
    b.goto(&format!("{}/checklists/{doc}", server.url)).await;
    b.click(r#"li[data-item="1-①"] button[data-choice="no"]"#)
        .await;
    b.wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    b.client.refresh().await.unwrap();
    b.wait(r#"li[data-item="1-①"][data-answer="no"]"#).await;
    b.close().await;
}
