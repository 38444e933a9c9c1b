//! HTTPS served by Mamori itself, with a certificate this test makes: HSTS and the `__Host-` Secure session
//! cookie under TLS, and a renewed certificate taken up without dropping a connection that is already open.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mamori_tests::TestServer;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM, certificate DER).
fn certificate() -> (String, String, CertificateDer<'static>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().clone())
}

/// Writes a file the way a renewal tool does: a new file renamed into place.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn connect(port: u16, trusted: &[CertificateDer<'static>]) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for c in trusted {
        roots.add(c.clone()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

/// One request on an open connection (kept alive); returns the response head, lower-cased.
async fn request(tls: &mut TlsStream<TcpStream>, method: &str, path: &str) -> String {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = tls.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed");
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            while got.len() < end + 4 + length {
                let n = tls.read(&mut buf).await.unwrap();
                assert!(n > 0, "the connection closed mid-body");
                got.extend_from_slice(&buf[..n]);
            }
            return head;
        }
    }
}

fn peer_certificate(tls: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    tls.get_ref().1.peer_certificates().unwrap()[0]
        .clone()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_hsts_secure_cookies_and_a_certificate_renewed_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (cert, key, first) = certificate();
    replace(&cert_path, &cert);
    replace(&key_path, &key);
    let server = TestServer::start_configured(|c| {
        c.open_sync = false;
        c.tls_cert = Some(cert_path.clone());
        c.tls_key = Some(key_path.clone());
        c.tls_reload_ms = 100;
        c.public_url = c
            .public_url
            .as_ref()
            .map(|u| u.replace("http://", "https://"));
    })
    .await;

    let mut open = connect(server.port, std::slice::from_ref(&first)).await;
    let page = request(&mut open, "GET", "/").await;
    assert!(page.starts_with("http/1.1 200"), "{page}");
    assert!(
        page.contains("strict-transport-security: max-age="),
        "{page}"
    );
    assert!(page.contains("content-security-policy:"), "{page}");
    let out = request(&mut open, "POST", "/api/signout").await;
    let cookie = out
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        cookie.contains("__host-mamori_session=")
            && cookie.contains("secure")
            && cookie.contains("path=/"),
        "{cookie}"
    );

    // The certificate is renewed: new connections get the new one, the open one carries on.
    let (cert2, key2, second) = certificate();
    replace(&key_path, &key2);
    replace(&cert_path, &cert2);
    let both = [first.clone(), second.clone()];
    let mut renewed = false;
    for _ in 0..100 {
        let fresh = connect(server.port, &both).await;
        if peer_certificate(&fresh) == second {
            renewed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(renewed, "the renewed certificate was not taken up");
    assert_eq!(peer_certificate(&open), first);
    let again = request(&mut open, "GET", "/healthz").await;
    assert!(
        again.starts_with("http/1.1 200"),
        "the open connection still works: {again}"
    );
}
