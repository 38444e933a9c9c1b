//! The server's records of facilities, people, their roles, passkeys, sessions, invitations and which
//! facility each document belongs to. Access decisions read these and nothing else ([`mamori_shared::access`]
//! holds the rules); no CRDT document can grant anything.
//!
//! Secrets handed to browsers (session and invitation tokens: 256 random bits, base64url) are stored only as
//! SHA-256 hashes, so a copy of the database does not let anyone sign in.

mod credentials;
mod quarantine;
mod registration;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mamori_shared::access::{DocumentInfo, Membership, Role};
use mamori_shared::edition::FormKind;
use mamori_shared::model::{DocumentId, FacilityId, PersonId, VendorId};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqlitePool};
use thiserror::Error;
use webauthn_rs::prelude::Passkey;

pub use credentials::{PasskeyInfo, RemovePasskey};
pub use quarantine::{Departure, HandBack, Quarantined};

#[derive(Debug, Error)]
pub enum DirectoryError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("this facility is already registered on the server")]
    FacilityExists,
    #[error("this document belongs to another facility")]
    DocumentElsewhere,
    #[error("this passkey is already registered")]
    PasskeyTaken,
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
}

/// Why an invitation cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum InvitationProblem {
    #[error("この招待は見つかりません (unknown invitation)")]
    Unknown,
    #[error("この招待は使用済みです (already used)")]
    Used,
    #[error("この招待は取り消されました (revoked)")]
    Revoked,
    #[error("この招待は期限切れです (expired)")]
    Expired,
    #[error("すでにこの施設の利用者です (already a member of this facility)")]
    AlreadyMember,
}

/// How long sessions last: ended after `idle` without use, and after `absolute` whatever happens.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A valid invitation.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: String,
    pub facility: FacilityId,
    pub facility_name: String,
    pub role: Role,
    pub vendor: Option<VendorId>,
    /// Who it is for, as the administrator wrote it.
    pub name: String,
    pub expires_at: i64,
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

/// A new random secret and the hash under which it is stored.
pub fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&secret);
    (secret, hash)
}

pub fn hash_secret(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

fn optional_vendor(v: Option<&str>) -> Result<Option<VendorId>, DirectoryError> {
    v.map(|v| parse(v, "vendor id", VendorId::parse))
        .transpose()
}

fn parse<T>(s: &str, what: &str, f: impl FnOnce(&str) -> Option<T>) -> Result<T, DirectoryError> {
    f(s).ok_or_else(|| DirectoryError::Corrupt(format!("{what} {s:?}")))
}

#[derive(Clone)]
pub struct Directory {
    pool: SqlitePool,
}

/// A facility as the device registers it.
pub struct NewFacility<'a> {
    pub id: FacilityId,
    pub name: &'a str,
    pub kind: &'a str,
    pub index_doc: DocumentId,
}

impl Directory {
    pub fn new(pool: SqlitePool) -> Directory {
        Directory { pool }
    }

    /// The database the directory lives in (the access log shares it).
    pub fn pool(&self) -> SqlitePool {
        self.pool.clone()
    }

    /// Registers a facility set up on a device, its first administrator and their first passkey, and the
    /// facility index document, in one transaction.
    pub async fn register_facility(
        &self,
        facility: &NewFacility<'_>,
        admin: PersonId,
        admin_name: &str,
        passkey: &Passkey,
        now: i64,
    ) -> Result<(), DirectoryError> {
        let mut tx = self.pool.begin().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM facilities WHERE id = ?")
            .bind(facility.id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(DirectoryError::FacilityExists);
        }
        sqlx::query(
            "INSERT INTO facilities (id, name, kind, index_doc, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(facility.id.to_string())
        .bind(facility.name)
        .bind(facility.kind)
        .bind(facility.index_doc.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_person(&mut tx, admin, admin_name, passkey, now).await?;
        insert_membership(&mut tx, admin, facility.id, Role::Admin, None).await?;
        sqlx::query(
            "INSERT INTO documents (doc_id, facility_id, form, vendor_id, created_by, created_at) VALUES (?, ?, NULL, NULL, ?, ?)",
        )
        .bind(facility.index_doc.to_string())
        .bind(facility.id.to_string())
        .bind(admin.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => DirectoryError::DocumentElsewhere,
            e => e.into(),
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// The facility's index document (what a device opens to see the facility).
    pub async fn facility_index(
        &self,
        id: FacilityId,
    ) -> Result<Option<DocumentId>, DirectoryError> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT index_doc FROM facilities WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        doc.map(|d| parse(&d, "document id", DocumentId::parse))
            .transpose()
    }

    /// A person's name (kept for the log after they leave).
    pub async fn person_name(&self, person: PersonId) -> Result<Option<String>, DirectoryError> {
        Ok(sqlx::query_scalar("SELECT name FROM people WHERE id = ?")
            .bind(person.to_string())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The facility's name.
    pub async fn facility_name(&self, id: FacilityId) -> Result<Option<String>, DirectoryError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM facilities WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A person's memberships; none at all once they are disabled.
    pub async fn memberships(&self, person: PersonId) -> Result<Vec<Membership>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT m.facility_id, m.role, m.vendor_id FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.person_id = ? AND p.disabled_at IS NULL AND m.ended_at IS NULL",
        )
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    facility: parse(r.get::<&str, _>(0), "facility id", FacilityId::parse)?,
                    role: parse(r.get::<&str, _>(1), "role", Role::parse)?,
                    vendor: optional_vendor(r.get::<Option<&str>, _>(2))?,
                })
            })
            .collect()
    }

    pub async fn passkeys(&self, person: PersonId) -> Result<Vec<Passkey>, DirectoryError> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT passkey FROM passkeys WHERE person_id = ?")
                .bind(person.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|j| serde_json::from_str(j).map_err(|e| DirectoryError::Corrupt(e.to_string())))
            .collect()
    }

    /// Stores a passkey's updated counter after a sign-in.
    pub async fn passkey_used(&self, passkey: &Passkey, now: i64) -> Result<(), DirectoryError> {
        let json =
            serde_json::to_string(passkey).map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
        sqlx::query("UPDATE passkeys SET passkey = ?, last_used_at = ? WHERE credential_id = ?")
            .bind(json)
            .bind(now)
            .bind(credential_key(passkey))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Starts a session for a person (a fresh token at every sign-in); returns the token for the cookie.
    pub async fn start_session(
        &self,
        person: PersonId,
        device: &str,
        now: i64,
    ) -> Result<String, DirectoryError> {
        let (token, hash) = new_secret();
        sqlx::query(
            "INSERT INTO sessions (token_hash, person_id, device, created_at, last_seen_at, verified_at) VALUES (?, ?, ?, ?, ?, ?)",
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
            "SELECT s.person_id, p.name, s.created_at, s.last_seen_at, COALESCE(s.verified_at, s.created_at) FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.token_hash = ? AND s.ended_at IS NULL AND p.disabled_at IS NULL",
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
            self.end_session(token, now).await?;
            return Ok(None);
        }
        let seen = if used {
            self.touch_session(token, now).await?;
            now
        } else {
            seen
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
            "UPDATE sessions SET ended_at = ? WHERE person_id = ? AND ended_at IS NULL",
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
            "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND ended_at IS NULL",
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
            "UPDATE sessions SET verified_at = ? WHERE token_hash = ? AND ended_at IS NULL",
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
            "SELECT substr(token_hash, 1, 16), device, created_at, last_seen_at FROM sessions WHERE person_id = ? AND ended_at IS NULL ORDER BY last_seen_at DESC",
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
            "UPDATE sessions SET ended_at = ? WHERE person_id = ? AND substr(token_hash, 1, 16) = ? AND ended_at IS NULL",
        )
        .bind(now)
        .bind(person.to_string())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() >= 1)
    }

    pub async fn end_session(&self, token: &str, now: i64) -> Result<(), DirectoryError> {
        sqlx::query("UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL")
            .bind(now)
            .bind(hash_secret(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Invites someone to a facility with a role; returns the invitation's id and its secret token (shown
    /// once, in the link).
    #[allow(clippy::too_many_arguments)]
    pub async fn invite(
        &self,
        facility: FacilityId,
        role: Role,
        vendor: Option<VendorId>,
        name: &str,
        by: PersonId,
        valid_for: Duration,
        now: i64,
    ) -> Result<(String, String), DirectoryError> {
        let (token, hash) = new_secret();
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO invitations (token_hash, id, facility_id, role, vendor_id, name, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(hash)
        .bind(&id)
        .bind(facility.to_string())
        .bind(role.as_str())
        .bind(vendor.map(|v| v.to_string()))
        .bind(name)
        .bind(by.to_string())
        .bind(now)
        .bind(now + valid_for.as_millis() as i64)
        .execute(&self.pool)
        .await?;
        Ok((id, token))
    }

    /// The invitation behind a token, if it can still be used.
    pub async fn invitation(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Result<Invitation, InvitationProblem>, DirectoryError> {
        let row = sqlx::query(
            "SELECT i.id, i.facility_id, f.name, i.role, i.vendor_id, i.name, i.expires_at, i.used_at, i.revoked_at FROM invitations i JOIN facilities f ON f.id = i.facility_id WHERE i.token_hash = ?",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(Err(InvitationProblem::Unknown));
        };
        if r.get::<Option<i64>, _>(8).is_some() {
            return Ok(Err(InvitationProblem::Revoked));
        }
        if r.get::<Option<i64>, _>(7).is_some() {
            return Ok(Err(InvitationProblem::Used));
        }
        let expires_at: i64 = r.get(6);
        if now >= expires_at {
            return Ok(Err(InvitationProblem::Expired));
        }
        Ok(Ok(Invitation {
            id: r.get(0),
            facility: parse(r.get::<&str, _>(1), "facility id", FacilityId::parse)?,
            facility_name: r.get(2),
            role: parse(r.get::<&str, _>(3), "role", Role::parse)?,
            vendor: optional_vendor(r.get::<Option<&str>, _>(4))?,
            name: r.get(5),
            expires_at,
        }))
    }

    /// Uses an invitation for a new person with their first passkey: single use, checked again inside the
    /// transaction so two browsers racing with one link cannot both join.
    pub async fn accept_invitation(
        &self,
        token: &str,
        person: PersonId,
        name: &str,
        passkey: &Passkey,
        now: i64,
    ) -> Result<Result<Invitation, InvitationProblem>, DirectoryError> {
        let invitation = match self.invitation(token, now).await? {
            Ok(i) => i,
            Err(problem) => return Ok(Err(problem)),
        };
        let mut tx = self.pool.begin().await?;
        if !claim_invitation(&mut tx, token, person, now).await? {
            return Ok(Err(InvitationProblem::Used));
        }
        insert_person(&mut tx, person, name, passkey, now).await?;
        insert_membership(
            &mut tx,
            person,
            invitation.facility,
            invitation.role,
            invitation.vendor,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(invitation))
    }

    /// Uses an invitation for someone who already has an account (a vendor's user invited by a second
    /// facility): the one account gains a membership there. A membership this facility ended earlier is
    /// taken up again; a person who is already a member here gets [`InvitationProblem::AlreadyMember`].
    pub async fn accept_invitation_as(
        &self,
        token: &str,
        person: PersonId,
        now: i64,
    ) -> Result<Result<Invitation, InvitationProblem>, DirectoryError> {
        let invitation = match self.invitation(token, now).await? {
            Ok(i) => i,
            Err(problem) => return Ok(Err(problem)),
        };
        let mut tx = self.pool.begin().await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM memberships WHERE person_id = ? AND facility_id = ? AND ended_at IS NULL",
        )
        .bind(person.to_string())
        .bind(invitation.facility.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_some() {
            return Ok(Err(InvitationProblem::AlreadyMember));
        }
        if !claim_invitation(&mut tx, token, person, now).await? {
            return Ok(Err(InvitationProblem::Used));
        }
        sqlx::query(
            "INSERT INTO memberships (person_id, facility_id, role, vendor_id) VALUES (?, ?, ?, ?) ON CONFLICT (person_id, facility_id) DO UPDATE SET role = excluded.role, vendor_id = excluded.vendor_id, ended_at = NULL",
        )
        .bind(person.to_string())
        .bind(invitation.facility.to_string())
        .bind(invitation.role.as_str())
        .bind(invitation.vendor.map(|v| v.to_string()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(invitation))
    }

    pub async fn revoke_invitation(
        &self,
        facility: FacilityId,
        id: &str,
        now: i64,
    ) -> Result<bool, DirectoryError> {
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = ? WHERE id = ? AND facility_id = ? AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(facility.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a person's role at a facility.
    pub async fn set_role(
        &self,
        facility: FacilityId,
        person: PersonId,
        role: Role,
        vendor: Option<VendorId>,
    ) -> Result<bool, DirectoryError> {
        let done = sqlx::query(
            "UPDATE memberships SET role = ?, vendor_id = ? WHERE person_id = ? AND facility_id = ? AND ended_at IS NULL",
        )
        .bind(role.as_str())
        .bind(vendor.map(|v| v.to_string()))
        .bind(person.to_string())
        .bind(facility.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A facility ends a person's access (退職, or a vendor's user it no longer works with). A person who
    /// belongs to this facility only is disabled: every session ends and the account can no longer sign in.
    /// A person who also serves other facilities (a vendor's user) only loses this facility. `false` when
    /// the person is not a member here.
    /// Ends `person`'s membership of `facility` (or disables them, when it was their only one) and revokes
    /// the tokens they issued there. `None` when they were not a member; else the revoked tokens' ids.
    pub async fn remove_from_facility(
        &self,
        facility: FacilityId,
        person: PersonId,
        now: i64,
    ) -> Result<Option<Vec<String>>, DirectoryError> {
        let here: Vec<String> = sqlx::query_scalar(
            "SELECT facility_id FROM memberships WHERE person_id = ? AND ended_at IS NULL",
        )
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        if !here.contains(&facility.to_string()) {
            return Ok(None);
        }
        if here.len() == 1 {
            self.disable(person, now).await?;
        } else {
            // Kept with its end time: the person's device may still hand back what it holds for us.
            sqlx::query(
                "UPDATE memberships SET ended_at = ? WHERE person_id = ? AND facility_id = ?",
            )
            .bind(now)
            .bind(person.to_string())
            .bind(facility.to_string())
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(
            self.revoke_tokens_issued_by(facility, person, now).await?,
        ))
    }

    /// Everyone who has or had a membership at a facility: (person, name, role, vendor, gone: disabled or
    /// removed from this facility).
    pub async fn people_of(
        &self,
        facility: FacilityId,
    ) -> Result<Vec<(PersonId, String, Role, Option<VendorId>, bool)>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, m.role, m.vendor_id, p.disabled_at IS NOT NULL OR m.ended_at IS NOT NULL FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.facility_id = ? ORDER BY p.created_at",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse(r.get::<&str, _>(0), "person id", PersonId::parse)?,
                    r.get(1),
                    parse(r.get::<&str, _>(2), "role", Role::parse)?,
                    optional_vendor(r.get::<Option<&str>, _>(3))?,
                    r.get(4),
                ))
            })
            .collect()
    }

    /// Disables a person (退職): every session ends and no membership counts any more.
    pub async fn disable(&self, person: PersonId, now: i64) -> Result<(), DirectoryError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE people SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL")
            .bind(now)
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET ended_at = ? WHERE person_id = ? AND ended_at IS NULL")
            .bind(now)
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records which facility a new document belongs to (idempotent for the same facility).
    pub async fn register_document(
        &self,
        doc: DocumentId,
        info: &DocumentInfo,
        by: PersonId,
        now: i64,
    ) -> Result<(), DirectoryError> {
        if let Some(existing) = self.document(doc).await? {
            return if existing.facility == info.facility {
                Ok(())
            } else {
                Err(DirectoryError::DocumentElsewhere)
            };
        }
        sqlx::query(
            "INSERT INTO documents (doc_id, facility_id, form, vendor_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (doc_id) DO NOTHING",
        )
        .bind(doc.to_string())
        .bind(info.facility.to_string())
        .bind(info.form.map(|f| f.as_str()))
        .bind(info.vendor.map(|v| v.to_string()))
        .bind(by.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The documents a vendor may open at a facility: its 事業者確認用 there and what the facility shared with it.
    pub async fn documents_for_vendor(
        &self,
        facility: FacilityId,
        vendor: VendorId,
    ) -> Result<Vec<DocumentId>, DirectoryError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT doc_id FROM documents WHERE facility_id = ?1 AND (vendor_id = ?2 AND form = 'vendor' OR doc_id IN (SELECT doc_id FROM document_shares WHERE vendor_id = ?2)) ORDER BY created_at",
        )
        .bind(facility.to_string())
        .bind(vendor.to_string())
        .fetch_all(&self.pool)
        .await?;
        ids.iter()
            .map(|d| parse(d, "document id", DocumentId::parse))
            .collect()
    }

    /// What the server knows of a document; `None` if it was never registered.
    pub async fn document(&self, doc: DocumentId) -> Result<Option<DocumentInfo>, DirectoryError> {
        let row =
            sqlx::query("SELECT facility_id, form, vendor_id FROM documents WHERE doc_id = ?")
                .bind(doc.to_string())
                .fetch_optional(&self.pool)
                .await?;
        let Some(r) = row else { return Ok(None) };
        let shared: Vec<String> =
            sqlx::query_scalar("SELECT vendor_id FROM document_shares WHERE doc_id = ?")
                .bind(doc.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(Some(DocumentInfo {
            facility: parse(r.get::<&str, _>(0), "facility id", FacilityId::parse)?,
            form: match r.get::<Option<&str>, _>(1) {
                Some(f) => Some(parse(f, "form", FormKind::parse)?),
                None => None,
            },
            vendor: optional_vendor(r.get::<Option<&str>, _>(2))?,
            shared_with: shared
                .iter()
                .map(|v| parse(v, "vendor id", VendorId::parse))
                .collect::<Result<_, _>>()?,
        }))
    }
}

/// A live API token.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub membership: Membership,
    pub expires_at: i64,
}

impl Directory {
    /// Issues a token for a non-browser client, live until `expires_at`; returns its id and the secret
    /// (shown once).
    pub async fn issue_token(
        &self,
        membership: &Membership,
        name: &str,
        by: PersonId,
        expires_at: i64,
        now: i64,
    ) -> Result<(String, String), DirectoryError> {
        let (token, hash) = new_secret();
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, id, facility_id, role, vendor_id, name, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(hash)
        .bind(&id)
        .bind(membership.facility.to_string())
        .bind(membership.role.as_str())
        .bind(membership.vendor.map(|v| v.to_string()))
        .bind(name)
        .bind(by.to_string())
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok((id, token))
    }

    /// The live token behind a secret: not revoked, not expired, never a 管理者's.
    pub async fn token(&self, secret: &str, now: i64) -> Result<Option<ApiToken>, DirectoryError> {
        let row = sqlx::query(
            "SELECT id, name, facility_id, role, vendor_id, expires_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ? AND role != 'admin'",
        )
        .bind(hash_secret(secret))
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ApiToken {
            id: r.get(0),
            name: r.get(1),
            membership: Membership {
                facility: parse(r.get::<&str, _>(2), "facility id", FacilityId::parse)?,
                role: parse(r.get::<&str, _>(3), "role", Role::parse)?,
                vendor: optional_vendor(r.get::<Option<&str>, _>(4))?,
            },
            expires_at: r.get(5),
        }))
    }

    /// A facility's tokens that are still live, newest first, with who issued them.
    pub async fn tokens_of(
        &self,
        facility: FacilityId,
        now: i64,
    ) -> Result<Vec<TokenListing>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.role, t.vendor_id, p.name, t.created_at, t.expires_at FROM api_tokens t JOIN people p ON p.id = t.created_by WHERE t.facility_id = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND t.role != 'admin' ORDER BY t.created_at DESC",
        )
        .bind(facility.to_string())
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenListing {
                    id: r.get(0),
                    name: r.get(1),
                    role: parse(r.get::<&str, _>(2), "role", Role::parse)?,
                    vendor: optional_vendor(r.get::<Option<&str>, _>(3))?,
                    issued_by: r.get(4),
                    created_at: r.get(5),
                    expires_at: r.get(6),
                })
            })
            .collect()
    }

    pub async fn revoke_token(
        &self,
        facility: FacilityId,
        id: &str,
        now: i64,
    ) -> Result<bool, DirectoryError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND facility_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(facility.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Revokes every live token `person` issued at `facility` (they left it: what they set up goes with
    /// them); returns the ids.
    async fn revoke_tokens_issued_by(
        &self,
        facility: FacilityId,
        person: PersonId,
        now: i64,
    ) -> Result<Vec<String>, DirectoryError> {
        Ok(sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = ? WHERE created_by = ? AND facility_id = ? AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(person.to_string())
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?)
    }
}

/// A live token as 利用者の管理 lists it (never its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenListing {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub vendor: Option<VendorId>,
    /// The name of the person who issued it.
    pub issued_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The owner of an actor that a shared device says belongs to someone other than the person whose session
/// relayed it: nobody's new changes under it are accepted until its own person claims it.
pub const HELD: &str = "held";

/// The owner of an actor held for `person` until they sign in on that device and take it (`held:<id>`).
/// Rows written before this was recorded say only [`HELD`]; anyone of the facility may take those.
pub fn held_for(person: PersonId) -> String {
    format!("{HELD}:{person}")
}

impl Directory {
    /// Registers the actors a device made, each with the person who was signed in on it when it was made
    /// (a shared tablet). Actors of the session's own person are claimed for them (taking over a held one);
    /// anyone else's are held, unless already owned, so that this session cannot take them over by relaying
    /// their changes. Returns the actors that belong to someone else than the one the device named.
    pub async fn register_actors(
        &self,
        me: PersonId,
        device: &str,
        actors: &[(String, PersonId)],
        now: i64,
    ) -> Result<Vec<String>, DirectoryError> {
        let mine = format!("person:{me}");
        let held_for_me = held_for(me);
        let mut conflicts = Vec::new();
        for (actor, person) in actors {
            // Someone else's actor is held *for them*: only they can take it over later.
            let owner = if *person == me {
                mine.clone()
            } else {
                held_for(*person)
            };
            sqlx::query(
                "INSERT INTO actor_owners (actor, owner, device, registered_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (actor) DO UPDATE SET owner = ?2, device = ?3, registered_at = ?4 \
                 WHERE ?2 = ?6 AND (actor_owners.owner = ?5 OR actor_owners.owner = ?7)",
            )
            .bind(actor)
            .bind(&owner)
            .bind(device)
            .bind(now)
            .bind(&held_for_me)
            .bind(&mine)
            .bind(HELD)
            .execute(&self.pool)
            .await?;
            let holder: String =
                sqlx::query_scalar("SELECT owner FROM actor_owners WHERE actor = ?")
                    .bind(actor)
                    .fetch_one(&self.pool)
                    .await?;
            if *person == me && holder != mine {
                conflicts.push(actor.clone());
            }
        }
        Ok(conflicts)
    }

    /// The bytes a facility's documents take in the store (for its quota).
    pub async fn facility_bytes(&self, facility: FacilityId) -> Result<u64, DirectoryError> {
        let bytes: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(length(c.data)), 0) FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE d.facility_id = ?",
        )
        .bind(facility.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(bytes.max(0) as u64)
    }

    /// How many documents a facility has registered (for its quota).
    pub async fn facility_documents(&self, facility: FacilityId) -> Result<u64, DirectoryError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE facility_id = ?")
            .bind(facility.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }

    /// Who an Automerge actor id belongs to (`person:<id>`, `token:<id>`, or [`HELD`]), if anyone.
    pub async fn actor_owner(&self, actor: &str) -> Result<Option<String>, DirectoryError> {
        Ok(
            sqlx::query_scalar("SELECT owner FROM actor_owners WHERE actor = ?")
                .bind(actor)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

impl Directory {
    /// Who each actor that wrote for a facility belongs to: (actor hex, name, `true` for an API token). Covers
    /// everyone who is or was a member (so old answers stay attributed after someone leaves) and the
    /// facility's tokens.
    pub async fn actor_names(
        &self,
        facility: FacilityId,
    ) -> Result<Vec<(String, String, bool)>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT a.actor, p.name, 0 FROM actor_owners a JOIN people p ON a.owner = 'person:' || p.id JOIN memberships m ON m.person_id = p.id WHERE m.facility_id = ?1 \
             UNION ALL SELECT a.actor, t.name, 1 FROM actor_owners a JOIN api_tokens t ON a.owner = 'token:' || t.id WHERE t.facility_id = ?1",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<i64, _>(2) == 1))
            .collect())
    }
}

/// The key a passkey is stored under: its credential id, base64url.
fn credential_key(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())
}

async fn insert_person(
    tx: &mut sqlx::SqliteConnection,
    person: PersonId,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> Result<(), DirectoryError> {
    sqlx::query("INSERT INTO people (id, name, created_at) VALUES (?, ?, ?)")
        .bind(person.to_string())
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    insert_passkey(tx, person, "", passkey, now).await
}

pub(crate) async fn insert_passkey(
    tx: &mut sqlx::SqliteConnection,
    person: PersonId,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> Result<(), DirectoryError> {
    let json =
        serde_json::to_string(passkey).map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO passkeys (credential_id, person_id, passkey, created_at, name) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(credential_key(passkey))
    .bind(person.to_string())
    .bind(json)
    .bind(now)
    .bind(name)
    .execute(&mut *tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DirectoryError::PasskeyTaken,
        e => e.into(),
    })?;
    Ok(())
}

/// Marks an invitation used by `person`, inside the caller's transaction; `false` when it was used, revoked
/// or expired meanwhile (two browsers racing with one link).
async fn claim_invitation(
    tx: &mut sqlx::SqliteConnection,
    token: &str,
    person: PersonId,
    now: i64,
) -> Result<bool, DirectoryError> {
    let claimed = sqlx::query(
        "UPDATE invitations SET used_at = ?, used_by = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
    )
    .bind(now)
    .bind(person.to_string())
    .bind(hash_secret(token))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

async fn insert_membership(
    tx: &mut sqlx::SqliteConnection,
    person: PersonId,
    facility: FacilityId,
    role: Role,
    vendor: Option<VendorId>,
) -> Result<(), DirectoryError> {
    sqlx::query(
        "INSERT INTO memberships (person_id, facility_id, role, vendor_id) VALUES (?, ?, ?, ?)",
    )
    .bind(person.to_string())
    .bind(facility.to_string())
    .bind(role.as_str())
    .bind(vendor.map(|v| v.to_string()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn a_held_actor_is_taken_only_by_the_person_it_is_held_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let directory = Directory::new(store.pool());
        let (relay, owner, stranger) = (
            PersonId::generate(),
            PersonId::generate(),
            PersonId::generate(),
        );
        let actor = "ab".repeat(16);
        // A shared tablet relays the actor its other person made: held for that person.
        let conflicts = directory
            .register_actors(relay, "tablet", &[(actor.clone(), owner)], 1)
            .await
            .unwrap();
        assert!(conflicts.is_empty());
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(held_for(owner))
        );
        // Someone else saying it is theirs does not take it, and is told so.
        let conflicts = directory
            .register_actors(stranger, "phone", &[(actor.clone(), stranger)], 2)
            .await
            .unwrap();
        assert_eq!(conflicts, vec![actor.clone()]);
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(held_for(owner))
        );
        // Nor does a relay re-holding it for someone else.
        directory
            .register_actors(stranger, "phone", &[(actor.clone(), relay)], 3)
            .await
            .unwrap();
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(held_for(owner))
        );
        // Its own person takes it.
        let conflicts = directory
            .register_actors(owner, "tablet", &[(actor.clone(), owner)], 4)
            .await
            .unwrap();
        assert!(conflicts.is_empty());
        assert_eq!(
            directory.actor_owner(&actor).await.unwrap(),
            Some(format!("person:{owner}"))
        );
    }
}
