//! People through the app's own screens, with sign-in required, in headless Chromium with DevTools' virtual
//! authenticator: an administrator sets up a facility on a tablet, registers it on the server with a passkey
//! (サインイン screen), invites a staff member (利用者の管理); the staff member opens the link in their own
//! browser, creates a passkey, and receives the facility's checklists; the administrator then ends that
//! person's access.

use mamori_tests::passkeys::session_cookie;
use mamori_tests::{Browser, TestServer};

async fn with_authenticator() -> Browser {
    let b = Browser::start().await;
    b.add_virtual_authenticator().await;
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_registers_and_invites_and_the_invitee_gets_the_facility() {
    let server = TestServer::start_signed_in().await;

    let admin = with_authenticator().await;
    admin
        .set_up_facility(&server.url, "みなと薬局", "pharmacy", "佐藤 花子")
        .await;
    // Signed out, the server does not sync this device's data, and the app says why.
    admin.wait(".sign-in-banner").await;
    admin.goto(&format!("{}/account", server.url)).await;
    admin.wait(".register-facility").await;
    admin.fill(".person-name", "佐藤 花子").await;
    // Registering needs the one-time code whoever runs the server has: a made-up one is refused.
    admin
        .fill(".registration-code", "AAAA-BBBB-CCCC-DDDD")
        .await;
    admin.click(".register-facility").await;
    admin
        .wait_until(
            "the wrong code is refused",
            "document.querySelector('.notice')?.textContent.includes('登録コード')",
        )
        .await;
    let code = server.registration_code().await;
    admin.fill(".registration-code", &code).await;
    admin.click(".register-facility").await;
    admin.wait(".me").await;
    assert_eq!(
        admin
            .eval_string("return document.querySelector('.me').textContent")
            .await,
        "佐藤 花子"
    );
    // Now the tablet's documents are registered and synced.
    admin.goto(&server.url).await;
    admin
        .wait(r#".checklist-row .sync-state[data-sync="synced"]"#)
        .await;

    // Invite a staff member.
    admin.goto(&format!("{}/people", server.url)).await;
    admin.wait(".person-row").await;
    admin.fill(".invite-name", "田中 一郎").await;
    admin.click(".send-invitation").await;
    admin.wait(".invite-link").await;
    let link = admin
        .eval_string("return document.querySelector('.invite-link').value")
        .await;
    assert!(link.contains("/invite/"), "{link}");
    // The same link as a QR code, as a tablet's camera reads it off the screen.
    let qr = admin.screenshot(".invite-qr").await;
    assert_eq!(
        mamori_tests::read_qr(&qr).as_deref(),
        Some(link.as_str()),
        "the QR code carries the invitation link"
    );

    // The staff member joins from their own browser and gets the facility.
    let staff = with_authenticator().await;
    staff.goto(&link).await;
    staff.wait(".accept-invitation").await;
    assert_eq!(
        staff
            .eval_string("return document.querySelector('.invite .facility-name').textContent")
            .await,
        "みなと薬局"
    );
    staff.fill(".person-name", "田中 一郎").await;
    staff.click(".accept-invitation").await;
    staff.wait(".checklist-row").await;
    let home = staff.eval_string("return document.body.innerText").await;
    assert!(home.contains("みなと薬局"), "{home}");

    // The link is used up.
    let again = with_authenticator().await;
    again.goto(&link).await;
    again.wait(".invite-problem").await;
    assert!(
        again
            .eval_string("return document.querySelector('.invite-problem').textContent")
            .await
            .contains("使用済み")
    );

    // A 閲覧者 joins too, and the app offers no editing (the server would refuse it).
    admin.goto(&format!("{}/people", server.url)).await;
    admin.fill(".invite-name", "鈴木 三郎").await;
    admin.fill(".invite-role", "viewer").await;
    admin.click(".send-invitation").await;
    admin.wait(".invite-link").await;
    let viewer_link = admin
        .eval_string("return document.querySelector('.invite-link').value")
        .await;
    let viewer = with_authenticator().await;
    viewer.goto(&viewer_link).await;
    viewer.wait(".accept-invitation").await;
    assert_eq!(
        viewer
            .eval_string("return document.querySelector('.invite .role').textContent")
            .await,
        "閲覧者"
    );
    viewer.fill(".person-name", "鈴木 三郎").await;
    viewer.click(".accept-invitation").await;
    viewer.wait(".checklist-row").await;
    viewer.open_first_checklist().await;
    viewer
        .wait_until(
            "the answer buttons are disabled",
            "document.querySelectorAll('li.item button.choice').length > 0 && [...document.querySelectorAll('li.item button.choice')].every(e => e.disabled)",
        )
        .await;
    viewer.close().await;

    // The 管理者 makes the 閲覧者 a 担当者 in place; the server records it.
    admin.goto(&format!("{}/people", server.url)).await;
    admin.wait(".person-row:nth-child(3) .person-role").await;
    admin
        .fill(".person-row:nth-child(3) .person-role", "staff")
        .await;
    admin
        .wait_until(
            "the list shows the new role",
            "document.querySelector('.person-row:nth-child(3) .person-role').value === 'staff'",
        )
        .await;
    let people = admin
        .eval_async(
            "fetch('/api/me').then(r => r.json())\
             .then(me => fetch('/api/facilities/' + me.memberships[0].facility + '/people'))\
             .then(r => r.json()).then(done)",
        )
        .await;
    let suzuki = people["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "鈴木 三郎")
        .unwrap_or_else(|| panic!("{people}"));
    assert_eq!(suzuki["role"], "staff", "{people}");

    // The administrator ends the staff member's access; their session no longer works.
    let staff_cookie = session_cookie(&staff, &server).await;
    admin.goto(&format!("{}/people", server.url)).await;
    admin.wait(".person-row:nth-child(2) .remove-person").await;
    admin.eval("window.confirm = () => true;").await;
    admin.click(".person-row:nth-child(2) .remove-person").await;
    admin.wait(".person-row.disabled").await;
    let mut device = mamori_tests::sync_client::Device::new("staff-native");
    assert!(
        device
            .try_connect(&server.url, Some(&staff_cookie))
            .await
            .is_err()
    );

    for b in [admin, staff, again] {
        b.close().await;
    }
}
