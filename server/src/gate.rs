//! Every permission decision the server makes, in one place: who is asking (a session, an API token, an open
//! development server) and what they may do.
//!
//! - HTTP handlers take the extractors of [`http`] ([`http::SignedIn`], [`http::Admin`],
//!   [`http::RecentlyVerified`], [`http::VerifiedAdmin`]) and ask [`may_register_documents`] before a device
//!   registers a document it made.
//! - A sync connection gets a [`Gate`] at the upgrade: who it is, decided again whenever that person's records
//!   change (a role change, disabling, signing out elsewhere), so a change takes effect on open connections
//!   at once. [`Gate::access`] says what it may do with a document (the rules of
//!   [`mamori_shared::access`], and [`Frozen`] documents), [`Gate::owners`] whose each actor id is. The sync
//!   route hands both to the one decide-and-apply step
//!   ([`mamori_shared::sync::ingest::decide_and_apply`]), which refuses a message's changes unless every
//!   one is allowed.
//!
//! Nothing here imports from `routes`.

pub mod http;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::RwLock;

use axum::http::{HeaderMap, StatusCode, header};
use mamori_shared::access::{Access, Membership, access, may_create_documents};
use mamori_shared::model::{DocumentId, FacilityId, PersonId};
use mamori_shared::sync::ingest::Owner;

use crate::AppState;
use crate::clock::now_ms;
use crate::directory::{DirectoryError, SessionLimits};
use crate::session::session_token;

/// Documents that accept no changes from anyone for now (read only), whatever the roles say: set by the
/// operator or a test; later by a sealed annual check.
#[derive(Default)]
pub struct Frozen(RwLock<HashSet<DocumentId>>);

impl Frozen {
    pub fn freeze(&self, doc: DocumentId) {
        self.0.write().expect("frozen lock").insert(doc);
    }

    pub fn thaw(&self, doc: DocumentId) {
        self.0.write().expect("frozen lock").remove(&doc);
    }

    fn contains(&self, doc: DocumentId) -> bool {
        self.0.read().expect("frozen lock").contains(&doc)
    }
}

/// Whether a person may open a document at all (read or write).
pub fn may_open(memberships: &[Membership], doc: &mamori_shared::access::DocumentInfo) -> bool {
    access(memberships, doc) != Access::None
}

/// Whether a person may register new documents (made on a device) for a facility: 管理者 and 担当者.
pub fn may_register_documents(memberships: &[Membership], facility: FacilityId) -> bool {
    may_create_documents(memberships, facility)
}

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
    /// Anyone: what changed is unknown (another instance's notices were missed), so every socket checks.
    Everyone,
}

/// A connection's standing: who, and their memberships as of the last check.
pub struct Gate {
    pub principal: Principal,
    /// The person's (or token's) name, for the access log.
    pub name: String,
    memberships: Vec<Membership>,
    /// When the session behind a person's connection ends unless used (server clock, ms); the socket
    /// checks again then and closes if it has.
    expires_at: Option<i64>,
    /// When this connection last marked its session used (ms).
    used_at: i64,
    /// Actor ids the store says are this principal's: a claim is never undone or handed over, so each is
    /// read from the directory once per connection, not with every change.
    mine: std::collections::HashSet<automerge::ActorId>,
}

/// How often a connection's own changes may mark its session used: at most once a minute (a quarter of the
/// idle limit when that is shorter), so a busy socket costs the directory almost nothing.
fn activity_interval(limits: SessionLimits) -> i64 {
    (limits.idle.as_millis() as i64 / 4).min(60_000)
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
            let expected = public_origin(&state.config.public_url());
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
                expires_at: None,
                used_at: 0,
                mine: Default::default(),
            });
        }
        let unauthorised = || {
            Refusal(
                StatusCode::UNAUTHORIZED,
                "サインインしてください (sign in to sync)".into(),
            )
        };
        // The details go to the server's log, never to whoever knocks.
        let internal = |e: DirectoryError| {
            tracing::error!(error = %e, "cannot read the directory to open a sync connection");
            match &e {
                DirectoryError::Database(d) if crate::error::unavailable(d) => Refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "データベースに接続できません。しばらくしてからもう一度お試しください \
                     (the database is unavailable: try again shortly)"
                        .into(),
                ),
                _ => Refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "サーバーで問題が起きました (server error)".into(),
                ),
            }
        };
        if let Some(Presented { secret, .. }) = presented_token(headers, query)? {
            let token = state
                .directory
                .token(&secret, now_ms())
                .await
                .map_err(internal)?
                .ok_or_else(|| {
                    Refusal(
                        StatusCode::UNAUTHORIZED,
                        "this token is unknown, expired or revoked".into(),
                    )
                })?;
            return Ok(Gate {
                principal: Principal::Token {
                    id: token.id,
                    secret,
                },
                name: token.name,
                memberships: vec![token.membership],
                // A token's socket closes when the token expires.
                expires_at: Some(token.expires_at),
                used_at: 0,
                mine: Default::default(),
            });
        }
        let token = session_token(state, headers).ok_or_else(unauthorised)?;
        let session = state
            .directory
            .session(&token, state.config.session_limits(), now_ms())
            .await
            .map_err(internal)?
            .ok_or_else(unauthorised)?;
        let memberships = state
            .directory
            .memberships(session.person)
            .await
            .map_err(internal)?;
        Ok(Gate {
            principal: Principal::Person {
                id: session.person,
                session: token,
            },
            name: session.name,
            memberships,
            expires_at: Some(session.expires_at),
            used_at: now_ms(),
            mine: Default::default(),
        })
    }

    /// How long until the session behind this connection ends unless it is used (`None`: a token or an open
    /// server, which have no session). The caller checks again ([`Gate::refresh`]) then.
    pub fn expires_in(&self) -> Option<std::time::Duration> {
        self.expires_at
            .map(|at| std::time::Duration::from_millis((at - now_ms()).max(0) as u64))
    }

    /// The connection's person just sent their own changes: that counts as using the session (recorded at
    /// most once a minute). `false` when the session has ended meanwhile.
    pub async fn used(&mut self, state: &AppState) -> Result<bool, DirectoryError> {
        let Principal::Person { session, .. } = &self.principal else {
            return Ok(true);
        };
        let now = now_ms();
        let limits = state.config.session_limits();
        if now - self.used_at < activity_interval(limits) {
            return Ok(true);
        }
        self.used_at = now;
        let live = state.directory.session(session, limits, now).await?;
        self.expires_at = live.as_ref().map(|s| s.expires_at);
        Ok(live.is_some())
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
            (_, Subject::Everyone) => true,
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
            return Ok(match state.directory.token(secret, now_ms()).await? {
                Some(token) => {
                    self.memberships = vec![token.membership];
                    self.expires_at = Some(token.expires_at);
                    true
                }
                None => false,
            });
        }
        let Principal::Person { id, session } = &self.principal else {
            return Ok(true);
        };
        // Looking is not using: a socket's checks never extend its session.
        let live = state
            .directory
            .session_unused(session, state.config.session_limits(), now_ms())
            .await?
            .filter(|s| s.person == *id);
        let Some(live) = live else {
            return Ok(false);
        };
        self.expires_at = Some(live.expires_at);
        self.memberships = state.directory.memberships(*id).await?;
        Ok(!self.memberships.is_empty())
    }

    /// What this connection may do with a document. Documents the server has no record of are no one's
    /// (a device registers a new document before syncing it). A frozen document is read only.
    pub async fn access(
        &self,
        state: &AppState,
        doc: DocumentId,
    ) -> Result<Access, DirectoryError> {
        let level = match self.principal {
            Principal::Open => Access::Write,
            Principal::Person { .. } | Principal::Token { .. } => {
                match state.directory.document(doc).await? {
                    Some(info) => access(&self.memberships, &info),
                    None => Access::None,
                }
            }
        };
        Ok(self.frozen(state, doc, level))
    }

    /// The kind the registry records for `doc` (none on an open development server): what a still empty
    /// document may become, so the first to write a vendor's contribution cannot make it another kind.
    pub async fn registered_kind(
        &self,
        state: &AppState,
        doc: DocumentId,
    ) -> Result<Option<mamori_shared::schema::DocKind>, DirectoryError> {
        Ok(match self.principal {
            Principal::Open => None,
            Principal::Person { .. } | Principal::Token { .. } => state
                .directory
                .document(doc)
                .await?
                .and_then(|info| info.kind),
        })
    }

    /// `level` as it stands now that `doc` may have been frozen (checked on every message: a freeze takes
    /// effect on open connections at once).
    pub fn frozen(&self, state: &AppState, doc: DocumentId, level: Access) -> Access {
        if state.frozen.contains(doc) {
            level.min(Access::Read)
        } else {
            level
        }
    }

    /// Whose each actor id is, for the decide-and-apply step: the sender's, no one's yet, or someone else's
    /// (another person, a token, or held for another person of a shared device). `None` on an open server.
    pub async fn owners(
        &mut self,
        state: &AppState,
        actors: &BTreeSet<automerge::ActorId>,
    ) -> Result<Option<HashMap<automerge::ActorId, Owner>>, DirectoryError> {
        let Some(me) = self.owner() else {
            return Ok(None);
        };
        let mut out = HashMap::with_capacity(actors.len());
        for actor in actors {
            // Migration steps are committed under fixed actors, the same on every device: no one's, never
            // claimed, taken from any writer (the access log names who sent them).
            if mamori_shared::schema::migrate::is_step_actor(actor) {
                out.insert(actor.clone(), Owner::Sender);
                continue;
            }
            if self.mine.contains(actor) {
                out.insert(actor.clone(), Owner::Sender);
                continue;
            }
            let owner = match state.directory.actor_owner(&actor.to_hex_string()).await? {
                None => Owner::Unclaimed,
                Some(holder) if holder == me => {
                    self.mine.insert(actor.clone());
                    Owner::Sender
                }
                Some(_) => Owner::Other,
            };
            out.insert(actor.clone(), owner);
        }
        Ok(Some(out))
    }
}

/// Why a departed person's device may not hand back a document (nothing of it is kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandBackRefusal {
    /// The person never left this document's facility, or left it longer ago than the window.
    OutOfWindow,
    /// They could not write it when they left (a 閲覧者, another vendor's form).
    NotWritable,
    /// A change was made under an actor id that belongs to someone else.
    NotTheirActor,
}

impl HandBackRefusal {
    pub fn message(self) -> &'static str {
        match self {
            HandBackRefusal::OutOfWindow => {
                "この文書を返却できる期間ではありません (nothing to hand back here, or the time to do so has passed)"
            }
            HandBackRefusal::NotWritable => {
                "利用終了の時点で編集できなかった文書です (this person could not edit the document when they left)"
            }
            HandBackRefusal::NotTheirActor => {
                "別の利用者の作成者IDによる変更が含まれています (changes under another person's actor id)"
            }
        }
    }
}

/// Whether a departed person's device may hand back `changes` to the document `info` describes: reads the
/// owners of the changes' actors, then decides by [`hand_back_rule`].
pub async fn may_hand_back(
    state: &AppState,
    departure: &crate::directory::Departure,
    info: &mamori_shared::access::DocumentInfo,
    changes: &[automerge::Change],
    window: std::time::Duration,
) -> Result<Result<(), HandBackRefusal>, DirectoryError> {
    let actors: BTreeSet<_> = changes
        .iter()
        .map(|c| c.actor_id().to_hex_string())
        .collect();
    let mut owners = Vec::with_capacity(actors.len());
    for actor in actors {
        owners.push(state.directory.actor_owner(&actor).await?);
    }
    Ok(hand_back_rule(departure, info, &owners, now_ms(), window))
}

/// The rule for a hand-back to the document `info` describes (registered, or as the changes themselves
/// describe it when the server never had it): within `window` of leaving its facility, to a document the
/// person's role then could write, every change under an actor id that is theirs or no one's (`owners`).
pub fn hand_back_rule(
    departure: &crate::directory::Departure,
    info: &mamori_shared::access::DocumentInfo,
    owners: &[Option<String>],
    now: i64,
    window: std::time::Duration,
) -> Result<(), HandBackRefusal> {
    let left: Vec<Membership> = departure
        .left
        .iter()
        .filter(|(m, at)| m.facility == info.facility && now - at <= window.as_millis() as i64)
        .map(|(m, _)| m.clone())
        .collect();
    if left.is_empty() {
        return Err(HandBackRefusal::OutOfWindow);
    }
    if access(&left, info) != Access::Write {
        return Err(HandBackRefusal::NotWritable);
    }
    let me = format!("person:{}", departure.person);
    if owners.iter().flatten().any(|owner| *owner != me) {
        return Err(HandBackRefusal::NotTheirActor);
    }
    Ok(())
}

/// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
pub(crate) fn public_origin(public_url: &str) -> String {
    match url::Url::parse(public_url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => public_url.trim_end_matches('/').to_string(),
    }
}

/// The WebSocket subprotocol prefix under which a client may present an API token (browser-style clients
/// cannot set headers): `mamori.token.<secret>`, echoed back by the server as the selected protocol.
pub const TOKEN_PROTOCOL: &str = "mamori.token.";

/// An API token as a client presented it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub secret: String,
    /// The `Sec-WebSocket-Protocol` entry it came in, which the upgrade must echo back.
    pub protocol: Option<String>,
}

/// The API token a request presents: `Authorization: Bearer <token>`; `Authorization: Basic` with the token
/// as the password (what Node's `ws` sends for `ws://mamori:TOKEN@host/sync`, as the reference
/// automerge-repo WebSocket adapter does); or a `Sec-WebSocket-Protocol` entry `mamori.token.<token>`.
/// `?token=` is refused: URLs end up in proxies' logs.
pub fn presented_token(
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<Presented>, Refusal> {
    if query.is_some_and(|q| q.split('&').any(|kv| kv.starts_with("token="))) {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "?token= is not accepted (URLs are kept in logs): send the token as `Authorization: Bearer <token>`, \
             as the password in ws://mamori:<token>@host/sync, or as the WebSocket subprotocol mamori.token.<token>"
                .into(),
        ));
    }
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, value) = auth.split_once(' ').unwrap_or((auth, ""));
        let secret = if scheme.eq_ignore_ascii_case("bearer") {
            Some(value.trim().to_string())
        } else if scheme.eq_ignore_ascii_case("basic") {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|pair| {
                    pair.split_once(':')
                        .map(|(_, password)| password.to_string())
                })
        } else {
            None
        };
        let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
            Refusal(
                StatusCode::UNAUTHORIZED,
                "the Authorization header holds no token (Bearer, or Basic with the token as password)".into(),
            )
        })?;
        return Ok(Some(Presented {
            secret,
            protocol: None,
        }));
    }
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| {
            p.strip_prefix(TOKEN_PROTOCOL)
                .map(|secret| (p.to_string(), secret.to_string()))
        });
    Ok(offered.map(|(protocol, secret)| Presented {
        secret,
        protocol: Some(protocol),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    const HELD_OWNER: &str = crate::directory::HELD;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_hand_back_is_held_to_the_window_the_role_and_the_persons_own_actors() {
        use crate::directory::Departure;
        use mamori_shared::access::{DocumentInfo, Role};
        let facility = FacilityId::generate();
        let person = PersonId::generate();
        let day = 24 * 3600 * 1000;
        let window = std::time::Duration::from_millis(30 * day as u64);
        let departure = |role: Role, left_at: i64| Departure {
            person,
            disabled: true,
            left: vec![(
                Membership {
                    facility,
                    role,
                    vendor: None,
                },
                left_at,
            )],
        };
        let doc = DocumentInfo {
            facility,
            form: None,
            kind: None,
            vendor: None,
            shared_with: Vec::new(),
        };
        let now = 100 * day;
        let mine = [Some(format!("person:{person}")), None];
        let staff = departure(Role::Staff, now - day);
        assert_eq!(hand_back_rule(&staff, &doc, &mine, now, window), Ok(()));
        assert_eq!(
            hand_back_rule(
                &departure(Role::Staff, now - 31 * day),
                &doc,
                &mine,
                now,
                window
            ),
            Err(HandBackRefusal::OutOfWindow)
        );
        let elsewhere = DocumentInfo {
            facility: FacilityId::generate(),
            ..doc.clone()
        };
        assert_eq!(
            hand_back_rule(&staff, &elsewhere, &mine, now, window),
            Err(HandBackRefusal::OutOfWindow)
        );
        assert_eq!(
            hand_back_rule(
                &departure(Role::Viewer, now - day),
                &doc,
                &mine,
                now,
                window
            ),
            Err(HandBackRefusal::NotWritable)
        );
        for other in ["person:someone-else", HELD_OWNER] {
            assert_eq!(
                hand_back_rule(&staff, &doc, &[Some(other.to_string())], now, window),
                Err(HandBackRefusal::NotTheirActor)
            );
        }
    }

    #[test]
    fn a_token_is_read_from_bearer_basic_or_a_subprotocol_and_never_from_the_url() {
        let bearer = presented_token(&headers(&[("authorization", "Bearer abc")]), None);
        assert_eq!(bearer.ok().flatten().unwrap().secret, "abc");
        // What Node's `ws` sends for ws://mamori:abc@host/sync.
        let basic = presented_token(
            &headers(&[("authorization", "Basic bWFtb3JpOmFiYw==")]),
            None,
        );
        assert_eq!(basic.ok().flatten().unwrap().secret, "abc");
        let offered = presented_token(
            &headers(&[("sec-websocket-protocol", "other, mamori.token.abc")]),
            None,
        )
        .ok()
        .flatten()
        .unwrap();
        assert_eq!(offered.secret, "abc");
        assert_eq!(offered.protocol.as_deref(), Some("mamori.token.abc"));
        let url = presented_token(&HeaderMap::new(), Some("x=1&token=abc"));
        assert!(matches!(url, Err(Refusal(StatusCode::BAD_REQUEST, m)) if m.contains("Bearer")));
        assert!(presented_token(&headers(&[("authorization", "Basic !!")]), None).is_err());
        assert!(matches!(presented_token(&HeaderMap::new(), None), Ok(None)));
    }
}
