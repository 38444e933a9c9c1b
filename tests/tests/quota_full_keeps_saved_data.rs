//! A full disk: the write is refused, the user is told in plain words, nothing saved before is lost, and
//! the change is saved once space is freed.
//!
//! The disk really fills: the browser's IndexedDB folder sits on a small tmpfs (mounting needs root, which
//! the test machines have), and the test fills it to the last byte before the app writes.
//!
//! Only the IndexedDB folder, not the whole profile: when the disk holding Chromium's own quota database
//! fills, Chromium answers the failed write of that database by evicting sites' storage (best-effort data
//! first: `QuotaManagerImpl::OnDbError` → `OnFullDiskError` → eviction), which here removed Mamori's whole
//! IndexedDB within seconds, even with `navigator.storage.persist()` granted, and whether it happens depends
//! on when the browser happens to write that database. No page can prevent that (Mamori asks for
//! persistence and shows on 設定 whether it was granted; what was synced comes back from the server). What
//! the app owns, and what this test checks every run, is a write that fails with the device full: refused
//! in one transaction, reported, nothing earlier lost, saved once space is back.

use mamori_tests::disk::SmallDisk;
use mamori_tests::{Browser, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_full_is_reported_and_recovers() {
    let profile = tempfile::tempdir().unwrap();
    let idb = profile.path().join("Default").join("IndexedDB");
    let disk = SmallDisk::mount(&idb, "32m");
    let server = TestServer::start().await;
    let b = Browser::start_with_profile(profile, 820, 1180).await;

    // Step 1: set up and answer one item while there is space.
    b.set_up_facility(&server.url, "みどり薬局", "pharmacy", "田中")
        .await;
    b.click(".checklist-row .checklist-link").await;
    b.click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    b.wait_saved().await;

    // Step 2: the disk fills up.
    let filler = disk.fill();

    // Step 3: the next answer cannot be saved: the user is told, and the edit stays on screen.
    // (The first few small writes may still fit in the slack of files already on disk.)
    let mut failed = false;
    for round in 0..40 {
        let choice = if round % 2 == 0 { "no" } else { "yes" };
        b.click(&format!(
            r#"li[data-item="1-①"] button[data-choice="{choice}"]"#
        ))
        .await;
        b.wait_until(
            "the write settles",
            r#"!document.querySelector('.save-state[data-state="saving"]')"#,
        )
        .await;
        if b.eval(r#"return !!document.querySelector('.save-state[data-state="failed"]')"#)
            .await
            == true
        {
            failed = true;
            break;
        }
    }
    assert!(failed, "writes to a full disk must fail");
    let last = b
        .eval_string(r#"return document.querySelector('li[data-item="1-①"]').dataset.answer"#)
        .await;
    let banner = b.wait(".banner-error").await.text().await.unwrap();
    assert!(
        banner.contains("保存容量がいっぱい"),
        "the user is told the device is full: {banner}"
    );
    assert!(
        banner.contains("これまでに保存した内容は残っています"),
        "and that saved data is safe: {banner}"
    );

    // Step 4: space is freed.
    std::fs::remove_file(filler).unwrap();

    // Step 5: what was saved before is intact on the device (read straight from IndexedDB).
    let records = b
        .client
        .execute_async(
            "const done = arguments[0]; const r = indexedDB.open('mamori');\
             r.onerror = () => done(String(r.error));\
             r.onsuccess = () => { const q = r.result.transaction('documents').objectStore('documents').count();\
             q.onsuccess = () => { r.result.close(); done(q.result); }; };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        records, 3,
        "the facility index, the checklist and the contact chart are still stored"
    );

    // Step 6: "save again" writes the change, and it survives a reload.
    b.click(".banner-error button").await;
    b.wait_saved().await;
    b.client.refresh().await.unwrap();
    b.wait(&format!(r#"li[data-item="1-①"][data-answer="{last}"]"#))
        .await;
    // Unmounted before the browser's profile folder is removed.
    drop(disk);
    b.close().await;
}
