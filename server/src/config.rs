//! Server settings, from flags or `MAMORI_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "mamori-server",
    about = "Mamori (守り): the sync server and app host"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "MAMORI_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The built app (trunk's output folder).
    #[arg(long, env = "MAMORI_ASSETS", default_value = "app/dist")]
    pub assets: PathBuf,
    /// Where the server keeps its data (the embedded store, from the sync issue on).
    #[arg(long, env = "MAMORI_DATA", default_value = "data")]
    pub data_dir: PathBuf,
}

impl Config {
    /// Settings for tests and tools: serve `assets`, listen wherever the caller bound.
    pub fn for_assets(assets: impl Into<PathBuf>, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: ([127, 0, 0, 1], 0).into(),
            assets: assets.into(),
            data_dir: data_dir.into(),
        }
    }
}
