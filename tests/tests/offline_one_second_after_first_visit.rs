//! A device that loses the network one second after its very first screen became interactive (a pharmacist
//! opening Mamori for the first time as the line goes down) still has all of Mamori: everything a later
//! screen needs was fetched before, so with the network cut and the server gone it sets up its facility and
//! reaches every screen, the spreadsheet worker included, each served by the service worker.

use mamori_tests::{Browser, TestServer};

const SERVED_BY_WORKER: &str = "navigator.serviceWorker.controller !== null && \
    performance.getEntriesByType('navigation')[0].workerStart > 0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_works_offline_one_second_after_the_first_screen() {
    let mut server = TestServer::start().await;
    let b = Browser::start().await;

    // Step 1: the first visit; one second after the set-up form can be used, the network is gone.
    b.goto(&server.url).await;
    b.wait("form select[name=kind]").await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    b.set_offline(true).await;
    server.stop().await;

    // Step 2: a reload, then set-up, offline.
    b.client.refresh().await.unwrap();
    b.wait("form select[name=kind]").await;
    b.wait_until("the reload came from the service worker", SERVED_BY_WORKER)
        .await;
    b.set_up_facility(&server.url, "みなと薬局", "pharmacy", "高橋")
        .await;
    let checklist = b.open_first_checklist().await;

    // Step 3: every screen, each a full navigation answered by the service worker.
    let origin = server.url.clone();
    let screens = [
        ("/".to_string(), ".page.home"),
        (format!("{checklist}/section/2"), "li.item button.choice"),
        (format!("{checklist}/print"), ".print-sheet"),
        ("/contacts".into(), ".contacts-page"),
        ("/emergency?app".into(), ".emergency-page"),
        ("/incidents".into(), ".incidents-page"),
        ("/ledgers/devices".into(), ".ledger-page"),
        ("/ledgers/accounts".into(), ".ledger-page"),
        ("/vendors".into(), ".add-vendor"),
        ("/readiness".into(), ".page.readiness"),
        ("/reminders".into(), ".page.reminders"),
        ("/binder".into(), ".binder-part"),
        ("/evidence".into(), ".page.evidence"),
        ("/settings".into(), ".page"),
    ];
    for (path, css) in &screens {
        let url = if path.starts_with("http") {
            path.clone()
        } else {
            format!("{origin}{path}")
        };
        b.goto(&url).await;
        b.wait(css).await;
        b.wait_until(
            &format!("{path} came from the service worker"),
            SERVED_BY_WORKER,
        )
        .await;
        assert_eq!(
            b.client.title().await.unwrap(),
            "守り Mamori",
            "{path}: the app, not a browser error page"
        );
    }

    // Step 4: the spreadsheet worker, fetched by no screen so far, reads a workbook offline.
    b.goto(&format!("{origin}/ledgers/devices")).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devices.xlsx");
    std::fs::write(&path, mamori_tests::fixtures::device_workbook(20)).unwrap();
    b.wait(".import-file")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    b.wait(".import-summary").await;
    b.close().await;
}
