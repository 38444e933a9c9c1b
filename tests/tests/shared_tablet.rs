//! A shared tablet: two people take turns in the same open page (no reload), each signing in with their own
//! passkey on the same authenticator. Each person's changes carry an actor id of their own, so the server
//! accepts both (it refuses new changes under another person's actor as impersonation).

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
    let tablet = Browser::start().await;
    tablet.add_virtual_authenticator().await;
    tablet
        .set_up_facility(&server.url, "ひかり薬局", "pharmacy", "佐藤 花子")
        .await;
    tablet.goto(&format!("{}/account", server.url)).await;
    tablet.fill(".person-name", "佐藤 花子").await;
    tablet.click(".register-facility").await;
    tablet.wait(".me").await;

    // The 管理者 invites a staff member, who joins on this tablet with their own passkey.
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

    // From here on one page, no reloads: the 管理者 signs in and answers.
    tablet.goto(&format!("{}/account", server.url)).await;
    tablet.click(".sign-out").await;
    sign_in_as(&tablet, "佐藤 花子").await;
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
