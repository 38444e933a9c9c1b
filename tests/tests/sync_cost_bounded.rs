//! What one crafted sync message can cost the server: a compressed change that inflates to a gigabyte, a
//! document whose DEFLATE'd column does, and a change of a few dozen bytes whose run lengths declare 10^8
//! operations, each sent by a vendor's user (on its own form) and by a 閲覧者. Each is refused as a protocol
//! error, and the server's peak memory (VmHWM, read from /proc while it runs as its own process) rises by
//! less than 256 MB; without the bounds, Automerge would allocate gigabytes.

use mamori_shared::model::{DocumentId, FacilityId, VendorId};
use mamori_shared::sync::chunks::craft;
use mamori_tests::attacker::{Answer, Attacker, sync_message};
use mamori_tests::passkeys::{browser_at_url, issue_token, register_facility, run, status};
use mamori_tests::server::ServerProcess;
use serde_json::json;

const GIGABYTE: usize = 1 << 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_are_refused_within_bounded_memory() {
    let server = ServerProcess::start(&[]).await;
    let facility = FacilityId::generate().to_string();
    let vendor = VendorId::generate().to_string();
    let (index, checklist, vendor_form) = (
        DocumentId::generate(),
        DocumentId::generate(),
        DocumentId::generate(),
    );
    let admin = browser_at_url(&server.url).await;
    let r = register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "さくら診療所",
        &index.to_string(),
        "佐藤",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    for (doc, form, v) in [
        (checklist, "medical", None),
        (vendor_form, "vendor", Some(&vendor)),
    ] {
        let r = run(
            &admin,
            &format!(
                "return api('POST', '/api/facilities/{facility}/documents', {});",
                json!({ "doc_id": doc.to_string(), "form": form, "vendor_id": v })
            ),
        )
        .await;
        assert_eq!(status(&r), 200, "{r}");
    }
    let mut tokens = Vec::new();
    for (role, v, doc) in [
        ("vendor", Some(&vendor), vendor_form),
        ("viewer", None, checklist),
    ] {
        let (_, secret) = issue_token(&admin, &facility, role, role, v.map(String::as_str)).await;
        tokens.push((role, secret, doc));
    }
    let bombs = [
        (
            "compressed change inflating to 1 GB",
            craft::compressed_bomb(GIGABYTE),
        ),
        (
            "document column inflating to 1 GB",
            craft::document_column_bomb(GIGABYTE),
        ),
        (
            "10^8 operations in run lengths",
            craft::run_length_bomb(100_000_000, &[0x42; 16]),
        ),
    ];
    let before = server.memory_kib("VmHWM");
    for (role, token, doc) in &tokens {
        for (what, bomb) in &bombs {
            let mut a = Attacker::connect(&server.url, Some(token), None).await;
            let opened = a.send(*doc, sync_message(Vec::new(), Vec::new())).await;
            assert!(matches!(opened, Answer::Sync(_)), "{role}: {opened:?}");
            let started = std::time::Instant::now();
            let answer = a
                .send(*doc, sync_message(Vec::new(), vec![bomb.clone()]))
                .await;
            println!(
                "{role}, {what} ({} KB on the wire): {answer:?} after {:?}",
                bomb.len() / 1024,
                started.elapsed()
            );
            assert!(
                matches!(&answer, Answer::Error(_)),
                "{role}, {what}: {answer:?}"
            );
        }
    }
    let after = server.memory_kib("VmHWM");
    println!("server peak memory: {before} KiB before, {after} KiB after");
    assert!(
        after.saturating_sub(before) < 256 * 1024,
        "peak memory rose by {} MiB",
        (after - before) / 1024
    );
}
