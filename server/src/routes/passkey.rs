//! The two calls of a WebAuthn ceremony, shared by every route that runs one (registering a facility,
//! accepting an invitation, signing in, adding a passkey, proving one again), and the name check they share.

use axum::Json;
use axum::http::StatusCode;
use mamori_shared::api::{CeremonyFinish, CeremonyStart};
use mamori_shared::model::PersonId;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse,
};

use crate::AppState;
use crate::ceremonies::Pending;
use crate::clock::now_ms;
use crate::error::{ApiError, bad};

pub(crate) fn name_ok(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(
            StatusCode::BAD_REQUEST,
            "名前を1〜100文字で入力してください (name: 1 to 100 characters)",
        ));
    }
    Ok(name.to_string())
}

pub(crate) fn person_uuid(p: PersonId) -> uuid::Uuid {
    uuid::Uuid::parse_str(&p.to_string()).expect("person ids are UUIDs")
}

/// The start of a registration ceremony as the server answers it (the options typed by `webauthn-rs`).
pub(crate) type RegisterStarted = CeremonyStart<CreationChallengeResponse>;

/// The browser's answer to a registration ceremony, its credential checked by `webauthn-rs` on arrival.
pub(crate) type RegisterFinish = CeremonyFinish<RegisterPublicKeyCredential>;

/// The start of an authentication ceremony as the server answers it.
pub(crate) type AuthStarted = CeremonyStart<RequestChallengeResponse>;

/// Checks the browser's answer to a registration ceremony: the new passkey.
pub(crate) fn finish_registration(
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
pub(crate) fn start_registration(
    state: &AppState,
    person: PersonId,
    name: &str,
) -> Result<(CreationChallengeResponse, PasskeyRegistration), ApiError> {
    state
        .webauthn
        .start_passkey_registration(person_uuid(person), name, name, None)
        .map_err(|e| bad(StatusCode::BAD_REQUEST, e.to_string()))
}

pub(crate) fn expired_ceremony() -> ApiError {
    bad(
        StatusCode::BAD_REQUEST,
        "時間切れです。もう一度お試しください (the ceremony expired)",
    )
}

/// Starts a passkey authentication against `passkeys`, keeping the ceremony as `pending` makes it.
pub(crate) async fn start_authentication(
    state: &AppState,
    client: &str,
    passkeys: &[webauthn_rs::prelude::Passkey],
    pending: impl FnOnce(PasskeyAuthentication) -> Pending,
) -> Result<Json<AuthStarted>, ApiError> {
    let (options, auth) = state
        .webauthn
        .start_passkey_authentication(passkeys)
        .map_err(|e| bad(StatusCode::BAD_REQUEST, e.to_string()))?;
    let ceremony = state.ceremonies.put(client, pending(auth)).await?;
    Ok(Json(CeremonyStart { ceremony, options }))
}

/// The browser's answer to an authentication ceremony (sign-in, re-authentication).
pub(crate) type AuthFinish = CeremonyFinish<PublicKeyCredential>;

/// Checks the browser's answer to an authentication ceremony and stores the passkey's new counter.
pub(crate) async fn prove_passkey(
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
