//! Back-pressure and dead peers: a client that stops reading is disconnected without slowing anyone else's
//! delivery, and a connection whose peer never answers a ping is closed within the timeout, while a live one
//! that answers stays open.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use futures_util::SinkExt;
use mamori_shared::model::DocumentId;
use mamori_shared::sync::{Effect, Event};
use mamori_tests::TestServer;
use mamori_tests::load;
use mamori_tests::sync_client::{Device, converge};
use tokio_tungstenite::tungstenite::Message as Ws;

async fn connections(server: &TestServer) -> u64 {
    server.health().await["connections"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

/// Waits until the server reports `n` open connections; returns how long that took.
async fn until_connections(server: &TestServer, n: u64, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if connections(server).await == n {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "still {} connections after {within:?}, expected {n}",
            connections(server).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Everyone who takes part: W floods document X with large changes that R reads; B makes small edits to
/// document Y that C reads, and those are timed.
struct Devices {
    w: Device,
    r: Device,
    b: Device,
    c: Device,
    x: DocumentId,
    y: DocumentId,
}

impl Devices {
    /// `rounds` of one large change to X and one small timed edit to Y; the latencies of the Y edits in ms.
    async fn rounds(&mut self, rounds: usize, payload: &str) -> Vec<f64> {
        let mut latencies = Vec::new();
        for i in 0..rounds {
            self.w
                .edit(self.x, |d| {
                    d.put(ROOT, "big", format!("{i}:{payload}")).unwrap();
                })
                .await;
            let start = Instant::now();
            self.b
                .edit(self.y, |d| {
                    d.put(ROOT, "n", i as i64).unwrap();
                })
                .await;
            let want = self.b.heads(self.y);
            while self.c.heads(self.y) != want {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "edit {i} to Y did not reach C"
                );
                self.c.pump_once(Duration::from_millis(2)).await;
            }
            latencies.push(start.elapsed().as_secs_f64() * 1000.0);
            for d in [&mut self.w, &mut self.r, &mut self.b] {
                while d.pump_once(Duration::from_millis(1)).await {}
            }
        }
        latencies
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_and_slows_no_one_else() {
    let server = TestServer::start_configured(|c| {
        c.send_timeout_ms = 2_000;
    })
    .await;
    let mut all = Devices {
        w: Device::new("w"),
        r: Device::new("r"),
        b: Device::new("b"),
        c: Device::new("c"),
        x: DocumentId::generate(),
        y: DocumentId::generate(),
    };
    for d in [&mut all.w, &mut all.r, &mut all.b, &mut all.c] {
        d.connect(&server.url).await;
    }
    all.w.add(all.x, AutoCommit::new()).await;
    all.b.add(all.y, AutoCommit::new()).await;
    all.w.edit(all.x, |d| d.put(ROOT, "big", "").unwrap()).await;
    all.b.edit(all.y, |d| d.put(ROOT, "n", 0).unwrap()).await;
    all.r.want(all.x).await;
    all.c.want(all.y).await;
    converge(&mut [&mut all.w, &mut all.r], all.x).await;
    converge(&mut [&mut all.b, &mut all.c], all.y).await;

    // 64 KiB a change to X: enough to fill a stalled reader's socket buffers and queue within a few dozen.
    let payload = "守".repeat(64 * 1024 / 3);
    let before = all.rounds(20, &payload).await;

    // S opens X and then never reads again.
    let ws = format!("{}/sync", server.url.replace("http", "ws"));
    let (mut stalled, mut core) = load::connect(&ws, "stalled".into()).await.expect("connect");
    let mut docs = std::collections::BTreeMap::from([(all.x, AutoCommit::new())]);
    for e in core.handle(Event::Want(all.x), &mut docs) {
        if let Effect::Send(f) = e {
            stalled.send(Ws::Binary(f.into())).await.unwrap();
        }
    }
    until_connections(&server, 5, Duration::from_secs(5)).await;

    let stall = Instant::now();
    let mut during = Vec::new();
    let mut disconnected_after = None;
    while disconnected_after.is_none() {
        assert!(
            stall.elapsed() < Duration::from_secs(60),
            "the stalled client was never disconnected"
        );
        during.extend(all.rounds(10, &payload).await);
        if connections(&server).await == 4 {
            disconnected_after = Some(stall.elapsed());
        }
    }
    println!(
        "Y's edits at C: median {:.1} ms before, {:.1} ms while S was stalled on X (max {:.1} ms over {} edits); S disconnected after {:.1} s",
        median(before.clone()),
        median(during.clone()),
        during.iter().copied().fold(0.0, f64::max),
        during.len(),
        disconnected_after.unwrap().as_secs_f64()
    );
    // Every edit reached C promptly while S was stalled (the bound is generous for a shared, noisy machine
    // running a debug build; typical is a few ms).
    assert!(during.iter().all(|ms| *ms < 1_000.0), "{during:?}");
    // The reader of the flooded document got everything.
    converge(&mut [&mut all.w, &mut all.r], all.x).await;
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_answers_a_ping_is_closed_and_a_live_one_stays() {
    let server = TestServer::start_configured(|c| {
        c.ping_interval_ms = 200;
        c.pong_timeout_ms = 300;
    })
    .await;
    let ws = format!("{}/sync", server.url.replace("http", "ws"));
    // The dead one: joined, then never reads, so the WebSocket library never sends its pong.
    let (dead, _) = load::connect(&ws, "dead".into()).await.expect("connect");
    // The live one reads all the time (answering pings as it does).
    let mut live = Device::new("live");
    live.connect(&server.url).await;
    assert_eq!(connections(&server).await, 2);

    let start = Instant::now();
    while connections(&server).await != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the silent connection is still open"
        );
        live.pump_once(Duration::from_millis(20)).await;
    }
    let closed_after = start.elapsed();
    println!(
        "the silent connection was closed after {closed_after:?} (ping every 200 ms, pong within 300 ms)"
    );
    // The live one has been through several ping rounds and is still open and syncing.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1_500) {
        live.pump_once(Duration::from_millis(50)).await;
    }
    assert_eq!(connections(&server).await, 1);
    let doc = DocumentId::generate();
    live.add(doc, AutoCommit::new()).await;
    live.edit(doc, |d| {
        d.put(ROOT, "still", "here").unwrap();
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !live.server_has_all(doc) {
        assert!(
            Instant::now() < deadline,
            "the live connection no longer syncs"
        );
        live.pump_once(Duration::from_millis(20)).await;
    }
    drop(dead);
}
