//! People and passkeys through the real server in headless Chromium with DevTools' virtual authenticator, on
//! localhost: an administrator registers the facility and a passkey; invites a staff member and a vendor's
//! user, each of whom joins in their own browser with their own passkey; invitations are single use; only an
//! administrator may invite; sign-out ends the session and a passkey signs back in; forged tokens are refused.

use mamori_tests::TestServer;
use mamori_tests::passkeys::{browser_at, run, status};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_registers_the_facility_and_invites_staff_and_a_vendor() {
    let server = TestServer::start().await;
    let facility = uuid_like();
    let vendor = uuid_like();
    let index_doc = mamori_shared::model::DocumentId::generate().to_string();

    // The administrator registers the facility set up on this tablet, with a passkey.
    let admin = browser_at(&server).await;
    let registered = run(
        &admin,
        &format!(
            "return register('/api/facilities/register/start', {}, '/api/facilities/register/finish');",
            json!({ "facility_id": facility, "facility_name": "みなと薬局", "kind": "pharmacy",
                    "index_doc": index_doc, "person_name": "佐藤 花子",
                    "code": server.registration_code().await })
        ),
    )
    .await;
    assert_eq!(status(&registered), 200, "{registered}");
    let admin_id = registered["body"]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    let me = run(&admin, "return api('GET', '/api/me');").await;
    assert_eq!(me["body"]["name"], "佐藤 花子");
    assert_eq!(
        me["body"]["memberships"],
        json!([{ "facility": facility, "role": "admin", "vendor": null,
                 "facility_name": "みなと薬局", "index_doc": index_doc, "documents": [] }])
    );
    // The session cookie is HttpOnly: page scripts cannot read it.
    assert_eq!(run(&admin, "return document.cookie;").await, json!(""));

    // A second registration of the same facility is refused, even with a fresh code.
    let again = run(
        &admin,
        &format!(
            "return api('POST', '/api/facilities/register/start', {});",
            json!({ "facility_id": facility, "facility_name": "x", "kind": "pharmacy",
                    "index_doc": index_doc, "person_name": "誰か",
                    "code": server.registration_code().await })
        ),
    )
    .await;
    assert_eq!(status(&again), 409, "{again}");

    // Invitations: one for staff, one for the vendor's user.
    let invite = |role: &str, vendor: Option<&str>, name: &str| {
        format!(
            "return api('POST', '/api/facilities/{facility}/invitations', {});",
            json!({ "role": role, "vendor_id": vendor, "name": name })
        )
    };
    let staff_inv = run(&admin, &invite("staff", None, "田中 一郎")).await;
    assert_eq!(status(&staff_inv), 200, "{staff_inv}");
    let staff_token = staff_inv["body"]["token"].as_str().unwrap().to_string();
    assert!(
        staff_inv["body"]["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/invite/{staff_token}"))
    );
    let vendor_inv = run(
        &admin,
        &invite("vendor", Some(&vendor), "山本（〇〇システム）"),
    )
    .await;
    let vendor_token = vendor_inv["body"]["token"].as_str().unwrap().to_string();
    let no_vendor = run(&admin, &invite("vendor", None, "誰か")).await;
    assert_eq!(
        status(&no_vendor),
        400,
        "a vendor invitation must name the vendor"
    );

    // Staff joins in their own browser.
    let staff = browser_at(&server).await;
    let info = run(
        &staff,
        &format!("return api('GET', '/api/invitations/{staff_token}');"),
    )
    .await;
    assert_eq!(info["body"]["facility_name"], "みなと薬局");
    assert_eq!(info["body"]["role"], "staff");
    let joined = run(
        &staff,
        &format!(
            "return register('/api/invitations/{staff_token}/start', {{ person_name: '田中 一郎' }}, '/api/invitations/{staff_token}/finish');"
        ),
    )
    .await;
    assert_eq!(status(&joined), 200, "{joined}");
    let me = run(&staff, "return api('GET', '/api/me');").await;
    assert_eq!(me["body"]["memberships"][0]["role"], "staff");

    // The link is single use.
    let reused = run(
        &staff,
        &format!("return api('GET', '/api/invitations/{staff_token}');"),
    )
    .await;
    assert_eq!(status(&reused), 410);
    assert!(
        reused["body"]["error"]
            .as_str()
            .unwrap()
            .contains("使用済み")
    );

    // Only an administrator may invite.
    let by_staff = run(&staff, &invite("viewer", None, "x")).await;
    assert_eq!(status(&by_staff), 403, "{by_staff}");

    // The vendor's user joins, tied to the vendor entity.
    let vendor_browser = browser_at(&server).await;
    let joined = run(
        &vendor_browser,
        &format!(
            "return register('/api/invitations/{vendor_token}/start', {{ person_name: '山本 次郎' }}, '/api/invitations/{vendor_token}/finish');"
        ),
    )
    .await;
    assert_eq!(status(&joined), 200, "{joined}");
    let me = run(&vendor_browser, "return api('GET', '/api/me');").await;
    assert_eq!(
        me["body"]["memberships"],
        json!([{ "facility": facility, "role": "vendor", "vendor": vendor,
                 "facility_name": "みなと薬局", "index_doc": null, "documents": [] }])
    );

    // Sign-out ends the session; the passkey signs back in (user verification by the virtual authenticator).
    let out = run(&admin, "return api('POST', '/api/signout');").await;
    assert_eq!(status(&out), 200);
    assert_eq!(
        status(&run(&admin, "return api('GET', '/api/me');").await),
        401
    );
    let back = run(&admin, &format!("return signIn('{admin_id}');")).await;
    assert_eq!(status(&back), 200, "{back}");
    assert_eq!(
        status(&run(&admin, "return api('GET', '/api/me');").await),
        200
    );

    // Signed in twice more (the browser keeps only the newest cookie; the older session stays live on the
    // server, as one on another device would): the person sees both and ends the other one.
    let again = run(&admin, &format!("return signIn('{admin_id}');")).await;
    assert_eq!(status(&again), 200, "{again}");
    let listed = run(&admin, "return api('GET', '/api/sessions');").await;
    let list = listed["body"]["sessions"].as_array().unwrap().clone();
    let other: Vec<_> = list.iter().filter(|s| s["current"] == false).collect();
    assert_eq!(list.len(), 1 + other.len());
    assert!(!other.is_empty(), "{listed}");
    for s in &other {
        let id = s["id"].as_str().unwrap();
        let ended = run(
            &admin,
            &format!("return api('DELETE', '/api/sessions/{id}');"),
        )
        .await;
        assert_eq!(status(&ended), 200, "{ended}");
    }
    let listed = run(&admin, "return api('GET', '/api/sessions');").await;
    assert_eq!(listed["body"]["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(
        status(&run(&admin, "return api('GET', '/api/me');").await),
        200
    );

    // Sign-in attempts are rate-limited per account (and per address).
    let mut last = 0;
    for _ in 0..12 {
        let r = run(
            &staff,
            &format!("return api('POST', '/api/signin/start', {{ person_id: '{admin_id}' }});"),
        )
        .await;
        last = status(&r);
    }
    assert_eq!(last, 429, "the 12th attempt within minutes is refused");

    // A forged session token is refused.
    let forged = raw_get(server.port, "/api/me", "mamori_session=forged-token").await;
    assert!(forged.starts_with("HTTP/1.1 401"), "{forged}");

    // A revoked invitation cannot be used.
    let inv = run(&admin, &invite("viewer", None, "鈴木")).await;
    let (id, token) = (
        inv["body"]["id"].as_str().unwrap().to_string(),
        inv["body"]["token"].as_str().unwrap().to_string(),
    );
    let revoked = run(
        &admin,
        &format!("return api('DELETE', '/api/facilities/{facility}/invitations/{id}');"),
    )
    .await;
    assert_eq!(status(&revoked), 200, "{revoked}");
    let refused = run(
        &admin,
        &format!("return api('GET', '/api/invitations/{token}');"),
    )
    .await;
    assert_eq!(status(&refused), 410);
    assert!(
        refused["body"]["error"]
            .as_str()
            .unwrap()
            .contains("取り消")
    );
    let refused = run(
        &admin,
        &format!(
            "return api('POST', '/api/invitations/{token}/start', {{ person_name: '鈴木' }});"
        ),
    )
    .await;
    assert_eq!(status(&refused), 410);

    for b in [admin, staff, vendor_browser] {
        b.close().await;
    }
}

fn uuid_like() -> String {
    mamori_shared::model::FacilityId::generate().to_string()
}

async fn raw_get(port: u16, path: &str, cookie: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_invitations_and_sessions_are_refused() {
    // Invitations that expire at once, and sessions that end after no idle time at all.
    let server = TestServer::start_configured(|c| {
        c.invitation_days = 0;
        c.session_idle_minutes = 0.0;
    })
    .await;
    let facility = uuid_like();
    let admin = browser_at(&server).await;
    let registered = mamori_tests::passkeys::register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "期限テスト薬局",
        &mamori_shared::model::DocumentId::generate().to_string(),
        "佐藤",
    )
    .await;
    assert_eq!(status(&registered), 200, "{registered}");
    // The session from registration is already past its idle limit.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let me = run(&admin, "return api('GET', '/api/me');").await;
    assert_eq!(status(&me), 401, "{me}");
    assert!(me["body"]["error"].as_str().unwrap().contains("セッション"));
    admin.close().await;

    // An invitation made on a server where they last no time is expired when used.
    let server = TestServer::start_configured(|c| c.invitation_days = 0).await;
    let facility = uuid_like();
    let admin = browser_at(&server).await;
    let r = mamori_tests::passkeys::register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "期限テスト医院",
        &mamori_shared::model::DocumentId::generate().to_string(),
        "佐藤",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    let (_, token) = mamori_tests::passkeys::invite(&admin, &facility, "staff", None, "田中").await;
    let info = run(
        &admin,
        &format!("return api('GET', '/api/invitations/{token}');"),
    )
    .await;
    assert_eq!(status(&info), 410);
    assert!(info["body"]["error"].as_str().unwrap().contains("期限切れ"));
    admin.close().await;
}
