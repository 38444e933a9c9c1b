//! `/api/facilities/{facility}/people/...`: a facility's people, their roles and leaving. Administrators
//! manage people; every change to a person is announced so their open sync connections re-check at once.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use mamori_shared::access::Role;
use mamori_shared::api::{EmailSet, People, PersonInfo, PersonRemoved, RoleSet, SetEmail, SetRole};
use mamori_shared::model::{FacilityId, PersonId};

use crate::AppState;
use crate::access_log::Kind;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::gate::Subject;
use crate::gate::http::{Admin, SignedIn, VerifiedAdmin};
use crate::session::logged;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities/{facility}/people", get(people))
        .route(
            "/api/facilities/{facility}/people/{person}/role",
            post(set_role),
        )
        .route(
            "/api/facilities/{facility}/people/{person}/remove",
            post(remove),
        )
        .route("/api/me/email", put(set_email))
}

/// The signed-in person's address for reminder mails (opting in or out is theirs alone).
async fn set_email(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    Json(req): Json<SetEmail>,
) -> Result<Json<EmailSet>, ApiError> {
    let email = req
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if let Some(e) = &email
        && !crate::mail::valid_address(e)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "メールアドレスの形式ではありません (not an e-mail address)",
        ));
    }
    state
        .directory
        .set_email(session.person, email.as_deref())
        .await?;
    // Logged without the address (who receives mails is the directory's; the log says it changed).
    let detail = if email.is_some() { "登録" } else { "削除" };
    state
        .log
        .record(logged(Kind::MailAddressSet, &session, &headers).detail(detail.to_string()))
        .await;
    Ok(Json(EmailSet { email }))
}

async fn people(
    State(state): State<AppState>,
    _admin: Admin,
    Path(facility): Path<FacilityId>,
) -> Result<Json<People>, ApiError> {
    let people = state
        .directory
        .people_of(facility)
        .await?
        .into_iter()
        .map(|p| PersonInfo {
            person_id: p.person,
            name: p.name,
            role: p.role,
            vendor: p.vendor,
            disabled: p.disabled,
            email: p.email,
        })
        .collect();
    Ok(Json(People { people }))
}

async fn set_role(
    State(state): State<AppState>,
    VerifiedAdmin { session: by, .. }: VerifiedAdmin,
    Path((facility, person)): Path<(FacilityId, PersonId)>,
    headers: HeaderMap,
    Json(req): Json<SetRole>,
) -> Result<Json<RoleSet>, ApiError> {
    if (req.role == Role::Vendor) != req.vendor_id.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "事業者の役割には事業者を選んでください (the vendor role names the vendor)",
        ));
    }
    if !state
        .directory
        .set_role(facility, person, req.role, req.vendor_id)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "この施設の利用者ではありません (not a member)",
        ));
    }
    tracing::info!(%facility, %person, by = %by.person, role = req.role.as_str(), "role changed");
    let whose = state
        .directory
        .person_name(person)
        .await?
        .unwrap_or_default();
    state
        .log
        .record(
            logged(Kind::RoleChanged, &by, &headers)
                .at_facility(facility)
                .detail(format!("{whose} → {}", req.role.label_ja())),
        )
        .await;
    state.announce(Subject::Person(person)).await;
    Ok(Json(RoleSet {
        person_id: person,
        role: req.role,
    }))
}

async fn remove(
    State(state): State<AppState>,
    VerifiedAdmin { session: by, .. }: VerifiedAdmin,
    Path((facility, person)): Path<(FacilityId, PersonId)>,
    headers: HeaderMap,
) -> Result<Json<PersonRemoved>, ApiError> {
    let Some(revoked_tokens) = state
        .directory
        .remove_from_facility(facility, person, now_ms())
        .await?
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "この施設の利用者ではありません (not a member)",
        ));
    };
    tracing::info!(%facility, %person, by = %by.person, "person removed from facility");
    let whose = state
        .directory
        .person_name(person)
        .await?
        .unwrap_or_default();
    state
        .log
        .record(
            logged(Kind::Removed, &by, &headers)
                .at_facility(facility)
                .detail(format!("{whose} ({person})")),
        )
        .await;
    state.announce(Subject::Person(person)).await;
    // The tokens they issued here went with them: their programs' sockets close too.
    for id in &revoked_tokens {
        state
            .log
            .record(
                logged(Kind::TokenRevoked, &by, &headers)
                    .at_facility(facility)
                    .detail(format!("{id} (発行者の利用終了)")),
            )
            .await;
        state.announce(Subject::Token(id.clone())).await;
    }
    Ok(Json(PersonRemoved {
        removed: person,
        tokens_revoked: revoked_tokens,
    }))
}
