//! Crashes lose nothing: the server binary is killed with SIGKILL at random moments of a signed-in load (three
//! devices of a signed-in 管理者 answering two checklists: every change is stored with its actor claim and its
//! access-log entry) and started again, on SQLite and on PostgreSQL. After each restart, before any device
//! reconnects, a fresh device finds on the server every change any device had seen acknowledged (a server
//! message whose heads include it); at the end the access log verifies and every change is stored once.
//!
//! `MAMORI_CRASH_POINTS` sets how many crashes per engine (10 in the normal run; the README's command runs
//! 100). `MAMORI_CRASH_SEED` replays a run (the seed is printed).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use automerge::{ActorId, ChangeHash};
use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::passkeys::facility_at_url;
use mamori_tests::postgres::fresh_database;
use mamori_tests::server::{ServerProcess, maintenance};
use mamori_tests::sync_client::Device;

/// A small deterministic generator (xorshift64*): a failing run is replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ITEMS: [&str; 6] = ["1-①", "1-②", "1-③", "2-①", "2-②", "2-③"];

async fn reconnect(d: &mut Device, url: &str, cookie: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match d.try_connect(url, Some(cookie)).await {
            Ok(()) => return,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "{}: cannot reconnect: {e}",
                    d.name
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn crash_points(database_url: Option<String>) {
    let engine = if database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let points: usize = std::env::var("MAMORI_CRASH_POINTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("MAMORI_CRASH_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("{engine}: {points} crash points, MAMORI_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let extra: Vec<&str> = match &database_url {
        Some(url) => vec!["--database-url", url.as_str()],
        None => vec![],
    };
    let mut server = ServerProcess::start(&extra).await;

    // A facility, its 管理者 and two checklists, through the real API.
    let (cookie, _, docs) =
        facility_at_url(&server.url, &server.registration_code().await, 2).await;
    let docs = [docs[0], docs[1]];

    let mut devices: Vec<Device> = (0..3)
        .map(|n| Device::new(&format!("tablet {n}")))
        .collect();
    for d in devices.iter_mut() {
        reconnect(d, &server.url, &cookie).await;
    }
    for (i, doc) in docs.iter().enumerate() {
        let d = &mut devices[i];
        d.add(
            *doc,
            new_checklist().with_actor(ActorId::from(&[0x10 + i as u8; 16][..])),
        )
        .await;
        while !d.server_has_all(*doc) {
            d.pump_once(Duration::from_millis(10)).await;
        }
    }
    for (n, d) in devices.iter_mut().enumerate() {
        for doc in docs {
            if !d.docs.contains_key(&doc) {
                assert!(d.opened(doc).await, "{}: opens {doc}", d.name);
            }
            d.edit(doc, |a| {
                a.set_actor(ActorId::from(&[0x40 + n as u8; 16][..]));
            })
            .await;
        }
    }

    // Per device and document: the heads it last saw acknowledged.
    let mut acknowledged: HashMap<(usize, DocumentId), Vec<ChangeHash>> = HashMap::new();
    let mut checked = 0usize;
    for point in 0..points {
        // The load, for a random while; then SIGKILL, whatever is in flight.
        let until = Instant::now() + Duration::from_millis(20 + rng.below(180));
        while Instant::now() < until {
            let n = rng.below(devices.len() as u64) as usize;
            let doc = docs[rng.below(2) as usize];
            let item = ITEMS[rng.below(ITEMS.len() as u64) as usize];
            let choice = if rng.below(2) == 0 {
                Choice::Yes
            } else {
                Choice::No
            };
            devices[n]
                .edit(doc, |a| answer(a, item, choice, "佐藤 花子"))
                .await;
            for (i, d) in devices.iter_mut().enumerate() {
                d.pump_once(Duration::from_millis(1)).await;
                for doc in docs {
                    if d.is_online() && d.server_has_all(doc) {
                        acknowledged.insert((i, doc), d.heads(doc));
                    }
                }
            }
        }
        server.crash_and_restart().await;
        for d in devices.iter_mut() {
            d.disconnect().await;
        }

        // Before any device is back: the server alone has every acknowledged change.
        let mut check = Device::new("after the crash");
        reconnect(&mut check, &server.url, &cookie).await;
        for doc in docs {
            assert!(
                check.opened(doc).await,
                "{engine}: point {point}: {doc} opens"
            );
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let held = check.docs.get_mut(&doc).expect("opened");
                let missing = acknowledged
                    .iter()
                    .filter(|((_, d), _)| *d == doc)
                    .flat_map(|(_, heads)| heads.iter())
                    .filter(|h| held.get_change_by_hash(h).is_none())
                    .count();
                if missing == 0 {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{engine}: point {point} (seed {seed}): {missing} acknowledged changes of {doc} lost"
                );
                check.pump_once(Duration::from_millis(20)).await;
            }
            checked += 1;
        }
        check.disconnect().await;
        for d in devices.iter_mut() {
            reconnect(d, &server.url, &cookie).await;
            for doc in docs {
                d.want(doc).await;
            }
        }
    }

    // Every change once in the history, and the log intact.
    let mut last = Device::new("last");
    reconnect(&mut last, &server.url, &cookie).await;
    for doc in docs {
        assert!(last.opened(doc).await);
        let doc = last.docs.get_mut(&doc).unwrap();
        let changes = doc.get_changes(&[]);
        let distinct: std::collections::HashSet<ChangeHash> =
            changes.iter().map(|c| c.hash()).collect();
        assert_eq!(
            changes.len(),
            distinct.len(),
            "{engine}: a change stored twice"
        );
    }
    last.disconnect().await;
    let mut args = vec!["verify-log"];
    if let Some(url) = &database_url {
        args.splice(0..0, ["--database-url", url.as_str()]);
    }
    let (ok, said) = maintenance(server.data_dir(), &args);
    assert!(ok && said.contains("intact"), "{engine}: {said}");
    println!(
        "{engine}: {points} crashes, {checked} documents checked after them, nothing acknowledged lost; {said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_lose_nothing_on_sqlite() {
    crash_points(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_lose_nothing_on_postgresql() {
    crash_points(Some(fresh_database().await)).await;
}
