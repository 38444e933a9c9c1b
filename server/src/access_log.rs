//! The アクセスログ (checklist item 2-⑪): who signed in (and who failed), signed out, opened or changed which
//! document and item from which device, and every change to people, invitations, tokens, the quarantine,
//! exports and backups. Append-only and tamper-evident: each entry carries a hash chain over the ones before
//! it ([`chain`]); `mamori-server verify-log` names the first entry that does not fit. Times come from the
//! server's clock, with the device's time beside them where the event happened on a device.
//!
//! Entries are appended one at a time under a lock (one server instance; several instances will need the
//! database to serialise appends, e.g. `SELECT … FOR UPDATE` on PostgreSQL).

pub mod chain;

use std::collections::HashMap;

use mamori_shared::model::{DocumentId, FacilityId, PersonId};
use sqlx::{AnyPool, Row};
use tokio::sync::Mutex;

pub use chain::{Anchor, Broken, Entry, GENESIS, verify};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SignIn,
    SignInFailed,
    SignInWithRecoveryCode,
    SignOut,
    Reauthenticated,
    Open,
    Change,
    Invited,
    InvitationRevoked,
    Joined,
    RoleChanged,
    Removed,
    TokenIssued,
    TokenRevoked,
    PasskeyAdded,
    PasskeyRemoved,
    RecoveryCodesMade,
    HandedBack,
    QuarantineAccepted,
    QuarantineDiscarded,
    Exported,
    Backup,
    Reviewed,
    Checkpoint,
    RegistrationCode,
    /// An evidence file uploaded (its hash, size and type in the detail).
    FileUploaded,
    /// An evidence file downloaded.
    FileDownloaded,
    /// A person gave, changed or removed their address for reminder mails (not the address itself).
    MailAddressSet,
    /// A checklist's year closed: its answers signed (年次確認の確定).
    Sealed,
}

impl Kind {
    pub const ALL: [Kind; 29] = [
        Kind::SignIn,
        Kind::SignInFailed,
        Kind::SignInWithRecoveryCode,
        Kind::SignOut,
        Kind::Reauthenticated,
        Kind::Open,
        Kind::Change,
        Kind::Invited,
        Kind::InvitationRevoked,
        Kind::Joined,
        Kind::RoleChanged,
        Kind::Removed,
        Kind::TokenIssued,
        Kind::TokenRevoked,
        Kind::PasskeyAdded,
        Kind::PasskeyRemoved,
        Kind::RecoveryCodesMade,
        Kind::HandedBack,
        Kind::QuarantineAccepted,
        Kind::QuarantineDiscarded,
        Kind::Exported,
        Kind::Backup,
        Kind::Reviewed,
        Kind::Checkpoint,
        Kind::RegistrationCode,
        Kind::FileUploaded,
        Kind::FileDownloaded,
        Kind::MailAddressSet,
        Kind::Sealed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SignIn => "sign_in",
            Kind::SignInFailed => "sign_in_failed",
            Kind::SignInWithRecoveryCode => "sign_in_recovery_code",
            Kind::SignOut => "sign_out",
            Kind::Reauthenticated => "reauthenticated",
            Kind::Open => "open",
            Kind::Change => "change",
            Kind::Invited => "invited",
            Kind::InvitationRevoked => "invitation_revoked",
            Kind::Joined => "joined",
            Kind::RoleChanged => "role_changed",
            Kind::Removed => "removed",
            Kind::TokenIssued => "token_issued",
            Kind::TokenRevoked => "token_revoked",
            Kind::PasskeyAdded => "passkey_added",
            Kind::PasskeyRemoved => "passkey_removed",
            Kind::RecoveryCodesMade => "recovery_codes_made",
            Kind::HandedBack => "handed_back",
            Kind::QuarantineAccepted => "quarantine_accepted",
            Kind::QuarantineDiscarded => "quarantine_discarded",
            Kind::Exported => "exported",
            Kind::Backup => "backup",
            Kind::RegistrationCode => "registration-code",
            Kind::Reviewed => "reviewed",
            Kind::Checkpoint => "checkpoint",
            Kind::FileUploaded => "file_uploaded",
            Kind::FileDownloaded => "file_downloaded",
            Kind::MailAddressSet => "mail_address_set",
            Kind::Sealed => "sealed",
        }
    }

    /// For the inspector: the Japanese name of each kind (the CSV and the log screen).
    pub fn label_ja(self) -> &'static str {
        match self {
            Kind::SignIn => "サインイン",
            Kind::SignInFailed => "サインイン失敗",
            Kind::SignInWithRecoveryCode => "回復コードでサインイン",
            Kind::SignOut => "サインアウト",
            Kind::Reauthenticated => "本人再確認",
            Kind::Open => "文書を開く",
            Kind::Change => "変更",
            Kind::Invited => "招待",
            Kind::InvitationRevoked => "招待の取消",
            Kind::Joined => "参加",
            Kind::RoleChanged => "役割の変更",
            Kind::Removed => "利用終了",
            Kind::TokenIssued => "APIトークン発行",
            Kind::TokenRevoked => "APIトークン失効",
            Kind::PasskeyAdded => "パスキー追加",
            Kind::PasskeyRemoved => "パスキー削除",
            Kind::RecoveryCodesMade => "回復コード作成",
            Kind::HandedBack => "未同期の変更の返却",
            Kind::QuarantineAccepted => "返却された変更の取り込み",
            Kind::QuarantineDiscarded => "返却された変更の破棄",
            Kind::Exported => "ログの出力",
            Kind::Backup => "バックアップ",
            Kind::RegistrationCode => "登録コードの発行",
            Kind::Reviewed => "ログの定期確認",
            Kind::Checkpoint => "チェックポイント",
            Kind::FileUploaded => "証跡ファイルの登録",
            Kind::FileDownloaded => "証跡ファイルの取得",
            Kind::MailAddressSet => "通知メールの設定",
            Kind::Sealed => "年次確認の確定",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Something to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: Kind,
    pub facility: Option<FacilityId>,
    pub person: Option<PersonId>,
    /// The person's (or token's) name at the time.
    pub name: String,
    pub document: Option<DocumentId>,
    pub detail: String,
    pub device: String,
    pub device_at: Option<i64>,
}

impl Event {
    pub fn new(kind: Kind) -> Event {
        Event {
            kind,
            facility: None,
            person: None,
            name: String::new(),
            document: None,
            detail: String::new(),
            device: String::new(),
            device_at: None,
        }
    }

    pub fn by(mut self, person: PersonId, name: &str) -> Event {
        self.person = Some(person);
        self.name = name.to_string();
        self
    }

    pub fn at_facility(mut self, facility: FacilityId) -> Event {
        self.facility = Some(facility);
        self
    }

    pub fn document(mut self, doc: DocumentId) -> Event {
        self.document = Some(doc);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Event {
        self.detail = detail.into();
        self
    }

    pub fn device(mut self, device: &str) -> Event {
        self.device = device.chars().take(200).collect();
        self
    }

    pub fn device_at(mut self, at: Option<i64>) -> Event {
        self.device_at = at;
        self
    }
}

/// Which entries to read (all `None`: everything).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub facility: Option<FacilityId>,
    pub person: Option<PersonId>,
    pub document: Option<DocumentId>,
    pub kind: Option<Kind>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The log in the server's database.
pub struct AccessLog {
    pool: AnyPool,
    append: Mutex<()>,
    /// Failures from clients without a session, coalesced per client and minute (see
    /// [`AccessLog::record_failure`]).
    failures: std::sync::Mutex<HashMap<String, Coalesced>>,
}

/// One client's failures in one minute: the first is written at once; the rest are counted and written as
/// one entry when the minute is over.
struct Coalesced {
    minute: i64,
    more: u32,
    last: Event,
}

fn summarised(c: &Coalesced) -> Event {
    let mut e = c.last.clone();
    e.detail = format!(
        "{} — ほか {} 件 (同じ接続元から1分間に; {} more from this client in that minute)",
        e.detail, c.more, c.more
    );
    e
}

/// Clients whose failures are being coalesced at once; beyond it a flood's are counted under one key.
const MAX_COALESCED_CLIENTS: usize = 10_000;

/// Held while appending: entries are appended one at a time, each after the one before it in the chain.
pub type AppendGuard<'a> = tokio::sync::MutexGuard<'a, ()>;

impl AccessLog {
    pub fn new(pool: AnyPool) -> AccessLog {
        AccessLog {
            pool,
            append: Mutex::new(()),
            failures: std::sync::Mutex::default(),
        }
    }

    /// Waits for the turn to append; pass the guard to [`AccessLog::append_in`].
    pub async fn turn(&self) -> AppendGuard<'_> {
        self.append.lock().await
    }

    /// Appends an entry at server time `now`; returns it. Another process appending at the same moment (the
    /// backup command beside the server) takes the same number first: then the entry follows that one.
    pub async fn append(&self, event: &Event, now: i64) -> Result<Entry, LogError> {
        let _one_at_a_time = self.append.lock().await;
        let mut attempt = 0;
        loop {
            match self.try_append(event, now).await {
                Err(LogError::Database(sqlx::Error::Database(d)))
                    if d.is_unique_violation() && attempt < 5 =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_append(&self, event: &Event, now: i64) -> Result<Entry, LogError> {
        let mut tx = crate::db::write_tx(&self.pool).await?;
        let entry = append_in(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Appends, and reports a failure in the server's own log instead of failing the request it records
    /// (the request already happened).
    pub async fn record(&self, event: Event) {
        let now = crate::clock::now_ms();
        if let Err(e) = self.append(&event, now).await {
            tracing::error!(error = %e, kind = event.kind.as_str(), "could not write the access log");
        }
    }

    /// Records a failure by a client without a session (a sign-in that did not prove a passkey, a wrong
    /// recovery code), bounded: the client's first in a minute is written at once, the rest of that minute
    /// are counted and written as one entry with the count once the minute is over
    /// ([`AccessLog::flush_failures`]). Strangers cannot grow the hash chain by a row per request.
    pub async fn record_failure(&self, client: &str, event: Event) {
        self.record_failure_at(client, event, crate::clock::now_ms())
            .await;
    }

    async fn record_failure_at(&self, client: &str, event: Event, now: i64) {
        let minute = now / 60_000;
        let (write_now, summary) = {
            let mut all = self.failures.lock().expect("failures lock");
            let key = if all.len() >= MAX_COALESCED_CLIENTS && !all.contains_key(client) {
                "(many clients)".to_string()
            } else {
                client.to_string()
            };
            match all.get_mut(&key) {
                Some(c) if c.minute == minute => {
                    c.more += 1;
                    c.last = event;
                    (None, None)
                }
                Some(c) => {
                    let summary = (c.more > 0).then(|| summarised(c));
                    *c = Coalesced {
                        minute,
                        more: 0,
                        last: event.clone(),
                    };
                    (Some(event), summary)
                }
                None => {
                    all.insert(
                        key,
                        Coalesced {
                            minute,
                            more: 0,
                            last: event.clone(),
                        },
                    );
                    (Some(event), None)
                }
            }
        };
        for e in summary.into_iter().chain(write_now) {
            self.record(e).await;
        }
    }

    /// Writes the counted failures of every minute that is over, and forgets those clients.
    pub async fn flush_failures(&self) {
        self.flush_failures_at(crate::clock::now_ms()).await;
    }

    async fn flush_failures_at(&self, now: i64) {
        let minute = now / 60_000;
        let due: Vec<Event> = {
            let mut all = self.failures.lock().expect("failures lock");
            let due = all
                .values()
                .filter(|c| c.minute < minute && c.more > 0)
                .map(summarised)
                .collect();
            all.retain(|_, c| c.minute >= minute);
            due
        };
        for e in due {
            self.record(e).await;
        }
    }

    /// Flushes coalesced failures every half minute, for as long as the server runs.
    pub async fn flush_failures_forever(self: std::sync::Arc<AccessLog>) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            self.flush_failures().await;
        }
    }

    /// Purges what is older than `retention` now and then once a day, for as long as the server runs.
    pub async fn purge_daily(self: std::sync::Arc<AccessLog>, retention: std::time::Duration) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
        loop {
            tick.tick().await;
            match self.purge(crate::clock::now_ms(), retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "access log entries past retention purged"),
                Err(e) => tracing::error!(error = %e, "could not purge the access log"),
            }
        }
    }

    /// What verification reads: the anchor the newest checkpoint recorded (or the origin) and every entry
    /// after it, in order.
    pub async fn remaining(&self) -> Result<(Anchor, Vec<Entry>), LogError> {
        let detail: Option<String> = sqlx::query_scalar(
            "SELECT detail FROM access_log WHERE kind = 'checkpoint' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let anchor = detail
            .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
            .and_then(|v| Some((v["through"].as_i64()?, v["hash"].as_str()?.to_string())))
            .unwrap_or_else(chain::origin);
        let rows = sqlx::query(
            "SELECT seq, at, device_at, facility_id, person_id, name, kind, document, detail, device, prev_hash, hash FROM access_log WHERE seq > $1 ORDER BY seq",
        )
        .bind(anchor.0)
        .fetch_all(&self.pool)
        .await?;
        Ok((anchor, rows.iter().map(entry).collect()))
    }

    /// Removes entries older than `retention` at server time `now`, only from the start of the chain, after
    /// first appending a checkpoint that records the last entry removed (its number and hash), from which
    /// verification then starts. Nothing younger than `retention` is removed. Returns how many were removed.
    pub async fn purge(&self, now: i64, retention: std::time::Duration) -> Result<usize, LogError> {
        let cutoff = now - retention.as_millis() as i64;
        let _one_at_a_time = self.append.lock().await;
        // The first entry young enough to keep; everything before it in the chain is older.
        let keep_from: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM access_log WHERE at >= $1")
                .bind(cutoff)
                .fetch_one(&self.pool)
                .await?;
        let last_old = sqlx::query(
            "SELECT seq, hash FROM access_log WHERE seq < $1 AND kind <> 'checkpoint' ORDER BY seq DESC LIMIT 1",
        )
        .bind(keep_from.unwrap_or(i64::MAX))
        .fetch_optional(&self.pool)
        .await?;
        let Some(last_old) = last_old else {
            return Ok(0);
        };
        let (through, hash): (i64, String) = (last_old.get(0), last_old.get(1));
        let checkpoint = Event::new(Kind::Checkpoint)
            .device("retention")
            .detail(serde_json::json!({ "through": through, "hash": hash }).to_string());
        self.try_append(&checkpoint, now).await?;
        let removed = sqlx::query("DELETE FROM access_log WHERE seq <= $1")
            .bind(through)
            .execute(&self.pool)
            .await?;
        Ok(removed.rows_affected() as usize)
    }

    /// The newest entry's number and hash.
    pub async fn head(&self) -> Result<(i64, String), LogError> {
        let row = sqlx::query("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| (r.get(0), r.get(1)))
            .unwrap_or((0, GENESIS.to_string())))
    }

    /// One entry's hash (a 管理者 device compares it with what it saw before).
    pub async fn hash_at(&self, seq: i64) -> Result<Option<String>, LogError> {
        Ok(
            sqlx::query_scalar("SELECT hash FROM access_log WHERE seq = $1")
                .bind(seq)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Entries matching `filter`, newest first. A facility's log holds its own entries and those of its
    /// people that belong to no facility (sign-ins, passkeys).
    pub async fn read(&self, f: &Filter) -> Result<Vec<Entry>, LogError> {
        // One static statement: a filter left out is NULL and matches everything.
        let rows = sqlx::query(
            "SELECT seq, at, device_at, facility_id, person_id, name, kind, document, detail, device, prev_hash, hash FROM access_log \
             WHERE ($1 IS NULL OR facility_id = $1 OR (facility_id IS NULL AND person_id IN (SELECT person_id FROM memberships WHERE facility_id = $1))) \
             AND ($2 IS NULL OR person_id = $2) AND ($3 IS NULL OR document = $3) AND ($4 IS NULL OR kind = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) ORDER BY seq DESC LIMIT $7",
        )
            .bind(f.facility.map(|x| x.to_string()))
            .bind(f.person.map(|x| x.to_string()))
            .bind(f.document.map(|x| x.to_string()))
            .bind(f.kind.map(|k| k.as_str()))
            .bind(f.from)
            .bind(f.to)
            .bind(f.limit.unwrap_or(10_000))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(entry).collect())
    }
}

/// The advisory lock (PostgreSQL) whose holder may extend the log's chain: "mamori-log" in ASCII, folded.
const LOG_LOCK: i64 = 0x6d61_6d6f_7269_6c67;

/// Appends `event` after the chain's last entry, inside the caller's transaction (or connection), so that
/// what the entry records and the entry itself are written together or not at all. The caller holds the
/// log's turn ([`AccessLog::turn`]) and, on PostgreSQL, is inside a transaction (the lock lasts until it ends).
pub async fn append_in(
    conn: &mut sqlx::AnyConnection,
    event: &Event,
    now: i64,
) -> Result<Entry, LogError> {
    if crate::db::Engine::of_connection(conn) == crate::db::Engine::Postgres {
        // Several instances append to one chain: the database, not a process, gives the turn. The lock is
        // held until the transaction ends (the chain's head is read and extended under it). SQLite's write
        // transactions already run one at a time (`BEGIN IMMEDIATE`).
        sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS turn")
            .bind(LOG_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let last = sqlx::query("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev) = match last {
        Some(r) => (r.get::<i64, _>(0) + 1, r.get::<String, _>(1)),
        None => (1, GENESIS.to_string()),
    };
    let entry = Entry {
        seq,
        at: now,
        device_at: event.device_at,
        facility: event.facility.map(|f| f.to_string()),
        person: event.person.map(|p| p.to_string()),
        name: event.name.clone(),
        kind: event.kind.as_str().to_string(),
        document: event.document.map(|d| d.to_string()),
        detail: event.detail.clone(),
        device: event.device.clone(),
        prev_hash: String::new(),
        hash: String::new(),
    }
    .seal(&prev);
    sqlx::query(
        "INSERT INTO access_log (seq, at, device_at, facility_id, person_id, name, kind, document, detail, device, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(entry.seq)
    .bind(entry.at)
    .bind(entry.device_at)
    .bind(&entry.facility)
    .bind(&entry.person)
    .bind(&entry.name)
    .bind(&entry.kind)
    .bind(&entry.document)
    .bind(&entry.detail)
    .bind(&entry.device)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    Ok(entry)
}

fn entry(r: &sqlx::any::AnyRow) -> Entry {
    Entry {
        seq: r.get(0),
        at: r.get(1),
        device_at: r.get(2),
        facility: r.get(3),
        person: r.get(4),
        name: r.get(5),
        kind: r.get(6),
        document: r.get(7),
        detail: r.get(8),
        device: r.get(9),
        prev_hash: r.get(10),
        hash: r.get(11),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::SqlStore;

    async fn failed_entries(log: &AccessLog) -> Vec<Entry> {
        let (_, entries) = log.remaining().await.unwrap();
        entries
            .into_iter()
            .filter(|e| e.kind == Kind::SignInFailed.as_str())
            .collect()
    }

    #[tokio::test]
    async fn failures_without_a_session_are_one_entry_per_client_and_minute_with_a_count() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open(dir.path()).await.unwrap();
        let log = AccessLog::new(store.pool());
        let failed = || Event::new(Kind::SignInFailed).detail("パスキーを確認できない");
        let minute = 29_000_000 * 60_000;
        // A flood from one client within a minute: one entry now.
        for i in 0..500 {
            log.record_failure_at("192.0.2.7", failed(), minute + i)
                .await;
        }
        log.record_failure_at("198.51.100.1", failed(), minute + 10)
            .await;
        assert_eq!(failed_entries(&log).await.len(), 2);
        // Nothing more while the minute lasts; once it is over, the rest as one entry with its count.
        log.flush_failures_at(minute + 59_000).await;
        assert_eq!(failed_entries(&log).await.len(), 2);
        log.flush_failures_at(minute + 60_000).await;
        let entries = failed_entries(&log).await;
        assert_eq!(entries.len(), 3, "{entries:?}");
        assert!(
            entries.iter().any(|e| e.detail.contains("ほか 499 件")),
            "{entries:?}"
        );
        // The next minute starts again with an entry at once.
        log.record_failure_at("192.0.2.7", failed(), minute + 61_000)
            .await;
        assert_eq!(failed_entries(&log).await.len(), 4);
    }
}
