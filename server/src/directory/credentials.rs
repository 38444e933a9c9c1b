//! A person's credentials besides the first passkey: more passkeys (a tablet and a phone, say), and one-time
//! recovery codes for when every passkey is lost.

use mamori_shared::model::PersonId;
use sqlx::Row;
use webauthn_rs::prelude::Passkey;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Directory, DirectoryError, hash_secret, parse};

/// How many recovery codes a person gets at once.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code: no 0/O, 1/I to misread. 32 of them, so each random byte's low five bits
/// pick one uniformly; 16 characters carry 80 bits.
const CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const CODE_LEN: usize = 16;

/// One of a person's passkeys, as listed to them.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// What became of a request to remove a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovePasskey {
    Removed,
    /// Not one of this person's passkeys.
    Unknown,
    /// The last one: removing it would lock the person out.
    Last,
}

/// A recovery code as people type it: upper case, without spaces or hyphens.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub(super) fn new_code() -> String {
    let mut bytes = [0u8; CODE_LEN];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    let raw: String = bytes
        .iter()
        .map(|b| CODE_ALPHABET[(b & 31) as usize] as char)
        .collect();
    // Shown in groups of four: XXXX-XXXX-XXXX-XXXX.
    raw.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect::<Vec<_>>()
        .join("-")
}

impl Directory {
    pub async fn passkey_list(&self, person: PersonId) -> Result<Vec<PasskeyInfo>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT credential_id, name, created_at, last_used_at FROM passkeys WHERE person_id = $1 ORDER BY created_at",
        )
        .bind(person.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PasskeyInfo {
                id: r.get(0),
                name: r.get(1),
                created_at: r.get(2),
                last_used_at: r.get(3),
            })
            .collect())
    }

    /// Adds a passkey to a person.
    pub async fn add_passkey(
        &self,
        person: PersonId,
        name: &str,
        passkey: &Passkey,
        now: i64,
    ) -> Result<(), DirectoryError> {
        let mut conn = self.pool.acquire().await?;
        insert_passkey(&mut conn, person, name, passkey, now).await
    }

    /// Removes one of a person's passkeys, never the last.
    pub async fn remove_passkey(
        &self,
        person: PersonId,
        id: &str,
    ) -> Result<RemovePasskey, DirectoryError> {
        let mut tx = crate::db::write_tx(&self.pool).await?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT credential_id FROM passkeys WHERE person_id = $1")
                .bind(person.to_string())
                .fetch_all(&mut *tx)
                .await?;
        if !ids.iter().any(|i| i == id) {
            return Ok(RemovePasskey::Unknown);
        }
        if ids.len() == 1 {
            return Ok(RemovePasskey::Last);
        }
        sqlx::query("DELETE FROM passkeys WHERE person_id = $1 AND credential_id = $2")
            .bind(person.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(RemovePasskey::Removed)
    }

    /// Replaces a person's unused recovery codes with new ones; returns them (shown once, stored as hashes).
    pub async fn new_recovery_codes(
        &self,
        person: PersonId,
        now: i64,
    ) -> Result<Vec<String>, DirectoryError> {
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_code()).collect();
        let mut tx = crate::db::write_tx(&self.pool).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE person_id = $1 AND used_at IS NULL")
            .bind(person.to_string())
            .execute(&mut *tx)
            .await?;
        for code in &codes {
            sqlx::query(
                "INSERT INTO recovery_codes (code_hash, person_id, created_at) VALUES ($1, $2, $3)",
            )
            .bind(hash_secret(&normalise_code(code)))
            .bind(person.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(codes)
    }

    /// How many unused recovery codes a person has.
    pub async fn recovery_codes_left(&self, person: PersonId) -> Result<i64, DirectoryError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE person_id = $1 AND used_at IS NULL",
        )
        .bind(person.to_string())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Uses a recovery code: its person, if it was unused and the person is not disabled. A code works once.
    pub async fn use_recovery_code(
        &self,
        code: &str,
        now: i64,
    ) -> Result<Option<PersonId>, DirectoryError> {
        let code = normalise_code(code);
        if code.len() != CODE_LEN {
            return Ok(None);
        }
        let row = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND person_id IN (SELECT id FROM people WHERE disabled_at IS NULL) RETURNING person_id",
        )
        .bind(now)
        .bind(hash_secret(&code))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| parse(r.get::<&str, _>(0), "person id", PersonId::parse))
            .transpose()
    }
}

impl Directory {
    pub async fn passkeys(&self, person: PersonId) -> Result<Vec<Passkey>, DirectoryError> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT passkey FROM passkeys WHERE person_id = $1")
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
        sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE credential_id = $3")
            .bind(json)
            .bind(now)
            .bind(credential_key(passkey))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The key a passkey is stored under: its credential id, base64url.
fn credential_key(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())
}

pub(crate) async fn insert_passkey(
    tx: &mut sqlx::AnyConnection,
    person: PersonId,
    name: &str,
    passkey: &Passkey,
    now: i64,
) -> Result<(), DirectoryError> {
    let json =
        serde_json::to_string(passkey).map_err(|e| DirectoryError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO passkeys (credential_id, person_id, passkey, created_at, name) VALUES ($1, $2, $3, $4, $5)",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_unambiguous_characters_in_groups_and_typing_is_forgiven() {
        let code = new_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        let raw = normalise_code(&code);
        assert_eq!(raw.len(), CODE_LEN);
        assert!(raw.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_eq!(normalise_code(&code.to_lowercase().replace('-', " ")), raw);
        assert_ne!(new_code(), code);
    }
}
