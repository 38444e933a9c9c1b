//! 年次確認の確定: the server's Ed25519 key (in the database, so backups and several instances share it),
//! signing a seal's canonical text (`mamori_shared::seal`) and checking one read back from a printed binder.

use mamori_shared::seal::{self, SealError};
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SealKeyError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the seal key could not be made or read: {0}")]
    Key(String),
}

/// The server's signing key.
pub struct SealKey {
    pair: Ed25519KeyPair,
    /// The first 16 hex digits of the public key's SHA-256: printed beside each seal.
    pub id: String,
}

impl SealKey {
    /// The key in the database, made (once) if there is none.
    pub async fn load_or_make(pool: &AnyPool, now: i64) -> Result<SealKey, SealKeyError> {
        if let Some(key) = SealKey::load(pool).await? {
            return Ok(key);
        }
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|e| SealKeyError::Key(e.to_string()))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|e| SealKeyError::Key(e.to_string()))?;
        let public = pair.public_key().as_ref().to_vec();
        // Two first uses at once: the first row wins, and both read it back.
        sqlx::query(
            "INSERT INTO seal_keys (id, pkcs8, public_key, created_at) SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM seal_keys) ON CONFLICT DO NOTHING",
        )
        .bind(key_id(&public))
        .bind(pkcs8.as_ref())
        .bind(&public)
        .bind(now)
        .execute(pool)
        .await?;
        SealKey::load(pool)
            .await?
            .ok_or_else(|| SealKeyError::Key("no key after making one".into()))
    }

    async fn load(pool: &AnyPool) -> Result<Option<SealKey>, SealKeyError> {
        let row: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT id, pkcs8 FROM seal_keys ORDER BY created_at LIMIT 1")
                .fetch_optional(pool)
                .await?;
        row.map(|(id, pkcs8)| {
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
                .map(|pair| SealKey { pair, id })
                .map_err(|e| SealKeyError::Key(e.to_string()))
        })
        .transpose()
    }

    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The signature over a seal's canonical text.
    pub fn sign(&self, text: &str) -> Vec<u8> {
        self.pair.sign(text.as_bytes()).as_ref().to_vec()
    }
}

impl seal::Verifier for SealKey {
    fn verifies(&self, key_id: &str, text: &str, signature: &[u8]) -> bool {
        key_id == self.id
            && UnparsedPublicKey::new(&ED25519, self.public_key())
                .verify(text.as_bytes(), signature)
                .is_ok()
    }
}

/// The id printed beside a seal: the first 16 hex digits of the public key's SHA-256.
pub fn key_id(public: &[u8]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

/// Whether a seal read back from print (`pdftotext` of the binder) was signed by `public` over exactly its
/// text. Returns the canonical text on success.
pub fn verify_printed(printed: &str, public: &[u8]) -> Result<Result<String, String>, SealError> {
    let (text, key, signature) = seal::read_printed(printed)?;
    if key != key_id(public) {
        return Ok(Err(format!(
            "signed by key {key}, not by this server's key {}",
            key_id(public)
        )));
    }
    Ok(UnparsedPublicKey::new(&ED25519, public)
        .verify(text.as_bytes(), &signature)
        .map(|()| text)
        .map_err(|_| {
            "the signature does not match the text: it was changed after sealing".to_string()
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_printed_seal_verifies_and_a_tampered_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::sql::SqlStore::open(dir.path()).await.unwrap();
        let key = SealKey::load_or_make(&store.pool(), 1).await.unwrap();
        // Made once: the same key next time.
        let again = SealKey::load_or_make(&store.pool(), 2).await.unwrap();
        assert_eq!(key.public_key(), again.public_key());
        let text = "mamori-seal 1\nitem 1-① yes 2026-06-01 -\nsealed 5\n";
        let printed = seal::printed(text, &key.id, &key.sign(text));
        assert_eq!(
            verify_printed(&printed, key.public_key()).unwrap(),
            Ok(text.to_string())
        );
        let tampered = printed.replace("1-① yes", "1-① no");
        assert!(
            verify_printed(&tampered, key.public_key())
                .unwrap()
                .is_err()
        );
        let other = SealKey::load_or_make(
            &crate::store::sql::SqlStore::open(tempfile::tempdir().unwrap().path())
                .await
                .unwrap()
                .pool(),
            1,
        )
        .await
        .unwrap();
        assert!(
            verify_printed(&printed, other.public_key())
                .unwrap()
                .is_err()
        );
    }
}
