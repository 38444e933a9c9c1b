//! WebAuthn ceremonies in progress and the sign-in attempt counters: what a flood of unauthenticated
//! requests could make the server keep, each bounded per client and in all.
//!
//! A ceremony (register, sign in, add a passkey, prove one again) is two calls: `start` returns WebAuthn
//! options and a ceremony id, the browser asks the authenticator (user verification required), and `finish`
//! checks the answer against the state kept here for five minutes. Both ceremonies and sign-in attempt
//! counters live in the database, not in a process: with several instances behind a balancer, `finish` may
//! reach another instance than `start`, and a limit per address must hold whichever instance counts it. The
//! flood shield of unauthenticated requests ([`Attempts`], used by the `Limited` extractor) stays in memory:
//! it must cost nothing before it refuses, so each instance keeps its own (N instances, N times the budget).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use mamori_shared::model::{DocumentId, FacilityId, PersonId};
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};
use webauthn_rs::prelude::{PasskeyAuthentication, PasskeyRegistration};

use crate::error::{ApiError, bad};

const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// A ceremony waiting for the browser's answer (kept as JSON between the two calls).
#[derive(Serialize, Deserialize)]
pub enum Pending {
    Register {
        facility: FacilityId,
        name: String,
        kind: String,
        index_doc: DocumentId,
        person: PersonId,
        person_name: String,
        state: PasskeyRegistration,
        /// The registration code, used up when the ceremony finishes.
        code: String,
    },
    Invitation {
        token: String,
        person: PersonId,
        person_name: String,
        state: PasskeyRegistration,
    },
    SignIn {
        person: PersonId,
        state: PasskeyAuthentication,
    },
    /// A signed-in person adding another passkey.
    AddPasskey {
        person: PersonId,
        name: String,
        state: PasskeyRegistration,
    },
    /// A signed-in person proving a passkey again before a sensitive change.
    Reauth {
        person: PersonId,
        state: PasskeyAuthentication,
    },
}

/// Ceremonies held at once, by everyone together and by one client (what a flood can make the server keep:
/// each is a few KB, every field of it validated first).
pub const MAX_CEREMONIES: usize = 10_000;

pub const MAX_CEREMONIES_PER_CLIENT: usize = 16;

/// Ceremonies in progress, by id, with the client that started each: rows of the database every instance
/// shares.
pub struct Ceremonies {
    pool: AnyPool,
}

fn database(e: sqlx::Error) -> ApiError {
    ApiError::from(crate::directory::DirectoryError::from(e))
}

impl Ceremonies {
    pub fn new(pool: AnyPool) -> Ceremonies {
        Ceremonies { pool }
    }

    /// Keeps `pending` for `client`; refused when that client, or everyone, holds too many already.
    pub async fn put(&self, client: &str, pending: Pending) -> Result<String, ApiError> {
        let now = crate::clock::now_ms();
        let state = serde_json::to_string(&pending).map_err(|e| {
            ApiError::from(crate::directory::DirectoryError::Corrupt(e.to_string()))
        })?;
        // One writer at a time on SQLite; on PostgreSQL two instances counting at once may each admit one
        // more than the limit (bounded by the number of instances).
        let mut tx = crate::db::write_tx(&self.pool).await.map_err(database)?;
        sqlx::query("DELETE FROM ceremonies WHERE created_at <= $1")
            .bind(now - CEREMONY_TTL.as_millis() as i64)
            .execute(&mut *tx)
            .await
            .map_err(database)?;
        let mine: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ceremonies WHERE client = $1")
            .bind(client)
            .fetch_one(&mut *tx)
            .await
            .map_err(database)?;
        if mine >= MAX_CEREMONIES_PER_CLIENT as i64 {
            return Err(bad(
                StatusCode::TOO_MANY_REQUESTS,
                "進行中の手続きが多すぎます。しばらく待ってください (too many ceremonies in progress: wait a few minutes)",
            ));
        }
        let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ceremonies")
            .fetch_one(&mut *tx)
            .await
            .map_err(database)?;
        if all >= MAX_CEREMONIES as i64 {
            tracing::warn!(held = all, "ceremony limit reached");
            return Err(bad(
                StatusCode::SERVICE_UNAVAILABLE,
                "混み合っています。しばらく待ってください (busy: try again in a few minutes)",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO ceremonies (id, client, created_at, state) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(client)
        .bind(now)
        .bind(state)
        .execute(&mut *tx)
        .await
        .map_err(database)?;
        tx.commit().await.map_err(database)?;
        Ok(id)
    }

    /// Takes a ceremony out (whichever instance started it): `None` if unknown, taken already or too old.
    pub async fn take(&self, id: &str) -> Result<Option<Pending>, ApiError> {
        let row = sqlx::query("DELETE FROM ceremonies WHERE id = $1 RETURNING created_at, state")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let at: i64 = row.get(0);
        if crate::clock::now_ms() - at >= CEREMONY_TTL.as_millis() as i64 {
            return Ok(None);
        }
        let state: String = row.get(1);
        // A row this version cannot read (written by another version mid-upgrade): as if expired.
        Ok(serde_json::from_str(&state).ok())
    }

    /// How many are held now (tests and the health page).
    pub async fn held(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM ceremonies")
            .fetch_one(&self.pool)
            .await
    }
}

/// Sign-in attempts allowed per person from one client in [`ATTEMPT_WINDOW`].
const MAX_ATTEMPTS: u32 = 10;

/// Sign-in attempts allowed from one client, for everyone together: a clinic's staff behind one address
/// all sign in at the start of a shift.
pub const MAX_ATTEMPTS_PER_CLIENT: u32 = 60;

const ATTEMPT_WINDOW: Duration = Duration::from_secs(300);

/// Counts sign-in attempts per key (an account, an address) in fixed windows, in the shared database: a
/// limit holds across instances.
pub struct SignInAttempts {
    pool: AnyPool,
}

impl SignInAttempts {
    pub fn new(pool: AnyPool) -> SignInAttempts {
        SignInAttempts { pool }
    }

    /// Records an attempt; `false` once the key has used up its window.
    pub async fn allow(&self, key: &str) -> Result<bool, ApiError> {
        self.allow_n(key, MAX_ATTEMPTS).await
    }

    /// Records an attempt; `false` once the key has made more than `max` in its window. One statement, so
    /// two instances counting the same key at once both count.
    pub async fn allow_n(&self, key: &str, max: u32) -> Result<bool, ApiError> {
        let now = crate::clock::now_ms();
        let window_opened_after = now - ATTEMPT_WINDOW.as_millis() as i64;
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_attempts (key, count, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN sign_in_attempts.window_start <= $3 THEN 1 ELSE sign_in_attempts.count + 1 END, \
             window_start = CASE WHEN sign_in_attempts.window_start <= $3 THEN $2 ELSE sign_in_attempts.window_start END \
             RETURNING count",
        )
        .bind(key)
        .bind(now)
        .bind(window_opened_after)
        .fetch_one(&self.pool)
        .await
        .map_err(database)?;
        if count == 1 && rand_tenth() {
            // Now and then, forget windows long closed (a flood of distinct keys leaves rows behind).
            let _ = sqlx::query("DELETE FROM sign_in_attempts WHERE window_start <= $1")
                .bind(window_opened_after)
                .execute(&self.pool)
                .await;
        }
        Ok(count <= max as i64)
    }
}

/// True about one time in ten.
fn rand_tenth() -> bool {
    let mut b = [0u8; 1];
    getrandom::fill(&mut b).is_ok() && b[0] < 26
}

/// Counts unauthenticated requests per client in fixed windows, in this process's memory: the flood shield
/// in front of everything else (see the module's comment).
#[derive(Default)]
pub struct Attempts(Mutex<HashMap<String, (u32, Instant)>>);

impl Attempts {
    /// Records an attempt; `false` once the key has made more than `max` in its window.
    pub fn allow_n(&self, key: &str, max: u32) -> bool {
        let mut all = self.0.lock().expect("attempts lock");
        if all.len() > 100_000 {
            all.retain(|_, (_, since)| since.elapsed() < ATTEMPT_WINDOW);
        }
        let entry = all.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= ATTEMPT_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
        entry.0 <= max
    }
}
