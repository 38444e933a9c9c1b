//! `/api/facilities/{facility}/documents` and the actor registry: staff and administrators register the
//! documents they create on a device (so the server opens them), and each device says whose its Automerge
//! actors are; administrators read the actors' names for "who answered".

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::access::{DocumentInfo, Role};
use mamori_shared::api::{
    ActorOwner, Actors, ActorsRegistered, DeviceActors, DocumentRegistered, RegisterDocument,
};
use mamori_shared::model::{FacilityId, PersonId};
use mamori_shared::schema::DocKind;

use crate::AppState;
use crate::clock::now_ms;
use crate::directory::DirectoryError;
use crate::error::ApiError;
use crate::gate::http::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/facilities/{facility}/documents",
            post(register_document),
        )
        .route("/api/facilities/{facility}/actors", get(actors))
        .route("/api/actors", post(register_actors))
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
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "この施設の文書を作成する権限がありません (may not create documents here)",
        ));
    }
    let limit = state.config.max_facility_documents;
    if state.directory.facility_documents(facility).await? >= limit
        && state.directory.document(req.doc_id).await?.is_none()
    {
        return Err(ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            format!(
                "この施設の文書数が上限（{limit}）に達しました (the facility's limit of {limit} documents is reached)"
            ),
        ));
    }
    // A vendor's contribution names its vendor and is no checklist: whatever else would be a document its
    // vendor could write without the facility having meant it.
    if req.kind == Some(DocKind::VendorDevices) && (req.vendor_id.is_none() || req.form.is_some()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "事業者の機器台帳への記入には事業者の指定が必要です (a vendor_devices document names its vendor and no form)",
        ));
    }
    let info = DocumentInfo {
        facility,
        form: req.form,
        kind: req.kind,
        vendor: req.vendor_id,
        shared_with: Vec::new(),
    };
    match state
        .directory
        .register_document(req.doc_id, &info, session.person, now_ms())
        .await
    {
        Ok(()) => Ok(Json(DocumentRegistered { doc_id: req.doc_id })),
        Err(DirectoryError::DocumentElsewhere) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "この文書は別の施設のものです (belongs to another facility)",
        )),
        Err(e) => Err(e.into()),
    }
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
        return Err(ApiError::new(
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
        return Err(ApiError::new(
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
        return Err(ApiError::new(
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
