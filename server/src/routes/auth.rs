//! `/api/...`: registering a facility with its first administrator, invitations, passkey sign-in and
//! sign-out, and who am I. Every handler checks on the server what the caller may do; the UI only follows.
//!
//! A ceremony (register or sign in) is two calls: `start` returns WebAuthn options and a ceremony id, the
//! browser asks the authenticator (user verification required: possession plus biometrics or PIN), and
//! `finish` checks the answer against the state kept here. Ceremony states live in memory for five minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::access::Role;
use mamori_shared::model::{DocumentId, FacilityId, FacilityKind, PersonId, VendorId};
use serde::Deserialize;
use serde_json::{Value, json};
use webauthn_rs::prelude::{
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
};

use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::directory::{NewFacility, Session};
use crate::error::{ApiError, bad};
use crate::gate::Subject;
use crate::gate::http::{Admin, Client, Limited, SignedIn};
use crate::gate::http::{cookie_name, now_ms, session_token};

const CEREMONY_TTL: Duration = Duration::from_secs(300);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities/register/start", post(register_start))
        .route("/api/facilities/register/finish", post(register_finish))
        .route("/api/invitations/{token}", get(invitation_info))
        .route("/api/invitations/{token}/start", post(invitation_start))
        .route("/api/invitations/{token}/finish", post(invitation_finish))
        .route("/api/invitations/{token}/accept", post(invitation_accept))
        .route("/api/signin/start", post(signin_start))
        .route("/api/signin/finish", post(signin_finish))
        .route("/api/signout", post(signout))
        .route("/api/me", get(me))
        .route("/api/sessions", get(sessions))
        .route("/api/sessions/{id}", axum::routing::delete(end_session))
        .route("/api/facilities/{facility}/invitations", post(invite))
        .route(
            "/api/facilities/{facility}/invitations/{id}",
            axum::routing::delete(revoke),
        )
}

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
    pub(super) fn put(&self, client: &str, pending: Pending) -> Result<String, ApiError> {
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

    pub(super) fn take(&self, id: &str) -> Option<Pending> {
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
    pub(super) fn allow(&self, key: &str) -> bool {
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

pub(super) fn with_session_cookie(state: &AppState, token: &str, body: Value) -> Response {
    let secure = if state.config.https() { "; Secure" } else { "" };
    let cookie = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(state)
    );
    let mut response = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// An access-log event by the signed-in person, from this request's device.
pub fn logged(kind: Kind, session: &Session, headers: &HeaderMap) -> Event {
    Event::new(kind)
        .by(session.person, &session.name)
        .device(&device_of(headers))
}

pub fn device_of(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown device")
        .chars()
        .take(200)
        .collect()
}

pub(super) fn name_ok(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "名前を1〜100文字で入力してください (name: 1 to 100 characters)",
        ));
    }
    Ok(name.to_string())
}

#[derive(Deserialize)]
struct RegisterStart {
    facility_id: FacilityId,
    facility_name: String,
    kind: String,
    index_doc: DocumentId,
    person_name: String,
    /// The one-time registration code from whoever runs the server.
    #[serde(default)]
    code: String,
}

fn no_code() -> ApiError {
    bad(
        StatusCode::FORBIDDEN,
        "登録コードが正しくないか、使用済みか、期限切れです。サーバーの管理者に発行を依頼してください \
         (a valid registration code is needed: ask whoever runs the server for `mamori-server registration-code`)",
    )
}

async fn register_start(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    Json(req): Json<RegisterStart>,
) -> Result<Json<Value>, ApiError> {
    let person_name = name_ok(&req.person_name)?;
    let facility_name = name_ok(&req.facility_name)?;
    let kind = FacilityKind::parse(&req.kind).ok_or_else(|| {
        bad(
            StatusCode::BAD_REQUEST,
            "施設の種類が正しくありません (unknown facility kind)",
        )
    })?;
    if req.code.len() > 64
        || !state
            .directory
            .registration_code_valid(&req.code, now_ms())
            .await?
    {
        tracing::warn!(%client, "facility registration without a valid code");
        return Err(no_code());
    }
    if state
        .directory
        .facility_name(req.facility_id)
        .await?
        .is_some()
    {
        return Err(bad(
            StatusCode::CONFLICT,
            "この施設は登録済みです。管理者に招待を依頼してください (already registered)",
        ));
    }
    let person = PersonId::generate();
    let (options, reg) = start_registration(&state, person, &person_name)?;
    let ceremony = state.ceremonies.put(
        &client,
        Pending::Register {
            facility: req.facility_id,
            name: facility_name,
            kind: kind.as_str().to_string(),
            index_doc: req.index_doc,
            person,
            person_name,
            state: reg,
            code: req.code,
        },
    )?;
    Ok(Json(json!({ "ceremony": ceremony, "options": options })))
}

fn person_uuid(p: PersonId) -> uuid::Uuid {
    uuid::Uuid::parse_str(&p.to_string()).expect("person ids are UUIDs")
}

#[derive(Deserialize)]
struct RegisterFinish {
    ceremony: String,
    credential: RegisterPublicKeyCredential,
}

async fn register_finish(
    State(state): State<AppState>,
    _limited: Limited,
    headers: HeaderMap,
    Json(req): Json<RegisterFinish>,
) -> Result<Response, ApiError> {
    let Some(Pending::Register {
        facility,
        name,
        kind,
        index_doc,
        person,
        person_name,
        state: reg,
        code,
    }) = state.ceremonies.take(&req.ceremony)
    else {
        return Err(expired_ceremony());
    };
    let passkey = finish_registration(&state, &req.credential, &reg)?;
    let now = now_ms();
    // Spent here, once: two registrations racing on one code get one facility.
    if !state
        .directory
        .use_registration_code(&code, facility, now)
        .await?
    {
        return Err(no_code());
    }
    state
        .directory
        .register_facility(
            &NewFacility {
                id: facility,
                name: &name,
                kind: &kind,
                index_doc,
            },
            person,
            &person_name,
            &passkey,
            now,
        )
        .await
        .map_err(|e| bad(StatusCode::CONFLICT, e.to_string()))?;
    tracing::info!(%facility, %person, "facility registered");
    state
        .log
        .record(
            Event::new(Kind::SignIn)
                .by(person, &person_name)
                .at_facility(facility)
                .device(&device_of(&headers))
                .detail("施設をサーバーに登録し、最初の管理者としてサインイン (registered the facility)"),
        )
        .await;
    let token = state
        .directory
        .start_session(person, &device_of(&headers), now)
        .await?;
    Ok(with_session_cookie(
        &state,
        &token,
        json!({ "person_id": person, "name": person_name }),
    ))
}

/// Checks the browser's answer to a registration ceremony: the new passkey.
pub(super) fn finish_registration(
    state: &AppState,
    credential: &RegisterPublicKeyCredential,
    reg: &PasskeyRegistration,
) -> Result<webauthn_rs::prelude::Passkey, ApiError> {
    state
        .webauthn
        .finish_passkey_registration(credential, reg)
        .map_err(|e| {
            bad(
                StatusCode::BAD_REQUEST,
                format!("パスキーを確認できません ({e})"),
            )
        })
}

/// Starts a passkey registration for a new person.
fn start_registration(
    state: &AppState,
    person: PersonId,
    name: &str,
) -> Result<
    (
        webauthn_rs::prelude::CreationChallengeResponse,
        PasskeyRegistration,
    ),
    ApiError,
> {
    state
        .webauthn
        .start_passkey_registration(person_uuid(person), name, name, None)
        .map_err(|e| bad(StatusCode::BAD_REQUEST, e.to_string()))
}

pub(super) fn expired_ceremony() -> ApiError {
    bad(
        StatusCode::BAD_REQUEST,
        "時間切れです。もう一度お試しください (the ceremony expired)",
    )
}

async fn invitation_info(
    State(state): State<AppState>,
    _limited: Limited,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match state.directory.invitation(&token, now_ms()).await? {
        Ok(i) => Ok(Json(json!({
            "facility_name": i.facility_name,
            "role": i.role,
            "name": i.name,
            "expires_at": i.expires_at,
        }))),
        Err(problem) => Err(bad(StatusCode::GONE, problem.to_string())),
    }
}

#[derive(Deserialize)]
struct InvitationStart {
    person_name: String,
}

async fn invitation_start(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    Path(token): Path<String>,
    Json(req): Json<InvitationStart>,
) -> Result<Json<Value>, ApiError> {
    let person_name = name_ok(&req.person_name)?;
    if let Err(problem) = state.directory.invitation(&token, now_ms()).await? {
        return Err(bad(StatusCode::GONE, problem.to_string()));
    }
    let person = PersonId::generate();
    let (options, reg) = start_registration(&state, person, &person_name)?;
    let ceremony = state.ceremonies.put(
        &client,
        Pending::Invitation {
            token,
            person,
            person_name,
            state: reg,
        },
    )?;
    Ok(Json(json!({ "ceremony": ceremony, "options": options })))
}

async fn invitation_finish(
    State(state): State<AppState>,
    _limited: Limited,
    Path(token): Path<String>,
    headers: HeaderMap,
    Json(req): Json<RegisterFinish>,
) -> Result<Response, ApiError> {
    let Some(Pending::Invitation {
        token: for_token,
        person,
        person_name,
        state: reg,
    }) = state.ceremonies.take(&req.ceremony)
    else {
        return Err(expired_ceremony());
    };
    if for_token != token {
        return Err(expired_ceremony());
    }
    let passkey = finish_registration(&state, &req.credential, &reg)?;
    let now = now_ms();
    let invitation = state
        .directory
        .accept_invitation(&token, person, &person_name, &passkey, now)
        .await?
        .map_err(|problem| bad(StatusCode::GONE, problem.to_string()))?;
    tracing::info!(facility = %invitation.facility, %person, role = invitation.role.as_str(), "invitation accepted");
    state
        .log
        .record(
            Event::new(Kind::Joined)
                .by(person, &person_name)
                .at_facility(invitation.facility)
                .device(&device_of(&headers))
                .detail(format!("招待で参加: {}", invitation.role.label_ja())),
        )
        .await;
    let token = state
        .directory
        .start_session(person, &device_of(&headers), now)
        .await?;
    Ok(with_session_cookie(
        &state,
        &token,
        json!({ "person_id": person, "name": person_name }),
    ))
}

/// Accepts an invitation with the signed-in account (one account across the facilities a vendor serves).
async fn invitation_accept(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let invitation = state
        .directory
        .accept_invitation_as(&token, session.person, now_ms())
        .await?
        .map_err(|problem| bad(StatusCode::GONE, problem.to_string()))?;
    tracing::info!(facility = %invitation.facility, person = %session.person, role = invitation.role.as_str(), "invitation accepted by an existing account");
    state
        .log
        .record(
            logged(Kind::Joined, &session, &headers)
                .at_facility(invitation.facility)
                .detail(format!(
                    "招待で参加 (既存のアカウント): {}",
                    invitation.role.label_ja()
                )),
        )
        .await;
    // Open connections pick up the new membership.
    let _ = state.people_changed.send(Subject::Person(session.person));
    Ok(Json(
        json!({ "person_id": session.person, "facility": invitation.facility }),
    ))
}

#[derive(Deserialize)]
struct SignInStart {
    person_id: PersonId,
}

async fn signin_start(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    Json(req): Json<SignInStart>,
) -> Result<Json<Value>, ApiError> {
    // Counted per person *from this client*, and per client: a stranger elsewhere cannot use up a person's
    // attempts and lock them out (a passkey cannot be guessed anyway; this bounds the work).
    let by_account = state
        .attempts
        .allow(&format!("person:{}@{client}", req.person_id));
    let by_address = state
        .attempts
        .allow_n(&format!("address:{client}"), MAX_ATTEMPTS_PER_CLIENT);
    if !(by_account && by_address) {
        tracing::warn!(person = %req.person_id, %client, "sign-in attempts rate-limited");
        state
            .log
            .record_failure(
                &client,
                Event::new(Kind::SignInFailed)
                    .by(req.person_id, "")
                    .device(&client)
                    .detail("試行回数の上限 (rate limited)"),
            )
            .await;
        return Err(bad(
            StatusCode::TOO_MANY_REQUESTS,
            "サインインの試行が多すぎます。5分ほど待ってください (too many attempts: wait a few minutes)",
        ));
    }
    let passkeys = state.directory.passkeys(req.person_id).await?;
    // The same answer for an unknown person and one without passkeys: nothing to learn by probing.
    if passkeys.is_empty() {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "この端末の利用者として登録されていません (unknown person)",
        ));
    }
    let person = req.person_id;
    start_authentication(&state, &client, &passkeys, |auth| Pending::SignIn {
        person,
        state: auth,
    })
}

/// Starts a passkey authentication against `passkeys`, keeping the ceremony as `pending` makes it.
pub(super) fn start_authentication(
    state: &AppState,
    client: &str,
    passkeys: &[webauthn_rs::prelude::Passkey],
    pending: impl FnOnce(PasskeyAuthentication) -> Pending,
) -> Result<Json<Value>, ApiError> {
    let (options, auth) = state
        .webauthn
        .start_passkey_authentication(passkeys)
        .map_err(|e| bad(StatusCode::BAD_REQUEST, e.to_string()))?;
    let ceremony = state.ceremonies.put(client, pending(auth))?;
    Ok(Json(json!({ "ceremony": ceremony, "options": options })))
}

/// The browser's answer to an authentication ceremony (sign-in, re-authentication).
#[derive(Deserialize)]
pub(super) struct AuthFinish {
    pub ceremony: String,
    pub credential: PublicKeyCredential,
}

async fn signin_finish(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    headers: HeaderMap,
    Json(req): Json<AuthFinish>,
) -> Result<Response, ApiError> {
    let Some(Pending::SignIn {
        person,
        state: auth,
    }) = state.ceremonies.take(&req.ceremony)
    else {
        return Err(expired_ceremony());
    };
    let name = state
        .directory
        .person_name(person)
        .await?
        .unwrap_or_default();
    let event = |kind| {
        Event::new(kind)
            .by(person, &name)
            .device(&device_of(&headers))
    };
    if let Err(e) = prove_passkey(&state, person, &req.credential, &auth).await {
        state
            .log
            .record_failure(
                &client,
                event(Kind::SignInFailed).detail("パスキーを確認できない (passkey check failed)"),
            )
            .await;
        return Err(e);
    }
    let now = now_ms();
    if state.directory.memberships(person).await?.is_empty() {
        state
            .log
            .record_failure(
                &client,
                event(Kind::SignInFailed).detail("無効なアカウント (disabled account)"),
            )
            .await;
        return Err(bad(
            StatusCode::FORBIDDEN,
            "このアカウントは無効です (this account is disabled)",
        ));
    }
    let token = state
        .directory
        .start_session(person, &device_of(&headers), now)
        .await?;
    state.log.record(event(Kind::SignIn)).await;
    Ok(with_session_cookie(
        &state,
        &token,
        json!({ "person_id": person }),
    ))
}

/// Checks the browser's answer to an authentication ceremony and stores the passkey's new counter.
pub(super) async fn prove_passkey(
    state: &AppState,
    person: PersonId,
    credential: &PublicKeyCredential,
    auth: &PasskeyAuthentication,
) -> Result<(), ApiError> {
    let result = state
        .webauthn
        .finish_passkey_authentication(credential, auth)
        .map_err(|e| {
            tracing::warn!(%person, error = %e, "passkey proof failed");
            bad(
                StatusCode::UNAUTHORIZED,
                "パスキーで確認できませんでした (passkey check failed)",
            )
        })?;
    let now = now_ms();
    for mut passkey in state.directory.passkeys(person).await? {
        if passkey.update_credential(&result) == Some(true) {
            state.directory.passkey_used(&passkey, now).await?;
        }
    }
    Ok(())
}

async fn signout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&state, &headers)
        && let Some(session) = state
            .directory
            .session(&token, state.config.session_limits(), now_ms())
            .await?
    {
        state.directory.end_session(&token, now_ms()).await?;
        // Its sync connections end too.
        let _ = state.people_changed.send(Subject::Person(session.person));
        state
            .log
            .record(logged(Kind::SignOut, &session, &headers))
            .await;
    }
    let mut response = Json(json!({ "signed_out": true })).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            cookie_name(&state),
            if state.config.https() { "; Secure" } else { "" }
        ))
        .expect("an ASCII cookie"),
    );
    Ok(response)
}

async fn me(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<Value>, ApiError> {
    let memberships = state.directory.memberships(session.person).await?;
    let mut listed = Vec::new();
    for m in memberships {
        // A vendor's user never sees the facility index (it lists every document): it gets the list of
        // documents it may open there instead.
        let (index, documents) = match (m.role, m.vendor) {
            (Role::Vendor, Some(vendor)) => (
                None,
                state
                    .directory
                    .documents_for_vendor(m.facility, vendor)
                    .await?,
            ),
            _ => (
                state.directory.facility_index(m.facility).await?,
                Vec::new(),
            ),
        };
        listed.push(json!({
            "facility": m.facility,
            "role": m.role,
            "vendor": m.vendor,
            "facility_name": state.directory.facility_name(m.facility).await?,
            "index_doc": index,
            "documents": documents,
        }));
    }
    Ok(Json(json!({
        "person_id": session.person,
        "name": session.name,
        "memberships": listed,
    })))
}

async fn revoke(
    State(state): State<AppState>,
    Admin { session, .. }: Admin,
    Path((facility, id)): Path<(FacilityId, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    if !state
        .directory
        .revoke_invitation(facility, &id, now_ms())
        .await?
    {
        return Err(bad(
            StatusCode::NOT_FOUND,
            "取り消せる招待がありません (no open invitation with this id)",
        ));
    }
    tracing::info!(%facility, by = %session.person, invitation = %id, "invitation revoked");
    state
        .log
        .record(
            logged(Kind::InvitationRevoked, &session, &headers)
                .at_facility(facility)
                .detail(format!("招待 {id}")),
        )
        .await;
    Ok(Json(json!({ "revoked": id })))
}

#[derive(Deserialize)]
struct Invite {
    role: Role,
    vendor_id: Option<VendorId>,
    name: String,
}

async fn invite(
    State(state): State<AppState>,
    admin: Admin,
    Path(facility): Path<FacilityId>,
    headers: HeaderMap,
    Json(req): Json<Invite>,
) -> Result<Json<Value>, ApiError> {
    // Making a new 管理者 grants the most power there is: it needs a fresh passkey proof.
    let session = if req.role == Role::Admin {
        admin.verified(&state)?.session
    } else {
        admin.session
    };
    if (req.role == Role::Vendor) != req.vendor_id.is_some() {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "事業者の招待には事業者を選んでください (a vendor invitation names the vendor)",
        ));
    }
    let name = name_ok(&req.name)?;
    let valid_for = Duration::from_secs(state.config.invitation_days * 24 * 3600);
    let (id, token) = state
        .directory
        .invite(
            facility,
            req.role,
            req.vendor_id,
            &name,
            session.person,
            valid_for,
            now_ms(),
        )
        .await?;
    tracing::info!(%facility, by = %session.person, role = req.role.as_str(), "invitation created");
    state
        .log
        .record(
            logged(Kind::Invited, &session, &headers)
                .at_facility(facility)
                .detail(format!(
                    "{} さんを{}として招待 (invitation {id})",
                    name,
                    req.role.label_ja()
                )),
        )
        .await;
    Ok(Json(json!({
        "id": id,
        "token": token,
        "link": format!("{}/invite/{token}", state.config.public_url.trim_end_matches('/')),
    })))
}

/// My sessions, so I can see where I am signed in and end the ones I do not recognise.
async fn sessions(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let current = session_token(&state, &headers)
        .map(|t| crate::directory::hash_secret(&t)[..16].to_string())
        .unwrap_or_default();
    let list: Vec<Value> = state
        .directory
        .sessions_of(session.person)
        .await?
        .into_iter()
        .map(|(id, device, created, seen)| {
            json!({ "current": id == current, "id": id, "device": device, "signed_in_at": created, "last_used_at": seen })
        })
        .collect();
    Ok(Json(json!({ "sessions": list })))
}

async fn end_session(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    if !state
        .directory
        .end_session_by_id(session.person, &id, now_ms())
        .await?
    {
        return Err(bad(
            StatusCode::NOT_FOUND,
            "このセッションはありません (no such session)",
        ));
    }
    // Its sync connections end too.
    let _ = state.people_changed.send(Subject::Person(session.person));
    state
        .log
        .record(
            logged(Kind::SignOut, &session, &headers)
                .detail(format!("別の端末のセッション {id} を終了")),
        )
        .await;
    Ok(Json(json!({ "ended": id })))
}
