//! The store's figures on SQLite and PostgreSQL, side by side in one run (`bash scripts/bench.sh store`):
//!
//! (a) access-log appends a second on one chain, from one instance and (PostgreSQL) from three, each
//!     appending with 8 tasks: the chain's serialisation (a process lock, `BEGIN IMMEDIATE` on SQLite, an
//!     advisory lock on PostgreSQL) is the limit, and this is it;
//! (b) NOTIFY's cost at commit: transactions a second appending one chunk, with and without `pg_notify`,
//!     8 tasks, a listener connected (as every instance has);
//! (c) storage per facility: 50 facilities, each with three checklists answered in full (one snapshot each)
//!     and a year of access log (2,000 entries), then the database's size per facility.
//!
//! PostgreSQL runs in a throwaway cluster of its own (`scripts/postgres.sh`).

use std::sync::Arc;
use std::time::Instant;

use mamori_server::access_log::{AccessLog, Event, Kind};
use mamori_server::store::DocStore;
use mamori_server::store::sql::SqlStore;
use mamori_shared::answer::Choice;
use mamori_shared::edition::{FormKind, edition};
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::postgres::Cluster;

const TASKS: usize = 8;

/// A hospital's checklist with every item answered, saved.
fn checklist_document() -> Vec<u8> {
    let mut doc = new_checklist();
    for item in edition("r7").expect("r7").form_items(FormKind::Medical) {
        answer(&mut doc, item.id.as_str(), Choice::Yes, "佐藤 花子");
        doc.commit();
    }
    doc.save()
}

/// (a): `total` appends spread over `logs` (one per instance), 8 tasks each; appends a second.
async fn log_appends(logs: &[Arc<AccessLog>], total: usize) -> f64 {
    let per_task = total / (logs.len() * TASKS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for log in logs {
        for t in 0..TASKS {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..per_task {
                    let event = Event::new(Kind::SignIn)
                        .device(&format!("bench {t}"))
                        .detail(format!("{i}"));
                    log.append(&event, mamori_server::clock::now_ms())
                        .await
                        .expect("append");
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    (per_task * logs.len() * TASKS) as f64 / started.elapsed().as_secs_f64()
}

/// (b): transactions a second, each appending a 200-byte chunk, with or without a NOTIFY.
async fn chunk_commits(url: &str, notify: bool, per_task: usize) -> f64 {
    use sqlx::Connection;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            for _ in 0..per_task {
                let id = DocumentId::generate().to_string();
                let mut tx = conn.begin().await.expect("begin");
                sqlx::query(
                    "INSERT INTO chunks (doc_id, kind, data, size) VALUES ($1, 'changes', $2, 200)",
                )
                .bind(&id)
                .bind(vec![7u8; 200])
                .execute(&mut *tx)
                .await
                .expect("insert");
                if notify {
                    sqlx::query("SELECT COUNT(pg_notify('mamori_doc', $1))")
                        .bind(&id)
                        .execute(&mut *tx)
                        .await
                        .expect("notify");
                }
                tx.commit().await.expect("commit");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    (per_task * TASKS) as f64 / started.elapsed().as_secs_f64()
}

/// (c): bytes a facility takes: documents and a year of log for `facilities` of them, measured by the
/// database's own size before and after.
async fn storage_per_facility(
    store: &SqlStore,
    size: impl Fn() -> u64,
    facilities: usize,
) -> (f64, f64) {
    let checklist = checklist_document();
    let log = AccessLog::new(store.pool());
    let before = size();
    let mut doc_bytes = 0usize;
    for f in 0..facilities {
        let facility = FacilityId::generate();
        for _ in 0..3 {
            store
                .append(DocumentId::generate(), checklist.clone())
                .await
                .expect("document");
            doc_bytes += checklist.len();
        }
        for i in 0..2_000 {
            let event = Event::new(if i % 4 == 0 { Kind::SignIn } else { Kind::Open })
                .at_facility(facility)
                .device(&format!("受付のタブレット {f}"))
                .detail("チェックリスト 2026年度 医療機関確認用");
            log.append(&event, mamori_server::clock::now_ms())
                .await
                .expect("log");
        }
    }
    let after = size();
    (
        (after.saturating_sub(before)) as f64 / facilities as f64,
        doc_bytes as f64 / facilities as f64,
    )
}

fn kib(b: f64) -> String {
    format!("{:.0} KiB", b / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "The store on SQLite and on PostgreSQL (a local throwaway cluster, fsync on), one run.\n"
    );
    let cluster = Cluster::start();
    let sqlite_dir = tempfile::tempdir().expect("temp dir");

    // (a)
    println!("(a) access-log appends a second, one chain, 8 tasks per instance");
    let sqlite = SqlStore::open(sqlite_dir.path()).await.expect("SQLite");
    let one = [Arc::new(AccessLog::new(sqlite.pool()))];
    println!(
        "  SQLite, 1 instance        {:>7.0} /s",
        log_appends(&one, 4_000).await
    );
    let pg: Vec<SqlStore> =
        futures_util::future::join_all((0..3).map(|_| SqlStore::connect(&cluster.url)))
            .await
            .into_iter()
            .map(|s| s.expect("PostgreSQL"))
            .collect();
    let logs: Vec<Arc<AccessLog>> = pg
        .iter()
        .map(|s| Arc::new(AccessLog::new(s.pool())))
        .collect();
    println!(
        "  PostgreSQL, 1 instance    {:>7.0} /s",
        log_appends(&logs[..1], 4_000).await
    );
    println!(
        "  PostgreSQL, 3 instances   {:>7.0} /s",
        log_appends(&logs, 4_200).await
    );

    // (b)
    println!(
        "\n(b) NOTIFY at commit (PostgreSQL): transactions a second appending a chunk, 8 connections"
    );
    let mut listener = sqlx::postgres::PgListener::connect(&cluster.url)
        .await
        .expect("listener");
    listener.listen("mamori_doc").await.expect("listen");
    let drain = tokio::spawn(async move { while listener.recv().await.is_ok() {} });
    let mut rows = Vec::new();
    for round in 0..2 {
        for notify in [false, true] {
            let rate = chunk_commits(&cluster.url, notify, 400).await;
            rows.push((round, notify, rate));
        }
    }
    let mean = |n: bool| {
        let r: Vec<f64> = rows
            .iter()
            .filter(|(_, x, _)| *x == n)
            .map(|(_, _, r)| *r)
            .collect();
        r.iter().sum::<f64>() / r.len() as f64
    };
    let (without, with) = (mean(false), mean(true));
    println!("  without NOTIFY            {without:>7.0} /s");
    println!(
        "  with NOTIFY               {with:>7.0} /s   ({:+.0} % per commit)",
        (without / with - 1.0) * 100.0
    );
    drain.abort();

    // (c)
    println!(
        "\n(c) storage per facility: 3 checklists answered in full, a year of log (2,000 entries)"
    );
    let fresh_sqlite = tempfile::tempdir().expect("temp dir");
    let s = SqlStore::open(fresh_sqlite.path()).await.expect("SQLite");
    let db_file = fresh_sqlite.path().join("mamori.db");
    let pool = s.pool();
    let (sqlite_bytes, docs) = storage_per_facility(
        &s,
        || {
            std::fs::metadata(&db_file).map(|m| m.len()).unwrap_or(0)
                + std::fs::metadata(db_file.with_extension("db-wal"))
                    .map(|m| m.len())
                    .unwrap_or(0)
        },
        50,
    )
    .await;
    drop(pool);
    let pg_store = &pg[0];
    let pg_pool = pg_store.pool();
    let pg_size = || {
        let pool = pg_pool.clone();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async move {
                sqlx::query_scalar::<_, i64>("SELECT pg_database_size(current_database())")
                    .fetch_one(&pool)
                    .await
                    .expect("size") as u64
            })
        })
    };
    let (pg_bytes, _) = storage_per_facility(pg_store, pg_size, 50).await;
    println!("  documents (saved bytes)   {}", kib(docs));
    println!("  SQLite, all of it         {}", kib(sqlite_bytes));
    println!("  PostgreSQL, all of it     {}", kib(pg_bytes));
    println!(
        "  240,000 facilities        SQLite-equivalent {:.0} GB, PostgreSQL {:.0} GB",
        sqlite_bytes * 240_000.0 / 1e9,
        pg_bytes * 240_000.0 / 1e9
    );
}
