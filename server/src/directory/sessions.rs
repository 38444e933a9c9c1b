//! Sessions: started at sign-in, ended after `idle` without use or `absolute` whatever happens, listed and
//! ended by their owner; only the token's hash is kept.

use std::time::Duration;

use mamori_shared::model::PersonId;
use sqlx::Row;

use super::{Directory, DirectoryError, hash_secret, new_secret, parse};

/// How long sessions last: ended after `idle` without use, and after `absolute` whatever happens.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub person: PersonId,
    pub name: String,
    /// When this session last proved a passkey (sign-in or re-authentication), server clock.
    pub verified_at: i64,
    /// When it ends unless it is used before (its idle limit), or at the latest (its absolute limit).
    pub expires_at: i64,
}

impl Directory {
    /// Starts a session for a person (a fresh token at every sign-in); returns the token for the cookie.
    pub async fn start_session(
        &self,
        person: PersonId,
        device: &str,
        now: i64,
    ) -> Result<String, DirectoryError> {
        let (token, hash) = new_secret();
        sqlx::query(
            "INSERT INTO sessions (token_hash, person_id, device, created_at, last_seen_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash)
        .bind(person.to_string())
        .bind(device)
        .bind(now)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(token)
    }

    /// The live session behind a token, marking it used; `None` for an unknown, ended, idle or too old one,
    /// or one whose person is disabled.
    pub async fn session(
        &self,
        token: &str,
        limits: SessionLimits,
        now: i64,
    ) -> Result<Option<Session>, DirectoryError> {
        self.session_with(token, limits, now, true).await
    }

    /// [`Directory::session`] without marking it used: for an open socket's periodic check, which is no
    /// sign that anyone is there.
    pub async fn session_unused(
        &self,
        token: &str,
        limits: SessionLimits,
        now: i64,
    ) -> Result<Option<Session>, DirectoryError> {
        self.session_with(token, limits, now, false).await
    }

    async fn session_with(
        &self,
        token: &str,
        limits: SessionLimits,
        now: i64,
        used: bool,
    ) -> Result<Option<Session>, DirectoryError> {
        let row = sqlx::query(
            "SELECT s.person_id, p.name, s.created_at, s.last_seen_at, COALESCE(s.verified_at, s.created_at) FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.token_hash = $1 AND s.ended_at IS NULL AND p.disabled_at IS NULL",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (created, seen): (i64, i64) = (row.get(2), row.get(3));
        let (idle, absolute) = (
            limits.idle.as_millis() as i64,
            limits.absolute.as_millis() as i64,
        );
        if now - seen > idle || now - created > absolute {
            // Over either way; recording the end may fail (a full disk) without changing that.
            if let Err(e) = self.end_session(token, now).await {
                tracing::warn!(error = %e, "could not record a session's end");
            }
            return Ok(None);
        }
        // Marking it used is a write: on a full disk the session still reads (and its idle limit counts
        // from its last recorded use).
        let seen = match used {
            true => match self.touch_session(token, now).await {
                Ok(()) => now,
                Err(e) => {
                    tracing::warn!(error = %e, "could not mark a session used");
                    seen
                }
            },
            false => seen,
        };
        Ok(Some(Session {
            person: parse(row.get::<&str, _>(0), "person id", PersonId::parse)?,
            name: row.get(1),
            verified_at: row.get(4),
            expires_at: (seen + idle).min(created + absolute),
        }))
    }

    /// Ends every live session of `person` (a recovery-code sign-in: whoever held the lost passkey's
    /// sessions is signed out); returns how many.
    pub async fn end_sessions_of(&self, person: PersonId, now: i64) -> Result<u64, DirectoryError> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = $1 WHERE person_id = $2 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(person.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Marks a live session used now (its idle limit counts from here).
    pub async fn touch_session(&self, token: &str, now: i64) -> Result<(), DirectoryError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(hash_secret(token))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that a live session just proved a passkey again (re-authentication).
    pub async fn mark_verified(&self, token: &str, now: i64) -> Result<(), DirectoryError> {
        sqlx::query(
            "UPDATE sessions SET verified_at = $1 WHERE token_hash = $2 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(hash_secret(token))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A person's live sessions: (id, device, signed in at, last used at). The id is a prefix of the stored
    /// hash: enough to name a session, useless to sign in with.
    pub async fn sessions_of(
        &self,
        person: PersonId,
    ) -> Result<Vec<(String, String, i64, i64)>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT substr(token_hash, 1, 16), device, created_at, last_seen_at FROM sessions WHERE person_id = $1 AND ended_at IS NULL ORDER BY last_seen_at DESC",
        )
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
    }

    /// Ends one of a person's sessions by its id; `false` if there is no such live session of theirs.
    pub async fn end_session_by_id(
        &self,
        person: PersonId,
        id: &str,
        now: i64,
    ) -> Result<bool, DirectoryError> {
        if id.len() != 16 {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE sessions SET ended_at = $1 WHERE person_id = $2 AND substr(token_hash, 1, 16) = $3 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(person.to_string())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() >= 1)
    }

    pub async fn end_session(&self, token: &str, now: i64) -> Result<(), DirectoryError> {
        sqlx::query("UPDATE sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL")
            .bind(now)
            .bind(hash_secret(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
