//! 緊急連絡 opens from the device's own copy with the server stopped, the network cut and the session
//! ended, from a cold start (a new tab, nothing of the app in memory): every contact of the chart is there
//! with working `tel:` links, the vendor's number comes from the vendor entity, the screen says how fresh
//! the copy is, and it prints on one A4 page with no text under 10 pt. The app's own emergency screen
//! opens the same way, one tap from every screen.

use mamori_tests::TestServer;
use mamori_tests::passkeys::{registered_admin, session_cookie};
use mamori_tests::pdf::Printed;
use mamori_tests::server::post_with_cookie;

/// The page's navigation was answered by the service worker, not the network.
const SERVED_BY_WORKER: &str = "navigator.serviceWorker.controller !== null && \
    performance.getEntriesByType('navigation')[0].workerStart > 0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_chart_opens_offline_from_a_cold_start_with_the_session_ended() {
    let mut server = TestServer::start_signed_in().await;
    let b = registered_admin(&server, "さくら薬局", "山田").await;

    // A vendor with its emergency number, registered once (the same entity the checklists use).
    b.add_vendor(
        &server.url,
        "薬歴システム株式会社",
        "電子薬歴",
        "0120-123-456",
    )
    .await;
    b.wait(".vendor-row .vendor-phone").await;

    // The pharmacy template's 管理薬剤師 gets a name and a mobile number through the form sheet.
    b.goto(&format!("{}/contacts", server.url)).await;
    b.click(r#"li.contact-row[data-contact="t-officer"] .edit-contact"#)
        .await;
    b.fill(".contact-sheet input[name=name]", "山田 花子").await;
    b.fill(".contact-sheet input[name=phone_0]", "090-1111-2222")
        .await;
    b.click(".save-contact").await;
    b.wait_until(
        "the edited contact is listed",
        r#"document.querySelector('li.contact-row[data-contact="t-officer"]')?.textContent.includes('090-1111-2222')"#,
    )
    .await;
    let diagram = b
        .eval_string("return document.querySelector('.chart-diagram svg').outerHTML")
        .await;
    assert!(diagram.contains("山田 花子") && diagram.contains("薬歴システム株式会社"));

    // Synced, and the static copy written with the new numbers.
    b.click(".emergency-button").await;
    b.wait(".emergency .call").await;
    b.wait_until(
        "the chart is synced (最終同期 shows a time)",
        "!document.querySelector('.freshness .synced').textContent.includes('未同期')",
    )
    .await;
    b.wait_for_service_worker().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let held = b
            .eval_async(
                "caches.open('mamori-emergency').then(c => c.match('/emergency')) \
                   .then(r => r ? r.text() : '').then(t => done(t.includes('090-1111-2222') && t.includes('0120-123-456')));",
            )
            .await;
        if held == serde_json::Value::Bool(true) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the static copy never got the new numbers"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let expected_contacts = b
        .eval("return document.querySelectorAll('.emergency .call').length")
        .await
        .as_u64()
        .unwrap();
    assert_eq!(
        expected_contacts, 9,
        "the pharmacy template's 8 contacts and the vendor"
    );

    // The session ends elsewhere (the browser still holds its cookie); the server stops; the network goes.
    let cookie = session_cookie(&b, &server).await;
    let status = post_with_cookie(server.port, "/api/signout", &cookie).await;
    assert!(status.contains("200") || status.contains("204"), "{status}");
    server.stop().await;
    b.set_offline(true).await;

    // Cold start: a new tab, the old one closed, nothing of the app in memory.
    let old = b.client.window().await.unwrap();
    let fresh = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(fresh.handle).await.unwrap();
    b.set_offline(true).await;
    b.client.switch_to_window(old).await.unwrap();
    b.client.close_window().await.unwrap();
    let handles = b.client.windows().await.unwrap();
    b.client.switch_to_window(handles[0].clone()).await.unwrap();
    b.goto(&format!("{}/emergency", server.url)).await;
    b.wait("body.static-emergency .call").await;
    b.wait_until("served by the service worker", SERVED_BY_WORKER)
        .await;
    let scripts = b.eval("return document.scripts.length").await;
    assert_eq!(scripts, 0, "the static copy runs no script at all");
    // Only what was entered: no template instruction, and the police named once (not again as its group).
    let text = b.eval_string("return document.body.textContent").await;
    assert!(!text.contains("記入してください"), "{text}");
    let police = b
        .eval_string("return document.querySelector('.call[data-contact=\"t-police\"] .call-who').textContent")
        .await;
    assert_eq!(police.matches("都道府県警察").count(), 1, "{police}");
    assert_eq!(
        b.eval("return document.querySelectorAll('.call').length")
            .await
            .as_u64()
            .unwrap(),
        expected_contacts,
        "every contact is on the static copy"
    );
    let hrefs: Vec<String> = serde_json::from_value(
        b.eval(
            "return [...document.querySelectorAll('.call a.tel')].map(a => a.getAttribute('href'))",
        )
        .await,
    )
    .unwrap();
    for want in [
        "tel:09011112222",
        "tel:0120123456",
        "tel:0368127837",
        "tel:%239110",
    ] {
        assert!(hrefs.iter().any(|h| h == want), "{want} in {hrefs:?}");
    }
    let tap = b
        .eval("const r = document.querySelector('.call a.tel').getBoundingClientRect(); return Math.min(r.width, r.height)")
        .await
        .as_f64()
        .unwrap();
    assert!(
        tap >= 44.0,
        "numbers are large enough to hit under stress: {tap}px"
    );
    let freshness = b.wait(".freshness").await.text().await.unwrap();
    assert!(
        freshness.contains("最終同期") && !freshness.contains("未同期"),
        "{freshness}"
    );
    // Printed from the static copy (its own inlined style only): the chart on one A4 page, nothing under
    // 10 pt, the officer's name whole.
    let printed = Printed::read(&b.print_pdf().await);
    let smallest = printed.smallest().unwrap();
    println!(
        "the static copy printed: {} page(s), smallest text {:.1} pt",
        printed.pages.len(),
        smallest.size
    );
    assert_eq!(printed.pages.len(), 1, "one page");
    assert!(smallest.size >= 9.95, "smallest text: {smallest:?}");
    assert!(
        printed
            .text()
            .replace(char::is_whitespace, "")
            .contains("山田花子"),
        "{}",
        printed.text()
    );

    // The app itself, still with no server, no network and an ended session: one tap from a checklist.
    b.goto(&format!("{}/?app", server.url)).await;
    b.wait(".checklist-row").await;
    b.click(".checklist-row .checklist-link").await;
    b.wait("li.item").await;
    b.click(".emergency-button").await;
    b.wait(".emergency-page .call").await;
    assert_eq!(
        b.eval("return document.querySelectorAll('.emergency-page .call').length")
            .await
            .as_u64()
            .unwrap(),
        expected_contacts
    );
    let link = b
        .eval_string(r#"return document.querySelector('.emergency-page a.tel[href="tel:09011112222"]').textContent"#)
        .await;
    assert!(link.contains("090-1111-2222"), "{link}");
    b.close().await;
}
