//! The store on both engines: every test here runs once on SQLite (a file in a temporary folder) and once on
//! PostgreSQL (a fresh database on the test cluster), through the server's own types. Two stores opened on
//! one database stand for two server instances sharing it.

use std::sync::Arc;

use mamori_server::access_log::{AccessLog, Event, Kind};
use mamori_server::directory::{Directory, SessionLimits};
use mamori_server::store::DocStore;
use mamori_server::store::sql::SqlStore;
use mamori_shared::model::{DocumentId, PersonId};
use mamori_tests::postgres::fresh_database;

/// Where the two "instances" of a test keep their data.
enum Engine {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Engine {
    async fn both() -> [Engine; 2] {
        [
            Engine::Sqlite(tempfile::tempdir().unwrap()),
            Engine::Postgres(fresh_database().await),
        ]
    }

    fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite(_) => "SQLite",
            Engine::Postgres(_) => "PostgreSQL",
        }
    }

    /// One more instance's store on this engine's database.
    async fn instance(&self) -> SqlStore {
        match self {
            Engine::Sqlite(dir) => SqlStore::open(dir.path()).await.unwrap(),
            Engine::Postgres(url) => SqlStore::connect(url).await.unwrap(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_load_in_order_and_compaction_replaces_only_the_chunks_it_covers() {
    for engine in Engine::both().await {
        let name = engine.name();
        let (a, b) = (engine.instance().await, engine.instance().await);
        let id = DocumentId::generate();
        assert_eq!(a.load(id).await.unwrap(), None, "{name}: never stored");
        let first = a.append(id, vec![1]).await.unwrap();
        let second = a.append(id, vec![2]).await.unwrap();
        assert!(second > first, "{name}: places increase");
        // Instance B appends a chunk instance A has not seen; A then compacts what it holds.
        b.append(id, vec![3]).await.unwrap();
        let snapshot = a.compact(id, vec![9], vec![first, second]).await.unwrap();
        let chunks = a.load_chunks(id).await.unwrap().unwrap();
        assert_eq!(
            chunks.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
            vec![vec![3], vec![9]],
            "{name}: B's chunk survives A's compaction"
        );
        assert!(chunks.iter().any(|(s, _)| *s == snapshot));
        // Reopened (a restart), the same.
        drop(a);
        let again = engine.instance().await;
        assert_eq!(
            again.load(id).await.unwrap(),
            Some(vec![vec![3], vec![9]]),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_appending_at_once_lose_nothing() {
    for engine in Engine::both().await {
        let name = engine.name();
        let stores = [
            Arc::new(engine.instance().await),
            Arc::new(engine.instance().await),
        ];
        let docs: Vec<DocumentId> = (0..20).map(|_| DocumentId::generate()).collect();
        let mut tasks = Vec::new();
        for (n, store) in stores.iter().enumerate() {
            for (i, doc) in docs.iter().enumerate() {
                for round in 0..5u8 {
                    let (store, doc) = (store.clone(), *doc);
                    tasks.push(tokio::spawn(async move {
                        store.append(doc, vec![n as u8, i as u8, round]).await
                    }));
                }
            }
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        for (i, doc) in docs.iter().enumerate() {
            let chunks = stores[1].load_chunks(*doc).await.unwrap().unwrap();
            assert_eq!(chunks.len(), 10, "{name}: every append of both instances");
            assert!(
                chunks.windows(2).all(|w| w[0].0 < w[1].0),
                "{name}: in order"
            );
            for n in 0..2u8 {
                for round in 0..5u8 {
                    assert!(
                        chunks.iter().any(|(_, d)| *d == vec![n, i as u8, round]),
                        "{name}: instance {n} round {round} of doc {i}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_log_chain_across_instances() {
    for engine in Engine::both().await {
        let name = engine.name();
        let logs = [
            Arc::new(AccessLog::new(engine.instance().await.pool())),
            Arc::new(AccessLog::new(engine.instance().await.pool())),
        ];
        let mut tasks = Vec::new();
        for (n, log) in logs.iter().enumerate() {
            for i in 0..60 {
                let log = log.clone();
                tasks.push(tokio::spawn(async move {
                    let event = Event::new(Kind::SignIn)
                        .device(&format!("instance {n}"))
                        .detail(format!("{i}"));
                    log.append(&event, 1_700_000_000_000 + i).await
                }));
            }
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let (anchor, entries) = logs[0].remaining().await.unwrap();
        assert_eq!(entries.len(), 120, "{name}: every entry of both instances");
        let verified = mamori_server::access_log::verify(&anchor, &entries);
        assert!(verified.is_ok(), "{name}: the chain verifies: {verified:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_on_one_instance_is_ended_on_the_other() {
    let limits = SessionLimits {
        idle: std::time::Duration::from_secs(3600),
        absolute: std::time::Duration::from_secs(86_400),
    };
    for engine in Engine::both().await {
        let name = engine.name();
        let a = Directory::new(engine.instance().await.pool());
        let b = Directory::new(engine.instance().await.pool());
        let person = PersonId::generate();
        // A person row as registration writes it (registration itself needs a passkey ceremony: the
        // end-to-end suites run it on PostgreSQL too).
        sqlx::query("INSERT INTO people (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(person.to_string())
            .bind("佐藤 花子")
            .bind(1_i64)
            .execute(&a.pool())
            .await
            .unwrap();
        let now = 1_700_000_000_000;
        let token = a.start_session(person, "tablet", now).await.unwrap();
        let seen = b.session(&token, limits, now + 1).await.unwrap();
        assert_eq!(seen.map(|s| s.person), Some(person), "{name}");
        b.disable(person, now + 2).await.unwrap();
        assert_eq!(
            a.session(&token, limits, now + 3).await.unwrap(),
            None,
            "{name}"
        );
        // Registration codes: issued on one, valid on the other.
        let code = a
            .issue_registration_code(now, now + 3_600_000)
            .await
            .unwrap();
        assert!(
            b.registration_code_valid(&code, now + 1).await.unwrap(),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ceremony_started_on_one_instance_finishes_on_another_and_attempts_count_across() {
    use mamori_server::ceremonies::{Ceremonies, Pending, SignInAttempts};
    let webauthn = webauthn_rs::WebauthnBuilder::new(
        "localhost",
        &url::Url::parse("http://localhost:8080").unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    for engine in Engine::both().await {
        let name = engine.name();
        let (a, b) = (engine.instance().await, engine.instance().await);
        let person = PersonId::generate();
        let (_, state) = webauthn
            .start_passkey_registration(uuid::Uuid::new_v4(), "suzuki", "鈴木 一郎", None)
            .unwrap();
        let pending = Pending::AddPasskey {
            person,
            name: "受付のタブレット".into(),
            state,
        };
        let id = match Ceremonies::new(a.pool()).put("10.0.0.7", pending).await {
            Ok(id) => id,
            Err(_) => panic!("{name}: the ceremony is kept"),
        };
        let on_b = Ceremonies::new(b.pool());
        match on_b.take(&id).await {
            Ok(Some(Pending::AddPasskey {
                person: p, name: n, ..
            })) => {
                assert_eq!((p, n.as_str()), (person, "受付のタブレット"), "{name}")
            }
            _ => panic!("{name}: the ceremony started on A is found on B"),
        }
        assert!(
            matches!(on_b.take(&id).await, Ok(None)),
            "{name}: taken once only"
        );
        // Per-client bound, whichever instance counts.
        let mut kept = 0;
        for n in 0..20 {
            let (_, state) = webauthn
                .start_passkey_registration(uuid::Uuid::new_v4(), "x", "x", None)
                .unwrap();
            let on = if n % 2 == 0 { a.pool() } else { b.pool() };
            let pending = Pending::AddPasskey {
                person,
                name: String::new(),
                state,
            };
            if Ceremonies::new(on).put("10.0.0.8", pending).await.is_ok() {
                kept += 1;
            }
        }
        assert_eq!(
            kept,
            mamori_server::ceremonies::MAX_CEREMONIES_PER_CLIENT,
            "{name}: one client's ceremonies are bounded across instances"
        );
        let (sa, sb) = (SignInAttempts::new(a.pool()), SignInAttempts::new(b.pool()));
        let mut allowed = 0;
        for n in 0..8 {
            let on = if n % 2 == 0 { &sa } else { &sb };
            if on.allow_n("address:10.0.0.9", 5).await.unwrap_or(false) {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5, "{name}: one limit across instances");
    }
}

/// A scheduled turn (a backup, a round of reminder mails) is taken by one instance at a time, and one
/// dropped half way (the server stopping) leaves it free: PostgreSQL only (SQLite has one process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_at_a_time_takes_a_scheduled_turn() {
    use mamori_server::db::exclusively;
    use std::time::Duration;
    let url = fresh_database().await;
    let (a, b) = (
        SqlStore::connect(&url).await.unwrap(),
        SqlStore::connect(&url).await.unwrap(),
    );
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let pool_a = a.pool();
    let first = tokio::spawn(async move {
        exclusively(&pool_a, 42, async {
            wait.await.ok();
            "A"
        })
        .await
        .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        exclusively(&b.pool(), 42, async { "B" }).await.unwrap(),
        None,
        "B does not run while A holds the turn"
    );
    go.send(()).unwrap();
    assert_eq!(first.await.unwrap(), Some("A"));
    assert_eq!(
        exclusively(&b.pool(), 42, async { "B" }).await.unwrap(),
        Some("B")
    );
    // A run dropped half way: the turn is free again, not kept by a pooled connection.
    let pool_a = a.pool();
    let stuck =
        tokio::spawn(async move { exclusively(&pool_a, 42, std::future::pending::<()>()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    stuck.abort();
    let _ = stuck.await;
    let start = std::time::Instant::now();
    while exclusively(&b.pool(), 42, async {})
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "a dropped run kept the turn"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Signed-in changes are committed many to a transaction (with their claims and log entries); a write whose
/// actor id is someone else's fails alone, leaving nothing of it (chunk, claims or entry), and the chain of
/// what was kept verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_changes_commit_together_and_a_taken_claim_fails_alone() {
    use mamori_server::store::{Claim, Recorded, StoreError};
    let claim = |actor: &str, owner: &str| Claim {
        actor: actor.into(),
        owner: owner.into(),
        device: "tablet".into(),
    };
    for engine in Engine::both().await {
        let name = engine.name();
        let store = Arc::new(engine.instance().await);
        let log = Arc::new(AccessLog::new(store.pool()));
        let first = DocumentId::generate();
        store
            .append_recorded(
                first,
                b"change a".to_vec(),
                Recorded {
                    claims: &[claim("aa", "person:a")],
                    events: &[Event::new(Kind::Change).detail("a")],
                    log: &log,
                    now: 1,
                },
            )
            .await
            .unwrap();
        // Forty at once (the writer batches what queues up): every odd one claims "aa" for someone else.
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (store, log) = (store.clone(), log.clone());
            tasks.push(tokio::spawn(async move {
                let doc = DocumentId::generate();
                let claims = if i % 2 == 1 {
                    vec![claim(&format!("b{i}"), "person:b"), claim("aa", "person:b")]
                } else {
                    vec![claim(&format!("c{i}"), "person:c")]
                };
                let events = vec![Event::new(Kind::Change).detail(format!("{i}"))];
                let written = store
                    .append_recorded(
                        doc,
                        format!("change {i}").into_bytes(),
                        Recorded {
                            claims: &claims,
                            events: &events,
                            log: &log,
                            now: 2,
                        },
                    )
                    .await;
                (i, doc, written)
            }));
        }
        for t in tasks {
            let (i, doc, written) = t.await.unwrap();
            let stored = store.load_chunks(doc).await.unwrap();
            if i % 2 == 1 {
                assert!(
                    matches!(written, Err(StoreError::ClaimTaken(ref a)) if a == "aa"),
                    "{name} {i}: {written:?}"
                );
                assert!(
                    stored.is_none(),
                    "{name} {i}: a refused write's chunk is kept"
                );
            } else {
                written.unwrap_or_else(|e| panic!("{name} {i}: {e}"));
                assert_eq!(stored.map(|c| c.len()), Some(1), "{name} {i}");
            }
        }
        let (anchor, entries) = log.remaining().await.unwrap();
        let mut details: Vec<String> = entries.iter().map(|e| e.detail.clone()).collect();
        details.sort();
        let mut expected: Vec<String> = std::iter::once("a".to_string())
            .chain((0..40).step_by(2).map(|i: i32| i.to_string()))
            .collect();
        expected.sort();
        assert_eq!(
            details, expected,
            "{name}: one entry per kept write, none for a refused one"
        );
        let verified = mamori_server::access_log::verify(&anchor, &entries);
        assert!(verified.is_ok(), "{name}: the chain verifies: {verified:?}");
        let refused_claims: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM actor_owners WHERE owner = 'person:b'")
                .fetch_one(&store.pool())
                .await
                .unwrap();
        assert_eq!(
            refused_claims, 0,
            "{name}: a refused write's other claims are kept"
        );
    }
}
