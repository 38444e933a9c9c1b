//! Registering a facility needs a one-time code from whoever runs the server, with no exemption for any
//! address; whatever anyone can call without a session is rate-limited per client and holds bounded state.

use mamori_shared::model::{DocumentId, FacilityId};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{browser_at, register_facility, run, status};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_needs_a_code_and_a_flood_is_bounded() {
    let server = TestServer::start_signed_in().await;
    let b = browser_at(&server).await;
    let start = |code: &str, kind: &str, name: &str| {
        format!(
            "return api('POST', '/api/facilities/register/start', {});",
            json!({ "facility_id": FacilityId::generate().to_string(), "facility_name": name,
                    "kind": kind, "index_doc": DocumentId::generate().to_string(),
                    "person_name": "佐藤", "code": code })
        )
    };

    // No code, a made-up one: refused, saying what is needed. (The browser is on this machine: no exemption.)
    for code in ["", "AAAA-BBBB-CCCC-DDDD"] {
        let r = run(&b, &start(code, "pharmacy", "みなと薬局")).await;
        assert_eq!(status(&r), 403, "{r}");
        assert!(
            r["body"]["error"]
                .as_str()
                .unwrap()
                .contains("registration-code"),
            "{r}"
        );
    }
    // Every field is checked before anything is kept: an unknown kind, a 1 MB one, a name too long.
    let code = server.registration_code().await;
    for (kind, name) in [
        ("castle", "みなと薬局".to_string()),
        (&*"x".repeat(1 << 20), "みなと薬局".to_string()),
        ("pharmacy", "長".repeat(101)),
    ] {
        let r = run(&b, &start(&code, kind, &name)).await;
        assert_eq!(
            status(&r),
            400,
            "{}",
            r.to_string().chars().take(300).collect::<String>()
        );
    }

    // A code registers one facility, once.
    let index = DocumentId::generate().to_string();
    let first = register_facility(
        &b,
        &code,
        &FacilityId::generate().to_string(),
        "みなと薬局",
        &index,
        "佐藤",
    )
    .await;
    assert_eq!(status(&first), 200, "{first}");
    let other = browser_at(&server).await;
    let again = register_facility(
        &other,
        &code,
        &FacilityId::generate().to_string(),
        "別の薬局",
        &DocumentId::generate().to_string(),
        "鈴木",
    )
    .await;
    assert_eq!(status(&again), 403, "{again}");

    // A flood of ceremonies from one client: at most 16 held for it, then 429 with nothing kept.
    let code = server.registration_code().await;
    let flood = run(
        &other,
        &format!(
            "const statuses = []; for (let i = 0; i < 30; i++) {{ {} \
             statuses.push(r.status); }} return {{ status: 200, body: statuses }};",
            start(&code, "pharmacy", "みなと薬局").replacen("return ", "const r = await ", 1)
        ),
    )
    .await;
    let statuses: Vec<u64> = serde_json::from_value(flood["body"].clone()).unwrap();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        16,
        "{statuses:?}"
    );
    assert!(statuses[16..].iter().all(|s| *s == 429), "{statuses:?}");

    // And everything anyone may call without a session is rate-limited per client.
    let probe = run(
        &other,
        "const statuses = []; for (let i = 0; i < 320; i++) { \
         statuses.push((await api('GET', '/api/invitations/no-such-invitation')).status); } \
         return { status: 200, body: statuses };",
    )
    .await;
    let statuses: Vec<u64> = serde_json::from_value(probe["body"].clone()).unwrap();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().rev().take(5).all(|s| *s == 429),
        "{statuses:?}"
    );
    b.close().await;
    other.close().await;
}
