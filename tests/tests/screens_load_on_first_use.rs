//! The build is split (#23): the first screens (home, a checklist) run without the chunk that holds the other
//! screens, their secondary parts and the sync connection's set-up; it is fetched once the first screen has
//! its documents. A chunk that cannot be fetched (not yet kept by the service worker, server gone) leaves the
//! app running: home and a checklist work and take answers, another screen says so, and trying again once
//! the server is back opens it.

use mamori_tests::{Browser, TestServer};

const CHUNK_FETCHED: &str =
    "performance.getEntriesByType('resource').some(e => e.name.includes('/split-screens-'))";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_loads_on_first_use_and_a_failed_load_can_be_retried() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "みなと薬局", "pharmacy", "高橋")
        .await;

    // A new page: home is on the first screen's path; the chunk comes only after its documents are read.
    b.goto(&server.url).await;
    b.wait(".checklist-row").await;
    b.wait_until(
        "the service worker controls the page",
        "navigator.serviceWorker.controller !== null",
    )
    .await;
    b.wait_until("the chunk fetched", CHUNK_FETCHED).await;
    let order = b
        .eval(
            "const parsed = performance.getEntriesByName('mamori:parsed')[0].startTime;
             const chunk = performance.getEntriesByType('resource').find(e => e.name.includes('/split-screens-'));
             return [parsed, chunk.startTime];",
        )
        .await;
    let (parsed, chunk) = (order[0].as_f64().unwrap(), order[1].as_f64().unwrap());
    assert!(
        chunk > parsed,
        "the chunk was fetched at {chunk} ms, the first screen's documents read at {parsed} ms"
    );

    // The chunk is in neither cache and the server is gone: a new page of the app (from the service worker)
    // opens the facility's details softly failed.
    let removed = b
        .eval_async(
            "caches.keys()
               .then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()
                 .then(rs => Promise.all(rs.filter(r => r.url.includes('/split-screens-')).map(r => c.delete(r))))))))
               .then(all => done(all.flat().filter(Boolean).length))
               .catch(e => done(String(e)));",
        )
        .await;
    assert_eq!(
        removed,
        serde_json::json!(1),
        "the precached chunk: {removed}"
    );
    b.cdp("Network.enable", serde_json::json!({})).await;
    b.cdp("Network.clearBrowserCache", serde_json::json!({}))
        .await;
    let mut server = server;
    server.stop().await;
    b.goto(&server.url).await;
    b.wait(".checklist-row").await;
    // A checklist opens and takes an answer without the chunk (no suggestions, no seal panel).
    b.open_first_checklist().await;
    b.answer_yes("1-①").await;
    assert!(b.absent(".seal-panel").await && b.absent(".screen-not-loaded").await);
    b.click("a.brand").await;
    b.wait(".checklist-row").await;
    b.click("a[href='/setup']").await;
    b.wait(".screen-not-loaded").await;
    let shown = b
        .eval_string("return document.querySelector('.screen-not-loaded').innerText")
        .await;
    assert!(shown.contains("この画面を読み込めませんでした"), "{shown}");
    // The app did not stop (a failed load used to abort the wasm): home opens, and the screen again fails softly.
    b.click("a.brand").await;
    b.wait(".checklist-row").await;
    b.click("a[href='/setup']").await;
    b.wait(".screen-not-loaded").await;

    // The server is back: trying again opens the screen.
    let _back = TestServer::start_on(server.port).await;
    b.click(".screen-not-loaded .retry").await;
    b.wait("form select[name=kind]").await;
}

/// Holds the chunk's fetch back until the test lets it go, and keeps the page's errors.
const HOLD_THE_CHUNK: &str = "(() => {
  const keep = what => { try { const l = JSON.parse(sessionStorage.getItem('__errors') || '[]');
    l.push(String(what)); sessionStorage.setItem('__errors', JSON.stringify(l)); } catch (_) {} };
  const error = console.error; console.error = (...a) => { keep(a.map(String).join(' ')); error.apply(console, a); };
  addEventListener('error', e => keep('uncaught: ' + e.message));
  let release; const gate = new Promise(r => release = r);
  window.__releaseChunk = () => release();
  const real = window.fetch;
  window.fetch = function (input, init) {
    const url = String((input && input.url) || input);
    if (url.includes('/split-screens-')) { window.__chunkAsked = true; return gate.then(() => real.call(this, input, init)); }
    return real.call(this, input, init);
  };
})();";

/// A checklist's parts (its seal panel, the suggestions beside its items) wait for the chunk; when the
/// person has moved on to another section before it arrives, the parts of the section that is gone are
/// dropped, not built in a screen that no longer exists (that panicked and stopped the app), and the new
/// section's parts show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_that_arrive_after_their_screen_is_gone_are_dropped() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "みなと薬局", "pharmacy", "高橋")
        .await;
    let checklist = b.open_first_checklist().await;

    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": HOLD_THE_CHUNK }),
    )
    .await;
    b.goto(&format!("{checklist}/section/1")).await;
    b.wait("li.item").await;
    b.wait_until("the chunk asked for", "window.__chunkAsked === true")
        .await;
    assert!(b.absent(".seal-panel").await, "the chunk is held back");
    b.click("a.tab[href$='/section/2']").await;
    b.wait(r#"li[data-item="2-①"]"#).await;
    b.eval("window.__releaseChunk(); return true").await;

    b.wait(".seal-panel").await;
    b.answer_yes("2-①").await;
    let errors = b
        .eval("return JSON.parse(sessionStorage.getItem('__errors') || '[]')")
        .await;
    assert_eq!(errors, serde_json::json!([]), "the page's errors");
}

/// One raw HTTP/1.1 GET with no cookie (nobody signed in): the lower-cased head and the body.
async fn get_as_nobody(port: u16, path: &str) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).await.unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&all[..split]).to_lowercase();
    (head, all[split + 4..].to_vec())
}

/// The service worker and the browser keep the split files for a year by name: what the server sends under
/// a hashed name must be exactly the bytes that name's hash says (checked on the bytes served, to anyone),
/// and a made-up hashed name must not be answered with something else to be kept as if it were that file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_split_files_are_the_bytes_their_names_promise() {
    use sha2::{Digest, Sha256};
    let server = TestServer::start().await;
    let dist = mamori_tests::server::dist_dir();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dist).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !(name.starts_with("split-screens-") || name.starts_with("mamori-split-")) {
            continue;
        }
        let (head, body) = get_as_nobody(server.port, &format!("/{name}")).await;
        assert!(head.starts_with("http/1.1 200"), "{name}: {head}");
        assert!(head.contains("immutable"), "{name} is kept by name: {head}");
        let stem = name.rsplit_once('.').unwrap().0;
        let promised = stem.rsplit_once('-').unwrap().1;
        let served = format!("{:x}", Sha256::digest(&body));
        assert_eq!(&served[..16], promised, "{name}: the bytes served");
        checked += 1;
    }
    assert_eq!(checked, 2, "the chunk and its loader");

    let (head, _) = get_as_nobody(server.port, "/split-screens-0123456789abcdef.wasm").await;
    assert!(
        !(head.starts_with("http/1.1 200") && head.contains("immutable")),
        "a made-up chunk name is not kept for a year: {head}"
    );
}
