//! What every handler shares. Cheap to clone (an `Arc` inside).

use std::sync::Arc;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The service worker rendered for the current build.
    pub worker: Arc<crate::routes::service_worker::WorkerCache>,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        AppState {
            config: Arc::new(config),
            worker: Arc::default(),
        }
    }
}
