//! Behind a reverse proxy: `X-Forwarded-For` is believed only from a configured proxy address, so sign-in
//! rate limits count the client behind a trusted proxy, and a forged header from anyone else changes nothing.

use mamori_server::ceremonies::MAX_ATTEMPTS_PER_CLIENT;
use mamori_tests::TestServer;

/// POSTs JSON with an `X-Forwarded-For` header; returns the status code.
async fn post(port: u16, path: &str, body: &str, forwarded: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Forwarded-For: {forwarded}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out[9..12].parse().unwrap()
}

/// One more sign-in start than a client may make, each for a different (unknown) person, from
/// `forwarded`; the last status.
async fn too_many_from(port: u16, forwarded: &str) -> u16 {
    let mut last = 0;
    for _ in 0..=MAX_ATTEMPTS_PER_CLIENT {
        let body = format!("{{\"person_id\":\"{}\"}}", uuid::Uuid::new_v4());
        last = post(port, "/api/signin/start", &body, forwarded).await;
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let behind = TestServer::start_configured(|c| {
        c.open_sync = false;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(too_many_from(behind.port, "203.0.113.9").await, 429);
    // Another client behind the same proxy is not held back by the first one's attempts.
    let other = post(
        behind.port,
        "/api/signin/start",
        &format!("{{\"person_id\":\"{}\"}}", uuid::Uuid::new_v4()),
        "203.0.113.10",
    )
    .await;
    assert_eq!(other, 400, "unknown person, not rate-limited");

    // Without a trusted proxy a forged header does not dodge the limit.
    let direct = TestServer::start_signed_in().await;
    let mut last = 0;
    for n in 0..=MAX_ATTEMPTS_PER_CLIENT {
        let body = format!("{{\"person_id\":\"{}\"}}", uuid::Uuid::new_v4());
        last = post(
            direct.port,
            "/api/signin/start",
            &body,
            &format!("198.51.100.{n}"),
        )
        .await;
    }
    assert_eq!(last, 429);
}
