//! A person's credentials, through the app and the API, in headless Chromium with DevTools' virtual
//! authenticators: sensitive changes need a recent passkey proof (the app asks for it and retries); a lost
//! tablet is replaced by signing in on a new device with a one-time recovery code and adding a passkey
//! there; the last passkey cannot be removed.

use std::time::Duration;

use mamori_tests::passkeys::{joined, my_facility, registered_admin, run, session_cookie, status};
use mamori_tests::sync_client::Device;
use mamori_tests::{Browser, TestServer};

/// The re-authentication window of the test server.
const WINDOW: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensitive_changes_ask_again_and_credentials_can_be_added_removed_and_recovered() {
    let server = TestServer::start_configured(|c| {
        c.open_sync = false;
        c.reauth_seconds = WINDOW.as_secs();
    })
    .await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let facility = my_facility(&admin).await;
    let (viewer, viewer_id) = joined(&server, &admin, "viewer", "鈴木 三郎").await;
    viewer.close().await;
    let role_of = |role: &str| {
        format!(
            "return api('POST', '/api/facilities/{facility}/people/{viewer_id}/role', {{ role: '{role}' }});"
        )
    };

    // Right after a passkey proof, a role change goes through.
    let first = run(&admin, &format!("await reauth(); {}", role_of("staff"))).await;
    assert_eq!(status(&first), 200, "{first}");

    // Later, the server wants a fresh passkey proof and changes nothing without one.
    tokio::time::sleep(WINDOW + Duration::from_millis(500)).await;
    let refused = run(&admin, &role_of("viewer")).await;
    assert_eq!(status(&refused), 403, "{refused}");
    assert_eq!(refused["body"]["reauth"], true, "{refused}");
    // Inviting a new 管理者 grants the most power there is: refused without a fresh proof, like accepting
    // handed-back data; a 担当者's invitation is not.
    let invite = |role: &str| {
        format!(
            "return api('POST', '/api/facilities/{facility}/invitations', {{ role: '{role}', name: '新しい人' }});"
        )
    };
    let refused = run(&admin, &invite("admin")).await;
    assert_eq!(status(&refused), 403, "{refused}");
    assert_eq!(refused["body"]["reauth"], true, "{refused}");
    let staff = run(&admin, &invite("staff")).await;
    assert_eq!(status(&staff), 200, "{staff}");
    let refused = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/quarantine/any/accept');"),
    )
    .await;
    assert_eq!(status(&refused), 403, "{refused}");
    assert_eq!(refused["body"]["reauth"], true, "{refused}");
    let proven = run(&admin, &format!("await reauth(); {}", invite("admin"))).await;
    assert_eq!(status(&proven), 200, "{proven}");
    let people = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/people');"),
    )
    .await;
    let suzuki = |people: &serde_json::Value| {
        people["body"]["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["person_id"] == viewer_id.as_str())
            .unwrap()["role"]
            .clone()
    };
    assert_eq!(suzuki(&people), "staff");

    // Through the app the same change asks the authenticator (user verified) and goes through.
    admin.goto(&format!("{}/people", server.url)).await;
    admin.wait(".person-row:nth-child(2) .person-role").await;
    admin
        .fill(".person-row:nth-child(2) .person-role", "viewer")
        .await;
    let mut role = serde_json::Value::Null;
    for _ in 0..100 {
        let people = run(
            &admin,
            &format!("return api('GET', '/api/facilities/{facility}/people');"),
        )
        .await;
        role = suzuki(&people);
        if role == "viewer" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        role, "viewer",
        "the app re-authenticated and changed the role"
    );

    admin.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_passkey_is_replaced_on_a_new_device_with_a_recovery_code() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let me = run(&admin, "return api('GET', '/api/me');").await;
    let person = me["body"]["person_id"].as_str().unwrap().to_string();

    // Recovery codes, made on サインイン (shown once).
    admin.goto(&format!("{}/account", server.url)).await;
    admin.wait(".make-recovery-codes").await;
    admin.click(".make-recovery-codes").await;
    admin.wait(".recovery-codes li:nth-child(10)").await;
    let codes: Vec<String> = serde_json::from_value(
        admin
            .eval("return [...document.querySelectorAll('.recovery-codes code')].map(c => c.textContent)")
            .await,
    )
    .unwrap();
    assert_eq!(codes.len(), 10);
    let left = run(&admin, "return api('GET', '/api/recovery-codes');").await;
    assert_eq!(left["body"]["remaining"], 10);
    // The lost tablet stays signed in, and keeps its cookie...
    let lost_cookie = session_cookie(&admin, &server).await;
    admin.close().await;

    // The tablet is lost. A new device, whose authenticator holds no passkey of this person, signs in with
    // one code, typed loosely.
    let fresh = Browser::start().await;
    fresh.add_virtual_authenticator().await;
    fresh.goto(&format!("{}/account", server.url)).await;
    fresh.wait(".recovery-sign-in summary").await;
    fresh.click(".recovery-sign-in summary").await;
    let typed = codes[0].to_lowercase().replace('-', " ");
    fresh.fill(".recovery-code", &typed).await;
    fresh.click(".sign-in-with-code").await;
    fresh.wait(".me").await;
    assert_eq!(
        fresh
            .eval_string("return document.querySelector('.me').textContent")
            .await,
        "佐藤 花子"
    );
    let left = run(&fresh, "return api('GET', '/api/recovery-codes');").await;
    assert_eq!(left["body"]["remaining"], 9);
    // ...which the recovery sign-in ended: whoever holds the tablet is signed out, sockets included.
    let lost = Device::new("lost tablet")
        .try_connect(&server.url, Some(&lost_cookie))
        .await;
    assert!(lost.is_err(), "the lost tablet's session still syncs");

    // A code works once; a made-up one never.
    for code in [codes[0].as_str(), "AAAA-BBBB-CCCC-DDDD"] {
        let again = run(
            &fresh,
            &format!("return api('POST', '/api/signin/recovery', {{ code: '{code}' }});"),
        )
        .await;
        assert_eq!(status(&again), 401, "{again}");
    }

    // On the new device: a passkey of its own, added on サインイン.
    fresh.wait(".passkey-row").await;
    fresh.fill(".passkey-name", "新しいタブレット").await;
    fresh.click(".add-passkey").await;
    fresh.wait(".passkey-row:nth-child(2)").await;
    let listed = run(&fresh, "return api('GET', '/api/passkeys');").await;
    let keys = listed["body"]["passkeys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "{listed}");
    assert_eq!(keys[1]["name"], "新しいタブレット");

    // The lost tablet's passkey is removed; the last one cannot be.
    let (lost, new) = (
        keys[0]["id"].as_str().unwrap(),
        keys[1]["id"].as_str().unwrap(),
    );
    let removed = run(
        &fresh,
        &format!("return api('DELETE', '/api/passkeys/{lost}');"),
    )
    .await;
    assert_eq!(status(&removed), 200, "{removed}");
    let last = run(
        &fresh,
        &format!("return api('DELETE', '/api/passkeys/{new}');"),
    )
    .await;
    assert_eq!(status(&last), 409, "{last}");

    // The new passkey signs in.
    let signed = run(&fresh, &format!("return signIn('{person}');")).await;
    assert_eq!(status(&signed), 200, "{signed}");

    fresh.close().await;
}
