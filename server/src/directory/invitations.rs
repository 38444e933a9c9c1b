//! Invitations: a 管理者 invites someone with a role; the link is used once, before it expires, unless revoked.

use std::time::Duration;

use mamori_shared::access::Role;
use mamori_shared::model::{FacilityId, PersonId, VendorId};
use sqlx::Row;
use thiserror::Error;
use webauthn_rs::prelude::Passkey;

use super::people::{insert_membership, insert_person};
use super::{Directory, DirectoryError, hash_secret, new_secret, optional_vendor, parse};

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

impl Directory {
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
            "INSERT INTO invitations (token_hash, id, facility_id, role, vendor_id, name, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
            "SELECT i.id, i.facility_id, f.name, i.role, i.vendor_id, i.name, i.expires_at, i.used_at, i.revoked_at FROM invitations i JOIN facilities f ON f.id = i.facility_id WHERE i.token_hash = $1",
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
        let mut tx = crate::db::write_tx(&self.pool).await?;
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
        let mut tx = crate::db::write_tx(&self.pool).await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM memberships WHERE person_id = $1 AND facility_id = $2 AND ended_at IS NULL",
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
            "INSERT INTO memberships (person_id, facility_id, role, vendor_id) VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, facility_id) DO UPDATE SET role = excluded.role, vendor_id = excluded.vendor_id, ended_at = NULL",
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
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND facility_id = $3 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(facility.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Marks an invitation used by `person`, inside the caller's transaction; `false` when it was used, revoked
/// or expired meanwhile (two browsers racing with one link).
async fn claim_invitation(
    tx: &mut sqlx::AnyConnection,
    token: &str,
    person: PersonId,
    now: i64,
) -> Result<bool, DirectoryError> {
    let claimed = sqlx::query(
        "UPDATE invitations SET used_at = $1, used_by = $2 WHERE token_hash = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $4",
    )
    .bind(now)
    .bind(person.to_string())
    .bind(hash_secret(token))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(claimed.rows_affected() == 1)
}
