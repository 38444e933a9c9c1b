//! The server's records of facilities, people, their roles, passkeys, sessions, invitations and which
//! facility each document belongs to. Access decisions read these and nothing else ([`mamori_shared::access`]
//! holds the rules); no CRDT document can grant anything.
//!
//! Secrets handed to browsers (session and invitation tokens: 256 random bits, base64url) are stored only as
//! SHA-256 hashes, so a copy of the database does not let anyone sign in.

mod actors;
mod credentials;
mod documents;
mod facilities;
mod invitations;
pub mod mail;
mod people;
mod quarantine;
mod registration;
mod sessions;
mod tokens;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mamori_shared::model::VendorId;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use thiserror::Error;

pub use actors::{HELD, held_for};
pub use credentials::{PasskeyInfo, RemovePasskey};
pub use facilities::NewFacility;
pub use invitations::{Invitation, InvitationProblem};
pub use people::PersonRow;
pub use quarantine::{Departure, HandBack, Quarantined};
pub use sessions::{Session, SessionLimits};
pub use tokens::{ApiToken, TokenListing};

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
    #[error("the registration code is not valid (used, expired or unknown)")]
    NoRegistrationCode,
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
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
    pool: AnyPool,
}

impl Directory {
    pub fn new(pool: AnyPool) -> Directory {
        Directory { pool }
    }

    /// The database the directory lives in (the access log shares it).
    pub fn pool(&self) -> AnyPool {
        self.pool.clone()
    }
}
