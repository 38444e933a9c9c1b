//! 期限 by e-mail: who opted in with an address, and which mails were sent (so a restart does not resend).

use mamori_shared::model::{FacilityId, PersonId};
use sqlx::Row;

use super::{Directory, DirectoryError, parse};

/// A 管理者 who gets a facility's reminder mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub person: PersonId,
    pub name: String,
    pub email: String,
}

/// Which mail: the weekly summary, or the one on the day something became overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Weekly,
    Overdue,
}

impl MailKind {
    fn as_str(self) -> &'static str {
        match self {
            MailKind::Weekly => "weekly",
            MailKind::Overdue => "overdue",
        }
    }
}

impl Directory {
    /// Sets (or with `None`, removes) the address a person gets reminder mails at.
    pub async fn set_email(
        &self,
        person: PersonId,
        email: Option<&str>,
    ) -> Result<(), DirectoryError> {
        sqlx::query("UPDATE people SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(person.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn email_of(&self, person: PersonId) -> Result<Option<String>, DirectoryError> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT email FROM people WHERE id = $1")
                .bind(person.to_string())
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Facilities with at least one 管理者 who opted in (the only ones worth computing reminders for).
    pub async fn facilities_with_recipients(&self) -> Result<Vec<FacilityId>, DirectoryError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT m.facility_id FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.role = 'admin' AND m.ended_at IS NULL AND p.disabled_at IS NULL AND p.email IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|f| parse(f, "facility id", FacilityId::parse))
            .collect()
    }

    /// A facility's 管理者 with an address (current members, accounts not disabled).
    pub async fn recipients(&self, facility: FacilityId) -> Result<Vec<Recipient>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.email FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.facility_id = $1 AND m.role = 'admin' AND m.ended_at IS NULL AND p.disabled_at IS NULL AND p.email IS NOT NULL ORDER BY p.created_at",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Recipient {
                    person: parse(r.get::<&str, _>(0), "person id", PersonId::parse)?,
                    name: r.get(1),
                    email: r.get(2),
                })
            })
            .collect()
    }

    /// When the last mail of `kind` went to this person for this facility (Unix ms).
    pub async fn last_mail(
        &self,
        person: PersonId,
        facility: FacilityId,
        kind: MailKind,
    ) -> Result<Option<i64>, DirectoryError> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(sent_at) FROM reminder_mails WHERE person_id = $1 AND facility_id = $2 AND kind = $3",
        )
        .bind(person.to_string())
        .bind(facility.to_string())
        .bind(kind.as_str())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Whether a mail of `kind` about `key` already went to this person.
    pub async fn mail_sent(
        &self,
        person: PersonId,
        facility: FacilityId,
        kind: MailKind,
        key: &str,
    ) -> Result<bool, DirectoryError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM reminder_mails WHERE person_id = $1 AND facility_id = $2 AND kind = $3 AND key = $4",
        )
        .bind(person.to_string())
        .bind(facility.to_string())
        .bind(kind.as_str())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Records mails sent (one row per key), all or none.
    pub async fn record_mail(
        &self,
        person: PersonId,
        facility: FacilityId,
        kind: MailKind,
        keys: &[String],
        now: i64,
    ) -> Result<(), DirectoryError> {
        let mut tx = crate::db::write_tx(&self.pool).await?;
        for key in keys {
            sqlx::query(
                "INSERT INTO reminder_mails (person_id, facility_id, kind, key, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(person.to_string())
            .bind(facility.to_string())
            .bind(kind.as_str())
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
