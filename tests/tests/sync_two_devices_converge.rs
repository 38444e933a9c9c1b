//! Sync through the real server and its SQLite store: two devices edit one checklist, one of them offline for
//! a while, and converge; a device that joins late gets everything; a document created offline syncs when its
//! device comes back; a document nobody has is unavailable.

use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_shared::schema::checklist;
use mamori_tests::TestServer;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::sync_client::{Device, converge};

fn answered(device: &Device, id: DocumentId) -> Vec<String> {
    checklist::answers(&device.docs[&id])
        .unwrap()
        .keys()
        .map(|k| k.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_converge_after_one_was_offline_and_a_late_joiner_gets_everything() {
    let server = TestServer::start().await;
    let id = DocumentId::generate();

    // Step 1: tablet A creates the checklist, answers 1-①, and syncs.
    let mut a = Device::new("tablet-a");
    a.connect(&server.url).await;
    let mut doc = new_checklist();
    answer(&mut doc, "1-①", Choice::Yes, "佐藤");
    a.add(id, doc).await;

    // Step 2: tablet B opens it by id and gets it.
    let mut b = Device::new("tablet-b");
    b.connect(&server.url).await;
    b.want(id).await;
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(answered(&b, id), ["1-①"]);

    // Step 3: B goes offline for "a week": it answers 2-① and rewrites its note 100 times; meanwhile A
    // answers 2-⑥ and keeps editing online (300 changes).
    b.disconnect().await;
    for n in 0..100 {
        b.edit(id, |d| {
            answer(
                d,
                "2-①",
                if n % 2 == 0 { Choice::No } else { Choice::Yes },
                "鈴木",
            )
        })
        .await;
    }
    b.edit(id, |d| answer(d, "2-①", Choice::No, "鈴木")).await;
    for n in 0..300 {
        a.edit(id, |d| {
            answer(
                d,
                "2-⑥",
                if n % 2 == 0 { Choice::No } else { Choice::Yes },
                "佐藤",
            )
        })
        .await;
    }
    a.edit(id, |d| answer(d, "2-⑥", Choice::Yes, "佐藤")).await;

    // Step 4: B comes back: both converge to the same heads with all three answers.
    b.connect(&server.url).await;
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(answered(&a, id), ["1-①", "2-①", "2-⑥"]);
    assert_eq!(answered(&b, id), ["1-①", "2-①", "2-⑥"]);

    // Step 5: C joins late and gets everything.
    let mut c = Device::new("laptop-c");
    c.connect(&server.url).await;
    c.want(id).await;
    converge(&mut [&mut a, &mut b, &mut c], id).await;
    assert_eq!(answered(&c, id), ["1-①", "2-①", "2-⑥"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_created_offline_syncs_when_its_device_comes_back() {
    let server = TestServer::start().await;
    let id = DocumentId::generate();

    // Step 1: created and answered with no connection.
    let mut a = Device::new("offline-tablet");
    let mut doc = new_checklist();
    answer(&mut doc, "3-③", Choice::No, "田中");
    a.add(id, doc).await;

    // Step 2: before A connects, nobody can get it.
    let mut b = Device::new("other");
    b.connect(&server.url).await;
    b.want(id).await;
    while b.pump_once(std::time::Duration::from_millis(200)).await {}
    assert_eq!(b.unavailable, [id], "an unknown document is unavailable");

    // Step 3: A connects; the server accepts the new document. B, still connected, gets it without asking
    // again (its connection stayed subscribed), and a newcomer gets it by asking.
    a.connect(&server.url).await;
    while a.pump_once(std::time::Duration::from_millis(200)).await {}
    converge(&mut [&mut a, &mut b], id).await;
    assert_eq!(answered(&b, id), ["3-③"]);
    let mut c = Device::new("third");
    c.connect(&server.url).await;
    c.want(id).await;
    converge(&mut [&mut a, &mut c], id).await;
    assert_eq!(answered(&c, id), ["3-③"]);
}
