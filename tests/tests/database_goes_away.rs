//! PostgreSQL stops under a running server (as it does when its disk fills up or it crashes): Mamori answers
//! with clear errors (503 and 「データベースに接続できません」, the sync refusal saying the change stays on the
//! device), loses nothing acknowledged, and carries on by itself once the database is back.

use std::time::{Duration, Instant};

use automerge::ActorId;
use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::passkeys::facility_at_url;
use mamori_tests::postgres::Cluster;
use mamori_tests::server::ServerProcess;
use mamori_tests::sync_client::Device;

async fn acknowledged(d: &mut Device, doc: DocumentId, within: Duration) {
    let start = Instant::now();
    while !d.server_has_all(doc) {
        assert!(
            start.elapsed() < within,
            "{}: not acknowledged (online: {}, errors: {:?})",
            d.name,
            d.is_online(),
            d.errors
        );
        d.pump_once(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_stops_and_comes_back() {
    let cluster = Cluster::start();
    let server = ServerProcess::start(&["--database-url", &cluster.url]).await;
    let (cookie, _, docs) =
        facility_at_url(&server.url, &server.registration_code().await, 1).await;
    let doc = docs[0];

    let mut writer = Device::new("writer");
    writer
        .try_connect(&server.url, Some(&cookie))
        .await
        .unwrap();
    writer
        .add(
            doc,
            new_checklist().with_actor(ActorId::from(&[0x51; 16][..])),
        )
        .await;
    writer
        .edit(doc, |d| answer(d, "1-①", Choice::Yes, "佐藤 花子"))
        .await;
    acknowledged(&mut writer, doc, Duration::from_secs(10)).await;
    let before = writer.heads(doc);

    // The database stops. The next answer is refused with a clear error and stays on the device.
    cluster.pause();
    writer
        .edit(doc, |d| answer(d, "1-②", Choice::No, "佐藤 花子"))
        .await;
    let start = Instant::now();
    while writer.is_online() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "stayed connected as if stored"
        );
        writer.pump_once(Duration::from_millis(20)).await;
    }
    assert!(
        writer.errors.iter().any(|e| e.contains("変更は端末に残り")),
        "{:?}",
        writer.errors
    );
    assert!(!writer.server_has_all(doc));
    // The API says so too: unavailable, try again (not a bare 500).
    let answer = get_with_cookie(&server.url, "/api/me", &cookie).await;
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.contains("データベースに接続できません"),
        "{answer}"
    );
    let refused = writer.try_connect(&server.url, Some(&cookie)).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("503") && e.contains("データベース")),
        "{refused:?}"
    );

    // Back: the device reconnects by itself (as the app retries), its answer arrives, nothing is lost.
    cluster.resume();
    let start = Instant::now();
    while writer
        .try_connect(&server.url, Some(&cookie))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not recover"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    writer.want(doc).await;
    acknowledged(&mut writer, doc, Duration::from_secs(20)).await;
    let after = writer.heads(doc);
    assert_ne!(after, before);
    let mut check = Device::new("check");
    check.try_connect(&server.url, Some(&cookie)).await.unwrap();
    assert!(check.opened(doc).await);
    let start = Instant::now();
    while check.heads(doc) != after {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "lost after the outage"
        );
        check.pump_once(Duration::from_millis(20)).await;
    }
}

/// GETs `path` with a cookie over plain HTTP/1.1; the whole answer.
async fn get_with_cookie(url: &str, path: &str, cookie: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}
