//! A screen that cannot show what it was asked for says so in Japanese, in place of the screen, and the rest
//! of the app keeps working: a checklist record on the device that does not read (damaged, or written by
//! something else) opens to the error boundary's message with a way home, not to a blank page.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use base64::Engine as _;
use mamori_shared::model::DocumentId;
use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_checklist_shows_the_error_boundary() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "さくら内科", "clinic", "佐藤")
        .await;

    // A record whose checklist metadata is not a checklist's, written straight into the device's store.
    let mut damaged = AutoCommit::new();
    damaged.put(ROOT, "meta", "壊れたデータ").unwrap();
    let id = DocumentId::generate();
    let bytes = base64::engine::general_purpose::STANDARD.encode(damaged.save());
    let stored = b
        .eval_async(&format!(
            "const req = indexedDB.open('mamori');
             req.onsuccess = () => {{
               const tx = req.result.transaction('documents', 'readwrite');
               const bytes = Uint8Array.from(atob('{bytes}'), c => c.charCodeAt(0));
               tx.objectStore('documents').put(bytes, '{id}');
               tx.oncomplete = () => {{ req.result.close(); done('ok'); }};
               tx.onerror = () => done(String(tx.error));
             }};
             req.onerror = () => done(String(req.error));"
        ))
        .await;
    assert_eq!(stored, "ok");

    b.goto(&format!("{}/checklists/{id}", server.url)).await;
    b.wait(".error-boundary").await;
    let shown = b
        .eval_string("return document.querySelector('.error-boundary').innerText")
        .await;
    assert!(shown.contains("この文書を開けません"), "{shown}");
    assert!(shown.contains("この文書を読み込めません"), "{shown}");
    assert!(shown.contains("ホームへ戻る"), "{shown}");

    // The rest of the app still works: home, and the facility's own checklist.
    b.click(".error-boundary a.button").await;
    b.wait(".checklist-row").await;
    b.click(".checklist-row .checklist-link").await;
    b.wait("li.item").await;
}
