//! One-time registration codes: registering a facility needs one, made by whoever runs the server. There is
//! no exemption for requests from this machine (behind a reverse proxy every client looks local).

use mamori_shared::model::FacilityId;

use super::credentials::{new_code, normalise_code};
use super::{Directory, DirectoryError, hash_secret};

impl Directory {
    /// A new code, valid until `expires_at`; shown once (only its hash is kept).
    pub async fn issue_registration_code(
        &self,
        now: i64,
        expires_at: i64,
    ) -> Result<String, DirectoryError> {
        let code = new_code();
        sqlx::query(
            "INSERT INTO registration_codes (code_hash, created_at, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(hash_secret(&normalise_code(&code)))
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(code)
    }

    /// Whether `code` is unused and unexpired (checked when a registration starts; used when it finishes).
    pub async fn registration_code_valid(
        &self,
        code: &str,
        now: i64,
    ) -> Result<bool, DirectoryError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM registration_codes WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(hash_secret(&normalise_code(code)))
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// How many facilities the server has (a server with none prints a registration code at start).
    pub async fn facility_count(&self) -> Result<i64, DirectoryError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM facilities")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// Spends `code` for `facility` inside the registration's transaction, so that a registration that fails
/// leaves the code unspent; [`DirectoryError::NoRegistrationCode`] if it was used meanwhile or has expired.
/// Two registrations racing on one code get one facility.
pub(super) async fn spend(
    tx: &mut sqlx::AnyConnection,
    code: &str,
    facility: FacilityId,
    now: i64,
) -> Result<(), DirectoryError> {
    let done = sqlx::query(
        "UPDATE registration_codes SET used_at = $1, used_for = $2 WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $4",
    )
    .bind(now)
    .bind(facility.to_string())
    .bind(hash_secret(&normalise_code(code)))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(DirectoryError::NoRegistrationCode);
    }
    Ok(())
}
