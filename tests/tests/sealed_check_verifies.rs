//! 年次確認の確定, the server half: a 管理者 (fresh passkey proof) seals the facility's checklist as the
//! server holds it; the signed block, as the binder will print it, passes `mamori-server verify-seal`, and
//! the same block with one answer changed does not. The key stays the same across seals and is served for
//! checking elsewhere; another facility's checklist answers as an unknown one; the seal is in the access log.

use mamori_shared::api::{SealKeyInfo, Sealed};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{my_facility, registered_admin, run};
use mamori_tests::server::server_binary;

/// `mamori-server verify-seal` on `text`: (exit success, what it printed).
fn verify(server: &TestServer, text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seal.txt");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(server_binary())
        .arg("--data-dir")
        .arg(server.data_dir())
        .arg("verify-seal")
        .arg("--file")
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_checklist_verifies_and_a_changed_one_does_not() {
    let server = TestServer::start().await;
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;
    let facility = my_facility(&admin).await;
    let checklist = admin
        .eval_string("return document.querySelector('.checklist-row').dataset.doc")
        .await;

    // Step 1: 1-① はい, synced; then the 管理者 closes the year.
    admin.click(".checklist-row .checklist-link").await;
    admin
        .click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    admin.wait_saved().await;
    admin.goto(&server.url).await;
    admin
        .wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/checklists/{checklist}/seal');"),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    let sealed: Sealed = serde_json::from_value(r["body"].clone()).unwrap();
    assert!(sealed.text.contains(&format!("checklist {checklist}\n")));
    assert!(sealed.text.contains("\nitem 1-① yes "), "{}", sealed.text);
    assert!(sealed.text.contains("\nhead "), "the heads are sealed too");

    // Step 2: the printed block verifies (with text around it, as pdftotext gives a page); changed, not.
    let page = format!("立入検査用資料\n\n{}\n3 / 9\n", sealed.printed);
    let (ok, said) = verify(&server, &page);
    assert!(ok && said.contains("seal intact"), "{said}");
    let changed = page.replace("item 1-① yes", "item 1-① no");
    assert_ne!(changed, page);
    let (ok, said) = verify(&server, &changed);
    assert!(!ok && said.contains("NOT valid"), "{said}");

    // Step 3: the key is served, and stays the one that signed.
    let r = run(&admin, "return api('GET', '/api/seal-key');").await;
    let key: SealKeyInfo = serde_json::from_value(r["body"].clone()).unwrap();
    assert_eq!(key.key_id, sealed.key_id);
    assert_eq!(key.public_key.len(), 64);

    // Step 4: another facility's (or no) checklist: unknown. The seal is in the access log.
    let other = mamori_shared::model::DocumentId::generate();
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/checklists/{other}/seal');"),
    )
    .await;
    assert_eq!(r["status"], 404, "{r}");
    let log = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/log?kind=sealed');"),
    )
    .await;
    assert_eq!(
        log["body"]["entries"].as_array().map(Vec::len),
        Some(1),
        "{log}"
    );
    admin.close().await;
}
