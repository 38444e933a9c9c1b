//! People and their memberships: names, roles, leaving a facility, disabling an account.

use mamori_shared::access::{Membership, Role};
use mamori_shared::model::{FacilityId, PersonId, VendorId};
use sqlx::Row;
use webauthn_rs::prelude::Passkey;

use super::credentials::insert_passkey;
use super::{Directory, DirectoryError, optional_vendor, parse};

/// One person of a facility as the 利用者の管理 lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    pub person: PersonId,
    pub name: String,
    pub role: Role,
    pub vendor: Option<VendorId>,
    /// Left the facility, or disabled everywhere.
    pub disabled: bool,
    pub email: Option<String>,
}

impl Directory {
    /// A person's name (kept for the log after they leave).
    pub async fn person_name(&self, person: PersonId) -> Result<Option<String>, DirectoryError> {
        Ok(sqlx::query_scalar("SELECT name FROM people WHERE id = $1")
            .bind(person.to_string())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A person's memberships; none at all once they are disabled.
    pub async fn memberships(&self, person: PersonId) -> Result<Vec<Membership>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT m.facility_id, m.role, m.vendor_id FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.person_id = $1 AND p.disabled_at IS NULL AND m.ended_at IS NULL",
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

    /// Changes a person's role at a facility.
    pub async fn set_role(
        &self,
        facility: FacilityId,
        person: PersonId,
        role: Role,
        vendor: Option<VendorId>,
    ) -> Result<bool, DirectoryError> {
        let done = sqlx::query(
            "UPDATE memberships SET role = $1, vendor_id = $2 WHERE person_id = $3 AND facility_id = $4 AND ended_at IS NULL",
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
            "SELECT facility_id FROM memberships WHERE person_id = $1 AND ended_at IS NULL",
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
                "UPDATE memberships SET ended_at = $1 WHERE person_id = $2 AND facility_id = $3",
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
    pub async fn people_of(&self, facility: FacilityId) -> Result<Vec<PersonRow>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, m.role, m.vendor_id, CASE WHEN p.disabled_at IS NOT NULL OR m.ended_at IS NOT NULL THEN 1 ELSE 0 END, p.email FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.facility_id = $1 ORDER BY p.created_at",
        )
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PersonRow {
                    person: parse(r.get::<&str, _>(0), "person id", PersonId::parse)?,
                    name: r.get(1),
                    role: parse(r.get::<&str, _>(2), "role", Role::parse)?,
                    vendor: optional_vendor(r.get::<Option<&str>, _>(3))?,
                    // 0 or 1 (see `departure`).
                    disabled: r.get::<i64, _>(4) != 0,
                    email: r.get(5),
                })
            })
            .collect()
    }

    /// Disables a person (退職): every session ends and no membership counts any more.
    pub async fn disable(&self, person: PersonId, now: i64) -> Result<(), DirectoryError> {
        let mut tx = crate::db::write_tx(&self.pool).await?;
        sqlx::query("UPDATE people SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now)
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET ended_at = $1 WHERE person_id = $2 AND ended_at IS NULL")
            .bind(now)
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) async fn insert_person(
    tx: &mut sqlx::AnyConnection,
    person: PersonId,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> Result<(), DirectoryError> {
    sqlx::query("INSERT INTO people (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(person.to_string())
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    insert_passkey(tx, person, "", passkey, now).await
}

pub(super) async fn insert_membership(
    tx: &mut sqlx::AnyConnection,
    person: PersonId,
    facility: FacilityId,
    role: Role,
    vendor: Option<VendorId>,
) -> Result<(), DirectoryError> {
    sqlx::query(
        "INSERT INTO memberships (person_id, facility_id, role, vendor_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(person.to_string())
    .bind(facility.to_string())
    .bind(role.as_str())
    .bind(vendor.map(|v| v.to_string()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
