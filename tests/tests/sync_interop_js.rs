//! Interop: the reference automerge-repo JavaScript client (npm, `tests/interop/`) syncs documents with the
//! Mamori server in both directions, alongside a Mamori (Rust) device.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use mamori_shared::model::DocumentId;
use mamori_tests::TestServer;
use mamori_tests::sync_client::Device;

/// A string field, whether a scalar or a collaborative text object (JS automerge writes strings as text).
fn text_at(doc: &AutoCommit, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok().flatten()? {
        (automerge::Value::Object(automerge::ObjType::Text), id) => doc.text(&id).ok(),
        (v, _) => v.into_string().ok(),
    }
}

fn node(args: &[&str]) -> Command {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").is_dir(),
        "run scripts/setup.sh --browser (npm ci in tests/interop)"
    );
    let mut cmd = Command::new("node");
    cmd.current_dir(dir).arg("client.mjs").args(args);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_client_syncs_both_ways() {
    let server = TestServer::start().await;
    let ws = format!("{}/sync", server.url.replace("http://", "ws://"));

    // Step 1: a Mamori device stores a document; the JS client finds it.
    let mut rust = Device::new("rust-tablet");
    rust.connect(&server.url).await;
    let id = DocumentId::generate();
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "facility", "さくら").unwrap();
    rust.add(id, doc).await;
    while !rust.server_has_all(id) {
        rust.pump_once(std::time::Duration::from_secs(5)).await;
    }
    let out = tokio::task::spawn_blocking({
        let ws = ws.clone();
        move || node(&[&ws, "find", &id.to_string()]).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("facility:さくら"),
        "JS find: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Step 2: the JS client creates a document; the Mamori device gets it and writes back; JS sees the reply.
    let mut child = node(&[&ws, "create"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let js_id = tokio::task::block_in_place(|| lines.next())
        .unwrap()
        .unwrap();
    let js_id =
        DocumentId::parse(js_id.trim()).unwrap_or_else(|| panic!("a document id from JS: {js_id}"));
    rust.want(js_id).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let from = loop {
        rust.pump_once(std::time::Duration::from_millis(100)).await;
        let from = rust.docs.get(&js_id).and_then(|d| text_at(d, "from"));
        if from.is_some() || std::time::Instant::now() > deadline {
            break from;
        }
    };
    assert_eq!(
        from.as_deref(),
        Some("javascript"),
        "the JS document reached the Mamori device"
    );
    rust.edit(js_id, |d| d.put(ROOT, "reply", "from rust").unwrap())
        .await;
    for _ in 0..50 {
        rust.pump_once(std::time::Duration::from_millis(100)).await;
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
    }
    let status = child.wait().unwrap();
    let rest: Vec<String> = tokio::task::block_in_place(|| lines.map_while(Result::ok).collect());
    assert!(
        status.success() && rest.iter().any(|l| l == "reply:from rust"),
        "JS saw the reply: {rest:?}"
    );
}

/// With sign-in required: the JS client syncs with a token a 管理者 issued, and is refused once it is revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_client_syncs_with_a_token_and_not_once_it_is_revoked() {
    use mamori_tests::passkeys::{
        browser_at, issue_token, register_facility, run, session_cookie, status,
    };
    let server = TestServer::start_signed_in().await;
    let facility = mamori_shared::model::FacilityId::generate().to_string();
    let index = DocumentId::generate();
    let admin = browser_at(&server).await;
    let r = register_facility(
        &admin,
        &server.registration_code().await,
        &facility,
        "さくら診療所",
        &index.to_string(),
        "佐藤",
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");

    // The administrator's device stores the facility index.
    let mut rust = Device::new("admin-tablet");
    rust.try_connect(&server.url, Some(&session_cookie(&admin, &server).await))
        .await
        .unwrap();
    // A signed-in server keeps only documents that read as Mamori's.
    let mut doc = mamori_tests::fixtures::new_checklist();
    doc.put(ROOT, "facility", "さくら").unwrap();
    rust.add(index, doc).await;
    while !rust.server_has_all(index) {
        rust.pump_once(std::time::Duration::from_millis(100)).await;
    }

    let (token_id, token) = issue_token(&admin, &facility, "interop", "viewer", None).await;
    // The token as the URL's password: Node's `ws` (under the reference adapter) sends it as
    // `Authorization: Basic`, and the URL itself carries no secret to a proxy's log.
    let host = server.url.trim_start_matches("http://");
    let ws = format!("ws://mamori:{token}@{host}/sync");
    let find = |ws: String| async move {
        tokio::task::spawn_blocking(move || {
            node(&[&ws, "find", &index.to_string()])
                .env("INTEROP_TIMEOUT_MS", "5000")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let out = find(ws.clone()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("facility:さくら"),
        "JS find with a token: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without a token: refused. In the query string (kept by proxies' logs): refused, naming what to use.
    let bare = format!("ws://{host}/sync");
    let out = find(bare.clone()).await;
    assert!(!String::from_utf8_lossy(&out.stdout).contains("facility:"));
    let out = find(format!("{bare}?token={token}")).await;
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("facility:"),
        "?token= still syncs"
    );
    match tokio_tungstenite::connect_async(format!("{bare}?token={token}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
            assert!(body.contains("Authorization: Bearer"), "{body}");
        }
        other => panic!("?token= was not refused: {other:?}"),
    }

    let revoked = run(
        &admin,
        &format!("return api('DELETE', '/api/facilities/{facility}/tokens/{token_id}');"),
    )
    .await;
    assert_eq!(status(&revoked), 200, "{revoked}");
    let out = find(ws).await;
    assert!(
        !out.status.success() && !String::from_utf8_lossy(&out.stdout).contains("facility:"),
        "a revoked token still syncs"
    );
    admin.close().await;
}
