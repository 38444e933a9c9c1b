//! Mamori's server: serves the built app (an offline-first PWA), syncs documents over the automerge-repo
//! WebSocket protocol at `/sync`, keeps them in an embedded SQLite store, decides who may open and change
//! each one from its own records of facilities and people, and keeps a tamper-evident access log.
//!
//! # Layout
//! - [`config`]: flags and environment (`clap`); [`state`]: what every handler shares; [`clock`]: now.
//! - [`gate`]: every permission decision: HTTP extractors ([`gate::http`]), what a sync connection may open
//!   and change, hand-back rules. [`session`]: the session cookie and looking a session up.
//! - [`ceremonies`]: WebAuthn ceremonies in progress and sign-in attempt counters.
//! - [`routes`]: one module per resource (sign-in, facilities, invitations, sessions, credentials, people,
//!   quarantine, log, sync, assets, the service worker, security headers, health).
//! - [`directory`]: the server's records, one file per table family (SQLite).
//! - [`rooms`]: live documents, their subscribers, durable writes. [`store`]: the `DocStore` trait and its
//!   SQLite implementation. [`files`]: evidence files (PDF, PNG, JPEG) outside the documents, content-addressed. [`handback`]: what a departed device's copy holds that the server lacks.
//! - [`access_log`]: the アクセスログ (hash chain, verify, retention).
//! - [`maintenance`]: backup, restore, verify-log, registration-code. [`tls`]: HTTPS with rustls.
//! - [`error`]: [`AppError`] for starting and serving, `ApiError` for `/api/` answers, with explicit
//!   mappings (a database error is a 500 that says nothing more).

pub mod access_log;
pub mod backups;
pub mod ceremonies;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod db;
pub mod directory;
pub mod editions;
pub mod error;
pub mod files;
pub mod gate;
pub mod handback;
pub mod mail;
pub mod maintenance;
pub mod migrate_store;
pub mod reminder_mail;
pub mod rooms;
pub mod routes;
pub mod seal;
pub mod session;
pub mod state;
pub mod store;
pub mod tls;

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
pub use error::AppError;
pub use state::AppState;

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::facilities::router())
        .merge(routes::invitations::router())
        .merge(routes::signin::router())
        .merge(routes::sessions::router())
        .merge(routes::credentials::router())
        .merge(routes::people::router())
        .merge(routes::documents::router())
        .merge(routes::editions::router())
        .merge(routes::files::router())
        .merge(routes::tokens::router())
        .merge(routes::quarantine::router())
        .merge(routes::seal::router())
        .merge(routes::log::router())
        .merge(routes::backups::router())
        .merge(routes::service_worker::router())
        .merge(routes::sync::router())
        .fallback_service(routes::assets::service(&state.config.assets))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gate::http::same_origin_writes,
        ))
        .layer(axum::middleware::from_fn(routes::assets::cache_control))
        .layer(axum::middleware::from_fn_with_state(
            routes::security::SecurityHeaders::new(&state.config.assets, state.config.https()),
            routes::security::add,
        ))
        .layer(tower_http::compression::CompressionLayer::new().compress_when(compressible()))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// What is worth compressing: tower-http's default (not images, not tiny answers), and no PDF either. An
/// evidence file is stored compressed already; deflating 20 MB again on every download costs the server CPU
/// and saves nothing.
fn compressible() -> impl tower_http::compression::Predicate {
    use tower_http::compression::Predicate;
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType};
    DefaultPredicate::new().and(NotForContentType::const_new("application/pdf"))
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
    let store = store::sql::SqlStore::at(&config.data_dir, config.database_url.as_deref()).await?;
    let directory = directory::Directory::new(store.pool());
    run_with(
        listener,
        config,
        Arc::new(store),
        directory,
        Arc::default(),
        shutdown,
    )
    .await
}

/// [`run`] on a given store, with a set of frozen documents the caller keeps (tests freeze documents).
pub async fn run_with(
    listener: TcpListener,
    config: Config,
    store: Arc<dyn store::DocStore>,
    directory: directory::Directory,
    frozen: Arc<gate::Frozen>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let mut config = config;
    // Without --public-url, the public URL is localhost at the port actually bound.
    config.listening_on(listener.local_addr()?);
    let mailer = mail::Mailer::from_config(&config).map_err(|e| AppError::Config(e.to_string()))?;
    // Made once, on the first start: every later start (and every instance on the same data) reads it.
    let seal_key = seal::SealKey::load_or_make(&directory.pool(), clock::now_ms())
        .await
        .map_err(|e| AppError::Config(format!("the seal key: {e}")))?;
    let editions = {
        let dir = config.editions_dir();
        tokio::task::spawn_blocking(move || editions::load(&dir))
            .await
            .map_err(|e| AppError::Config(format!("loading editions: {e}")))?
    };
    let state = AppState::new(config, store, directory, frozen, seal_key, editions)?;
    // Runs beside the server and stops with it.
    let unloader = state
        .rooms
        .clone()
        .unload_idle_forever(state.config.unload_idle());
    let purger = state.log.clone().purge_daily(state.config.log_retention());
    let failures = state.log.clone().flush_failures_forever();
    let mails = {
        let state = state.clone();
        async move {
            match mailer {
                Some(mailer) => reminder_mail::run_forever(state, mailer).await,
                None => std::future::pending().await,
            }
        }
    };
    // On PostgreSQL, what the other instances sharing the database do reaches this one.
    let cluster = {
        let state = state.clone();
        async move {
            match state.config.database_url.clone() {
                Some(url) if db::Engine::of(&state.directory.pool()) == db::Engine::Postgres => {
                    let here = cluster::Here {
                        rooms: state.rooms.clone(),
                        people_changed: state.people_changed.clone(),
                    };
                    cluster::listen(url, here).await
                }
                _ => std::future::pending().await,
            }
        }
    };
    // Backups in generations, on the schedule (one instance takes each, see `backups`).
    let scheduled_backups = {
        let (schedule, pool) = (state.config.backup_schedule(), state.directory.pool());
        let data_dir = state.config.data_dir.clone();
        async move {
            match schedule {
                Some(schedule) => {
                    let store = Arc::new(store::sql::SqlStore::on(pool));
                    backups::run_forever(store, data_dir, schedule).await
                }
                None => std::future::pending().await,
            }
        }
    };
    let unloader = async move {
        tokio::join!(
            unloader,
            purger,
            failures,
            mails,
            cluster,
            scheduled_backups
        );
    };
    if let (Some(cert), Some(key)) = (state.config.tls_cert.clone(), state.config.tls_key.clone()) {
        let reload = std::time::Duration::from_millis(state.config.tls_reload_ms);
        let served = tls::serve(listener, app(state), &cert, &key, reload, shutdown);
        tokio::select! {
            served = served => served?,
            () = unloader => {}
        }
        return Ok(());
    }
    let serve = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown);
    tokio::select! {
        served = serve.into_future() => served?,
        () = unloader => {}
    }
    Ok(())
}
