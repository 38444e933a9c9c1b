//! `/api/facilities/{facility}/...`: a facility's people (roles, leaving) and its document registry.
//! Administrators manage people; staff and administrators register the documents they create on a device.
//! Every change to a person is announced so their open sync connections re-check at once.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::access::{DocumentInfo, Membership, Role};
use mamori_shared::api::{
    ActorOwner, Actors, ActorsRegistered, DeviceActors, DocumentRegistered, IssueToken, People,
    PersonInfo, PersonRemoved, RegisterDocument, Revoked, RoleSet, SetRole, TokenInfo, TokenIssued,
    Tokens,
};
use mamori_shared::model::{FacilityId, PersonId};

use crate::AppState;
use crate::access_log::Kind;
use crate::clock::now_ms;
use crate::directory::DirectoryError;
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
        .route(
            "/api/facilities/{facility}/documents",
            post(register_document),
        )
        .route("/api/facilities/{facility}/actors", get(actors))
        .route("/api/actors", post(register_actors))
        .route(
            "/api/facilities/{facility}/tokens",
            get(tokens).post(issue_token),
        )
        .route(
            "/api/facilities/{facility}/tokens/{id}",
            axum::routing::delete(revoke_token),
        )
}

fn refuse(status: StatusCode, message: &str) -> ApiError {
    ApiError::new(status, message)
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
        .map(|(person_id, name, role, vendor, disabled)| PersonInfo {
            person_id,
            name,
            role,
            vendor,
            disabled,
        })
        .collect();
    Ok(Json(People { people }))
}

/// Who wrote what: the person (or API token) behind each Automerge actor of this facility, so the app can
/// show who answered each item. For the facility's own people; a vendor's user is not shown the staff list.
async fn actors(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(facility): Path<FacilityId>,
) -> Result<Json<Actors>, ApiError> {
    let member = state
        .directory
        .memberships(session.person)
        .await?
        .iter()
        .any(|m| m.facility == facility && m.role != Role::Vendor);
    if !member {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "この施設の利用者ではありません (not a member)",
        ));
    }
    let actors = state
        .directory
        .actor_names(facility)
        .await?
        .into_iter()
        .map(|(actor, name, token)| (actor, ActorOwner { name, token }))
        .collect();
    Ok(Json(Actors { actors }))
}

/// A device registers the actors it made and for whom (a shared tablet used in turns): the session's own
/// actors are claimed for it, other people's are held until they sign in, so nobody's changes are
/// attributed to whoever happens to be signed in when they sync.
async fn register_actors(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
    Json(req): Json<DeviceActors>,
) -> Result<Json<ActorsRegistered>, ApiError> {
    if req.actors.len() > 500
        || req
            .actors
            .keys()
            .any(|a| a.is_empty() || a.len() > 64 || !a.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "actor ids must be hex, at most 500 at once",
        ));
    }
    let actors: Vec<(String, PersonId)> = req
        .actors
        .into_iter()
        .map(|(a, p)| (a.to_ascii_lowercase(), p))
        .collect();
    // The actors that commit migration steps are no one's (see `schema::migrate::is_step_actor`).
    if actors.iter().any(|(a, _)| {
        automerge::ActorId::try_from(a.as_str())
            .is_ok_and(|id| mamori_shared::schema::migrate::is_step_actor(&id))
    }) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "移行用の作成者IDは登録できません (migration actor ids belong to no one)",
        ));
    }
    let conflicts = state
        .directory
        .register_actors(
            session.person,
            &crate::session::device_of(&headers),
            &actors,
            now_ms(),
        )
        .await?;
    Ok(Json(ActorsRegistered {
        person_id: session.person,
        registered: actors.len() as u64,
        conflicts,
    }))
}

async fn set_role(
    State(state): State<AppState>,
    VerifiedAdmin { session: by, .. }: VerifiedAdmin,
    Path((facility, person)): Path<(FacilityId, PersonId)>,
    headers: HeaderMap,
    Json(req): Json<SetRole>,
) -> Result<Json<RoleSet>, ApiError> {
    if (req.role == Role::Vendor) != req.vendor_id.is_some() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "事業者の役割には事業者を選んでください (the vendor role names the vendor)",
        ));
    }
    if !state
        .directory
        .set_role(facility, person, req.role, req.vendor_id)
        .await?
    {
        return Err(refuse(
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
    let _ = state.people_changed.send(Subject::Person(person));
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
        return Err(refuse(
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
    let _ = state.people_changed.send(Subject::Person(person));
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
        let _ = state.people_changed.send(Subject::Token(id.clone()));
    }
    Ok(Json(PersonRemoved {
        removed: person,
        tokens_revoked: revoked_tokens,
    }))
}

async fn register_document(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(facility): Path<FacilityId>,
    Json(req): Json<RegisterDocument>,
) -> Result<Json<DocumentRegistered>, ApiError> {
    if !crate::gate::may_register_documents(
        &state.directory.memberships(session.person).await?,
        facility,
    ) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "この施設の文書を作成する権限がありません (may not create documents here)",
        ));
    }
    let limit = state.config.max_facility_documents;
    if state.directory.facility_documents(facility).await? >= limit
        && state.directory.document(req.doc_id).await?.is_none()
    {
        return Err(refuse(
            StatusCode::INSUFFICIENT_STORAGE,
            &format!(
                "この施設の文書数が上限（{limit}）に達しました (the facility's limit of {limit} documents is reached)"
            ),
        ));
    }
    let info = DocumentInfo {
        facility,
        form: req.form,
        vendor: req.vendor_id,
        shared_with: Vec::new(),
    };
    match state
        .directory
        .register_document(req.doc_id, &info, session.person, now_ms())
        .await
    {
        Ok(()) => Ok(Json(DocumentRegistered { doc_id: req.doc_id })),
        Err(DirectoryError::DocumentElsewhere) => Err(refuse(
            StatusCode::CONFLICT,
            "この文書は別の施設のものです (belongs to another facility)",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The longest a token may live: a year (the annual check is the latest anyone looks at it again).
const MAX_TOKEN_DAYS: u32 = 365;

/// A token for a non-browser client (an integration, a test client): scoped to this facility and a role
/// (never 管理者: managing people needs a person with a passkey), and expiring.
async fn issue_token(
    State(state): State<AppState>,
    VerifiedAdmin { session: by, .. }: VerifiedAdmin,
    Path(facility): Path<FacilityId>,
    headers: HeaderMap,
    Json(req): Json<IssueToken>,
) -> Result<Json<TokenIssued>, ApiError> {
    if (req.role == Role::Vendor) != req.vendor_id.is_some() || req.name.trim().is_empty() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "名前と、事業者の役割なら事業者を指定してください (a name, and the vendor for the vendor role)",
        ));
    }
    if req.role == Role::Admin {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "管理者のトークンは発行できません (no token carries the administrator role)",
        ));
    }
    let days = req
        .expires_in_days
        .filter(|d| (1..=MAX_TOKEN_DAYS).contains(d))
        .ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                "有効期限を1〜365日で指定してください (expires_in_days: 1 to 365)",
            )
        })?;
    let membership = Membership {
        facility,
        role: req.role,
        vendor: req.vendor_id,
    };
    let now = now_ms();
    let expires_at = now + i64::from(days) * 24 * 3600 * 1000;
    let (id, token) = state
        .directory
        .issue_token(&membership, req.name.trim(), by.person, expires_at, now)
        .await?;
    tracing::info!(%facility, by = %by.person, token = %id, role = req.role.as_str(), days, "API token issued");
    state
        .log
        .record(
            logged(Kind::TokenIssued, &by, &headers)
                .at_facility(facility)
                .detail(format!(
                    "{} ({}, {id}, {days} 日間)",
                    req.name.trim(),
                    req.role.label_ja()
                )),
        )
        .await;
    Ok(Json(TokenIssued {
        id,
        token,
        expires_at,
    }))
}

/// The facility's live tokens (never their secrets), for 利用者の管理.
async fn tokens(
    State(state): State<AppState>,
    _admin: Admin,
    Path(facility): Path<FacilityId>,
) -> Result<Json<Tokens>, ApiError> {
    let tokens = state
        .directory
        .tokens_of(facility, now_ms())
        .await?
        .into_iter()
        .map(|t| TokenInfo {
            id: t.id,
            name: t.name,
            role: t.role,
            vendor_id: t.vendor,
            issued_by: t.issued_by,
            created_at: t.created_at,
            expires_at: t.expires_at,
        })
        .collect();
    Ok(Json(Tokens { tokens }))
}

async fn revoke_token(
    State(state): State<AppState>,
    Admin { session: by, .. }: Admin,
    Path((facility, id)): Path<(FacilityId, String)>,
    headers: HeaderMap,
) -> Result<Json<Revoked>, ApiError> {
    if !state
        .directory
        .revoke_token(facility, &id, now_ms())
        .await?
    {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "有効なトークンがありません (no live token with this id)",
        ));
    }
    tracing::info!(%facility, by = %by.person, token = %id, "API token revoked");
    state
        .log
        .record(
            logged(Kind::TokenRevoked, &by, &headers)
                .at_facility(facility)
                .detail(id.clone()),
        )
        .await;
    let _ = state.people_changed.send(Subject::Token(id.clone()));
    Ok(Json(Revoked { revoked: id }))
}
