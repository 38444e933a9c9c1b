//! The server's disk fills up (SQLite in a small tmpfs): a device's new changes get a clear error and stay
//! on the device, what was acknowledged stays, other devices still read every document, and once there is
//! room again the waiting changes arrive; after a SIGKILL and a restart everything acknowledged is there and
//! the access log verifies.

use std::time::{Duration, Instant};

use automerge::ActorId;
use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::disk::SmallDisk;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::passkeys::facility_at_url;
use mamori_tests::server::{ServerProcess, maintenance};
use mamori_tests::sync_client::Device;

async fn acknowledged(d: &mut Device, doc: DocumentId) {
    let start = Instant::now();
    while !d.server_has_all(doc) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}: not acknowledged (online: {}, errors: {:?}, refused: {:?})",
            d.name,
            d.is_online(),
            d.errors,
            d.refused
        );
        d.pump_once(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_clearly_serves_reads_and_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(data.path(), "24m");
    let mut server = ServerProcess::start_with_data(data, &[]).await;
    let (cookie, _, docs) =
        facility_at_url(&server.url, &server.registration_code().await, 1).await;
    let doc = docs[0];

    let mut writer = Device::new("writer");
    writer
        .try_connect(&server.url, Some(&cookie))
        .await
        .unwrap();
    writer
        .add(
            doc,
            new_checklist().with_actor(ActorId::from(&[0x31; 16][..])),
        )
        .await;
    writer
        .edit(doc, |d| answer(d, "1-①", Choice::Yes, "佐藤 花子"))
        .await;
    acknowledged(&mut writer, doc).await;
    let mut before = writer.heads(doc);

    // The disk fills up (another program's file, say): the next answer is refused with a clear error.
    let filler = disk.fill();
    // The store may still fit a few changes into space it already holds (its write-ahead log is reused):
    // answer until it cannot.
    let mut n = 0;
    while writer.is_online() && n < 2_000 {
        let choice = if n % 2 == 0 { Choice::No } else { Choice::Yes };
        writer
            .edit(doc, |d| answer(d, "1-②", choice, "佐藤 花子"))
            .await;
        writer.pump_once(Duration::from_millis(2)).await;
        if writer.is_online() && writer.server_has_all(doc) {
            before = writer.heads(doc);
        }
        n += 1;
    }
    let start = Instant::now();
    while writer.is_online() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server kept the connection as if it had stored the change"
        );
        writer.pump_once(Duration::from_millis(10)).await;
    }
    assert!(
        writer
            .errors
            .iter()
            .any(|e| e.contains("保存できませんでした")),
        "a clear error: {:?}",
        writer.errors
    );
    assert!(!writer.server_has_all(doc), "nothing claims it was stored");

    // Reads are still served: another device opens the document with everything acknowledged.
    let mut reader = Device::new("reader");
    reader
        .try_connect(&server.url, Some(&cookie))
        .await
        .unwrap();
    assert!(reader.opened(doc).await);
    // (At least what the writer saw acknowledged: the last acknowledgement may have come as it was cut off.)
    let start = Instant::now();
    loop {
        let held = reader.docs.get_mut(&doc).expect("opened");
        if before.iter().all(|h| held.get_change_by_hash(h).is_some()) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the acknowledged state is served"
        );
        reader.pump_once(Duration::from_millis(10)).await;
    }
    // Room again: the waiting answer arrives; then a crash and a restart lose nothing.
    std::fs::remove_file(filler).unwrap();
    let start = Instant::now();
    loop {
        if writer.try_connect(&server.url, Some(&cookie)).await.is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "reconnects");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    writer.want(doc).await;
    acknowledged(&mut writer, doc).await;
    // And the store goes on taking changes, on every connection of its pool (none is left stuck in the
    // transaction the full disk broke).
    for n in 0..12 {
        let choice = if n % 2 == 0 { Choice::Yes } else { Choice::No };
        writer
            .edit(doc, |d| answer(d, "1-③", choice, "佐藤 花子"))
            .await;
        acknowledged(&mut writer, doc).await;
    }
    let after = writer.heads(doc);
    server.crash_and_restart().await;
    let mut check = Device::new("after restart");
    check.try_connect(&server.url, Some(&cookie)).await.unwrap();
    assert!(check.opened(doc).await);
    let start = Instant::now();
    while check.heads(doc) != after {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "acknowledged changes lost"
        );
        check.pump_once(Duration::from_millis(10)).await;
    }
    let (ok, said) = maintenance(server.data_dir(), &["verify-log"]);
    assert!(ok && said.contains("intact"), "{said}");
}
