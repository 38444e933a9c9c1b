//! A signed-in person's own credentials: re-authentication before sensitive changes, more passkeys, and
//! one-time recovery codes (and signing in with one when every passkey is lost). Adding or removing a
//! passkey and making new codes are themselves sensitive: they need a recent passkey proof.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use mamori_shared::api::{
    AddPasskey, CeremonyStart, PasskeyAdded, PasskeyInfo, PasskeyRemoved, Passkeys,
    Reauthenticated, RecoveryCodeSignIn, RecoveryCodes, RecoveryCodesLeft, SignedInWithCode,
};

use super::passkey::{
    AuthFinish, AuthStarted, RegisterFinish, RegisterStarted, expired_ceremony,
    finish_registration, name_ok, prove_passkey, start_authentication,
};
use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::ceremonies::Pending;
use crate::clock::now_ms;
use crate::directory::{DirectoryError, RemovePasskey};
use crate::error::ApiError;
use crate::gate::Subject;
use crate::gate::http::{Client, Limited, RecentlyVerified, SignedIn};
use crate::session::session_token;
use crate::session::{device_of, logged, with_session_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/reauth/start", post(reauth_start))
        .route("/api/reauth/finish", post(reauth_finish))
        .route("/api/passkeys", get(passkeys))
        .route("/api/passkeys/start", post(add_start))
        .route("/api/passkeys/finish", post(add_finish))
        .route("/api/passkeys/{id}", delete(remove))
        .route("/api/recovery-codes", get(codes_left).post(new_codes))
        .route("/api/signin/recovery", post(sign_in_with_code))
}

fn bad(status: StatusCode, message: &str) -> ApiError {
    ApiError::new(status, message)
}

async fn reauth_start(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<AuthStarted>, ApiError> {
    let passkeys = state.directory.passkeys(session.person).await?;
    let client = format!("person:{}", session.person);
    start_authentication(&state, &client, &passkeys, |auth| Pending::Reauth {
        person: session.person,
        state: auth,
    })
    .await
}

async fn reauth_finish(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    Json(req): Json<AuthFinish>,
) -> Result<Json<Reauthenticated>, ApiError> {
    let Some(Pending::Reauth {
        person,
        state: auth,
    }) = state.ceremonies.take(&req.ceremony).await?
    else {
        return Err(expired_ceremony());
    };
    if person != session.person {
        return Err(expired_ceremony());
    }
    prove_passkey(&state, person, &req.credential, &auth).await?;
    let now = now_ms();
    let token = session_token(&state, &headers).unwrap_or_default();
    state.directory.mark_verified(&token, now).await?;
    tracing::info!(%person, "re-authenticated");
    state
        .log
        .record(logged(Kind::Reauthenticated, &session, &headers))
        .await;
    Ok(Json(Reauthenticated { verified_at: now }))
}

async fn passkeys(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<Passkeys>, ApiError> {
    let passkeys = state
        .directory
        .passkey_list(session.person)
        .await?
        .into_iter()
        .map(|p| PasskeyInfo {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect();
    Ok(Json(Passkeys { passkeys }))
}

async fn add_start(
    State(state): State<AppState>,
    RecentlyVerified(session): RecentlyVerified,
    Json(req): Json<AddPasskey>,
) -> Result<Json<RegisterStarted>, ApiError> {
    let name = name_ok(&req.name)?;
    // The authenticator refuses to make a second passkey where this person already has one.
    let existing = state
        .directory
        .passkeys(session.person)
        .await?
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let user = uuid::Uuid::parse_str(&session.person.to_string()).expect("person ids are UUIDs");
    let (options, reg) = state
        .webauthn
        .start_passkey_registration(user, &session.name, &session.name, Some(existing))
        .map_err(|e| bad(StatusCode::BAD_REQUEST, &e.to_string()))?;
    let ceremony = state
        .ceremonies
        .put(
            &format!("person:{}", session.person),
            Pending::AddPasskey {
                person: session.person,
                name,
                state: reg,
            },
        )
        .await?;
    Ok(Json(CeremonyStart { ceremony, options }))
}

async fn add_finish(
    State(state): State<AppState>,
    RecentlyVerified(session): RecentlyVerified,
    headers: HeaderMap,
    Json(req): Json<RegisterFinish>,
) -> Result<Json<PasskeyAdded>, ApiError> {
    let Some(Pending::AddPasskey {
        person,
        name,
        state: reg,
    }) = state.ceremonies.take(&req.ceremony).await?
    else {
        return Err(expired_ceremony());
    };
    if person != session.person {
        return Err(expired_ceremony());
    }
    let passkey = finish_registration(&state, &req.credential, &reg)?;
    match state
        .directory
        .add_passkey(person, &name, &passkey, now_ms())
        .await
    {
        Err(DirectoryError::PasskeyTaken) => {
            return Err(bad(
                StatusCode::CONFLICT,
                "このパスキーは登録済みです (this passkey is already registered)",
            ));
        }
        other => other?,
    }
    tracing::info!(%person, "passkey added");
    state
        .log
        .record(logged(Kind::PasskeyAdded, &session, &headers).detail(name.clone()))
        .await;
    Ok(Json(PasskeyAdded { added: name }))
}

async fn remove(
    State(state): State<AppState>,
    RecentlyVerified(session): RecentlyVerified,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<PasskeyRemoved>, ApiError> {
    match state.directory.remove_passkey(session.person, &id).await? {
        RemovePasskey::Removed => {
            tracing::info!(person = %session.person, "passkey removed");
            state
                .log
                .record(logged(Kind::PasskeyRemoved, &session, &headers))
                .await;
            Ok(Json(PasskeyRemoved { removed: id }))
        }
        RemovePasskey::Unknown => Err(bad(
            StatusCode::NOT_FOUND,
            "このパスキーはありません (no such passkey)",
        )),
        RemovePasskey::Last => Err(bad(
            StatusCode::CONFLICT,
            "最後のパスキーは削除できません。先に別のパスキーを追加してください (the last passkey cannot be removed)",
        )),
    }
}

async fn codes_left(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Result<Json<RecoveryCodesLeft>, ApiError> {
    let remaining = state.directory.recovery_codes_left(session.person).await?;
    Ok(Json(RecoveryCodesLeft { remaining }))
}

async fn new_codes(
    State(state): State<AppState>,
    RecentlyVerified(session): RecentlyVerified,
    headers: HeaderMap,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes = state
        .directory
        .new_recovery_codes(session.person, now_ms())
        .await?;
    tracing::info!(person = %session.person, "new recovery codes made");
    state
        .log
        .record(logged(Kind::RecoveryCodesMade, &session, &headers))
        .await;
    Ok(Json(RecoveryCodes { codes }))
}

/// Signs in with a recovery code, on any device (the code names its person). The person's other sessions
/// end; the new one counts as verified, so the person can add a new passkey at once (the answer says to);
/// the code is used up.
async fn sign_in_with_code(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    headers: HeaderMap,
    Json(req): Json<RecoveryCodeSignIn>,
) -> Result<Response, ApiError> {
    if !state
        .sign_in_attempts
        .allow(&format!("address:{client}"))
        .await?
    {
        tracing::warn!(%client, "recovery-code attempts rate-limited");
        return Err(bad(
            StatusCode::TOO_MANY_REQUESTS,
            "試行が多すぎます。5分ほど待ってください (too many attempts: wait a few minutes)",
        ));
    }
    let now = now_ms();
    let Some(person) = state.directory.use_recovery_code(&req.code, now).await? else {
        tracing::warn!(%client, "recovery-code sign-in refused");
        state
            .log
            .record_failure(
                &client,
                Event::new(Kind::SignInFailed)
                    .device(&device_of(&headers))
                    .detail(format!("回復コードが無効 (from {client})")),
            )
            .await;
        return Err(bad(
            StatusCode::UNAUTHORIZED,
            "回復コードが正しくないか、使用済みです (wrong or used recovery code)",
        ));
    };
    if state.directory.memberships(person).await?.is_empty() {
        return Err(bad(
            StatusCode::FORBIDDEN,
            "このアカウントは無効です (this account is disabled)",
        ));
    }
    // A recovery code is used when a passkey is lost: every session it may have left signed in (on a
    // stolen phone, say) ends, and their open sockets close.
    let ended = state.directory.end_sessions_of(person, now).await?;
    state.announce(Subject::Person(person)).await;
    let token = state
        .directory
        .start_session(person, &device_of(&headers), now)
        .await?;
    let left = state.directory.recovery_codes_left(person).await?;
    tracing::info!(%person, codes_left = left, other_sessions_ended = ended, "signed in with a recovery code");
    let name = state
        .directory
        .person_name(person)
        .await?
        .unwrap_or_default();
    state
        .log
        .record(
            Event::new(Kind::SignInWithRecoveryCode)
                .by(person, &name)
                .device(&device_of(&headers))
                .detail(format!(
                    "残りの回復コード: {left}、他のセッション {ended} 件を終了"
                )),
        )
        .await;
    Ok(with_session_cookie(
        &state,
        &token,
        SignedInWithCode {
            person_id: person,
            codes_left: left,
            sessions_ended: ended,
            add_passkey: true,
        },
    ))
}
