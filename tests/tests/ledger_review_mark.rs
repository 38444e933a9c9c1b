//! A ledger carries a 見直し mark as the contact chart does: marked on the device ledger, it says who and
//! when after a reload, and the other ledger is untouched.

use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_is_marked_reviewed() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = Browser::start().await;
    b.set_up_facility(url, "さくら薬局", "pharmacy", "佐藤 花子")
        .await;
    b.goto(&format!("{url}/ledgers/devices")).await;
    // The screen renders once the app has loaded: wait for it before reading it.
    b.wait(".ledger-reviewed").await;
    let before = b
        .eval_string("return document.querySelector('.ledger-reviewed').textContent")
        .await;
    assert!(before.contains("まだ見直しの記録がありません"), "{before}");
    b.click(".ledger-review .mark-reviewed").await;
    b.wait_until(
        "the mark is shown",
        "document.querySelector('.ledger-reviewed').textContent.includes('最終見直し')",
    )
    .await;
    b.wait_saved().await;
    b.goto(&format!("{url}/ledgers/devices")).await;
    b.wait_until(
        "the mark is kept",
        "document.querySelector('.ledger-reviewed')?.textContent.includes('佐藤 花子')",
    )
    .await;
    b.goto(&format!("{url}/ledgers/accounts")).await;
    b.wait(".ledger-reviewed").await;
    let other = b
        .eval_string("return document.querySelector('.ledger-reviewed').textContent")
        .await;
    assert!(other.contains("まだ見直しの記録がありません"), "{other}");
    b.close().await;
}
