//! After one visit, Mamori opens and works with no network at all: the network is cut (DevTools offline
//! emulation) and the server is stopped; reloads, a deep link and three answers all work, served by the
//! service worker, with no browser error page.

use mamori_tests::{Browser, TestServer};

/// The page's navigation was answered by the service worker, not the network.
const SERVED_BY_WORKER: &str = "navigator.serviceWorker.controller !== null && \
    performance.getEntriesByType('navigation')[0].workerStart > 0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_offline_after_the_first_visit() {
    let mut server = TestServer::start().await;
    let b = Browser::start().await;

    // Step 1: first visit, online: set up, open the checklist, wait until the service worker controls it.
    b.set_up_facility(&server.url, "ひかりクリニック", "clinic", "山田")
        .await;
    b.click(".checklist-row .checklist-link").await;
    b.wait("li.item").await;
    b.wait_for_service_worker().await;
    let checklist = b.checklist_url().await;

    // Step 2: the network is cut and the server goes away.
    b.set_offline(true).await;
    server.stop().await;
    assert!(
        reqwest_fails(&server.url).await,
        "the server is really down"
    );

    // Step 3: reload: the app opens from the service worker and says it is offline.
    b.client.refresh().await.unwrap();
    b.wait("li.item").await;
    b.wait_until(
        "the reload was served by the service worker",
        SERVED_BY_WORKER,
    )
    .await;
    let status = b.wait(".save-state").await.text().await.unwrap();
    assert!(
        status.contains("オフライン"),
        "offline is shown at a glance: {status}"
    );

    // Step 4: a deep link (bookmarked section 3) opens with no network.
    b.goto(&format!("{checklist}/section/3")).await;
    b.wait(r#"li[data-item="3-①"]"#).await;
    b.wait_until(
        "the deep link was served by the service worker",
        SERVED_BY_WORKER,
    )
    .await;

    // Step 5: answer three items offline; edits never wait for the network.
    for item in ["3-①", "3-②", "3-③"] {
        b.click(&format!(
            r#"li[data-item="{item}"] button[data-choice="yes"]"#
        ))
        .await;
        b.wait(&format!(r#"li[data-item="{item}"][data-answer="yes"]"#))
            .await;
    }
    b.wait_saved().await;

    // Step 6: reload again, still offline: all three are there and no error page was ever shown.
    b.client.refresh().await.unwrap();
    for item in ["3-①", "3-②", "3-③"] {
        b.wait(&format!(r#"li[data-item="{item}"][data-answer="yes"]"#))
            .await;
    }
    b.wait_until("served by the service worker", SERVED_BY_WORKER)
        .await;
    assert_eq!(
        b.client.title().await.unwrap(),
        "守り Mamori",
        "the app, not a browser error page"
    );
    b.close().await;
}

/// Whether a plain HTTP request to the server fails (it is stopped).
async fn reqwest_fails(url: &str) -> bool {
    let addr = url
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    tokio::net::TcpStream::connect(addr).await.is_err()
}
