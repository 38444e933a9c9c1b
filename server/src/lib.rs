//! Mamori's server: serves the built app (an offline-first PWA) and a health endpoint. Document sync, people
//! and the access log come in later issues and plug into the same [`AppState`] and router.
//!
//! # Layout
//! - [`config`]: flags and environment (`clap`).
//! - [`state`]: what every handler shares.
//! - [`routes`]: one module per route group (`health`, `assets`).
//! - [`error`]: [`AppError`], turned into a plain HTTP response.

pub mod config;
pub mod error;
pub mod routes;
pub mod state;

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
pub use error::AppError;
pub use state::AppState;

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::service_worker::router())
        .fallback_service(routes::assets::service(&state.config.assets))
        .layer(axum::middleware::from_fn(routes::assets::cache_control))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` completes. Tests call this with a listener on `127.0.0.1:0`.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    if !config.assets.join("index.html").is_file() {
        tracing::warn!(assets = %config.assets.display(), "no built app found: run the README's run command to build it");
    }
    let state = AppState::new(config);
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
