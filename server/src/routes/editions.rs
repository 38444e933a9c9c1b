//! The checklist editions loaded from the server's folder (`crate::editions`): listed, and each file served
//! as it was read, for devices to validate, register and keep for offline use. Public: they are forms.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use mamori_shared::api::Editions;

use crate::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/editions", get(list))
        .route("/api/editions/{id}", get(file))
}

async fn list(State(state): State<AppState>) -> Json<Editions> {
    Json(state.editions.listing())
}

async fn file(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let loaded = state.editions.file(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "この版はサーバーにありません (no such edition on this server)",
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, format!("\"{}\"", loaded.info.sha256)),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        loaded.json.to_string(),
    )
        .into_response())
}
