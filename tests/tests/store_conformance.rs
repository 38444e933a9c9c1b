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
