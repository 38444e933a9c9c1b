//! Leaving a facility, from both sides. A departed person's device asks whether its person left
//! (`/api/device/departure`) and hands back each document it holds for those facilities; only the changes the
//! server lacks are kept, in a quarantine, never merged on arrival. The facility's 管理者 lists them and
//! accepts (merged into the document, for everyone) or discards each set.

use automerge::AutoCommit;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use mamori_shared::access::DocumentInfo;
use mamori_shared::api::{
    Departed, DepartureStatus, HandBackAccepted, HandBackDiscarded, HandBackQuery, HandBackSummary,
    HandedBack, Quarantine, QuarantinedSet,
};
use mamori_shared::model::{DocumentId, FacilityId};
use mamori_shared::schema::checklist;
use mamori_shared::sync::ingest::read_changes;

use crate::AppState;
use crate::access_log::{Event, Kind};
use crate::clock::now_ms;
use crate::directory::{Departure, HandBack};
use crate::error::ApiError;
use crate::gate::http::{Admin, Limited, VerifiedAdmin};
use crate::gate::may_hand_back;
use crate::handback::{summary, unknown_changes};
use crate::rooms::MergeError;
use crate::session::session_token;
use crate::session::{device_of, logged};

/// A handed-back document may be large (a hospital's ledgers); the default 2 MB would refuse it.
const HAND_BACK_LIMIT: usize = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/device/departure", get(departure))
        .route(
            "/api/device/departure/{doc}",
            post(hand_back).layer(DefaultBodyLimit::max(HAND_BACK_LIMIT)),
        )
        .route("/api/facilities/{facility}/quarantine", get(list))
        .route(
            "/api/facilities/{facility}/quarantine/{id}/accept",
            post(accept),
        )
        .route(
            "/api/facilities/{facility}/quarantine/{id}/discard",
            post(discard),
        )
}

/// The departure behind this browser's session cookie, live or ended.
async fn departed(state: &AppState, headers: &HeaderMap) -> Result<Option<Departure>, ApiError> {
    let Some(token) = session_token(state, headers) else {
        return Ok(None);
    };
    Ok(state.directory.departure(&token).await?)
}

/// Asked at every start of the app (cheap: one lookup by the cookie's hash, nothing kept), so not counted
/// against the client's allowance.
async fn departure(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<DepartureStatus>, ApiError> {
    // Every facility left is listed (the device deletes their data whenever it learns of it); handing back
    // is open only until `hand_back_until`.
    let departure = departed(&state, &headers).await?.map(|d| Departed {
        person_id: d.person,
        disabled: d.disabled,
        facilities: d.facilities(),
        hand_back_until: d.left.iter().map(|(_, at)| at + window_ms(&state)).max(),
    });
    Ok(Json(DepartureStatus {
        departed: departure.is_some(),
        departure,
    }))
}

fn window_ms(state: &AppState) -> i64 {
    state.config.hand_back_days as i64 * 24 * 3600 * 1000
}

async fn hand_back(
    State(state): State<AppState>,
    _limited: Limited,
    Path(doc): Path<DocumentId>,
    Query(q): Query<HandBackQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<HandedBack>, ApiError> {
    let refuse = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "この文書を返却する権限がありません (nothing to hand back here)",
        )
    };
    let departure = departed(&state, &headers).await?.ok_or_else(refuse)?;
    // Read by the same bounded reader as a sync message (a document's compressed columns inflated under a
    // cap, its operations counted) and kept as parsed: nothing here is loaded twice.
    let device = read_changes(&body, &state.config.hand_back_limits()).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("文書を読み込めません (the document does not load: {e})"),
        )
    })?;
    let info = match state.directory.document(doc).await? {
        Some(info) => info,
        None => {
            // Made offline and never synced: as the changes describe it, in the facility the device names.
            let facility = q.facility.ok_or_else(refuse)?;
            described(facility, &device)
        }
    };
    let facility = info.facility;
    let mut server = match state.rooms.store().load(doc).await? {
        Some(chunks) => Some(AutoCommit::load(&chunks.concat())?),
        None => None,
    };
    // Only what the server lacks is kept, and only that must be the person's own.
    let unknown = unknown_changes(server.as_mut(), device);
    if unknown.count() == 0 {
        // Nothing the server lacks (a read-only copy, say): nothing to decide.
        return Ok(Json(HandedBack {
            quarantined: 0,
            id: None,
        }));
    }
    let window = std::time::Duration::from_millis(window_ms(&state) as u64);
    if let Err(why) = may_hand_back(&state, &departure, &info, &unknown.changes, window).await? {
        tracing::warn!(%facility, %doc, person = %departure.person, ?why, "hand-back refused");
        // Said as such, so the device knows that trying again will not help (it deletes its copy anyway).
        return Err(ApiError::new(StatusCode::FORBIDDEN, why.message()).refused_hand_back());
    }
    let summary =
        serde_json::to_string(&summary(server.as_ref(), &unknown)).expect("a summary serialises");
    let id = state
        .directory
        .quarantine(
            &HandBack {
                facility,
                doc,
                person: departure.person,
                device: &device_of(&headers),
                changes: &unknown.chunks(),
                change_count: unknown.count(),
                summary: &summary,
            },
            now_ms(),
        )
        .await?;
    tracing::info!(%facility, %doc, person = %departure.person, changes = unknown.count(), "changes handed back into quarantine");
    let name = state
        .directory
        .person_name(departure.person)
        .await?
        .unwrap_or_default();
    state
        .log
        .record(
            Event::new(Kind::HandedBack)
                .by(departure.person, &name)
                .at_facility(facility)
                .document(doc)
                .device(&device_of(&headers))
                .detail(format!("{} 件の変更を隔離", unknown.count())),
        )
        .await;
    Ok(Json(HandedBack {
        quarantined: unknown.count() as u64,
        id: Some(id),
    }))
}

/// A document the server never registered, as its changes describe it (a checklist names its form and
/// vendor), in `facility`.
fn described(facility: FacilityId, changes: &[automerge::Change]) -> DocumentInfo {
    let mut whole = AutoCommit::new();
    let meta = whole
        .apply_changes(changes.to_vec())
        .ok()
        .and_then(|()| checklist::meta(&whole).ok());
    DocumentInfo {
        facility,
        form: meta.as_ref().map(|m| m.form),
        // Never a vendor's contribution: a contribution grants its vendor access only once the facility
        // registered it.
        kind: None,
        vendor: meta.and_then(|m| m.vendor_id),
        shared_with: Vec::new(),
    }
}

async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Path(facility): Path<FacilityId>,
) -> Result<Json<Quarantine>, ApiError> {
    let quarantine = state
        .directory
        .quarantined(facility)
        .await?
        .into_iter()
        .map(|q| QuarantinedSet {
            summary: serde_json::from_str::<HandBackSummary>(&q.summary).ok(),
            id: q.id,
            doc_id: q.doc,
            person_id: q.person,
            person_name: q.person_name,
            device: q.device,
            received_at: q.received_at,
            changes: q.change_count,
            decision: q.decision,
        })
        .collect();
    Ok(Json(Quarantine { quarantine }))
}

fn no_such_set() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "未処理の返却データはありません (no undecided set with this id)",
    )
}

async fn accept(
    State(state): State<AppState>,
    VerifiedAdmin { session: by, .. }: VerifiedAdmin,
    Path((facility, id)): Path<(FacilityId, String)>,
    headers: HeaderMap,
) -> Result<Json<HandBackAccepted>, ApiError> {
    let (doc, chunks) = state
        .directory
        .quarantined_changes(facility, &id)
        .await?
        .ok_or_else(no_such_set)?;
    let changes = read_changes(&chunks, &state.config.hand_back_limits()).map_err(|e| {
        tracing::warn!(%facility, %doc, set = %id, error = %e, "a quarantined set does not read");
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "返却データを読み込めません。破棄してください (the handed-back changes do not read: discard them)",
        )
    })?;
    // A document made offline and never synced becomes the facility's now: registered once its changes
    // are merged (a set that does not fit leaves nothing registered; accepting again merges nothing twice).
    let unregistered = match state.directory.document(doc).await? {
        Some(info) if info.facility != facility => return Err(no_such_set()),
        Some(_) => None,
        None => Some(described(facility, &changes)),
    };
    match state.rooms.merge(doc, changes, &*state.seal_key).await {
        Ok(()) => {}
        Err(MergeError::Store(e)) => return Err(e.into()),
        Err(refused) => {
            tracing::warn!(%facility, %doc, set = %id, error = %refused, "handed-back changes refused");
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "返却データは文書に合いません。破棄してください (the handed-back changes do not fit the document: {refused})"
                ),
            ));
        }
    }
    if let Some(info) = unregistered {
        state
            .directory
            .register_document(doc, &info, by.person, now_ms())
            .await?;
    }
    state
        .directory
        .decide_quarantined(facility, &id, true, by.person, now_ms())
        .await?;
    tracing::info!(%facility, %doc, by = %by.person, set = %id, "handed-back changes accepted");
    state
        .log
        .record(
            logged(Kind::QuarantineAccepted, &by, &headers)
                .at_facility(facility)
                .document(doc)
                .detail(id.clone()),
        )
        .await;
    Ok(Json(HandBackAccepted {
        accepted: id,
        doc_id: doc,
    }))
}

async fn discard(
    State(state): State<AppState>,
    Admin { session: by, .. }: Admin,
    Path((facility, id)): Path<(FacilityId, String)>,
    headers: HeaderMap,
) -> Result<Json<HandBackDiscarded>, ApiError> {
    if !state
        .directory
        .decide_quarantined(facility, &id, false, by.person, now_ms())
        .await?
    {
        return Err(no_such_set());
    }
    tracing::info!(%facility, by = %by.person, set = %id, "handed-back changes discarded");
    state
        .log
        .record(
            logged(Kind::QuarantineDiscarded, &by, &headers)
                .at_facility(facility)
                .detail(id.clone()),
        )
        .await;
    Ok(Json(HandBackDiscarded { discarded: id }))
}
