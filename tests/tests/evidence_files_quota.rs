//! Cached evidence files never take the room document saves need: on a device whose site quota the cached
//! files have filled to the last byte, answers are still saved (and survive a reload), and the files still
//! open online.
//!
//! What protects the saves differs by browser. Chromium 156 does not refuse IndexedDB writes over the quota
//! (measured here: 16 MB more was written after the cache was refused 4 KB), so this test passes on the
//! browser itself. Browsers that count both against one quota refuse the save instead; then the app deletes
//! its cached files (copies of what the server keeps) and tries the save once more (`files::give_up_room`).
//! Chromium gives no way to make IndexedDB refuse for quota, so that path is not reached here.
//!
//! The quota really fills: the browser's whole profile sits on a 192 MB tmpfs (Chromium gives a site about
//! 60 % of the disk holding the profile; its `navigator.storage.estimate()` says usage + 1 GiB whatever the
//! disk, so the app cannot rely on it). The 管理者 attaches files that the service worker keeps, and the
//! test tops the files cache up until the browser refuses a 4 KB entry. The HTTP cache lives elsewhere, so
//! only the site's storage counts. (Files of 2 MB: on so small a disk Chromium's blob storage, through
//! which a response reaches the cache, refuses 12 MB bodies with a network error.)

use mamori_tests::disk::SmallDisk;
use mamori_tests::passkeys::registered_admin_in;
use mamori_tests::{Browser, TestServer};

const FILE_BYTES: usize = 2 * 1024 * 1024;
const FILES: usize = 3;

async fn kept(b: &Browser) -> usize {
    b.eval_async(
        "caches.has('mamori-files').then(h => h ? caches.open('mamori-files').then(c => c.keys()).then(k => done(k.length)) : done(0));",
    )
    .await
    .as_u64()
    .unwrap() as usize
}

/// A PDF of `FILE_BYTES` whose bytes differ by `n`.
fn pdf(n: usize) -> Vec<u8> {
    let mut pdf = format!("%PDF-1.4\n% Mamori test file {n}\n").into_bytes();
    let body = FILE_BYTES - pdf.len() - b"\ntrailer\n%%EOF\n".len();
    pdf.extend((0..body).map(|i| ((i * 31 + n * 7) % 251) as u8));
    pdf.extend_from_slice(b"\ntrailer\n%%EOF\n");
    pdf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_files_leave_room_for_document_saves() {
    let profile = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(profile.path(), "192m");
    let http_cache = tempfile::tempdir().unwrap();
    let cache_arg = format!("--disk-cache-dir={}", http_cache.path().display());
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let b = Browser::start_with_profile_and_args(profile, 820, 1180, &[&cache_arg]).await;
    let admin = registered_admin_in(b, &server, "みどり薬局", "田中 一郎").await;

    // Step 1: the 管理者 attaches files, one record each; the service worker keeps them.
    let dir = tempfile::tempdir().unwrap();
    admin.goto(&format!("{url}/evidence")).await;
    for n in 0..FILES {
        let path = dir.path().join(format!("訓練記録{n}.pdf"));
        std::fs::write(&path, pdf(n)).unwrap();
        admin.click(".add-record[data-kind=other]").await;
        admin
            .fill(
                ".record-sheet input[name=record_title]",
                &format!("訓練記録 {n}"),
            )
            .await;
        let input = admin.wait(".record-sheet input[name=record_file]").await;
        input.send_keys(path.to_str().unwrap()).await.unwrap();
        admin
            .wait_until(
                "the file is attached",
                "document.querySelector('.record-file-state')?.textContent.includes('添付済み')",
            )
            .await;
        admin.click(".save-record").await;
        admin
            .wait_until(
                "the record is listed",
                &format!(
                    "document.querySelectorAll('.evidence-row .record-file a').length === {}",
                    n + 1
                ),
            )
            .await;
        std::fs::remove_file(&path).unwrap();
    }
    admin.wait_saved().await;
    admin.goto(&format!("{url}/evidence")).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while kept(&admin).await < FILES {
        assert!(
            std::time::Instant::now() < deadline,
            "the files were never kept for offline reading"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let link = admin
        .eval_string(
            "return document.querySelector('.evidence-row .record-file a').getAttribute('href')",
        )
        .await;

    // Step 2: the files cache grows until the browser refuses even 4 KB more: the quota is full.
    let filled = admin
        .eval_async(
            "(async () => { const c = await caches.open('mamori-files'); let size = 8 << 20, n = 0;\
             while (size >= 4096) { try { await c.put('/filler/' + n++, new Response(new Uint8Array(size))); }\
             catch (e) { if (e.name !== 'QuotaExceededError') return done('failed: ' + e); size >>= 1; } }\
             done(n); })();",
        )
        .await;
    assert!(filled.is_u64(), "the cache fills up: {filled}");
    // Step 3: answers are saved all the same, and the last survives a reload.
    admin.goto(url).await;
    admin.click(".checklist-row .checklist-link").await;
    for round in 0..6 {
        let choice = if round % 2 == 0 { "no" } else { "yes" };
        admin
            .click(&format!(
                r#"li[data-item="1-①"] button[data-choice="{choice}"]"#
            ))
            .await;
        admin
            .wait_until(
                "the write settles",
                r#"!document.querySelector('.save-state[data-state="saving"]')"#,
            )
            .await;
        let state = admin
            .eval_string("return document.querySelector('.save-state').dataset.state")
            .await;
        assert_eq!(
            state, "saved",
            "answer {round} is saved with the quota full"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    admin.wait_saved().await;
    admin.client.refresh().await.unwrap();
    admin
        .wait(r#"li[data-item="1-①"][data-answer="yes"]"#)
        .await;
    assert!(
        admin
            .eval("return !document.querySelector('.banner-error')")
            .await
            == true,
        "no save failed"
    );

    // Step 4: the files still open online.
    let size = admin
        .eval_async(&format!(
            "fetch({link:?}).then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status))\
             .then(buf => done(buf.byteLength)).catch(e => done('failed: ' + e));"
        ))
        .await;
    assert_eq!(size, FILE_BYTES, "{link} opens online");

    // Unmounted before the browser's profile folder is removed.
    drop(disk);
    admin.close().await;
}
