//! A state-changing request a browser sends from another site is refused, whatever cookie it carries:
//! `Sec-Fetch-Site` must say same-origin and an `Origin` must be this server's (the cookie's SameSite=Strict
//! is the first lock; this is the second).

use mamori_tests::TestServer;
use mamori_tests::passkeys::{facility_with_checklist, run, session_cookie, status};
use mamori_tests::server::post_with_headers;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_post_is_refused_and_changes_nothing() {
    let server = TestServer::start_signed_in().await;
    let (admin, facility, _) = facility_with_checklist(&server).await;
    let cookie = session_cookie(&admin, &server).await;
    let own_origin = server.url.clone();

    for (what, headers) in [
        (
            "another Origin",
            vec![
                ("Cookie", cookie.as_str()),
                ("Origin", "http://evil.example"),
            ],
        ),
        (
            "Sec-Fetch-Site: cross-site",
            vec![
                ("Cookie", cookie.as_str()),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        ),
        (
            "Sec-Fetch-Site: same-site",
            vec![("Cookie", cookie.as_str()), ("Sec-Fetch-Site", "same-site")],
        ),
    ] {
        for path in [
            "/api/signout".to_string(),
            format!("/api/facilities/{facility}/log/review"),
        ] {
            let line = post_with_headers(server.port, &path, &headers).await;
            assert!(line.contains(" 403 "), "{what} {path}: {line}");
        }
    }
    // Nothing happened: still signed in, and the log has no review mark.
    let me = run(&admin, "return api('GET', '/api/me');").await;
    assert_eq!(status(&me), 200, "{me}");
    let log = run(
        &admin,
        &format!("return api('GET', '/api/facilities/{facility}/log?kind=reviewed');"),
    )
    .await;
    assert_eq!(
        log["body"]["entries"].as_array().map(Vec::len),
        Some(0),
        "{log}"
    );

    // From its own origin (as the app sends it), the same request goes through.
    let line = post_with_headers(
        server.port,
        "/api/signout",
        &[
            ("Cookie", &cookie),
            ("Origin", &own_origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    )
    .await;
    assert!(line.contains(" 200 "), "{line}");
    let me = run(&admin, "return api('GET', '/api/me');").await;
    assert_eq!(status(&me), 401, "{me}");
    admin.close().await;
}
