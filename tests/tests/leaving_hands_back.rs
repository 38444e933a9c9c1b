//! Leaving a facility (退職): a staff member edits offline, the 管理者 ends their access meanwhile; when the
//! device next connects it hands its unsynced changes back into the server's quarantine (not merged), then
//! deletes the facility's data (the emergency copy of its contact chart included) and says so. The 管理者 reviews the set and accepts it, which merges it for
//! everyone; a discarded set never reaches the document.

use automerge::transaction::Transactable;
use mamori_shared::model::DocumentId;
use mamori_shared::sync::chunks::craft;
use mamori_tests::TestServer;
use mamori_tests::passkeys::{
    joined, my_facility, post_bytes, registered_admin, run, session_cookie, status,
};
use mamori_tests::server::post_body_with_cookie;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// How many documents the app keeps in IndexedDB on this device.
const STORED_DOCUMENTS: &str = "const open = indexedDB.open('mamori'); \
    open.onsuccess = () => { const r = open.result.transaction('documents').objectStore('documents').count(); \
    r.onsuccess = () => done(r.result); r.onerror = () => done(-1); }; open.onerror = () => done(-1);";

/// Whether the static emergency copy of the contact chart (names and phone numbers) is on the device.
const EMERGENCY_COPY: &str =
    "caches.open('mamori-emergency').then(c => c.match('/emergency')).then(r => done(!!r));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_departed_device_hands_back_then_deletes_and_the_administrator_decides() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let facility = my_facility(&admin).await;
    let (staff, staff_id) = joined(&server, &admin, "staff", "田中 一郎").await;

    let url = staff.open_first_checklist().await;
    staff.wait(r#".sync-state[data-sync="synced"]"#).await;
    // Offline, the staff member answers two items; the device keeps them.
    staff.set_offline(true).await;
    staff.wait(r#".save-state[data-network="offline"]"#).await;
    staff
        .click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    staff
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    staff.click(r#".section-tabs a[href$="/section/2"]"#).await;
    staff
        .click(r#"li[data-item="2-⑥"] button[data-choice="no"]"#)
        .await;
    staff.wait(r#"li[data-item="2-⑥"][data-answer="no"]"#).await;
    staff.wait_saved().await;
    let stored = staff.eval_async(STORED_DOCUMENTS).await.as_i64().unwrap();
    assert!(stored >= 2);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while staff.eval_async(EMERGENCY_COPY).await != serde_json::json!(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "the device keeps the contact chart's emergency copy"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // Meanwhile the 管理者 ends their access.
    let removed = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{staff_id}/remove');"),
    )
    .await;
    assert_eq!(status(&removed), 200, "{removed}");

    // Back online: the device hands back, deletes, and says so.
    staff.set_offline(false).await;
    staff.wait(".departure-notice").await;
    let notice = staff
        .eval_string("return document.querySelector('.departure-notice').textContent")
        .await;
    assert!(notice.contains("みなと薬局"), "{notice}");
    assert!(notice.contains("削除"), "{notice}");
    // It counts the documents it deleted (every one of the facility's on this device).
    assert!(notice.contains(&format!("({stored} 件の文書)")), "{notice}");
    assert_eq!(staff.eval_async(STORED_DOCUMENTS).await, 0);
    assert_eq!(
        staff.eval_async(EMERGENCY_COPY).await,
        serde_json::json!(false),
        "the contact chart's emergency copy (phone numbers) is gone too"
    );
    // Nothing of the facility is shown any more, even after a reload.
    staff.goto(&url).await;
    staff.wait(".departure-notice").await;
    // A later check finds nothing left to delete and leaves the notice as it was (not 「0 件の文書」).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let again = staff
        .eval_string("return document.querySelector('.departure-notice').textContent")
        .await;
    assert_eq!(again, notice);
    assert_eq!(
        staff
            .eval("return document.querySelectorAll('li.item:not([data-answer=\"none\"])').length")
            .await,
        0
    );

    // The server did not merge the handed-back answers.
    admin.goto(&url).await;
    admin.wait(r#"li[data-item="1-①"]"#).await;
    assert_eq!(
        admin
            .eval("return document.querySelectorAll('li.item:not([data-answer=\"none\"])').length")
            .await,
        0,
        "quarantined changes must not reach the document before a decision"
    );
    let list = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/quarantine');"),
    )
    .await;
    let sets = list["body"]["quarantine"].as_array().unwrap();
    let checklist_set = sets
        .iter()
        .find(|s| s["summary"]["kind"] == "checklist")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(checklist_set["person_name"], "田中 一郎");
    assert_eq!(
        checklist_set["summary"]["items"],
        serde_json::json!(["1-①", "2-⑥"])
    );

    // Someone else's device cannot hand anything back for this facility.
    let doc = checklist_set["doc_id"].as_str().unwrap();
    let forged = run(
        &admin,
        &format!("return api('POST', '/api/device/departure/{doc}?facility={facility}', {{}});"),
    )
    .await;
    assert_eq!(status(&forged), 403, "{forged}");

    // The departed device's cookie is no way around the sync bounds: a document whose compressed column
    // inflates to 1 GB is refused as unreadable, at once (sent from here with the device's cookie).
    let cookie = session_cookie(&staff, &server).await;
    // Made before the clock starts: deflating a gigabyte takes this process seconds.
    let bomb = craft::document_column_bomb(1 << 30);
    let started = std::time::Instant::now();
    let bomb = post_body_with_cookie(
        server.port,
        &format!("/api/device/departure/{doc}?facility={facility}"),
        &cookie,
        &bomb,
    )
    .await;
    assert!(bomb.contains(" 400 "), "{bomb}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // A handed-back document that is no Mamori document is quarantined, but accepting it is refused with a
    // clear error and registers nothing; it can still be discarded.
    let mut stray = automerge::AutoCommit::new();
    stray
        .put(automerge::ROOT, "kind", "not-a-mamori-document")
        .unwrap();
    let stray_doc = DocumentId::generate();
    let r = post_bytes(
        &staff,
        &format!("/api/device/departure/{stray_doc}?facility={facility}"),
        &stray.save(),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let stray_set = r["body"]["id"].as_str().unwrap().to_string();
    let r = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/quarantine/{stray_set}/accept');"),
    )
    .await;
    assert_eq!(status(&r), 422, "{r}");
    assert!(
        r["body"]["error"]
            .as_str()
            .unwrap()
            .contains("文書に合いません"),
        "{r}"
    );
    let r = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/quarantine');"),
    )
    .await;
    let stray_row = r["body"]["quarantine"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == stray_set.as_str())
        .cloned();
    assert_eq!(
        stray_row.map(|s| s["decision"].clone()),
        Some(serde_json::Value::Null),
        "still undecided: {r}"
    );
    let r = run(
        &admin,
        &format!(
            "return api('POST', '/api/facilities/{facility}/quarantine/{stray_set}/discard');"
        ),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");

    // Only the person's own actors: the stored checklist plus an answer made under the 管理者's actor id is
    // refused whole, and the device is told not to try again.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        server.data_dir().join("mamori.db").display()
    ))
    .await
    .unwrap();
    let chunks: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT data FROM chunks WHERE doc_id = ? ORDER BY seq")
            .bind(doc)
            .fetch_all(&db)
            .await
            .unwrap();
    let admin_actor: String = sqlx::query_scalar(
        "SELECT actor FROM actor_owners WHERE owner LIKE 'person:%' AND owner != ?",
    )
    .bind(format!("person:{staff_id}"))
    .fetch_one(&db)
    .await
    .unwrap();
    let mut forged = automerge::AutoCommit::load(&chunks.concat())
        .unwrap()
        .with_actor(automerge::ActorId::from(hex(&admin_actor)));
    mamori_tests::fixtures::answer(
        &mut forged,
        "3-①",
        mamori_shared::answer::Choice::Yes,
        "佐藤 花子",
    );
    let r = post_bytes(
        &staff,
        &format!("/api/device/departure/{doc}?facility={facility}"),
        &forged.save(),
    )
    .await;
    assert_eq!(status(&r), 403, "{r}");
    assert_eq!(r["body"]["hand_back_refused"], true, "{r}");

    // Past the window (30 days after leaving) the ended cookie hands back nothing, though the device is
    // still told it left (so that it deletes what it holds).
    sqlx::query("UPDATE people SET disabled_at = disabled_at - 31 * 24 * 3600 * 1000 WHERE id = ?")
        .bind(&staff_id)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE memberships SET ended_at = ended_at - 31 * 24 * 3600 * 1000 WHERE person_id = ? AND ended_at IS NOT NULL",
    )
    .bind(&staff_id)
    .execute(&db)
    .await
    .unwrap();
    let late = post_bytes(
        &staff,
        &format!("/api/device/departure/{stray_doc}?facility={facility}"),
        &stray.save(),
    )
    .await;
    assert_eq!(status(&late), 403, "{late}");
    assert_eq!(late["body"]["hand_back_refused"], true, "{late}");
    let told = run(&staff, "return api('GET', '/api/device/departure');").await;
    assert_eq!(told["body"]["departed"], true, "{told}");

    // The 管理者 accepts the checklist's set on 利用者の管理 and the answers arrive.
    admin.goto(&format!("{}/people", server.url)).await;
    let row = format!(
        r#".quarantine-row:nth-child({}) .accept-quarantine"#,
        sets.iter().position(|s| s == checklist_set).unwrap() + 1
    );
    admin.wait(&row).await;
    admin.click(&row).await;
    admin
        .wait(r#".quarantine-row[data-decision="accepted"]"#)
        .await;
    admin.goto(&url).await;
    admin
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    admin.goto(&format!("{url}/section/2")).await;
    admin.wait(r#"li[data-item="2-⑥"][data-answer="no"]"#).await;

    // A set is decided once.
    let id = checklist_set["id"].as_str().unwrap();
    let again = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/quarantine/{id}/discard');"),
    )
    .await;
    assert_eq!(status(&again), 404, "{again}");

    admin.close().await;
    staff.close().await;
}
