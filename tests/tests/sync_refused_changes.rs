//! A device's changes that the server refuses (here a rule set by the test) are never applied: the device is
//! told which document and why, sets its copy aside whole (nothing entered is lost), starts that document again
//! from the server's state, and syncs on; one refusal never blocks the document.

use std::sync::Arc;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use mamori_server::gate::Frozen;
use mamori_shared::model::DocumentId;
use mamori_tests::TestServer;
use mamori_tests::sync_client::{Device, converge};

fn status(doc: &AutoCommit) -> Option<String> {
    doc.get(ROOT, "status")
        .ok()
        .flatten()
        .and_then(|(v, _)| v.into_string().ok())
}

async fn settle(d: &mut Device) {
    while d.pump_once(Duration::from_millis(200)).await {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_changes_are_set_aside_and_the_document_syncs_on() {
    let frozen = Arc::new(Frozen::default());
    let server = TestServer::start_with_frozen(frozen.clone()).await;
    let id = DocumentId::generate();

    // Step 1: the document is created and stored while writes are allowed.
    let mut a = Device::new("tablet");
    a.connect(&server.url).await;
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "status", "draft").unwrap();
    a.add(id, doc).await;
    settle(&mut a).await;
    assert!(a.server_has_all(id));

    // Step 2: the server's rule now refuses changes to it; the device edits anyway.
    frozen.freeze(id);
    a.edit(id, |d| d.put(ROOT, "status", "final").unwrap())
        .await;
    settle(&mut a).await;

    // Step 3: told which document and why; its copy set aside whole; back to the server's state.
    assert_eq!(a.refused.len(), 1);
    assert_eq!(a.refused[0].0, id);
    assert!(a.refused[0].1.contains("閲覧のみ"), "{}", a.refused[0].1);
    let aside = AutoCommit::load(&a.set_aside[0].1).unwrap();
    assert_eq!(
        status(&aside).as_deref(),
        Some("final"),
        "the refused edit is kept on the device"
    );
    assert_eq!(
        status(&a.docs[&id]).as_deref(),
        Some("draft"),
        "the document restarts from the server"
    );

    // Step 4: nothing was applied on the server.
    let mut b = Device::new("other");
    b.connect(&server.url).await;
    b.want(id).await;
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(status(&b.docs[&id]).as_deref(), Some("draft"));

    // Step 5: the refusal does not block the document: once allowed, new edits sync.
    frozen.thaw(id);
    a.edit(id, |d| d.put(ROOT, "status", "reviewed").unwrap())
        .await;
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(status(&b.docs[&id]).as_deref(), Some("reviewed"));
}
