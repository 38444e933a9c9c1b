//! Signed out on a server that requires sign-in, a pharmacist tours the app: it asks the server once who is
//! signed in (`/api/me`) and tries the sync socket (`/sync`) once, then makes no call that can only fail,
//! screen after screen and reload after reload (the people and access-log screens say sign-in is needed
//! instead of asking the server); and every screen says where the data is in the same words (この端末のみ),
//! never 「オフライン」 while online.

use mamori_tests::{Browser, TestServer};
use serde_json::json;

/// Counts, per path, the page's `fetch` calls and WebSocket opens, in sessionStorage so the count outlives
/// each navigation; installed before any of the page's scripts run.
const COUNT_CALLS: &str = r#"(() => {
  const bump = (url) => {
    try {
      const path = new URL(url, location.href).pathname;
      const c = JSON.parse(sessionStorage.getItem('__calls') || '{}');
      c[path] = (c[path] || 0) + 1;
      sessionStorage.setItem('__calls', JSON.stringify(c));
    } catch (e) {}
  };
  const f = window.fetch;
  window.fetch = function (input, init) {
    bump(typeof input === 'string' ? input : input.url);
    return f.apply(this, arguments);
  };
  const W = window.WebSocket;
  window.WebSocket = class extends W {
    constructor(...args) { bump(args[0]); super(...args); }
  };
})();"#;

async fn calls(b: &Browser, path: &str) -> u64 {
    b.eval(&format!(
        "return JSON.parse(sessionStorage.getItem('__calls') || '{{}}')[{path:?}] || 0"
    ))
    .await
    .as_u64()
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_tour_asks_the_server_once() {
    let server = TestServer::start_signed_in().await;
    let b = Browser::start().await;
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": COUNT_CALLS }),
    )
    .await;

    // Step 1: a first visit sets up a pharmacy on the device; no one signs in.
    b.set_up_facility(&server.url, "さくら薬局", "pharmacy", "小林")
        .await;
    let checklist = b.open_first_checklist().await;
    // The server was asked once, and said sign-in is needed: the device says its data is here only.
    b.wait(r#".save-state[data-where="device-only"]"#).await;
    b.wait(".sign-in-banner").await;

    // Step 2: thirteen screens, each a fresh page load, and back home.
    let screens = [
        "/".to_string(),
        format!("{checklist}/section/2"),
        format!("{checklist}/section/3"),
        "/contacts".into(),
        "/emergency?app".into(),
        "/incidents".into(),
        "/vendors".into(),
        "/ledgers/devices".into(),
        "/ledgers/accounts".into(),
        "/settings".into(),
        "/account".into(),
        "/people".into(),
        "/log".into(),
        "/set-aside".into(),
        format!("{checklist}/print"),
    ];
    for screen in &screens {
        let url = if screen.starts_with("http") {
            screen.clone()
        } else {
            format!("{}{screen}", server.url)
        };
        b.goto(&url).await;
        b.wait(".save-state").await;
        // Where the data is: the same words on every screen, never 「オフライン」 while online.
        // (A screen may save first: a ledger is made on its first visit.)
        b.wait(r#".save-state[data-state="saved"][data-where="device-only"]"#)
            .await;
        let status = b
            .eval_string("return document.querySelector('.save-state').textContent")
            .await;
        assert!(status.contains("この端末のみ"), "{screen}: {status}");
        let badges = b
            .eval_string(
                "return [...document.querySelectorAll('.sync-state, .save-state')].map(e => e.textContent).join('|')",
            )
            .await;
        assert!(!badges.contains("オフライン"), "{screen}: {badges}");
        assert!(!badges.contains("保存済み"), "{screen}: {badges}");
    }
    // The server's screens say sign-in is needed, and lead there, instead of calling it.
    for screen in ["/people", "/log"] {
        b.goto(&format!("{}{screen}", server.url)).await;
        b.wait(".sign-in-first a[href='/account']").await;
    }
    b.goto(&server.url).await;
    b.wait(r#".checklist-row .sync-state[data-sync="device-only"]"#)
        .await;
    // Time for any back-off retry to have happened.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    // Step 3: one `/api/me`, one `/sync`, for the whole tour.
    assert_eq!(calls(&b, "/api/me").await, 1, "asked who is signed in once");
    assert_eq!(calls(&b, "/sync").await, 1, "tried the sync socket once");
    let api_calls = b
        .eval_string(
            "return Object.keys(JSON.parse(sessionStorage.getItem('__calls') || '{}')).filter(p => p.startsWith('/api/') && p !== '/api/me').join(' ')",
        )
        .await;
    assert_eq!(api_calls, "", "no other API call while signed out");
    b.close().await;
}
