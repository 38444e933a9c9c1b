//! A device fetches every document its facility index lists but it lacks at every connect, not only when
//! the index changes: a document that was not on the server yet when the index arrived, or whose fetch a
//! reload cut off, is not left missing until someone edits the index again.

use std::time::{Duration, Instant};

use mamori_tests::{Browser, TestServer};

/// Whether this browser's IndexedDB holds document `id`.
fn stored(id: &str) -> String {
    format!(
        "const open = indexedDB.open('mamori'); open.onsuccess = () => {{ \
         const r = open.result.transaction('documents').objectStore('documents').get({id:?}); \
         r.onsuccess = () => done(r.result !== undefined); r.onerror = () => done(false); }}; \
         open.onerror = () => done(false);"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_document_the_device_lacks_is_fetched_at_the_next_connect() {
    let server = TestServer::start().await;
    let a = Browser::start().await;
    a.set_up_facility(&server.url, "ひかりクリニック", "clinic", "佐藤")
        .await;
    let join = a.join_link(&server.url).await;
    let b = Browser::start().await;
    b.goto(&join).await;
    b.wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;
    let url = b.open_first_checklist().await;
    let id = url.rsplit('/').next().unwrap().to_string();
    assert_eq!(b.eval_async(&stored(&id)).await, true);

    // The checklist's copy is gone from B (its index still lists it), and B starts again.
    b.goto(&format!("{}/settings", server.url)).await;
    let deleted = b
        .eval_async(&format!(
            "const open = indexedDB.open('mamori'); open.onsuccess = () => {{ \
             const t = open.result.transaction('documents', 'readwrite'); \
             t.objectStore('documents').delete({id:?}); t.oncomplete = () => done(true); \
             t.onerror = () => done(false); }};"
        ))
        .await;
    assert_eq!(deleted, true);
    b.goto(&server.url).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while b.eval_async(&stored(&id)).await != true {
        assert!(
            Instant::now() < deadline,
            "the listed checklist was not fetched again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    a.close().await;
    b.close().await;
}
