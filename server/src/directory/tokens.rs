//! API tokens: issued by a 管理者 for a facility with a role and an expiry, listed, revoked (with their issuer).

use mamori_shared::access::{Membership, Role};
use mamori_shared::model::{FacilityId, PersonId, VendorId};
use sqlx::Row;

use super::{Directory, DirectoryError, hash_secret, new_secret, optional_vendor, parse};

/// A live API token.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub membership: Membership,
    pub expires_at: i64,
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
            "INSERT INTO api_tokens (token_hash, id, facility_id, role, vendor_id, name, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
            "SELECT id, name, facility_id, role, vendor_id, expires_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 AND role != 'admin'",
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
            "SELECT t.id, t.name, t.role, t.vendor_id, p.name, t.created_at, t.expires_at FROM api_tokens t JOIN people p ON p.id = t.created_by WHERE t.facility_id = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND t.role != 'admin' ORDER BY t.created_at DESC",
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
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND facility_id = $3 AND revoked_at IS NULL",
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
    pub(super) async fn revoke_tokens_issued_by(
        &self,
        facility: FacilityId,
        person: PersonId,
        now: i64,
    ) -> Result<Vec<String>, DirectoryError> {
        Ok(sqlx::query_scalar(
            "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND facility_id = $3 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(person.to_string())
        .bind(facility.to_string())
        .fetch_all(&self.pool)
        .await?)
    }
}
