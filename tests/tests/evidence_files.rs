//! Evidence files (PDF, PNG, JPEG) kept by the server outside the documents, against the real server with
//! people signed in by passkey (each in their own browser, then their session cookie used from this process
//! over raw HTTP/1.1, so every byte on the wire is the test's choice):
//!
//! - a PDF uploaded is read back byte for byte, with the sniffed type, `nosniff`, an attachment name, a
//!   year's private caching and the security headers; a viewer reads it, and every upload and download is in
//!   the access log with facility, person, hash and size;
//! - refused, with nothing kept: 21 MB declared (answered before the body is sent), 21 MB chunked (counted),
//!   a body cut short (half-closed, or the client gone), a hash that does not match, HTML renamed `.pdf`, an
//!   SVG, a GIF, an empty file, a PDF without `%%EOF`; a viewer's upload;
//! - a 事業者 of the facility and another facility's person get exactly the answer of an unknown hash;
//! - the facility's quota counts its files: exactly 20 MB is taken, then the facility is full;
//! - a backup holds the files, and a restore brings them back byte for byte, refusing a damaged backup;
//! - an upload that stalls half way is given up at a deadline, leaving nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mamori_shared::api::FileInfo;
use mamori_shared::model::{DocumentId, FacilityId, VendorId};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{
    accept, browser_at, invite, register_facility, run, session_cookie, status,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MB: usize = 1024 * 1024;

/// An answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.text()))
    }
}

/// Reads an answer to its end (the request said `Connection: close`); a reset after it counts as the end.
async fn read_answer(mut r: impl AsyncRead + Unpin) -> Answer {
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut ended = None;
    loop {
        match r.read(&mut buf).await {
            Ok(0) => break,
            Err(e) => {
                ended = Some(e);
                break;
            }
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer ({ended:?}): {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let answer = Answer {
        status,
        head,
        body: Vec::new(),
    };
    if answer
        .header("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer { body, ..answer }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&raw[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .expect("a chunk size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
    out
}

/// The request head for `method path`, with the session cookie and extra header lines.
fn head(method: &str, path: &str, cookie: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nUser-Agent: evidence-test\r\nConnection: close\r\n{extra}\r\n"
    )
}

/// Sends a whole request and reads the answer (a minute at most).
async fn call(port: u16, request_head: &str, body: &[u8]) -> Answer {
    let exchange = async {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(request_head.as_bytes()).await.unwrap();
        // The server may answer (and close) before taking all of the body: that is for the answer to say.
        let _ = s.write_all(body).await;
        read_answer(s).await
    };
    tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .expect("an answer within a minute")
}

async fn get(port: u16, path: &str, cookie: &str) -> Answer {
    call(port, &head("GET", path, cookie, ""), b"").await
}

/// PUTs `bytes` with their length declared, claiming `Content-Type: claimed` (which the server ignores).
async fn put(port: u16, path: &str, cookie: &str, bytes: &[u8], claimed: &str) -> Answer {
    let extra = format!(
        "Content-Type: {claimed}\r\nContent-Length: {}\r\n",
        bytes.len()
    );
    call(port, &head("PUT", path, cookie, &extra), bytes).await
}

/// PUTs `bytes` chunked, without `Content-Length`, writing while the answer is read; returns the answer and
/// how many body bytes this side managed to write before the server stopped taking them.
async fn put_chunked(port: u16, path: &str, cookie: &str, bytes: Vec<u8>) -> (Answer, usize) {
    let s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (read, mut write) = s.into_split();
    let request_head = head(
        "PUT",
        path,
        cookie,
        "Content-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n",
    );
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = sent.clone();
    let writer = tokio::spawn(async move {
        let written = async {
            write.write_all(request_head.as_bytes()).await?;
            for chunk in bytes.chunks(64 * 1024) {
                write
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                write.write_all(chunk).await?;
                write.write_all(b"\r\n").await?;
                counted.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
            }
            write.write_all(b"0\r\n\r\n").await
        }
        .await;
        // Kept open until the answer is read: dropping a write half shuts it down, and a server closes a
        // half-closed connection rather than answer it (hyper's default).
        (write, written)
    });
    let answer = tokio::time::timeout(Duration::from_secs(120), read_answer(read))
        .await
        .expect("an answer within two minutes");
    // Writing fails once the server has answered and closed: that is how a refusal mid-body ends.
    let _ = tokio::time::timeout(Duration::from_secs(30), writer).await;
    let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
    (answer, sent)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A PDF of exactly `size` bytes (header, filler, `%%EOF`).
fn pdf(size: usize, filler: u8) -> Vec<u8> {
    let (start, end) = (b"%PDF-1.7\n".as_slice(), b"\n%%EOF\n".as_slice());
    let mut b = start.to_vec();
    b.resize(size - end.len(), filler);
    b.extend_from_slice(end);
    assert_eq!(b.len(), size);
    b
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend((0..3000u32).map(|i| (i * 7) as u8));
    b
}

fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    b.extend((0..5000u32).map(|i| (i * 13) as u8));
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

fn files_path(facility: &str, hash: &str) -> String {
    format!("/api/facilities/{facility}/files/{hash}")
}

/// Every file below the data folder's `files/` (partial uploads included), as paths relative to it.
fn kept_files(data_dir: &Path) -> Vec<String> {
    let root = data_dir.join("files");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Waits (partial files are removed on a blocking thread) until the files kept are exactly `expected`.
async fn only_kept(data_dir: &Path, expected: &[&str]) {
    let mut expected: Vec<String> = expected
        .iter()
        .map(|h| format!("{}/{h}", &h[..2]))
        .collect();
    expected.sort();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let kept = kept_files(data_dir);
        if kept == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "files kept: {kept:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A facility with its 管理者 signed in; returns the facility id and the 管理者's browser.
async fn facility(server: &TestServer, name: &str, admin: &str) -> (String, mamori_tests::Browser) {
    let facility = FacilityId::generate().to_string();
    let b = browser_at(server).await;
    let r = register_facility(
        &b,
        &server.registration_code().await,
        &facility,
        name,
        &DocumentId::generate().to_string(),
        admin,
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    (facility, b)
}

/// Someone the 管理者 in `admin` invites with `role`, signed in in a browser of their own: their cookie.
async fn invited(
    server: &TestServer,
    admin: &mamori_tests::Browser,
    facility: &str,
    role: &str,
    vendor: Option<&str>,
    name: &str,
) -> String {
    let (_, token) = invite(admin, facility, role, vendor, name).await;
    let b = browser_at(server).await;
    let r = accept(&b, &token, name).await;
    assert_eq!(status(&r), 200, "{r}");
    session_cookie(&b, server).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_checked_kept_and_served_only_to_the_facility() {
    // Room for 25 MB per facility: the quota step fills it.
    let server = TestServer::start_configured(|c| {
        c.open_sync = false;
        c.max_facility_bytes = 25 * MB as u64;
    })
    .await;
    let port = server.port;
    let data = server.data_dir().to_path_buf();

    // Step 1: facility A with its 管理者, a 閲覧者 and a 事業者; facility B with its own 管理者.
    let (a, admin_a) = facility(&server, "さくら内科", "佐藤 花子").await;
    let admin = session_cookie(&admin_a, &server).await;
    let viewer = invited(&server, &admin_a, &a, "viewer", None, "閲覧 一郎").await;
    let vendor_id = VendorId::generate().to_string();
    let vendor = invited(
        &server,
        &admin_a,
        &a,
        "vendor",
        Some(&vendor_id),
        "業者 次郎",
    )
    .await;
    let (b, admin_b_browser) = facility(&server, "みなと薬局", "鈴木 三郎").await;
    let admin_b = session_cookie(&admin_b_browser, &server).await;
    drop(admin_a);
    drop(admin_b_browser);

    // Step 2: the 管理者 uploads a PDF, claiming it is HTML: it is kept as what its bytes are.
    let bcp = pdf(300_000, b'b');
    let bcp_hash = sha256_hex(&bcp);
    let r = put(port, &files_path(&a, &bcp_hash), &admin, &bcp, "text/html").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let info: FileInfo = r.json();
    assert_eq!(
        (info.sha256.as_str(), info.size, info.media_type.as_str()),
        (bcp_hash.as_str(), bcp.len() as u64, "application/pdf")
    );
    only_kept(&data, &[&bcp_hash]).await;

    // Step 3: read back byte for byte, with the headers that make it a download of what it is.
    let r = get(port, &files_path(&a, &bcp_hash), &admin).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body == bcp, "the bytes read back differ");
    assert_eq!(r.header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"{}.pdf\"", &bcp_hash[..12]))
    );
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("private, max-age=31536000, immutable")
    );
    assert_eq!(r.header("content-length"), Some(bcp.len().to_string()));
    // The security headers of every answer are there too.
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    // Even asked for gzip, a PDF comes as it is.
    let r = call(
        port,
        &head(
            "GET",
            &files_path(&a, &bcp_hash),
            &admin,
            "Accept-Encoding: gzip, br\r\n",
        ),
        b"",
    )
    .await;
    assert_eq!(r.header("content-encoding"), None);
    assert!(r.body == bcp);
    // HEAD: the same headers, no bytes.
    let r = call(
        port,
        &head("HEAD", &files_path(&a, &bcp_hash), &admin, ""),
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some(bcp.len().to_string()));
    assert!(r.body.is_empty());
    // PNG and JPEG are kept too, named by their kind.
    for (bytes, kind, ext) in [(png(), "image/png", "png"), (jpeg(), "image/jpeg", "jpg")] {
        let hash = sha256_hex(&bytes);
        let r = put(
            port,
            &files_path(&a, &hash),
            &admin,
            &bytes,
            "application/octet-stream",
        )
        .await;
        assert_eq!(r.status, 200, "{kind}: {}", r.text());
        let r = get(port, &files_path(&a, &hash), &admin).await;
        assert!(r.body == bytes);
        assert_eq!(r.header("content-type").as_deref(), Some(kind));
        assert!(
            r.header("content-disposition")
                .unwrap()
                .ends_with(&format!(".{ext}\""))
        );
    }
    let (png_hash, jpeg_hash) = (sha256_hex(&png()), sha256_hex(&jpeg()));
    let kept = [bcp_hash.as_str(), &png_hash, &jpeg_hash];
    only_kept(&data, &kept).await;
    // The list, for readers, is API data: never cached.
    let r = get(port, &format!("/api/facilities/{a}/files"), &viewer).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let listed: Vec<FileInfo> = r.json();
    assert_eq!(listed.len(), 3);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));

    // Step 4: 21 MB declared by Content-Length is refused before a byte of the body is sent (the request
    // would wait forever if the server read it).
    let unknown = sha256_hex(b"never uploaded");
    let r = call(
        port,
        &head(
            "PUT",
            &files_path(&a, &unknown),
            &admin,
            &format!("Content-Length: {}\r\n", 21 * MB),
        ),
        b"",
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text());

    // Step 5: 21 MB chunked, no Content-Length: counted while it streams, refused past 20 MB.
    let big = pdf(21 * MB, b'x');
    let big_hash = sha256_hex(&big);
    let (r, sent) = put_chunked(port, &files_path(&a, &big_hash), &admin, big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    println!("21 MB chunked: refused after this side wrote {sent} bytes");
    // An endless body (here 200 MB) is cut off the same way: the server stops reading past 20 MB, so this
    // side can write no more than that and what the two sockets buffer.
    let endless = pdf(200 * MB, b'e');
    let (r, sent) = put_chunked(
        port,
        &files_path(&a, &sha256_hex(&endless)),
        &admin,
        endless,
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text());
    println!("200 MB chunked: refused after this side wrote {sent} bytes");
    assert!(sent < 60 * MB, "the server read on: {sent} bytes taken");

    // Step 6: a body cut short, half-closed (Content-Length larger than what is sent) or dropped outright.
    let cut = pdf(200_000, b'c');
    let cut_hash = sha256_hex(&cut);
    {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let extra = format!("Content-Length: {}\r\n", cut.len());
        s.write_all(head("PUT", &files_path(&a, &cut_hash), &admin, &extra).as_bytes())
            .await
            .unwrap();
        s.write_all(&cut[..100_000]).await.unwrap();
        s.shutdown().await.unwrap();
        let r = tokio::time::timeout(Duration::from_secs(30), read_answer(&mut s)).await;
        // Whether an answer still gets through is the server's choice; nothing may be kept.
        if let Ok(r) = r {
            println!("half-closed upload: {} {}", r.status, r.text());
            assert_ne!(r.status, 200);
        }
    }
    {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let extra = format!("Content-Length: {}\r\n", cut.len());
        s.write_all(head("PUT", &files_path(&a, &cut_hash), &admin, &extra).as_bytes())
            .await
            .unwrap();
        s.write_all(&cut[..150_000]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(s);
    }
    only_kept(&data, &kept).await;
    assert_eq!(
        get(port, &files_path(&a, &cut_hash), &admin).await.status,
        404
    );

    // Step 7: bytes that do not hash to the address.
    let other = pdf(10_000, b'o');
    let r = put(
        port,
        &files_path(&a, &sha256_hex(b"something else")),
        &admin,
        &other,
        "application/pdf",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());

    // Step 8: what is not a PDF, PNG or JPEG by its bytes, whatever it is called; and a PDF cut short.
    let refused: [(&str, Vec<u8>, &str); 5] = [
        (
            "HTML renamed .pdf",
            b"<!DOCTYPE html><html><body><script>fetch('/api/me')</script>%%EOF".to_vec(),
            "HTML",
        ),
        (
            "SVG",
            br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#
                .to_vec(),
            "SVG",
        ),
        (
            "GIF",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00;".to_vec(),
            "GIF",
        ),
        ("empty", Vec::new(), "empty"),
        (
            "PDF without %%EOF",
            pdf(50_000, b'd')[..40_000].to_vec(),
            "%%EOF",
        ),
    ];
    for (what, bytes, says) in refused {
        let r = put(
            port,
            &files_path(&a, &sha256_hex(&bytes)),
            &admin,
            &bytes,
            "application/pdf",
        )
        .await;
        assert_eq!(r.status, 415, "{what}: {}", r.text());
        assert!(r.text().contains(says), "{what}: {}", r.text());
    }
    only_kept(&data, &kept).await;

    // Step 9: an address that is not a SHA-256 (upper case, too short, a path) is a 400 for everyone …
    for bad in [
        bcp_hash.to_uppercase(),
        bcp_hash[..63].to_string(),
        "..%2f..%2fmamori.db".into(),
    ] {
        let r = get(port, &files_path(&a, &bad), &admin).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
    // … and the one answer for a file that is not there: an unknown hash, to the 管理者 …
    let not_found = get(port, &files_path(&a, &unknown), &admin).await;
    assert_eq!(not_found.status, 404);
    let same = |r: &Answer, who: &str| {
        assert_eq!(
            (r.status, r.text()),
            (not_found.status, not_found.text()),
            "{who}: the answer differs from an unknown hash's"
        );
    };
    // … is what the 事業者 gets for a file that exists, to read or to upload, and for the list …
    same(
        &get(port, &files_path(&a, &bcp_hash), &vendor).await,
        "vendor, GET",
    );
    // (A HEAD answer has no body: its status is the same.)
    let r = call(
        port,
        &head("HEAD", &files_path(&a, &bcp_hash), &vendor, ""),
        b"",
    )
    .await;
    assert_eq!(r.status, 404, "vendor, HEAD");
    same(
        &get(port, &format!("/api/facilities/{a}/files"), &vendor).await,
        "vendor, list",
    );
    let vendors_upload = pdf(20_000, b'v');
    same(
        &put(
            port,
            &files_path(&a, &sha256_hex(&vendors_upload)),
            &vendor,
            &vendors_upload,
            "application/pdf",
        )
        .await,
        "vendor, PUT",
    );
    // … and another facility's 管理者, asking at A or at B for A's file.
    same(
        &get(port, &files_path(&a, &bcp_hash), &admin_b).await,
        "B at A",
    );
    same(
        &get(port, &files_path(&b, &bcp_hash), &admin_b).await,
        "B at B for A's file",
    );
    same(
        &get(port, &format!("/api/facilities/{a}/files"), &admin_b).await,
        "B, A's list",
    );
    same(
        &put(
            port,
            &files_path(&a, &sha256_hex(&vendors_upload)),
            &admin_b,
            &vendors_upload,
            "application/pdf",
        )
        .await,
        "B uploading to A",
    );
    // B uploads the same bytes for itself: B holds them now, A's record is untouched, B's list has only them.
    let r = put(
        port,
        &files_path(&b, &bcp_hash),
        &admin_b,
        &bcp,
        "application/pdf",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = get(port, &format!("/api/facilities/{b}/files"), &admin_b).await;
    let b_list: Vec<FileInfo> = r.json();
    assert_eq!(
        b_list.iter().map(|f| f.sha256.as_str()).collect::<Vec<_>>(),
        [bcp_hash.as_str()]
    );
    assert!(get(port, &files_path(&b, &bcp_hash), &admin_b).await.body == bcp);
    only_kept(&data, &kept).await;

    // Step 10: the 閲覧者 reads, and may not upload.
    let r = get(port, &files_path(&a, &bcp_hash), &viewer).await;
    assert_eq!(r.status, 200);
    assert!(r.body == bcp);
    let r = put(
        port,
        &files_path(&a, &sha256_hex(&vendors_upload)),
        &viewer,
        &vendors_upload,
        "application/pdf",
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    only_kept(&data, &kept).await;

    // Step 11: every upload and download is in the access log: facility, person, hash and size.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", data.join("mamori.db").display()))
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>, Option<String>, String)> = sqlx::query_as(
        "SELECT kind, facility_id, person_id, detail FROM access_log WHERE kind LIKE 'file_%' ORDER BY seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let uploads: Vec<_> = rows.iter().filter(|r| r.0 == "file_uploaded").collect();
    let downloads: Vec<_> = rows.iter().filter(|r| r.0 == "file_downloaded").collect();
    // A: the PDF, PNG, JPEG; B: the PDF. Downloads: 4 by A's 管理者, 1 by B's, 1 by the 閲覧者 (a HEAD is
    // none: nothing was read; a 404 is none: nothing was there).
    assert_eq!(uploads.len(), 4, "{rows:?}");
    assert_eq!(downloads.len(), 6, "{rows:?}");
    let first = uploads[0];
    assert_eq!(first.1.as_deref(), Some(a.as_str()));
    assert!(first.2.is_some(), "the person");
    assert!(
        first.3.contains(&bcp_hash) && first.3.contains(&bcp.len().to_string()),
        "{}",
        first.3
    );
    assert!(
        downloads
            .iter()
            .any(|d| d.1.as_deref() == Some(b.as_str()) && d.3.contains(&bcp_hash)),
        "B's download"
    );
    pool.close().await;

    // Step 12: the quota counts the files. A holds about 0.3 MB; exactly 20 MB, chunked, still fits in 25 …
    let full = pdf(20 * MB, b'f');
    let full_hash = sha256_hex(&full);
    let (r, _) = put_chunked(port, &files_path(&a, &full_hash), &admin, full).await;
    assert_eq!(r.status, 200, "exactly 20 MB: {}", r.text());
    // … and then 5 MB more does not: refused by its declared length before its body …
    let more = pdf(5 * MB, b'm');
    let more_hash = sha256_hex(&more);
    let r = call(
        port,
        &head(
            "PUT",
            &files_path(&a, &more_hash),
            &admin,
            &format!("Content-Length: {}\r\n", more.len()),
        ),
        b"",
    )
    .await;
    assert_eq!(r.status, 507, "{}", r.text());
    assert!(r.text().contains("25 MB"), "{}", r.text());
    // … or counted, chunked.
    let (r, _) = put_chunked(port, &files_path(&a, &more_hash), &admin, more).await;
    assert_eq!(r.status, 507, "{}", r.text());
    // B, whose files are its own, still has room.
    let small = pdf(30_000, b's');
    let r = put(
        port,
        &files_path(&b, &sha256_hex(&small)),
        &admin_b,
        &small,
        "application/pdf",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    only_kept(
        &data,
        &[
            bcp_hash.as_str(),
            &png_hash,
            &jpeg_hash,
            &full_hash,
            &sha256_hex(&small),
        ],
    )
    .await;
}

/// The evidence-file folder that goes with a backup file.
fn beside(backup: &Path) -> PathBuf {
    mamori_server::maintenance::files_beside(backup)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_keeps_the_files_and_a_restore_checks_them() {
    let mut server = TestServer::start_signed_in().await;
    let (a, admin_browser) = facility(&server, "さくら内科", "佐藤 花子").await;
    let admin = session_cookie(&admin_browser, &server).await;
    drop(admin_browser);

    // Step 1: three files uploaded.
    let files = [pdf(400_000, b'p'), png(), jpeg()];
    for f in &files {
        let r = put(
            server.port,
            &files_path(&a, &sha256_hex(f)),
            &admin,
            f,
            "application/pdf",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }

    // Step 2: a backup while the server runs: the database, and its files beside it, byte for byte.
    let outside = tempfile::tempdir().unwrap();
    let backup = outside.path().join("mamori-backup.db");
    mamori_server::maintenance::backup(server.data_dir(), None, &backup)
        .await
        .unwrap();
    for f in &files {
        let h = sha256_hex(f);
        let copy = beside(&backup).join(&h[..2]).join(&h);
        assert!(
            std::fs::read(&copy).unwrap() == *f,
            "{} in the backup",
            copy.display()
        );
    }
    // A second backup to the same name is refused (nothing overwritten).
    assert!(
        mamori_server::maintenance::backup(server.data_dir(), None, &backup)
            .await
            .is_err()
    );
    server.stop().await;

    // Step 3: restored into a fresh data folder and served: the same bytes to the same 管理者.
    let fresh = tempfile::tempdir().unwrap();
    mamori_server::maintenance::restore(fresh.path(), &backup)
        .await
        .unwrap();
    let restored_dir = fresh.path().to_path_buf();
    let mut restored = TestServer::start_configured(move |c| {
        c.open_sync = false;
        c.data_dir = restored_dir;
    })
    .await;
    for f in &files {
        let r = get(restored.port, &files_path(&a, &sha256_hex(f)), &admin).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.body == *f, "restored bytes differ");
    }
    let r = get(restored.port, &format!("/api/facilities/{a}/files"), &admin).await;
    assert_eq!(r.json::<Vec<FileInfo>>().len(), 3);
    restored.stop().await;

    // Step 4: a damaged backup (one byte of the PDF changed) is refused before anything current is moved.
    let h = sha256_hex(&files[0]);
    let damaged = beside(&backup).join(&h[..2]).join(&h);
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[1000] ^= 1;
    std::fs::write(&damaged, bytes).unwrap();
    let e = mamori_server::maintenance::restore(fresh.path(), &backup)
        .await
        .expect_err("a damaged file is found");
    assert!(e.to_string().contains(&h), "{e}");
    assert!(!fresh.path().join("mamori.db.before-restore").exists());
    assert!(!fresh.path().join("files.restoring").exists());
    let kept = std::fs::read(fresh.path().join("files").join(&h[..2]).join(&h)).unwrap();
    assert!(kept == files[0], "the current files are untouched");

    // Step 5: repaired, it restores over the current store, whose files are moved aside whole.
    std::fs::write(&damaged, &files[0]).unwrap();
    mamori_server::maintenance::restore(fresh.path(), &backup)
        .await
        .unwrap();
    for f in &files {
        let h = sha256_hex(f);
        for folder in ["files", "files.before-restore"] {
            let path = fresh.path().join(folder).join(&h[..2]).join(&h);
            assert!(std::fs::read(&path).unwrap() == *f, "{}", path.display());
        }
    }
    assert!(fresh.path().join("mamori.db.before-restore").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_is_given_up_and_leaves_nothing() {
    // Uploads may take 2 seconds here (600 by default).
    let server = TestServer::start_configured(|c| {
        c.open_sync = false;
        c.upload_seconds = 2;
    })
    .await;
    let (a, admin_browser) = facility(&server, "さくら内科", "佐藤 花子").await;
    let admin = session_cookie(&admin_browser, &server).await;
    drop(admin_browser);

    // Step 1: half a PDF sent, then nothing more, the connection left open.
    let bytes = pdf(100_000, b'z');
    let mut s = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let extra = format!("Content-Length: {}\r\n", bytes.len());
    s.write_all(head("PUT", &files_path(&a, &sha256_hex(&bytes)), &admin, &extra).as_bytes())
        .await
        .unwrap();
    s.write_all(&bytes[..50_000]).await.unwrap();

    // Step 2: meanwhile the bytes wait in a temporary file …
    let waiting = std::time::Instant::now();
    let mut partial = kept_files(server.data_dir());
    while partial.is_empty() && waiting.elapsed() < Duration::from_millis(1500) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        partial = kept_files(server.data_dir());
    }
    assert!(
        partial.len() == 1 && partial[0].contains(".partial-"),
        "{partial:?}"
    );

    // Step 3: … until the deadline: 408, and nothing kept.
    let started = std::time::Instant::now();
    let (read, _write) = s.into_split();
    let r = tokio::time::timeout(Duration::from_secs(20), read_answer(read))
        .await
        .expect("an answer at the deadline");
    assert_eq!(r.status, 408, "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(10));
    only_kept(server.data_dir(), &[]).await;
}

/// The attack on the gate from outside the facility's people: nobody signed in, and a person the 管理者 has
/// just removed (whose session cookie still exists), ask for a file, list the files and upload one. None of
/// it answers with the bytes or keeps anything; the same person could read the file before the removal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_and_a_removed_person_reach_no_file() {
    let server = TestServer::start_configured(|c| c.open_sync = false).await;
    let port = server.port;
    let data = server.data_dir().to_path_buf();
    let (a, admin_browser) = facility(&server, "さくら内科", "佐藤 花子").await;
    let admin = session_cookie(&admin_browser, &server).await;
    let (_, token) = invite(&admin_browser, &a, "staff", None, "職員 一郎").await;
    let staff_browser = browser_at(&server).await;
    assert_eq!(
        status(&accept(&staff_browser, &token, "職員 一郎").await),
        200
    );
    let staff = session_cookie(&staff_browser, &server).await;
    let me = run(&staff_browser, "return api('GET', '/api/me');").await;
    let person = me["body"]["person_id"].as_str().unwrap().to_string();

    let kept = pdf(40_000, b'k');
    let hash = sha256_hex(&kept);
    let path = files_path(&a, &hash);
    assert_eq!(
        put(port, &path, &admin, &kept, "application/pdf")
            .await
            .status,
        200
    );
    let read = get(port, &path, &staff).await;
    assert_eq!(
        (read.status, read.body == kept),
        (200, true),
        "staff reads it"
    );

    let other = pdf(30_000, b'o');
    let other_path = files_path(&a, &sha256_hex(&other));
    let list = format!("/api/facilities/{a}/files");
    let refused = |who: &str, r: &Answer| {
        assert!(
            r.status >= 400 && !r.body.windows(kept.len().min(64)).any(|w| w == &kept[..64]),
            "{who}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    };

    // Nobody signed in.
    refused("nobody GET", &get(port, &path, "").await);
    refused("nobody list", &get(port, &list, "").await);
    refused(
        "nobody PUT",
        &put(port, &other_path, "", &other, "application/pdf").await,
    );

    // The person removed by the 管理者 (a fresh passkey sign-in is within its window here).
    let r = run(
        &admin_browser,
        &format!("return api('POST', '/api/facilities/{a}/people/{person}/remove');"),
    )
    .await;
    assert_eq!(status(&r), 200, "{r}");
    refused("removed GET", &get(port, &path, &staff).await);
    refused("removed list", &get(port, &list, &staff).await);
    refused(
        "removed PUT",
        &put(port, &other_path, &staff, &other, "application/pdf").await,
    );
    // Only the 管理者's file is kept.
    only_kept(&data, &[&hash]).await;
}
