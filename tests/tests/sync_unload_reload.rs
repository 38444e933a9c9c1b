//! A document that no connection has open is unloaded from the server's memory and reloaded on demand; edits
//! made to it while it was unloaded (offline, on a device) lose nothing.

use std::time::{Duration, Instant};

use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_shared::schema::checklist;
use mamori_tests::TestServer;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::sync_client::{Device, converge};

fn answered(device: &Device, id: DocumentId) -> Vec<String> {
    checklist::answers(&device.docs[&id])
        .unwrap()
        .into_iter()
        .map(|(item, a)| format!("{item}:{}", a.current.entry.by))
        .collect()
}

async fn loaded(server: &TestServer) -> u64 {
    server.health().await["documents_loaded"]
        .as_u64()
        .expect("documents_loaded")
}

async fn until_unloaded(server: &TestServer) {
    let start = Instant::now();
    while loaded(server).await != 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the idle document stayed in memory"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sync_all(d: &mut Device, id: DocumentId) {
    let start = Instant::now();
    while !d.server_has_all(id) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}: not synced",
            d.name
        );
        d.pump_once(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_unloaded_document_reloads_and_edits_made_meanwhile_lose_nothing() {
    let server = TestServer::start_configured(|c| c.unload_idle_ms = 100).await;
    let id = DocumentId::generate();

    let mut a = Device::new("a");
    a.connect(&server.url).await;
    let mut doc = new_checklist();
    answer(&mut doc, "1-①", Choice::Yes, "a");
    a.add(id, doc).await;
    sync_all(&mut a, id).await;
    assert_eq!(loaded(&server).await, 1);
    a.disconnect().await;
    until_unloaded(&server).await;

    // Edited offline while the server has it only in the store; then back online.
    a.edit(id, |d| answer(d, "2-①", Choice::Yes, "a offline"))
        .await;
    a.connect(&server.url).await;
    sync_all(&mut a, id).await;

    // A device that never had it gets both answers from the reloaded room.
    let mut b = Device::new("b");
    b.connect(&server.url).await;
    b.want(id).await;
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(answered(&b, id), ["1-①:a", "2-①:a offline"]);

    // Both leave; the document unloads again; B edits offline and comes back.
    a.disconnect().await;
    b.disconnect().await;
    until_unloaded(&server).await;
    b.edit(id, |d| answer(d, "2-②", Choice::Yes, "b offline"))
        .await;
    b.connect(&server.url).await;
    sync_all(&mut b, id).await;
    b.disconnect().await;
    until_unloaded(&server).await;

    // Everything is there for a newcomer, loaded once more from the store.
    let mut c = Device::new("c");
    c.connect(&server.url).await;
    c.want(id).await;
    let start = Instant::now();
    while answered(&c, id).len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            answered(&c, id)
        );
        c.pump_once(Duration::from_millis(20)).await;
    }
    assert_eq!(
        answered(&c, id),
        ["1-①:a", "2-①:a offline", "2-②:b offline"]
    );
}
