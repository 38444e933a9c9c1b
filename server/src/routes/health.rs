//! `GET /healthz`: is the server up, and which version is it.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::{Json, Router, routing::get};
use mamori_shared::api::Health;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

/// Also how busy the server is: open sync connections and documents in memory (for operators and the load
/// benchmark; no document ids or people).
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        connections: state.connections.load(Ordering::Relaxed) as u64,
        documents_loaded: state.rooms.loaded() as u64,
        sign_in_required: state.config.require_sign_in(),
        public_origin: crate::gate::public_origin(&state.config.public_url()),
    })
}
