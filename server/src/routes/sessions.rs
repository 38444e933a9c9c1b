//! `/api/sessions`: where I am signed in, and ending a session I do not recognise (its sync connections
//! close too).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use mamori_shared::api::{SessionEnded, SessionInfo, Sessions};

use crate::AppState;
use crate::access_log::Kind;
use crate::clock::now_ms;
use crate::error::{ApiError, bad};
use crate::gate::Subject;
use crate::gate::http::SignedIn;
use crate::session::{logged, session_token};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions", get(sessions))
        .route("/api/sessions/{id}", delete(end_session))
}

/// My sessions, so I can see where I am signed in and end the ones I do not recognise.
async fn sessions(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    headers: HeaderMap,
) -> Result<Json<Sessions>, ApiError> {
    let current = session_token(&state, &headers)
        .map(|t| crate::directory::hash_secret(&t)[..16].to_string())
        .unwrap_or_default();
    let sessions = state
        .directory
        .sessions_of(session.person)
        .await?
        .into_iter()
        .map(|(id, device, created, seen)| SessionInfo {
            current: id == current,
            id,
            device,
            signed_in_at: created,
            last_used_at: seen,
        })
        .collect();
    Ok(Json(Sessions { sessions }))
}

async fn end_session(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SessionEnded>, ApiError> {
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
    state.announce(Subject::Person(session.person)).await;
    state
        .log
        .record(
            logged(Kind::SignOut, &session, &headers)
                .detail(format!("別の端末のセッション {id} を終了")),
        )
        .await;
    Ok(Json(SessionEnded { ended: id }))
}
