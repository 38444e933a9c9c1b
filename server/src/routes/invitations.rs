//! `/api/invitations/...` and `/api/facilities/{facility}/invitations`: a 管理者 invites someone with a
//! role; the invited person joins with a new passkey, or with the account they are signed in with.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use mamori_shared::access::Role;
use mamori_shared::api::{
    CeremonyStart, InvitationAccepted, InvitationInfo, InvitationStart, Invite, Invited,
    Registered, Revoked,
};
use mamori_shared::model::{FacilityId, PersonId};

use super::passkey::{
    RegisterFinish, RegisterStarted, expired_ceremony, finish_registration, name_ok,
    start_registration,
};
use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::ceremonies::Pending;
use crate::clock::now_ms;
use crate::error::{ApiError, bad};
use crate::gate::Subject;
use crate::gate::http::{Admin, Client, Limited, SignedIn};
use crate::session::{device_of, logged, with_session_cookie};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/invitations/{token}", get(invitation_info))
        .route("/api/invitations/{token}/start", post(invitation_start))
        .route("/api/invitations/{token}/finish", post(invitation_finish))
        .route("/api/invitations/{token}/accept", post(invitation_accept))
        .route("/api/facilities/{facility}/invitations", post(invite))
        .route(
            "/api/facilities/{facility}/invitations/{id}",
            delete(revoke),
        )
}

async fn invitation_info(
    State(state): State<AppState>,
    _limited: Limited,
    Path(token): Path<String>,
) -> Result<Json<InvitationInfo>, ApiError> {
    match state.directory.invitation(&token, now_ms()).await? {
        Ok(i) => Ok(Json(InvitationInfo {
            facility_name: i.facility_name,
            role: i.role,
            name: i.name,
            expires_at: i.expires_at,
        })),
        Err(problem) => Err(bad(StatusCode::GONE, problem.to_string())),
    }
}

async fn invitation_start(
    State(state): State<AppState>,
    Limited(Client(client)): Limited,
    Path(token): Path<String>,
    Json(req): Json<InvitationStart>,
) -> Result<Json<RegisterStarted>, ApiError> {
    let person_name = name_ok(&req.person_name)?;
    if let Err(problem) = state.directory.invitation(&token, now_ms()).await? {
        return Err(bad(StatusCode::GONE, problem.to_string()));
    }
    let person = PersonId::generate();
    let (options, reg) = start_registration(&state, person, &person_name)?;
    let ceremony = state
        .ceremonies
        .put(
            &client,
            Pending::Invitation {
                token,
                person,
                person_name,
                state: reg,
            },
        )
        .await?;
    Ok(Json(CeremonyStart { ceremony, options }))
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
    }) = state.ceremonies.take(&req.ceremony).await?
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
        Registered {
            person_id: person,
            name: person_name,
        },
    ))
}

/// Accepts an invitation with the signed-in account (one account across the facilities a vendor serves).
async fn invitation_accept(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Json<InvitationAccepted>, ApiError> {
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
    state.announce(Subject::Person(session.person)).await;
    Ok(Json(InvitationAccepted {
        person_id: session.person,
        facility: invitation.facility,
    }))
}

async fn invite(
    State(state): State<AppState>,
    admin: Admin,
    Path(facility): Path<FacilityId>,
    headers: HeaderMap,
    Json(req): Json<Invite>,
) -> Result<Json<Invited>, ApiError> {
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
    let link = format!(
        "{}/invite/{token}",
        state.config.public_url().trim_end_matches('/')
    );
    Ok(Json(Invited { id, token, link }))
}

async fn revoke(
    State(state): State<AppState>,
    Admin { session, .. }: Admin,
    Path((facility, id)): Path<(FacilityId, String)>,
    headers: HeaderMap,
) -> Result<Json<Revoked>, ApiError> {
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
    Ok(Json(Revoked { revoked: id }))
}
