//! 年次確認の確定 in the app, end to end: a 管理者 seals the year's check from the checklist screen (a fresh
//! passkey proof), the device writes the seal into the checklist, and a 担当者's tablet that was offline
//! while it was sealed marks the item it changed meanwhile as 「確定後の変更」 once it syncs, as does the
//! 管理者's. The printed form carries the seal: `pdftotext` of the PDF passes `mamori-server verify-seal`,
//! the same text with one answer changed does not. 設定 shows the public key.
//!
//! And the attack: a seal written over sync that the server did not make (its text changed, or signed by
//! another key) is refused and never stored; a 閲覧者 cannot write even the genuine one; the genuine one
//! written by a 担当者's device is kept, and cannot then be removed. Found by it: the
//! server used to drop a refused document from memory but let the refusing connection go on from its copy,
//! refused change included, so the next change on that connection was stored without its dependency and the
//! stored document no longer loaded (now the room is read back from the store in place).

use automerge::ROOT;
use mamori_shared::api::{SealKeyInfo, Sealed};
use mamori_shared::model::DocumentId;
use mamori_shared::schema::checklist;
use mamori_shared::seal::Seal;
use mamori_tests::passkeys::{joined, my_facility, registered_admin, run, session_cookie};
use mamori_tests::server::{stored_document, verify_seal};
use mamori_tests::sync_client::Device;
use mamori_tests::{Browser, TestServer};

/// The text of a PDF, as `pdftotext -layout` (poppler-utils, installed by `scripts/setup.sh --browser`) gives
/// it. Without `-layout`, pdftotext joins a line that ends in "-" to the next, taking it for a hyphenated
/// word, and a seal's lines end in "-" for every date not given.
fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("form.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils: scripts/setup.sh --browser installs it)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

async fn checklist_of(b: &Browser) -> DocumentId {
    let id = b
        .eval_string("return document.querySelector('.checklist-row').dataset.doc")
        .await;
    DocumentId::parse(&id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seal_made_in_the_app_prints_verifies_and_marks_later_changes() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;
    let (staff, _) = joined(&server, &admin, "staff", "鈴木 花子").await;
    let id = checklist_of(&admin).await;
    let page = format!("{}/checklists/{id}/section/1", server.url);

    // The 管理者 answers 1-①; the 担当者's tablet has it, then loses the network.
    admin.goto(&page).await;
    admin.answer_yes("1-①").await;
    staff.goto(&page).await;
    staff
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    staff.wait_for_service_worker().await;
    staff.set_offline(true).await;

    // A 担当者 has no 確定 button (the panel is there, without it); the 管理者 seals once the server has the
    // device's changes.
    staff.wait(".seal-panel").await;
    assert!(staff.absent(".seal-button").await);
    admin
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    admin.click(".seal-button:not([disabled])").await;
    admin.wait(r#".seal-panel[data-sealed="true"]"#).await;
    assert!(admin.absent(".seal-changes").await, "nothing changed since");

    // Offline, the 担当者 answers 2-① (section 2); back online, both devices mark it.
    staff
        .goto(&format!("{}/checklists/{id}/section/2", server.url))
        .await;
    staff.answer_yes("2-①").await;
    staff.set_offline(false).await;
    for (who, b) in [("the 担当者", &staff), ("the 管理者", &admin)] {
        b.goto(&format!("{}/checklists/{id}/section/2", server.url))
            .await;
        b.wait_until(
            &format!("{who} sees the seal and the change after it"),
            r#"(() => {
                const card = document.querySelector('li[data-item="2-①"]');
                const banner = document.querySelector('.seal-panel[data-sealed="true"] .seal-changes');
                return card?.dataset.sealedChange === 'true' && banner?.dataset.count === '1'
                    && document.querySelector('li[data-item="2-②"]')?.dataset.sealedChange === undefined;
            })()"#,
        )
        .await;
    }

    // The printed form: pdftotext of the PDF verifies; one answer changed in it does not.
    admin
        .goto(&format!("{}/checklists/{id}/print", server.url))
        .await;
    admin.wait(".seal-print .seal-qr svg").await;
    let pdf = admin.print_pdf().await;
    let text = pdftotext(&pdf);
    assert!(text.contains("確定後の変更 1件: 2-①"), "{text}");
    let (ok, said) = verify_seal(server.data_dir(), &text);
    assert!(ok && said.contains("seal intact"), "{said}\n{text}");
    let changed = text.replace("item 1-1 yes", "item 1-1 no");
    assert_ne!(changed, text, "{text}");
    let (ok, said) = verify_seal(server.data_dir(), &changed);
    assert!(!ok && said.contains("NOT valid"), "{said}");

    // 設定 shows the key that signed.
    let key: SealKeyInfo = serde_json::from_value(
        run(&admin, "return api('GET', '/api/seal-key');").await["body"].clone(),
    )
    .unwrap();
    admin.goto(&format!("{}/settings", server.url)).await;
    admin.wait(".seal-public-key").await;
    let shown = admin
        .eval_string("return document.querySelector('.seal-public-key').textContent")
        .await;
    assert_eq!(shown, key.public_key);
    assert!(text.contains(&format!("key {}", key.key_id)), "{text}");
    admin.close().await;
    staff.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seal_the_server_did_not_make_is_refused_over_sync() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;
    let facility = my_facility(&admin).await;
    let (staff, _) = joined(&server, &admin, "staff", "鈴木 花子").await;
    let id = checklist_of(&admin).await;
    admin
        .goto(&format!("{}/checklists/{id}/section/1", server.url))
        .await;
    admin.answer_yes("1-①").await;
    admin
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/checklists/{id}/seal');"),
    )
    .await;
    let sealed: Sealed = serde_json::from_value(r["body"].clone()).unwrap();
    let genuine = Seal::read(&sealed.printed).unwrap();

    // The 担当者's own native device, signed in as them, holding the checklist.
    let mut device = Device::new("staff");
    device
        .try_connect(&server.url, Some(&session_cookie(&staff, &server).await))
        .await
        .unwrap();
    assert!(device.opened(id).await);
    while device
        .pump_once(std::time::Duration::from_millis(100))
        .await
    {}

    let mut tampered = genuine.clone();
    tampered.text = tampered.text.replace("item 1-1 yes", "item 1-1 no");
    let mut self_signed = genuine.clone();
    self_signed.key_id = "0123456789abcdef".into();
    for (what, forged) in [("its text changed", tampered), ("another key", self_signed)] {
        let refused_before = device.refused.len();
        device
            .edit(id, |doc| checklist::put_seal(doc, &forged).unwrap())
            .await;
        refused_with(&mut device, refused_before, "署名").await;
        assert_eq!(
            checklist::seal(&stored_document(server.data_dir(), id).await),
            None,
            "{what}: nothing stored"
        );
        // The refusal set the device's copy aside; it starts again from the server's.
        assert!(device.opened(id).await);
        while device
            .pump_once(std::time::Duration::from_millis(100))
            .await
        {}
    }

    // A 閲覧者's device cannot write even the genuine seal: read-only, nothing stored.
    let (viewer, _) = joined(&server, &admin, "viewer", "高橋 次郎").await;
    let mut watcher = Device::new("viewer");
    watcher
        .try_connect(&server.url, Some(&session_cookie(&viewer, &server).await))
        .await
        .unwrap();
    assert!(watcher.opened(id).await);
    while watcher
        .pump_once(std::time::Duration::from_millis(100))
        .await
    {}
    watcher
        .edit(id, |doc| checklist::put_seal(doc, &genuine).unwrap())
        .await;
    refused_with(&mut watcher, 0, "閲覧のみ").await;
    assert_eq!(
        checklist::seal(&stored_document(server.data_dir(), id).await),
        None
    );

    // The genuine seal, written by a device as the app writes it: kept.
    device
        .edit(id, |doc| checklist::put_seal(doc, &genuine).unwrap())
        .await;
    device.synced(id).await;
    let kept = stored_document(server.data_dir(), id).await;
    assert_eq!(checklist::seal(&kept), Some(genuine.clone()));

    // Once kept, the 担当者's device cannot take it away again.
    let before = device.refused.len();
    device
        .edit(id, |doc| {
            automerge::transaction::Transactable::delete(doc, ROOT, "seal").unwrap()
        })
        .await;
    refused_with(&mut device, before, "removed").await;
    assert_eq!(
        checklist::seal(&stored_document(server.data_dir(), id).await),
        Some(genuine)
    );
    for b in [admin, staff, viewer] {
        b.close().await;
    }
}

/// Pumps `device` until the server refuses something after the first `before` refusals (10 s at most), and
/// checks the reason says `says`.
async fn refused_with(device: &mut Device, before: usize, says: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while device.refused.len() == before {
        assert!(std::time::Instant::now() < deadline, "not refused ({says})");
        device.pump_once(std::time::Duration::from_millis(50)).await;
    }
    let (_, reason) = device.refused.last().unwrap();
    assert!(reason.contains(says), "{says}: {reason}");
}
