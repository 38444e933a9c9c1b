//! Backups in generations (3-②): the server's schedule, run over five weeks of a moved clock, keeps three
//! daily and four weekly generations in its backup folder, writes every backup to the offline location too
//! (never pruned there), records each in the access log and its own table; `restore --verify` proves a
//! backup restores and refuses a damaged one. On SQLite and on PostgreSQL (`pg_dump`, verified with
//! `pg_restore` into a scratch database).

use std::path::Path;

use mamori_server::backups::{Schedule, generations_to_keep, take_if_due};
use mamori_server::store::sql::SqlStore;
use mamori_shared::answer::Choice;
use mamori_shared::model::DocumentId;
use mamori_tests::TestServer;
use mamori_tests::fixtures::{answer, new_checklist};
use mamori_tests::postgres::fresh_database;
use mamori_tests::server::maintenance;
use mamori_tests::sync_client::Device;

const DAY: i64 = 24 * 3600 * 1000;
/// 2026-11-02 03:30 JST, a Monday.
const START: i64 = 1_793_557_800_000;

fn files_in(dir: &Path, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(ext))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn five_weeks(database_url: Option<String>, days: i64) {
    let engine = if database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let ext = if database_url.is_some() {
        ".dump"
    } else {
        ".db"
    };
    let url = database_url.clone();
    let server = TestServer::start_configured(move |c| c.database_url = url).await;
    let mut device = Device::new("tablet");
    device.connect(&server.url).await;
    let id = DocumentId::generate();
    let mut doc = new_checklist();
    answer(&mut doc, "1-①", Choice::Yes, "佐藤");
    device.add(id, doc).await;
    while !device.server_has_all(id) {
        device.pump_once(std::time::Duration::from_millis(20)).await;
    }

    let folders = tempfile::tempdir().unwrap();
    let schedule = Schedule {
        dir: folders.path().join("backups"),
        offline_dir: Some(folders.path().join("usb")),
        every: std::time::Duration::from_secs(24 * 3600),
        keep_daily: 3,
        keep_weekly: 4,
    };
    std::fs::create_dir_all(schedule.offline_dir.as_ref().unwrap()).unwrap();
    // The running server's own database, as another instance (or the server's own schedule) opens it.
    let store = SqlStore::at(server.data_dir(), database_url.as_deref())
        .await
        .unwrap();
    let mut taken = Vec::new();
    for day in 0..days {
        let now = START + day * DAY;
        let record = take_if_due(&store, server.data_dir(), &schedule, now)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{engine}: day {day}: a backup is due"));
        assert!(
            record.offline_copy && record.problem.is_none(),
            "{engine}: {record:?}"
        );
        taken.push(now);
        // Not due again the same day.
        assert!(
            take_if_due(&store, server.data_dir(), &schedule, now + 3_600_000)
                .await
                .unwrap()
                .is_none(),
            "{engine}: day {day}: taken twice"
        );
        let kept = files_in(&schedule.dir, ext);
        let expected = generations_to_keep(&taken, 3, 4).len();
        assert_eq!(kept.len(), expected, "{engine}: day {day}: {kept:?}");
    }
    // The disk unplugged for a day: the backup stands, the missing copy is recorded as a problem.
    let usb = schedule.offline_dir.clone().unwrap();
    let unplugged = folders.path().join("usb-unplugged");
    std::fs::rename(&usb, &unplugged).unwrap();
    let record = take_if_due(&store, server.data_dir(), &schedule, START + days * DAY)
        .await
        .unwrap()
        .expect("due");
    assert!(
        !record.offline_copy
            && record
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("unplugged")),
        "{engine}: {record:?}"
    );
    assert!(
        !usb.exists(),
        "{engine}: nothing written at the mount point"
    );
    std::fs::rename(&unplugged, &usb).unwrap();
    taken.push(START + days * DAY);
    // Every backup reached the offline location, and none was removed there.
    assert_eq!(
        files_in(schedule.offline_dir.as_ref().unwrap(), ext).len(),
        days as usize,
        "{engine}"
    );
    let records = mamori_server::backups::records(&store.pool())
        .await
        .unwrap();
    assert_eq!(
        records.len(),
        generations_to_keep(&taken, 3, 4).len(),
        "{engine}"
    );
    // Each one is in the access log.
    let (_, entries) = mamori_server::access_log::AccessLog::new(store.pool())
        .remaining()
        .await
        .unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.kind == "backup").count(),
        days as usize + 1,
        "{engine}"
    );

    // The newest restores; a damaged copy of it does not.
    let newest = schedule
        .dir
        .join(files_in(&schedule.dir, ext).pop().unwrap());
    let verify = |file: &Path| {
        let mut args = vec!["restore", "--verify", "--from", file.to_str().unwrap()];
        let url;
        if let Some(u) = &database_url {
            url = u.clone();
            args.splice(0..0, ["--database-url", url.as_str()]);
        }
        maintenance(server.data_dir(), &args)
    };
    let (ok, said) = verify(&newest);
    assert!(ok, "{engine}: {said}");
    assert!(
        said.contains("1 documents load")
            && said.contains("access log intact")
            && said.contains("bytes match"),
        "{said}"
    );
    let damaged = folders.path().join(format!("damaged{ext}"));
    let mut bytes = std::fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b ^= 0x5a;
    }
    std::fs::write(&damaged, bytes).unwrap();
    // Copied with the checksum written beside it, as an operator copies the pair.
    std::fs::copy(
        mamori_server::maintenance::checksum_beside(&newest),
        mamori_server::maintenance::checksum_beside(&damaged),
    )
    .unwrap();
    let (ok, said) = verify(&damaged);
    assert!(
        !ok && said.contains("does NOT restore") && said.contains("not those written"),
        "{engine}: {said}"
    );
    // Without its checksum, the damage is still found where it lands in what is checked (here: a backup cut
    // short, as a full disk leaves it).
    let short = folders.path().join(format!("short{ext}"));
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&short, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (ok, said) = verify(&short);
    assert!(!ok && said.contains("does NOT restore"), "{engine}: {said}");
    println!(
        "{engine}: {days} days of backups, {} kept, the newest verified, a damaged one refused",
        records.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generations_rotate_on_sqlite() {
    five_weeks(None, 35).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generations_rotate_on_postgresql() {
    five_weeks(Some(fresh_database().await), 15).await;
}

/// A backup that cannot be written (here: the backup folder is a file) is recorded as a problem the
/// facility sees, leaves nothing behind, and is tried again an hour later, not every five minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_is_recorded_and_retried_an_hour_later() {
    let server = TestServer::start_configured(|c| c.database_url = None).await;
    let folders = tempfile::tempdir().unwrap();
    let not_a_folder = folders.path().join("backups");
    std::fs::write(&not_a_folder, b"a file where the folder should be").unwrap();
    let schedule = Schedule {
        dir: not_a_folder.clone(),
        offline_dir: None,
        every: std::time::Duration::from_secs(24 * 3600),
        keep_daily: 3,
        keep_weekly: 4,
    };
    let store = SqlStore::open(server.data_dir()).await.unwrap();
    assert!(
        take_if_due(&store, server.data_dir(), &schedule, START)
            .await
            .is_err()
    );
    let records = mamori_server::backups::records(&store.pool())
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(
        records[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("バックアップを作成できませんでした")),
        "{records:?}"
    );
    assert!(
        !records[0].problem.as_deref().unwrap().contains('/'),
        "no server path"
    );
    // Five minutes later: not again.
    let again = take_if_due(&store, server.data_dir(), &schedule, START + 5 * 60_000).await;
    assert!(matches!(again, Ok(None)), "{again:?}");
    // An hour later, with the folder fixed: taken.
    std::fs::remove_file(&not_a_folder).unwrap();
    let taken = take_if_due(&store, server.data_dir(), &schedule, START + 3_600_000)
        .await
        .unwrap();
    assert!(taken.is_some());
}
