//! Not a check: captures the main screens (tablet and phone, light and dark) into `target/screenshots/` for
//! people reviewing the UI. Run with `cargo test -p mamori-tests --test screenshots -- --ignored`.

use mamori_tests::{Browser, TestServer};
use serde_json::json;

async fn capture(b: &Browser, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn capture_main_screens() {
    let server = TestServer::start().await;
    for (label, w, h, dark) in [("tablet", 820, 1180, false), ("phone-dark", 390, 844, true)] {
        let b = Browser::start_sized(w, h).await;
        if dark {
            b.cdp(
                "Emulation.setEmulatedMedia",
                json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
            )
            .await;
        }
        b.goto(&server.url).await;
        b.wait("form select[name=kind]").await;
        capture(&b, &format!("{label}-1-setup")).await;
        b.fill("input[name=name]", "さくら薬局 駅前店").await;
        b.fill("select[name=kind]", "pharmacy").await;
        b.fill("input[name=user]", "佐藤 花子").await;
        b.click("button[type=submit]").await;
        b.wait(".checklist-row").await;
        capture(&b, &format!("{label}-2-home")).await;
        b.click(".checklist-row .checklist-link").await;
        b.click(r#".section-tabs a[href$="/section/2"]"#).await;
        b.click(r#"li[data-item="2-①"] button[data-choice="yes"]"#)
            .await;
        b.click(r#"li[data-item="2-②"] button[data-choice="no"]"#)
            .await;
        b.eval(r#"document.querySelector('li[data-item="2-②"] details').open=true"#)
            .await;
        capture(&b, &format!("{label}-3-checklist")).await;
        let url = b.client.current_url().await.unwrap();
        b.goto(&format!(
            "{}/print",
            url.as_str().rsplit_once("/section").unwrap().0
        ))
        .await;
        b.wait(".print-sheet").await;
        capture(&b, &format!("{label}-4-print")).await;
        b.goto(&format!("{}/emergency", server.url)).await;
        b.wait(".call").await;
        capture(&b, &format!("{label}-5-emergency")).await;
        b.goto(&format!("{}/contacts", server.url)).await;
        b.wait(".chart-diagram svg").await;
        capture(&b, &format!("{label}-6-contact-chart")).await;
        b.click(r#"li.contact-row[data-contact="t-officer"] .edit-contact"#)
            .await;
        b.wait(".contact-sheet").await;
        capture(&b, &format!("{label}-7-contact-sheet")).await;
        b.goto(&format!("{}/incidents", server.url)).await;
        b.fill("input[name=incident_title]", "電子薬歴が開けない")
            .await;
        b.click(".start-incident button[type=submit]").await;
        b.wait(".add-entry").await;
        b.click(r#"button.step[data-step="0"]"#).await;
        b.wait(".timeline-entry").await;
        capture(&b, &format!("{label}-8-incident")).await;
        b.close().await;
    }
}
