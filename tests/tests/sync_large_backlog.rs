//! A tablet back with a large backlog (a week offline, several big ledger imports): the server takes at most
//! `MAX_OPS_PER_MESSAGE` operations in one message, so the whole backlog in one message is refused, and the
//! app's sync core sends it over several messages instead; everything arrives and a second device gets it.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use mamori_shared::model::DocumentId;
use mamori_shared::sync::chunks::MAX_OPS_PER_MESSAGE;
use mamori_tests::TestServer;
use mamori_tests::attacker::{Answer, Attacker, sync_message};
use mamori_tests::sync_client::Device;

/// 40 changes of 2,500 operations: 100,000 in all, over the cap for one message.
fn backlog() -> AutoCommit {
    let mut doc = AutoCommit::new();
    for c in 0..40 {
        for o in 0..2_500 {
            doc.put(ROOT, format!("row-{c:02}-{o:04}"), o).unwrap();
        }
        doc.commit();
    }
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_over_the_cap_goes_in_batches_and_arrives_whole() {
    let server = TestServer::start().await;
    let mut doc = backlog();
    let ops: usize = doc.get_changes(&[]).iter().map(|c| c.len()).sum();
    assert!(ops as u64 > MAX_OPS_PER_MESSAGE);

    // All of it in one message, as Automerge alone would send it: refused, with what to do instead.
    let all: Vec<Vec<u8>> = doc
        .get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let attacked = DocumentId::generate();
    let mut raw = Attacker::connect(&server.url, None, None).await;
    let answer = raw.send(attacked, sync_message(doc.get_heads(), all)).await;
    assert!(
        matches!(&answer, Answer::Error(e) if e.contains("several messages")),
        "{answer:?}"
    );
    // Nothing of it was kept: another peer asking for that document finds none.
    let mut probe = Attacker::connect(&server.url, None, None).await;
    let answer = probe
        .send(attacked, sync_message(Vec::new(), Vec::new()))
        .await;
    assert!(
        matches!(answer, Answer::Unavailable | Answer::Sync(_)),
        "{answer:?}"
    );
    if let Answer::Sync(reply) = answer {
        let reply = automerge::sync::Message::decode(&reply).unwrap();
        assert!(reply.heads.is_empty(), "the refused changes were kept");
    }

    // The sync core sends it in batches: every change arrives, and a second device gets the document.
    let id = DocumentId::generate();
    let mut tablet = Device::new("tablet");
    tablet.add(id, doc.fork()).await;
    tablet.connect(&server.url).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !tablet.server_has_all(id) {
        assert!(Instant::now() < deadline, "the backlog did not arrive");
        assert!(tablet.errors.is_empty(), "{:?}", tablet.errors);
        assert!(tablet.refused.is_empty(), "{:?}", tablet.refused);
        assert!(tablet.is_online(), "the server closed the connection");
        tablet.pump_once(Duration::from_millis(50)).await;
    }

    let mut office = Device::new("office-pc");
    office.connect(&server.url).await;
    office.want(id).await;
    while office.heads(id) != doc.get_heads() {
        assert!(
            Instant::now() < deadline,
            "the second device did not get it"
        );
        office.pump_once(Duration::from_millis(50)).await;
    }
    assert_eq!(office.docs[&id].length(ROOT), 100_000);
}
