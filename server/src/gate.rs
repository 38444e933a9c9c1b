//! Who is on a sync connection, and what they may do with each document: decided from the server's
//! directory at the upgrade, and again whenever that person's records change (a role change, disabling,
//! signing out elsewhere), so a change takes effect on open connections at once.

use axum::http::{HeaderMap, StatusCode, header};
use mamori_shared::access::{Access, Membership, access};
use mamori_shared::model::{DocumentId, PersonId};

use crate::AppState;
use crate::directory::DirectoryError;
use crate::routes::auth::{now_ms, session_token};

/// Who is connected.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The server runs with `--open-sync` (development, benchmarks): every peer may open every document.
    Open,
    /// A person signed in with a passkey, by the session behind the connection.
    Person { id: PersonId, session: String },
    /// A non-browser client with an API token a 管理者 issued (scoped to one facility and role).
    Token { id: String, secret: String },
}

/// Whose records changed, announced to open connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Person(PersonId),
    Token(String),
}

/// A connection's standing: who, and their memberships as of the last check.
pub struct Gate {
    pub principal: Principal,
    /// The person's (or token's) name, for the access log.
    pub name: String,
    memberships: Vec<Membership>,
}

/// Why a connection was not accepted: the status and a message for the person.
pub struct Refusal(pub StatusCode, pub String);

impl Gate {
    /// Checks a WebSocket upgrade: the Origin, when a browser sends one, must be this server's; with sign-in
    /// required, the session cookie must be live.
    pub async fn for_upgrade(
        state: &AppState,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Result<Gate, Refusal> {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let expected = public_origin(&state.config.public_url);
            if origin.to_str().ok() != Some(expected.as_str()) {
                return Err(Refusal(
                    StatusCode::FORBIDDEN,
                    format!("sync from another origin is not allowed (expected {expected})"),
                ));
            }
        }
        if !state.config.require_sign_in() {
            return Ok(Gate {
                principal: Principal::Open,
                name: String::new(),
                memberships: Vec::new(),
            });
        }
        let unauthorised = || {
            Refusal(
                StatusCode::UNAUTHORIZED,
                "サインインしてください (sign in to sync)".into(),
            )
        };
        let internal =
            |e: DirectoryError| Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        if let Some(secret) = bearer(headers, query) {
            let token = state
                .directory
                .token(&secret)
                .await
                .map_err(internal)?
                .ok_or_else(|| {
                    Refusal(
                        StatusCode::UNAUTHORIZED,
                        "this token is unknown or revoked".into(),
                    )
                })?;
            return Ok(Gate {
                principal: Principal::Token {
                    id: token.id,
                    secret,
                },
                name: token.name,
                memberships: vec![token.membership],
            });
        }
        let token = session_token(state, headers).ok_or_else(unauthorised)?;
        let session = state
            .directory
            .session(&token, state.config.session_limits(), now_ms())
            .await
            .map_err(|e| Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .ok_or_else(unauthorised)?;
        let memberships = state
            .directory
            .memberships(session.person)
            .await
            .map_err(|e| Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(Gate {
            principal: Principal::Person {
                id: session.person,
                session: token,
            },
            name: session.name,
            memberships,
        })
    }

    pub fn person(&self) -> Option<PersonId> {
        match &self.principal {
            Principal::Person { id, .. } => Some(*id),
            Principal::Open | Principal::Token { .. } => None,
        }
    }

    /// The owner key actor ids are claimed under (`person:<id>`, `token:<id>`); `None` on an open server.
    pub fn owner(&self) -> Option<String> {
        match &self.principal {
            Principal::Person { id, .. } => Some(format!("person:{id}")),
            Principal::Token { id, .. } => Some(format!("token:{id}")),
            Principal::Open => None,
        }
    }

    /// Whether an announced change concerns this connection.
    pub fn concerns(&self, subject: &Subject) -> bool {
        match (&self.principal, subject) {
            (Principal::Person { id, .. }, Subject::Person(p)) => id == p,
            (Principal::Token { id, .. }, Subject::Token(t)) => id == t,
            _ => false,
        }
    }

    /// Whether anything can change for this connection (an open server never re-checks).
    pub fn checked(&self) -> bool {
        !matches!(self.principal, Principal::Open)
    }

    /// Reads the person's records again; `false` when the connection must end (session over, disabled).
    pub async fn refresh(&mut self, state: &AppState) -> Result<bool, DirectoryError> {
        if let Principal::Token { secret, .. } = &self.principal {
            return Ok(match state.directory.token(secret).await? {
                Some(token) => {
                    self.memberships = vec![token.membership];
                    true
                }
                None => false,
            });
        }
        let Principal::Person { id, session } = &self.principal else {
            return Ok(true);
        };
        let live = state
            .directory
            .session(session, state.config.session_limits(), now_ms())
            .await?
            .is_some_and(|s| s.person == *id);
        if !live {
            return Ok(false);
        }
        self.memberships = state.directory.memberships(*id).await?;
        Ok(!self.memberships.is_empty())
    }

    /// What this connection may do with a document. Documents the server has no record of are no one's
    /// (a device registers a new document before syncing it).
    pub async fn access(
        &self,
        state: &AppState,
        doc: DocumentId,
    ) -> Result<Access, DirectoryError> {
        match self.principal {
            Principal::Open => Ok(Access::Write),
            Principal::Person { .. } | Principal::Token { .. } => {
                Ok(match state.directory.document(doc).await? {
                    Some(info) => access(&self.memberships, &info),
                    None => Access::None,
                })
            }
        }
    }
}

/// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
fn public_origin(public_url: &str) -> String {
    match url::Url::parse(public_url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => public_url.trim_end_matches('/').to_string(),
    }
}

/// An API token from `Authorization: Bearer …`, or from `?token=…` (browser-style WebSocket clients, such as
/// automerge-repo's adapter, cannot set headers).
fn bearer(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(v.trim().to_string());
    }
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(str::to_string)
}
