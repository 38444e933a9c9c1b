//! `/api/facilities/register/...`: registering a facility with its first 管理者, which needs a one-time
//! registration code from whoever runs the server.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use mamori_shared::api::{CeremonyStart, RegisterFacility, Registered};
use mamori_shared::model::{FacilityKind, PersonId};

use super::passkey::{
    RegisterFinish, RegisterStarted, expired_ceremony, finish_registration, name_ok,
    start_registration,
};
use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::ceremonies::Pending;
use crate::clock::now_ms;
use crate::directory::NewFacility;
use crate::error::{ApiError, bad};
use crate::gate::http::{Client, Limited};
use crate::session::{device_of, with_session_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities/register/start", post(register_start))
        .route("/api/facilities/register/finish", post(register_finish))
}

fn no_code() -> ApiError {
    crate::directory::DirectoryError::NoRegistrationCode.into()
}

async fn register_start(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    Json(req): Json<RegisterFacility>,
) -> Result<Json<RegisterStarted>, ApiError> {
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
    let ceremony = state
        .ceremonies
        .put(
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
        )
        .await?;
    Ok(Json(CeremonyStart { ceremony, options }))
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
    }) = state.ceremonies.take(&req.ceremony).await?
    else {
        return Err(expired_ceremony());
    };
    let passkey = finish_registration(&state, &req.credential, &reg)?;
    let now = now_ms();
    // The code is spent in the registration's transaction: once, and only if the facility is registered.
    state
        .directory
        .register_facility(
            &NewFacility {
                id: facility,
                name: &name,
                kind: &kind,
                index_doc,
            },
            &code,
            person,
            &person_name,
            &passkey,
            now,
        )
        .await?;
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
        Registered {
            person_id: person,
            name: person_name,
        },
    ))
}
