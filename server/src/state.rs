//! What every handler shares. Cheap to clone (`Arc`s inside).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use mamori_shared::model::PeerId;
use mamori_shared::protocol::Limits;

use crate::config::Config;
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
    /// Who may change which document.
    pub policy: Arc<dyn crate::policy::WritePolicy>,
    /// Open sync connections.
    pub connections: Arc<AtomicUsize>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Arc<dyn DocStore>,
        policy: Arc<dyn crate::policy::WritePolicy>,
    ) -> AppState {
        AppState {
            config: Arc::new(config),
            worker: Arc::default(),
            rooms: Arc::new(Rooms::new(store)),
            server_peer: PeerId::generate("mamori-server"),
            policy,
            connections: Arc::default(),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_message_bytes: self.config.max_message_bytes,
        }
    }
}
