//! A shared tablet: two people take turns in the same open page (no reload), each signing in with their own
//! passkey on the same authenticator. Each person's changes carry an actor id of their own, so the server
//! accepts both (it refuses new changes under another person's actor as impersonation). Edits made offline
//! after the session ended belong to the person last signed in: when someone else signs in first, they are
//! held (not attributed to the newcomer) and sync once their own person signs in again.

use mamori_tests::{Browser, TestServer};

/// Client-side navigation (no page load): settings → サインイン.
async fn to_account(tablet: &Browser) {
    tablet.click("a.icon-button").await;
    tablet.click(".account-link").await;
}

/// Client-side navigation: home → the first checklist; answers its first item; waits until it is synced.
async fn answer_first_item(tablet: &Browser, choice: &str) {
    tablet.click("a.brand").await;
    tablet.click(".checklist-row .checklist-link").await;
    tablet
        .click(&format!("li.item:nth-of-type(1) button.choice-{choice}"))
        .await;
    tablet.wait_saved().await;
}

async fn sign_in_as(tablet: &Browser, name: &str) {
    tablet
        .wait_until(
            &format!("{name} is offered"),
            &format!("[...document.querySelectorAll('button.person')].some(b => b.textContent === '{name}')"),
        )
        .await;
    tablet
        .eval(&format!(
            "[...document.querySelectorAll('button.person')].find(b => b.textContent === '{name}').click()"
        ))
        .await;
    tablet.wait(".me").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_person_on_a_shared_tablet_writes_under_their_own_actor() {
    let server = TestServer::start_signed_in().await;
    // The 管理者 and a staff member who joined on this tablet; from here on one page, no reloads: the
    // 管理者 (signed in) answers.
    let tablet = tablet_with_two_people(&server).await;
    answer_first_item(&tablet, "yes").await;
    tablet
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;

    // The 管理者 signs out; the staff member signs in on the same page and changes the answer.
    to_account(&tablet).await;
    tablet.click(".sign-out").await;
    sign_in_as(&tablet, "田中 一郎").await;
    answer_first_item(&tablet, "no").await;
    tablet
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    let banner = tablet
        .eval("return document.querySelector('.set-aside-banner') !== null")
        .await;
    assert_eq!(
        banner,
        serde_json::json!(false),
        "the staff member's change was refused"
    );
    tablet.close().await;
}

/// Sets up the tablet: the 管理者 佐藤 registers the facility, 田中 joins on the same tablet; 佐藤 signed in.
async fn tablet_with_two_people(server: &TestServer) -> Browser {
    let tablet = Browser::start().await;
    tablet.add_virtual_authenticator().await;
    tablet
        .set_up_facility(&server.url, "ひかり薬局", "pharmacy", "佐藤 花子")
        .await;
    let code = server.registration_code().await;
    tablet
        .goto(&format!("{}/account?code={code}", server.url))
        .await;
    tablet.fill(".person-name", "佐藤 花子").await;
    tablet.click(".register-facility").await;
    tablet.wait(".me").await;
    tablet.goto(&format!("{}/people", server.url)).await;
    tablet.fill(".invite-name", "田中 一郎").await;
    tablet.click(".send-invitation").await;
    tablet.wait(".invite-link").await;
    let link = tablet
        .eval_string("return document.querySelector('.invite-link').value")
        .await;
    tablet.goto(&link).await;
    tablet.fill(".person-name", "田中 一郎").await;
    tablet.click(".accept-invitation").await;
    tablet.wait(".checklist-row").await;
    tablet.goto(&format!("{}/account", server.url)).await;
    tablet.click(".sign-out").await;
    sign_in_as(&tablet, "佐藤 花子").await;
    tablet
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_wait_for_their_own_person_when_someone_else_signs_in_first() {
    let server = TestServer::start_signed_in().await;
    let tablet = tablet_with_two_people(&server).await;
    tablet.goto(&server.url).await;
    let url = tablet.open_first_checklist().await;
    tablet
        .wait(r#".checklist-head .sync-state[data-sync="synced"]"#)
        .await;
    tablet.wait_for_service_worker().await;
    let sato_cookie = mamori_tests::passkeys::session_cookie(&tablet, &server).await;

    // Offline, reopened (a new actor the server has never seen), 佐藤 answers.
    tablet.set_offline(true).await;
    tablet.goto(&url).await;
    tablet
        .click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    tablet
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    tablet.wait_saved().await;
    // Meanwhile 佐藤's session ends (signed out from elsewhere, or it expired).
    let ended =
        mamori_tests::server::post_with_cookie(server.port, "/api/signout", &sato_cookie).await;
    assert!(ended.contains("200"), "{ended}");

    // Back online, 田中 signs in first: 佐藤's edit is not synced as 田中's.
    tablet.set_offline(false).await;
    tablet.goto(&format!("{}/account", server.url)).await;
    sign_in_as(&tablet, "田中 一郎").await;
    tablet.wait(".set-aside-banner").await;
    tablet.goto(&url).await;
    tablet.wait(r#".sync-state[data-sync="synced"]"#).await;
    assert_eq!(
        tablet
            .eval("return document.querySelector('li[data-item=\"1-①\"]').dataset.answer")
            .await,
        "none",
        "the server does not have 佐藤's answer yet"
    );

    // 佐藤 signs in again: the held answer syncs, as 佐藤's.
    tablet.goto(&format!("{}/account", server.url)).await;
    tablet.click(".sign-out").await;
    sign_in_as(&tablet, "佐藤 花子").await;
    tablet.goto(&url).await;
    tablet
        .wait(r#"li[data-item="1-①"][data-answer="yes"] .answered-by"#)
        .await;
    tablet.wait(r#".sync-state[data-sync="synced"]"#).await;
    let by = tablet
        .eval_string(
            r#"return document.querySelector('li[data-item="1-①"] .answered-by').textContent"#,
        )
        .await;
    assert!(by.contains("佐藤 花子"), "{by}");
    let left = tablet
        .eval_async(
            "const open = indexedDB.open('mamori'); open.onsuccess = () => { \
             const r = open.result.transaction('set_aside').objectStore('set_aside').getAll(); \
             r.onsuccess = () => done(r.result.map(e => [e.document, e.reason, e.refusedFor || null])); }; \
             open.onerror = () => done('no db');",
        )
        .await;
    // 佐藤's held edit is no longer aside. What may remain is the facility index's record of the actor
    // 田中's tab used in between, written before the refusal came back: 田中's own change, held for 田中.
    let doc = url.rsplit('/').next().unwrap();
    let entries = left.as_array().unwrap();
    assert!(
        entries.iter().all(|e| e[0] != doc),
        "the checklist's copy was offered again and accepted: {left}"
    );
    let sato = tablet
        .eval_async("fetch('/api/me').then(r => r.json()).then(me => done(me.person_id))")
        .await;
    assert!(
        entries.iter().all(|e| e[2] == sato),
        "whatever is still aside waits for someone other than 佐藤: {left}"
    );
    tablet.close().await;
}
