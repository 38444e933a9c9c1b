//! Chromium's own installability check passes: manifest (name, icons, standalone, start URL) and a service
//! worker that controls the page. The manifest is served with its content type.

use mamori_tests::{Browser, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_reports_mamori_installable() {
    let server = TestServer::start().await;
    let b = Browser::start().await;
    b.goto(&server.url).await;
    b.wait("form").await;
    b.wait_for_service_worker().await;

    let manifest = b.cdp("Page.getAppManifest", json!({})).await;
    assert_eq!(
        manifest["errors"].as_array().map(Vec::len),
        Some(0),
        "manifest errors: {manifest}"
    );
    let parsed: serde_json::Value =
        serde_json::from_str(manifest["data"].as_str().unwrap()).unwrap();
    assert_eq!(parsed["name"], "守り Mamori");
    assert_eq!(parsed["lang"], "ja");
    assert_eq!(parsed["display"], "standalone");
    assert!(
        parsed["icons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["purpose"] == "maskable")
    );

    let errors = b.cdp("Page.getInstallabilityErrors", json!({})).await;
    assert_eq!(
        errors["installabilityErrors"].as_array().map(Vec::len),
        Some(0),
        "installability: {errors}"
    );

    let content_type = b
        .client
        .execute_async(
            "const done = arguments[0]; fetch('/manifest.webmanifest').then(r => done(r.headers.get('content-type')));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(content_type, "application/manifest+json");
    b.close().await;
}
