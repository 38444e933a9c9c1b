//! A clinic outgrows one box: `mamori-server migrate-store` copies its SQLite store into PostgreSQL and
//! verifies the copy, and the server then runs on PostgreSQL with everything there.

use std::time::{Duration, Instant};

use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::TestServer;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::postgres::fresh_database;
use mamori_tests::server::maintenance;
use mamori_tests::sync_client::Device;

async fn synced(d: &mut Device, id: DocumentId) {
    let start = Instant::now();
    while !d.server_has_all(id) {
        assert!(start.elapsed() < Duration::from_secs(10), "not synced");
        d.pump_once(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_moves_to_postgresql_whole_and_verified() {
    // A clinic's server on SQLite, three checklists answered, a few access-log entries.
    let mut server = TestServer::start_configured(|c| c.database_url = None).await;
    let mut device = Device::new("tablet");
    device.connect(&server.url).await;
    let ids: Vec<DocumentId> = (0..3).map(|_| DocumentId::generate()).collect();
    for (n, id) in ids.iter().enumerate() {
        let mut doc = new_checklist();
        answer(&mut doc, "1-①", Choice::Yes, "佐藤");
        if n > 0 {
            answer(&mut doc, "2-③", Choice::No, "鈴木");
        }
        device.add(*id, doc).await;
        synced(&mut device, *id).await;
    }
    let heads: Vec<_> = ids.iter().map(|id| device.heads(*id)).collect();
    server.registration_code().await;
    device.disconnect().await;
    server.stop().await;
    let data = server.data_dir().to_path_buf();

    // Not a store: a clear error, nothing written.
    let target = fresh_database().await;
    let migrate =
        |from: &str| maintenance(&data, &["migrate-store", "--from", from, "--to", &target]);
    let garbage = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(garbage.path(), b"not a database").unwrap();
    let (ok, said) = migrate(garbage.path().to_str().unwrap());
    assert!(!ok && said.contains("database"), "{said}");

    // The data folder (its server stopped) into the empty database: copied and verified.
    let (ok, said) = migrate(data.to_str().unwrap());
    assert!(ok, "{said}");
    assert!(said.contains("verified: 3 documents"), "{said}");
    assert!(said.contains("access log intact"), "{said}");
    assert!(said.contains("chunks: "), "{said}");

    // Twice: refused, the copy untouched.
    let (ok, said) = migrate(data.to_str().unwrap());
    assert!(!ok && said.contains("already holds data"), "{said}");

    // The server on PostgreSQL: another device reads every document as it was.
    let on_postgres = TestServer::start_configured(|c| c.database_url = Some(target.clone())).await;
    let mut other = Device::new("another tablet");
    other.connect(&on_postgres.url).await;
    for (id, before) in ids.iter().zip(&heads) {
        other.want(*id).await;
        let start = Instant::now();
        while other.docs.get_mut(id).map(|d| d.get_heads()) != Some(before.clone()) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "document {id} did not arrive whole from PostgreSQL"
            );
            other.pump_once(Duration::from_millis(20)).await;
        }
    }
    // And its access log verifies there.
    let (ok, said) = maintenance(&data, &["--database-url", &target, "verify-log"]);
    assert!(ok && said.contains("intact"), "{said}");
}
