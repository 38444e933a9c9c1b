//! 年次確認の確定, the server half: a 管理者 (fresh passkey proof) seals the facility's checklist as the
//! server holds it; the signed block, as the binder will print it, passes `mamori-server verify-seal`, and
//! the same block with one answer changed does not. The key stays the same across seals and is served for
//! checking elsewhere; another facility's checklist answers as an unknown one; the seal is in the access log.

use mamori_shared::api::{SealKeyInfo, Sealed};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{browser_at, joined, my_facility, registered_admin, run};
use mamori_tests::server::verify_seal;

/// How many seals the facility's access log records (as its 管理者 reads it).
async fn seals_logged(admin: &mamori_tests::Browser, facility: &str) -> usize {
    let log = run(
        admin,
        &format!("return api('GET', '/api/facilities/{facility}/log?kind=sealed');"),
    )
    .await;
    log["body"]["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("the log reads: {log}"))
        .len()
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
    assert!(sealed.text.contains("\nitem 1-1 yes "), "{}", sealed.text);
    assert!(sealed.text.contains("\nhead "), "the heads are sealed too");

    // Step 2: the printed block verifies (with text around it, as pdftotext gives a page); changed, not.
    let page = format!("立入検査用資料\n\n{}\n3 / 9\n", sealed.printed);
    let (ok, said) = verify_seal(server.data_dir(), &page);
    assert!(ok && said.contains("seal intact"), "{said}");
    let changed = page.replace("item 1-1 yes", "item 1-1 no");
    assert_ne!(changed, page);
    let (ok, said) = verify_seal(server.data_dir(), &changed);
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
    assert_eq!(seals_logged(&admin, &facility).await, 1);
    admin.close().await;
}

/// The attack on sealing from everyone but the facility's own 管理者: nobody signed in, a 担当者 and a
/// 閲覧者 of the facility, the same 担当者 once removed, and another facility's 管理者 (naming this facility,
/// or naming their own with this facility's checklist). None of them gets a signature, and the access log
/// records no seal. Nobody signed in cannot set a reminder address either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_facility_s_own_administrator_seals() {
    let server = TestServer::start().await;
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;
    let facility = my_facility(&admin).await;
    let checklist = admin
        .eval_string("return document.querySelector('.checklist-row').dataset.doc")
        .await;
    let seal =
        format!("return api('POST', '/api/facilities/{facility}/checklists/{checklist}/seal');");
    let refused = |who: &str, r: &serde_json::Value| {
        let status = r["status"].as_u64().unwrap_or(0);
        assert!(
            (400..500).contains(&status) && r["body"]["signature"].is_null(),
            "{who} must not get a seal: {r}"
        );
    };

    // Nobody signed in.
    let nobody = browser_at(&server).await;
    refused("nobody", &run(&nobody, &seal).await);
    refused(
        "nobody's address",
        &run(
            &nobody,
            "return api('PUT', '/api/me/email', { email: 'x@example.jp' });",
        )
        .await,
    );
    refused(
        "nobody's key",
        &run(&nobody, "return api('GET', '/api/seal-key');").await,
    );

    // The facility's 担当者 and 閲覧者.
    let (staff, staff_id) = joined(&server, &admin, "staff", "鈴木 花子").await;
    refused("a 担当者", &run(&staff, &seal).await);
    let (viewer, _) = joined(&server, &admin, "viewer", "高橋 次郎").await;
    refused("a 閲覧者", &run(&viewer, &seal).await);

    // The 担当者, removed (their cookie still in the browser).
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{staff_id}/remove');"),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    refused("a removed person", &run(&staff, &seal).await);

    // Another facility's 管理者, either way round.
    let other = registered_admin(&server, "さくら内科", "佐藤 三郎").await;
    let theirs = my_facility(&other).await;
    refused("another facility's 管理者", &run(&other, &seal).await);
    refused(
        "another facility's 管理者, through their own facility",
        &run(
            &other,
            &format!("return api('POST', '/api/facilities/{theirs}/checklists/{checklist}/seal');"),
        )
        .await,
    );

    // Nothing was sealed.
    assert_eq!(seals_logged(&admin, &facility).await, 0);
    for b in [nobody, staff, viewer, other, admin] {
        b.close().await;
    }
}
