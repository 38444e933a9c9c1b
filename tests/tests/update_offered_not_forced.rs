//! A new release is installed in the background and offered, never swapped in under the user: the running
//! page shows 「新しいバージョンがあります — 再読み込み」, and accepting it loads the new version with the data intact.
//!
//! This test makes a second build of the app (trunk, with `MAMORI_BUILD` changed, so the wasm itself
//! differs): the one test in the run that builds the wasm again.

use std::path::Path;
use std::process::Command;

use mamori_tests::{Browser, TestServer};

const NEW_BUILD: &str = "update-test-2";

fn build_second_version(dist: &Path) {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app");
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/node_modules/.bin");
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new("trunk")
        .current_dir(&app)
        .args(["build", "--release", "--dist"])
        .arg(dist)
        .env("MAMORI_BUILD", NEW_BUILD)
        .env("PATH", path)
        .status()
        .expect("trunk is installed (scripts/setup.sh)");
    assert!(status.success(), "the second build failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_is_offered_then_loaded_with_data_intact() {
    // Step 1: the release after this one, built now.
    let second = tempfile::tempdir().unwrap();
    build_second_version(second.path());

    // Step 2: the current release: set up and answer an item; the service worker takes control.
    let mut server = TestServer::start().await;
    let b = Browser::start().await;
    b.set_up_facility(&server.url, "あおば歯科", "dental_clinic", "伊藤")
        .await;
    b.click(".checklist-row .checklist-link").await;
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    b.wait_saved().await;
    b.wait_for_service_worker().await;
    let first = b
        .eval_string("return document.documentElement.dataset.build")
        .await;
    assert_ne!(first, NEW_BUILD);

    // Step 3: the server comes back with the new release; the page looks for updates when the network
    // returns (as it does on start and on every `online` event).
    let port = server.port;
    server.stop().await;
    let _server = TestServer::start_with(port, second.path().to_path_buf()).await;
    b.eval("window.dispatchEvent(new Event('online'))").await;

    // Step 4: the update is offered, and the running code is not swapped under the user.
    let banner = b.wait(".banner-update").await.text().await.unwrap();
    assert!(banner.contains("新しいバージョンがあります"), "{banner}");
    assert_eq!(
        b.eval_string("return document.documentElement.dataset.build")
            .await,
        first
    );
    // The user keeps working on the old version meanwhile.
    b.click(r#"li[data-item="1-①"] button[data-choice="no"]"#)
        .await;
    b.wait_saved().await;

    // Step 5: accepting loads the new version; the answers are intact.
    b.click(".update-reload").await;
    b.wait_until(
        "the new version runs",
        &format!("document.documentElement.dataset.build === {NEW_BUILD:?}"),
    )
    .await;
    b.wait(r#"li[data-item="1-①"][data-answer="no"]"#).await;
    assert!(
        b.eval("return !document.querySelector('.banner-update')")
            .await
            == true
    );
    b.close().await;
}
