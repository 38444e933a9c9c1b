//! `GET /healthz`: is the server up, and which version is it.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

/// Also how busy the server is: open sync connections and documents in memory (for operators and the load
/// benchmark; no document ids or people).
async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "connections": state.connections.load(Ordering::Relaxed),
        "documents_loaded": state.rooms.loaded(),
        "sign_in_required": state.config.require_sign_in(),
    }))
}
