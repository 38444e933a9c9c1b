//! 期限 by e-mail: every `--reminder-check-seconds`, each facility with a 管理者 who gave an address gets
//! its reminders computed from the stored documents (`mamori_shared::reminders::of_facility`, the app's
//! rule, with Japan's date), and each such 管理者 gets a summary once a week (the first on the next check
//! after opting in) and a mail the day something becomes overdue. A mail is recorded once the SMTP server
//! took it, so a restart does not resend; a failing or silent server is logged and tried again with a
//! growing pause, on this task alone, so nothing else waits for it. Mails name the facility, items,
//! documents, vendors and dates, never a person.

use std::collections::HashMap;
use std::time::Duration;

use automerge::AutoCommit;
use mamori_shared::calendar::{Date, DateStyle, jst_date};
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::reminders::{Reminder, of_facility};
use mamori_shared::schema::{DocKind, index};

use crate::AppState;
use crate::clock::now_ms;
use crate::directory::mail::{MailKind, Recipient};
use crate::mail::Mailer;

const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
/// The advisory lock (PostgreSQL) whose holder sends the round of reminder mails: "mamori-ml" in ASCII.
const MAIL_LOCK: i64 = 0x6d61_6d6f_7269_6d6c;

/// The longest pause after failures.
const MAX_PAUSE: Duration = Duration::from_secs(3600);

/// Looks for mails to send until the server stops.
pub async fn run_forever(state: AppState, mailer: Mailer) {
    let every = Duration::from_secs(state.config.reminder_check_seconds.max(1));
    let mut failures: u32 = 0;
    loop {
        // One instance mails at a time (the rows of mails sent stop repeats, not a race between two).
        let pool = state.directory.pool();
        let ran = crate::db::exclusively(&pool, MAIL_LOCK, run_once(&state, &mailer)).await;
        let ran = match ran {
            Ok(Some(result)) => result,
            Ok(None) => Ok(()),
            Err(e) => Err(ReminderMailError::Directory(e.into())),
        };
        let pause = match ran {
            Ok(()) => {
                failures = 0;
                every
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let backoff = Duration::from_secs(10u64.saturating_mul(1 << failures.min(9)));
                tracing::warn!(error = %e, failures, retry_in_s = backoff.min(every).as_secs(), "reminder mails not sent");
                backoff.min(every).min(MAX_PAUSE)
            }
        };
        tokio::time::sleep(pause).await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReminderMailError {
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}

/// One pass over every facility with someone to mail.
pub async fn run_once(state: &AppState, mailer: &Mailer) -> Result<(), ReminderMailError> {
    let now = now_ms();
    let Some(today) = jst_date(now) else {
        return Ok(());
    };
    for facility in state.directory.facilities_with_recipients().await? {
        let Some(reminders) = reminders_of(state, facility, today).await? else {
            continue;
        };
        let name = state
            .directory
            .facility_name(facility)
            .await?
            .unwrap_or_default();
        for r in state.directory.recipients(facility).await? {
            match mail_one(state, mailer, facility, &name, &r, &reminders, today, now).await {
                // One address refused for good (or not an address) holds up nobody else's mails.
                Err(ReminderMailError::Mail(
                    e @ (crate::mail::MailError::Rejected(_) | crate::mail::MailError::Address(_)),
                )) => {
                    tracing::warn!(%facility, person = %r.person, error = %e, "a reminder mail refused for good");
                }
                other => other?,
            }
        }
    }
    Ok(())
}

/// What an overdue mail records: the reminder and the day it fell due (a new target date is a new one).
fn overdue_key(r: &Reminder) -> String {
    format!("{}@{}", r.subject.key(), r.due.iso())
}

#[allow(clippy::too_many_arguments)]
async fn mail_one(
    state: &AppState,
    mailer: &Mailer,
    facility: FacilityId,
    name: &str,
    to: &Recipient,
    reminders: &[Reminder],
    today: Date,
    now: i64,
) -> Result<(), ReminderMailError> {
    let directory = &state.directory;
    let overdue: Vec<&Reminder> = reminders.iter().filter(|r| r.overdue(today)).collect();
    let last_weekly = directory
        .last_mail(to.person, facility, MailKind::Weekly)
        .await?;
    if last_weekly.is_none_or(|t| now - t >= WEEK_MS) {
        let (subject, body) = weekly(state, name, reminders, today);
        mailer.send(&to.email, &subject, &body).await?;
        directory
            .record_mail(to.person, facility, MailKind::Weekly, &[today.iso()], now)
            .await?;
        // What the summary named as overdue needs no mail of its own.
        let keys: Vec<String> = overdue.iter().map(|r| overdue_key(r)).collect();
        directory
            .record_mail(to.person, facility, MailKind::Overdue, &keys, now)
            .await?;
        tracing::info!(%facility, person = %to.person, items = reminders.len(), "weekly reminder summary sent");
        return Ok(());
    }
    let mut newly = Vec::new();
    for r in overdue {
        if !directory
            .mail_sent(to.person, facility, MailKind::Overdue, &overdue_key(r))
            .await?
        {
            newly.push(r);
        }
    }
    if newly.is_empty() {
        return Ok(());
    }
    let subject = format!("【守り】{name} 期限切れ {}件", newly.len());
    let mut body = format!(
        "{name} 管理者様\n\n次の期限が過ぎました（{} 時点）。\n\n",
        today.display(DateStyle::Japanese)
    );
    for r in &newly {
        body.push_str(&line(r));
    }
    body.push_str(&footer(state));
    mailer.send(&to.email, &subject, &body).await?;
    let keys: Vec<String> = newly.iter().map(|r| overdue_key(r)).collect();
    directory
        .record_mail(to.person, facility, MailKind::Overdue, &keys, now)
        .await?;
    tracing::info!(%facility, person = %to.person, items = keys.len(), "overdue reminder sent");
    Ok(())
}

fn line(r: &Reminder) -> String {
    format!(
        "・{} {}\n",
        r.due.display(DateStyle::Japanese),
        r.subject.text_ja(DateStyle::Japanese)
    )
}

fn footer(state: &AppState) -> String {
    format!(
        "\n詳しくは Mamori の「期限」画面をご覧ください: {}/reminders\n\nこのメールは、利用者の管理で通知先メールアドレスを登録した管理者に送られています。停止するには、同じ画面でアドレスを消してください。\n",
        state.config.public_url().trim_end_matches('/')
    )
}

fn weekly(state: &AppState, name: &str, reminders: &[Reminder], today: Date) -> (String, String) {
    let subject = format!("【守り】{name} 期限のお知らせ（週次）");
    let mut body = format!(
        "{name} 管理者様\n\n{} 時点の期限のお知らせです。\n\n",
        today.display(DateStyle::Japanese)
    );
    let (overdue, soon): (Vec<&Reminder>, Vec<&Reminder>) =
        reminders.iter().partition(|r| r.overdue(today));
    if reminders.is_empty() {
        body.push_str("いま期限が近いものはありません。\n");
    }
    if !overdue.is_empty() {
        body.push_str("■ 期限切れ\n");
        overdue.iter().for_each(|r| body.push_str(&line(r)));
        body.push('\n');
    }
    if !soon.is_empty() {
        body.push_str("■ 30日以内\n");
        soon.iter().for_each(|r| body.push_str(&line(r)));
    }
    body.push_str(&footer(state));
    (subject, body)
}

/// The facility's reminders from its stored documents; `None` when its index is not in the store.
async fn reminders_of(
    state: &AppState,
    facility: FacilityId,
    today: Date,
) -> Result<Option<Vec<Reminder>>, ReminderMailError> {
    let Some(index_id) = state.directory.facility_index(facility).await? else {
        return Ok(None);
    };
    let Some(index_doc) = load(state, index_id).await? else {
        return Ok(None);
    };
    let Ok(index) = index::read(&index_doc) else {
        tracing::warn!(%facility, "a facility's index does not read: no reminder mails for it");
        return Ok(None);
    };
    let year = today.fiscal_year();
    let mut wanted: Vec<DocumentId> = index
        .checklists()
        .into_iter()
        .filter(|(_, m)| m.fiscal_year == year)
        .map(|(e, _)| e.id)
        .collect();
    for kind in [DocKind::Evidence, DocKind::ContactChart] {
        wanted.extend(index.documents_of(kind).into_iter().map(|e| e.id));
    }
    let mut docs: HashMap<DocumentId, AutoCommit> = HashMap::new();
    for id in wanted {
        if let Some(doc) = load(state, id).await? {
            docs.insert(id, doc);
        }
    }
    Ok(Some(of_facility(
        &index,
        |id| docs.get(&id),
        today,
        jst_date,
    )))
}

/// A document as the store keeps it (every acknowledged change is there).
async fn load(state: &AppState, id: DocumentId) -> Result<Option<AutoCommit>, ReminderMailError> {
    let Some(chunks) = state.rooms.store().load(id).await? else {
        return Ok(None);
    };
    match AutoCommit::load(&chunks.concat()) {
        Ok(doc) => Ok(Some(doc)),
        Err(e) => {
            tracing::warn!(%id, error = %e, "a stored document does not load: left out of reminders");
            Ok(None)
        }
    }
}
