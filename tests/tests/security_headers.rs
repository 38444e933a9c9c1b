//! Security headers on every kind of response, and the app running under its Content-Security-Policy in
//! headless Chromium with no violation reported (an injected inline script is refused, which shows the policy
//! is enforced).

use mamori_tests::{Browser, TestServer};

/// The raw response head for a request (status line and headers, lower-cased names).
async fn head(port: u16, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got).to_string();
    text.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_headers_and_the_app_runs_under_the_policy() {
    let server = TestServer::start().await;
    let index =
        std::fs::read_to_string(mamori_tests::server::dist_dir().join("index.html")).unwrap();
    let script = index
        .split('"')
        .find(|s| s.starts_with("/mamori-app-") && s.ends_with(".js"))
        .expect("the app's script in index.html")
        .to_string();
    let upgrade = "GET /sync HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                   Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    for (what, request) in [
        ("the app shell", get("/")),
        ("a deep link", get("/checklists/x")),
        ("a hashed asset", get(&script)),
        ("the service worker", get("/sw.js")),
        ("an API answer", get("/api/me")),
        ("the health check", get("/healthz")),
        ("the WebSocket upgrade", upgrade.to_string()),
    ] {
        let h = head(server.port, &request).await;
        for expected in [
            "content-security-policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-",
            "frame-ancestors 'none'",
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
        ] {
            assert!(h.contains(expected), "{what}: no {expected:?} in\n{h}");
        }
        assert!(!h.contains("unsafe-inline"), "{what}: {h}");
        assert!(
            !h.contains("strict-transport-security"),
            "{what}: no HSTS over plain HTTP"
        );
        if what == "an API answer" {
            assert!(h.contains("cache-control: no-store"), "{h}");
        }
        if what == "the WebSocket upgrade" {
            assert!(h.starts_with("http/1.1 101"), "{h}");
        }
    }

    // The app, under the policy: every screen used here works and nothing is reported.
    let b = Browser::start().await;
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));" }),
    )
    .await;
    b.set_up_facility(&server.url, "みなと薬局", "pharmacy", "佐藤")
        .await;
    b.open_first_checklist().await;
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    b.wait(r#".sync-state[data-sync="synced"]"#).await;
    for page in ["/settings", "/account", "/vendors"] {
        b.goto(&format!("{}{page}", server.url)).await;
        b.wait("main section").await;
    }
    assert_eq!(
        b.eval("return window.__csp").await,
        serde_json::json!([]),
        "no violation"
    );
    // Enforced, not only sent: an injected inline script does not run and is reported.
    b.eval("const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s);")
        .await;
    b.wait_until("the violation is reported", "window.__csp.length > 0")
        .await;
    assert_eq!(b.eval("return window.__ran === true").await, false);
    b.close().await;
}
