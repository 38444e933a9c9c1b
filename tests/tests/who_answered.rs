//! Every answer shows who gave it, as the server attributes it: each answer is written by an Automerge
//! actor, the server records which person each actor belongs to, and the app shows that account beside the
//! name typed on the device. Someone from another facility is not given the facility's list of people.

use mamori_tests::TestServer;
use mamori_tests::passkeys::{joined, my_facility, registered_admin, run, status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklist_shows_the_account_that_answered_each_item() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let facility = my_facility(&admin).await;
    let (staff, _) = joined(&server, &admin, "staff", "田中 一郎").await;

    let url = staff.open_first_checklist().await;
    staff
        .click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    staff
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    staff.wait(r#".sync-state[data-sync="synced"]"#).await;

    admin.goto(&url).await;
    admin
        .wait(r#"li[data-item="1-①"][data-answer="yes"] .answered-by"#)
        .await;
    let by = admin
        .eval_string(
            r#"return document.querySelector('li[data-item="1-①"] .answered-by').textContent"#,
        )
        .await;
    assert!(by.contains("田中 一郎"), "{by}");

    // The names come from the server's records, for the facility's own people only.
    let actors = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/actors');"),
    )
    .await;
    assert_eq!(status(&actors), 200, "{actors}");
    let names: Vec<&str> = actors["body"]["actors"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert!(names.contains(&"田中 一郎"), "{actors}");
    let (viewer, _) = joined(&server, &admin, "viewer", "鈴木 三郎").await;
    let as_viewer = run(
        &viewer,
        &format!("return api('GET', '/api/facilities/{facility}/actors');"),
    )
    .await;
    assert_eq!(status(&as_viewer), 200, "a 閲覧者 sees who answered too");
    let stranger = registered_admin(&server, "さくら薬局", "高橋 健").await;
    let other = run(
        &stranger,
        &format!("return api('GET', '/api/facilities/{facility}/actors');"),
    )
    .await;
    assert_eq!(status(&other), 403, "{other}");

    for b in [admin, staff, viewer, stranger] {
        b.close().await;
    }
}
