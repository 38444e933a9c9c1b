//! A new edition of the form without a new build: a made-up edition file (`tests/fixtures/editions/
//! test-r8.json`, derived from the 令和7年度版 and marked as not official) dropped into the server's editions
//! folder beside three bad files. At the next start the good one loads and the bad ones are skipped and
//! named; the edition reaches the 管理者's device, which moves its checklist to it: answers kept (one carried
//! to the item that replaces its own), new and reworded items marked. A device that cannot get the edition
//! (the server's folder emptied since) opens that checklist read-only with the message; the 管理者's device
//! still has it kept.

use std::path::{Path, PathBuf};

use mamori_shared::api::Editions;
use mamori_tests::passkeys::{browser_at, joined, registered_admin, run, status};
use mamori_tests::{Browser, TestServer};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/editions/test-r8.json")
}

fn r7() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/editions/r7.json"),
    )
    .unwrap()
}

/// The editions folder: the made-up edition and three files that must be skipped.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture(), dir.path().join("test-r8.json")).unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ \"id\": \"x\", ").unwrap();
    // Valid, but it names no official file.
    let mut v: serde_json::Value = serde_json::from_str(&r7()).unwrap();
    v["id"] = "test-r9".into();
    std::fs::write(dir.path().join("no-hash.json"), v.to_string()).unwrap();
    // The embedded edition's id, claimed by a file.
    let mut claim: serde_json::Value = serde_json::from_str(&r7()).unwrap();
    claim["official_sha256"] = "ab".repeat(32).into();
    std::fs::write(dir.path().join("r7-again.json"), claim.to_string()).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an edition").unwrap();
    dir
}

/// An element's text once it is there (read in the page: the view may re-render it meanwhile).
async fn text_of(b: &Browser, css: &str) -> String {
    b.wait(css).await;
    b.eval_string(&format!(
        "return document.querySelector({css:?}).textContent"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edition_from_the_folder_reaches_a_device_and_a_checklist_moves_to_it() {
    let server = TestServer::start().await;
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;
    let id = admin
        .eval_string("return document.querySelector('.checklist-row').dataset.doc")
        .await;
    // The same address after each restart (same port).
    let url = server.url.clone();
    let page = |section: u8| format!("{url}/checklists/{id}/section/{section}");
    // Answers in the 令和7年度版: 1-① (reworded in the new edition) and 2-⑧ (replaced by 2-⑭).
    admin.goto(&page(1)).await;
    admin.answer_yes("1-①").await;
    admin.goto(&page(2)).await;
    admin.answer_yes("2-⑧").await;
    admin
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    // The seal panel comes with the same chunk as the offer: once it shows, no offer means none is due.
    admin.wait(".seal-panel").await;
    assert!(admin.absent(".edition-move").await, "no newer edition yet");

    // The files are dropped into the folder; the server starts again and reads them.
    let editions = folder();
    let dir = editions.path().to_path_buf();
    let server = server.restart(|c| c.editions_dir = Some(dir)).await;
    let listing: Editions = serde_json::from_value(
        run(&admin, "return api('GET', '/api/editions');").await["body"].clone(),
    )
    .unwrap();
    assert_eq!(
        listing
            .editions
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        ["test-r8"]
    );
    assert!(listing.editions[0].confirmed_items < listing.editions[0].items);
    let skipped: Vec<(&str, &str)> = listing
        .skipped
        .iter()
        .map(|s| (s.file.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(
        skipped[0].0 == "broken.json" && skipped[0].1.contains("JSON"),
        "{skipped:?}"
    );
    assert!(
        skipped[1].0 == "no-hash.json" && skipped[1].1.contains("official_sha256"),
        "{skipped:?}"
    );
    assert!(
        skipped[2].0 == "r7-again.json" && skipped[2].1.contains("embedded"),
        "{skipped:?}"
    );

    // Nobody signed in may read the editions (public forms), but only those loaded: a path, or an id far
    // too long, answers as an unknown edition and reads no file.
    let nobody = browser_at(&server).await;
    let get = |path: &str| format!("return api('GET', {path:?});");
    assert_eq!(
        status(&run(&nobody, &get("/api/editions/test-r8")).await),
        200
    );
    for path in [
        "/api/editions/..%2Fbroken.json".to_string(),
        "/api/editions/..%2F..%2Fmamori.db".to_string(),
        format!("/api/editions/{}", "r".repeat(4_000)),
    ] {
        let r = run(&nobody, &get(&path)).await;
        assert_eq!(status(&r), 404, "{path}: {r}");
    }
    nobody.close().await;

    // The device fetches it on its next connection and offers the move, saying what it does.
    admin.goto(&page(1)).await;
    let offer = text_of(&admin, r#".edition-move[data-to="test-r8"]"#).await;
    assert!(offer.contains("3-④"), "new: {offer}");
    assert!(
        offer.contains("1-①") && offer.contains("2-⑭"),
        "reworded: {offer}"
    );
    admin.click(".move-edition").await;
    admin.wait_saved().await;
    admin
        .wait(r#"li[data-item="1-①"][data-answer="yes"] .badge[data-moved="reworded"]"#)
        .await;
    assert!(
        admin.absent(".edition-move").await,
        "moved: no offer any more"
    );
    admin.goto(&page(2)).await;
    // 2-⑧'s answer now answers 2-⑭, which replaces it; 2-⑧ is no longer on the form.
    admin
        .wait(r#"li[data-item="2-⑭"][data-answer="yes"] .badge[data-moved="reworded"]"#)
        .await;
    assert!(admin.absent(r#"li[data-item="2-⑧"]"#).await);
    admin.goto(&page(3)).await;
    admin
        .wait(r#"li[data-item="3-④"][data-answer="none"] .badge[data-moved="new"]"#)
        .await;
    admin
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;

    // The folder emptied: a device that never had the edition opens the checklist read-only, with the
    // message and the answers; the 管理者's device still has it.
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_path_buf();
    let server = server.restart(|c| c.editions_dir = Some(dir)).await;
    let (staff, _) = joined(&server, &admin, "staff", "鈴木 花子").await;
    staff.wait(".checklist-row .edition-missing-badge").await;
    staff.goto(&page(1)).await;
    let missing = text_of(
        &staff,
        r#".checklist[data-edition-missing="test-r8"] .edition-missing"#,
    )
    .await;
    assert!(missing.contains("閲覧のみ"), "{missing}");
    staff
        .wait(r#".answers-read-only tr[data-item="2-⑭"]"#)
        .await;
    assert!(
        staff.absent(".checklist button[data-choice]").await,
        "nothing to answer with"
    );
    admin.goto(&page(3)).await;
    admin
        .wait(r#"li[data-item="3-④"] .badge[data-moved="new"]"#)
        .await;
    admin.close().await;
    staff.close().await;
}
