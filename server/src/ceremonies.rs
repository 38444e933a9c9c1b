//! WebAuthn ceremonies in progress and the sign-in attempt counters: what a flood of unauthenticated
//! requests could make the server keep, each bounded per client and in all.
//!
//! A ceremony (register, sign in, add a passkey, prove one again) is two calls: `start` returns WebAuthn
//! options and a ceremony id, the browser asks the authenticator (user verification required), and `finish`
//! checks the answer against the state kept here, in memory, for five minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use mamori_shared::model::{DocumentId, FacilityId, PersonId};
use webauthn_rs::prelude::{PasskeyAuthentication, PasskeyRegistration};

use crate::error::{ApiError, bad};

const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// A ceremony waiting for the browser's answer.
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

/// Ceremonies in progress, by id, with the client that started each.
#[derive(Default)]
pub struct Ceremonies(Mutex<HashMap<String, (Pending, Instant, String)>>);

impl Ceremonies {
    /// Keeps `pending` for `client`; refused when that client, or everyone, holds too many already.
    pub(crate) fn put(&self, client: &str, pending: Pending) -> Result<String, ApiError> {
        let mut all = self.0.lock().expect("ceremonies lock");
        all.retain(|_, (_, at, _)| at.elapsed() < CEREMONY_TTL);
        let mine = all.values().filter(|(_, _, c)| c == client).count();
        if mine >= MAX_CEREMONIES_PER_CLIENT {
            return Err(bad(
                StatusCode::TOO_MANY_REQUESTS,
                "進行中の手続きが多すぎます。しばらく待ってください (too many ceremonies in progress: wait a few minutes)",
            ));
        }
        if all.len() >= MAX_CEREMONIES {
            tracing::warn!(held = all.len(), "ceremony limit reached");
            return Err(bad(
                StatusCode::SERVICE_UNAVAILABLE,
                "混み合っています。しばらく待ってください (busy: try again in a few minutes)",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        all.insert(id.clone(), (pending, Instant::now(), client.to_string()));
        Ok(id)
    }

    pub(crate) fn take(&self, id: &str) -> Option<Pending> {
        let (pending, at, _) = self.0.lock().expect("ceremonies lock").remove(id)?;
        (at.elapsed() < CEREMONY_TTL).then_some(pending)
    }

    /// How many are held now (tests and the health page).
    pub fn len(&self) -> usize {
        self.0.lock().expect("ceremonies lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Sign-in attempts allowed per person from one client in [`ATTEMPT_WINDOW`].
const MAX_ATTEMPTS: u32 = 10;

/// Sign-in attempts allowed from one client, for everyone together: a clinic's staff behind one address
/// all sign in at the start of a shift.
pub const MAX_ATTEMPTS_PER_CLIENT: u32 = 60;

const ATTEMPT_WINDOW: Duration = Duration::from_secs(300);

/// Counts sign-in attempts per key (an account, an address) in fixed windows.
#[derive(Default)]
pub struct Attempts(Mutex<HashMap<String, (u32, Instant)>>);

impl Attempts {
    /// Records an attempt; `false` once the key has used up its window.
    pub(crate) fn allow(&self, key: &str) -> bool {
        self.allow_n(key, MAX_ATTEMPTS)
    }

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
