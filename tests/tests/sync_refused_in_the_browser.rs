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

/// A server started on its own port without `--public-url` takes its public URL from the address it
/// listens on: the app it serves syncs with it (its WebSocket is not refused for its origin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_a_public_url_accepts_its_own_pages() {
    // Step 1: a server on a free port, no public URL given.
    let server = TestServer::start_configured(|c| c.public_url = None).await;
    assert_eq!(
        server.health().await["public_origin"],
        server.url.as_str(),
        "the public URL follows the port"
    );
    let b = Browser::start().await;

    // Step 2: a facility set up on the tablet reaches the server: 同期済み, green.
    b.set_up_facility(&server.url, "もみじ薬局", "pharmacy", "中村")
        .await;
    b.wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;
    b.wait(r#".save-state[data-where="synced"]"#).await;
    let status = b
        .eval_string("return document.querySelector('.save-state').textContent")
        .await;
    assert!(status.contains("同期済み"), "{status}");
    b.close().await;
}

/// A page opened at an address the server does not take as its own (its public URL names another): the
/// server refuses the WebSocket, and the app says so in Japanese with what to do, asks no more, and never
/// shows a saved-and-synced state; a tablet joining there is told its data cannot arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_origin_is_said_out_loud() {
    // Step 1: the server believes it is opened at another address.
    let server =
        TestServer::start_configured(|c| c.public_url = Some("http://localhost:1".into())).await;
    let b = Browser::start().await;
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": "(() => { const W = window.WebSocket; window.__sockets = 0; \
            window.WebSocket = class extends W { constructor(...a) { window.__sockets++; super(...a); } }; })();" }),
    )
    .await;

    // Step 2: a tablet opens a join link there.
    let index = DocumentId::generate();
    b.goto(&format!("{}/join/{index}", server.url)).await;

    // Step 3: the refusal, in Japanese, with the address to open; the join screen does not wait for ever.
    let banner = b.wait(".refused-banner").await.text().await.unwrap();
    assert!(banner.contains("拒否"), "{banner}");
    assert!(banner.contains("http://localhost:1"), "{banner}");
    assert!(banner.contains("--public-url"), "{banner}");
    b.wait(r#".join-waiting[data-state="refused"]"#).await;
    b.wait(r#".save-state[data-where="refused"]"#).await;
    let status = b
        .eval_string("return document.querySelector('.save-state').textContent")
        .await;
    assert!(
        !status.contains("保存済み") && !status.contains("同期済み"),
        "{status}"
    );

    // Step 4: no retry loop against a refusal.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(b.eval("return window.__sockets").await, 1);
    b.close().await;
}
