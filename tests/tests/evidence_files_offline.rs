//! An evidence file attached on one device opens on another with no network: the 管理者 attaches a PDF to
//! the rules in the evidence register; a staff member's tablet, online once, keeps it (the service worker's
//! cache, filled when the register was shown) and reads it back byte for byte offline. A file that is not a
//! PDF, PNG or JPEG is refused on the device with a plain message, before anything is sent.

use mamori_tests::passkeys::{joined, registered_admin};
use mamori_tests::{Browser, TestServer};
use sha2::{Digest, Sha256};

/// The file as the page reads it from `path` (through the service worker), as SHA-256 hex and length.
async fn read_back(b: &Browser, path: &str) -> String {
    let v = b
        .eval_async(&format!(
            "fetch({path:?}).then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status))\
             .then(buf => crypto.subtle.digest('SHA-256', buf).then(h => done([...new Uint8Array(h)].map(x => x.toString(16).padStart(2, '0')).join('') + ':' + buf.byteLength)))\
             .catch(e => done('failed: ' + e));"
        ))
        .await;
    v.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_attached_on_one_device_opens_offline_on_another() {
    let server = TestServer::start().await;
    let url = server.url.as_str();
    let admin = registered_admin(&server, "みどり薬局", "田中 一郎").await;
    let (tablet, _) = joined(&server, &admin, "staff", "鈴木 花子").await;

    // Step 1: a PDF of some size, and an HTML page renamed .pdf.
    let dir = tempfile::tempdir().unwrap();
    let mut pdf = b"%PDF-1.4\n% Mamori test\n".to_vec();
    pdf.extend((0..300_000u32).map(|i| (i * 7 % 251) as u8));
    pdf.extend_from_slice(b"\ntrailer\n%%EOF\n");
    let expected = format!("{}:{}", hex(&Sha256::digest(&pdf)), pdf.len());
    let pdf_path = dir.path().join("運用管理規程.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let fake = dir.path().join("fake.pdf");
    std::fs::write(
        &fake,
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    )
    .unwrap();

    // Step 2: the 管理者 registers the rules; a renamed HTML file is refused on the device.
    admin.goto(&format!("{url}/evidence")).await;
    admin.click(".add-record[data-kind=rules]").await;
    admin
        .fill(".record-sheet input[name=record_title]", "運用管理規程")
        .await;
    let input = admin.wait(".record-sheet input[name=record_file]").await;
    input.send_keys(fake.to_str().unwrap()).await.unwrap();
    admin.wait(".record-sheet .error").await;
    let refused = admin
        .eval_string("return document.querySelector('.record-sheet .error').textContent")
        .await;
    assert!(refused.contains("HTML"), "says what it is: {refused}");

    // Step 3: the PDF is attached (sent to the server), and the record saved with it.
    let input = admin.wait(".record-sheet input[name=record_file]").await;
    input.send_keys(pdf_path.to_str().unwrap()).await.unwrap();
    admin
        .wait_until(
            "the file is attached",
            "document.querySelector('.record-file-state')?.textContent.includes('添付済み')",
        )
        .await;
    admin.click(".save-record").await;
    let link = admin.wait(".evidence-row .record-file a").await;
    let path = link.attr("href").await.unwrap().unwrap();
    assert_eq!(read_back(&admin, &path).await, expected);
    admin.wait_saved().await;

    // Step 4: the tablet shows the register online once: the record arrives, and its file is kept.
    tablet.goto(&format!("{url}/evidence")).await;
    tablet.wait(".evidence-row .record-file a").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let kept = tablet
            .eval_async(&format!(
                "caches.open('mamori-files').then(c => c.match({path:?})).then(h => done(!!h));"
            ))
            .await;
        if kept == true {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the tablet never kept the file for offline reading"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // Step 5: offline, the tablet reads it back byte for byte.
    tablet.set_offline(true).await;
    assert_eq!(read_back(&tablet, &path).await, expected);
    tablet.close().await;
    admin.close().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
