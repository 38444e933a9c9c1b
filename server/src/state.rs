//! What every handler shares. Cheap to clone (`Arc`s inside).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use mamori_shared::model::PeerId;
use mamori_shared::protocol::Limits;

use webauthn_rs::prelude::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::AppError;
use crate::config::Config;
use crate::directory::Directory;
use crate::rooms::Rooms;
use crate::store::DocStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The service worker rendered for the current build.
    pub worker: Arc<crate::routes::service_worker::WorkerCache>,
    /// Live documents and the store behind them.
    pub rooms: Arc<Rooms>,
    /// This server's peer id in the sync protocol.
    pub server_peer: PeerId,
    /// Documents that accept no changes for now (see [`crate::gate::Frozen`]).
    pub frozen: Arc<crate::gate::Frozen>,
    /// Open sync connections.
    pub connections: Arc<AtomicUsize>,
    /// Facilities, people, roles, sessions, invitations, the document registry.
    pub directory: Directory,
    /// The WebAuthn relying party (this server's public host name).
    pub webauthn: Arc<Webauthn>,
    /// Passkey ceremonies in progress.
    pub ceremonies: Arc<crate::ceremonies::Ceremonies>,
    /// Unauthenticated requests per client, counted in memory (the flood shield of `Limited`).
    pub attempts: Arc<crate::ceremonies::Attempts>,
    /// Sign-in attempts, rate-limited per account and per address, counted in the shared database.
    pub sign_in_attempts: Arc<crate::ceremonies::SignInAttempts>,
    /// Announces a person or token whose records changed (role, disabled, signed out, revoked), so their
    /// open sync connections check again at once.
    pub people_changed: tokio::sync::broadcast::Sender<crate::gate::Subject>,
    /// The tamper-evident access log.
    pub log: Arc<crate::access_log::AccessLog>,
    /// Evidence files (their bytes in the data folder, their rows beside the directory's).
    pub files: Arc<dyn crate::files::FileStore>,
    /// The key that signs sealed checks and verifies the seals devices write back.
    pub seal_key: Arc<crate::seal::SealKey>,
    /// Checklist editions loaded from the editions folder at start.
    pub editions: Arc<crate::editions::Folder>,
}

impl AppState {
    /// Tells every open connection of `subject` (on this instance and, on PostgreSQL, on every other) that
    /// their records changed, so each checks its standing again at once.
    pub async fn announce(&self, subject: crate::gate::Subject) {
        let pool = self.directory.pool();
        if crate::db::Engine::of(&pool) == crate::db::Engine::Postgres {
            let sent = sqlx::query("SELECT COUNT(pg_notify($1, $2))")
                .bind(crate::cluster::PEOPLE_CHANNEL)
                .bind(crate::cluster::payload(&subject))
                .execute(&pool)
                .await;
            if let Err(e) = sent {
                // The other instances' sockets still re-check on their own schedule (at most a minute).
                tracing::error!(error = %e, "could not tell the other instances");
            }
        }
        let _ = self.people_changed.send(subject);
    }

    pub fn new(
        config: Config,
        store: Arc<dyn DocStore>,
        directory: Directory,
        frozen: Arc<crate::gate::Frozen>,
        seal_key: crate::seal::SealKey,
        editions: crate::editions::Folder,
    ) -> Result<AppState, AppError> {
        let webauthn = relying_party(&config.public_url())?;
        let log = Arc::new(crate::access_log::AccessLog::new(directory.pool()));
        let files = Arc::new(crate::files::local::LocalFiles::new(
            &config.data_dir,
            directory.pool(),
        ));
        let ceremonies = Arc::new(crate::ceremonies::Ceremonies::new(directory.pool()));
        let sign_in_attempts = Arc::new(crate::ceremonies::SignInAttempts::new(directory.pool()));
        Ok(AppState {
            config: Arc::new(config),
            worker: Arc::default(),
            rooms: Arc::new(Rooms::new(store)),
            server_peer: PeerId::generate("mamori-server"),
            frozen,
            connections: Arc::default(),
            directory,
            webauthn: Arc::new(webauthn),
            ceremonies,
            attempts: Arc::default(),
            sign_in_attempts,
            people_changed: tokio::sync::broadcast::channel(1024).0,
            log,
            files,
            seal_key: Arc::new(seal_key),
            editions: Arc::new(editions),
        })
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_message_bytes: self.config.max_message_bytes,
        }
    }
}

/// The WebAuthn relying party for the public URL: its host name is the RP id (passkeys are bound to it).
fn relying_party(public_url: &str) -> Result<Webauthn, AppError> {
    let url = Url::parse(public_url)
        .map_err(|e| AppError::Config(format!("--public-url {public_url:?}: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| AppError::Config(format!("--public-url {public_url:?} has no host name")))?;
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return Err(AppError::Config(format!(
            "--public-url {public_url:?} is an IP address: passkeys need a host name (e.g. mamori.clinic.lan, or localhost)"
        )));
    }
    WebauthnBuilder::new(host, &url)
        .and_then(|b| b.rp_name("Mamori").build())
        .map_err(|e| AppError::Config(format!("--public-url {public_url:?}: {e}")))
}
