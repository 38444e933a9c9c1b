//! Durability and backups, against the real server binary on a real SQLite file:
//! - the server is killed with SIGKILL right after a client saw heads that include its change, and restarted
//!   on the same data folder: the change is there;
//! - a backup taken while a client writes, restored into a fresh data folder, holds what was acknowledged.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use mamori_shared::model::DocumentId;
use mamori_tests::sync_client::{Device, converge};

use mamori_tests::server::server_binary;

/// Starts the server on a free port; returns the process and its URL.
fn spawn_server(data: &Path) -> (Child, String) {
    let mut child = Command::new(server_binary())
        .args([
            "--open-sync",
            "--addr",
            "127.0.0.1:0",
            "--assets",
            "/nonexistent",
            "--data-dir",
        ])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(
        url.starts_with("http://localhost:"),
        "unexpected start line: {line}"
    );
    (child, url)
}

fn value(device: &Device, id: DocumentId, key: &str) -> Option<String> {
    let (v, _) = device.docs[&id].get(ROOT, key).unwrap()?;
    v.into_string().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_change_survives_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, url) = spawn_server(data.path());
    let id = DocumentId::generate();

    // Step 1: a device writes and waits until the server's heads include the change.
    let mut a = Device::new("tablet");
    a.connect(&url).await;
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "answer", "はい").unwrap();
    a.add(id, doc).await;
    while !a.server_has_all(id) {
        assert!(
            a.pump_once(Duration::from_secs(5)).await,
            "the server acknowledges the change"
        );
    }

    // Step 2: kill -9 at once, then restart on the same data folder.
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, url) = spawn_server(data.path());

    // Step 3: the change is there.
    let mut b = Device::new("after-crash");
    b.connect(&url).await;
    b.want(id).await;
    converge(&mut [&mut b], id).await;
    assert_eq!(value(&b, id, "answer").as_deref(), Some("はい"));
    server.kill().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_writing_restores() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, url) = spawn_server(data.path());
    let id = DocumentId::generate();
    let mut a = Device::new("writer");
    a.connect(&url).await;
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "n", 0).unwrap();
    a.add(id, doc).await;

    // Step 1: keep writing (80 changes: the store compacts after 64); take a backup in the middle.
    let backup = data.path().join("backup.db");
    let mut backed_up_at = None;
    for n in 1..=80_i64 {
        a.edit(id, |d| d.put(ROOT, "n", n).unwrap()).await;
        while !a.server_has_all(id) {
            a.pump_once(Duration::from_secs(5)).await;
        }
        if n == 40 {
            let status = Command::new(server_binary())
                .args(["--data-dir"])
                .arg(data.path())
                .args(["backup", "--to"])
                .arg(&backup)
                .status()
                .unwrap();
            assert!(status.success(), "backup while the server runs");
            backed_up_at = Some(n);
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();

    // Step 2: restore into a fresh data folder and serve it.
    let fresh = tempfile::tempdir().unwrap();
    let status = Command::new(server_binary())
        .args(["--data-dir"])
        .arg(fresh.path())
        .args(["restore", "--from"])
        .arg(&backup)
        .status()
        .unwrap();
    assert!(status.success(), "restore");
    let (mut restored, url) = spawn_server(fresh.path());
    let mut b = Device::new("reader");
    b.connect(&url).await;
    b.want(id).await;
    converge(&mut [&mut b], id).await;

    // Step 3: the restored store holds a consistent state at or after the backup point, never a torn one.
    let n: i64 = b.docs[&id]
        .get(ROOT, "n")
        .unwrap()
        .unwrap()
        .0
        .as_i64()
        .unwrap();
    assert!(n >= backed_up_at.unwrap() && n <= 80, "restored n = {n}");
    restored.kill().unwrap();

    // Step 4: the original store, compacted along the way, reloads with every change.
    let (mut original, url) = spawn_server(data.path());
    let mut c = Device::new("after-compaction");
    c.connect(&url).await;
    c.want(id).await;
    converge(&mut [&mut c], id).await;
    while c.pump_once(Duration::from_millis(200)).await {}
    let n: i64 = c.docs[&id]
        .get(ROOT, "n")
        .unwrap()
        .unwrap()
        .0
        .as_i64()
        .unwrap();
    assert_eq!(n, 80, "the compacted store holds the last change");
    original.kill().unwrap();
}
