//! A deployment the signed-in load runs against: one or more Mamori server processes as deployed (signed
//! in, serving the app), on SQLite or sharing one PostgreSQL database on a cluster of their own, and the CPU
//! they and the database use together.

use super::proc::cpu_seconds;
use crate::postgres::{Cluster, database_on};
use crate::server::ServerProcess;

/// Where its data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct Deployment {
    pub instances: Vec<ServerProcess>,
    /// The cluster every instance's database is on (PostgreSQL only).
    cluster: Option<std::sync::Arc<Cluster>>,
}

impl Deployment {
    /// `instances` servers; on PostgreSQL they share a new database on `cluster`. `open` starts them with
    /// `--open-sync` (no sign-in: what the open load measures).
    pub async fn start(
        engine: Engine,
        instances: usize,
        cluster: Option<std::sync::Arc<Cluster>>,
        open: bool,
    ) -> Deployment {
        let database = match (engine, &cluster) {
            (Engine::Postgres, Some(c)) => Some(database_on(&c.url).await),
            (Engine::Postgres, None) => panic!("PostgreSQL needs a cluster"),
            (Engine::Sqlite, _) => None,
        };
        let mut flags: Vec<&str> = Vec::new();
        if let Some(url) = &database {
            flags.extend(["--database-url", url.as_str()]);
        }
        if open {
            flags.push("--open-sync");
        }
        let mut started = Vec::new();
        for _ in 0..instances {
            started.push(ServerProcess::start(&flags).await);
        }
        Deployment {
            instances: started,
            cluster: cluster.filter(|_| engine == Engine::Postgres),
        }
    }

    /// Every instance's sync WebSocket.
    pub fn ws_urls(&self) -> Vec<String> {
        self.instances
            .iter()
            .map(|i| format!("{}/sync", i.url.replace("http://", "ws://")))
            .collect()
    }

    /// CPU seconds used so far by every instance and the database cluster together.
    pub fn cpu_seconds(&self) -> f64 {
        let servers: f64 = self
            .instances
            .iter()
            .map(|i| cpu_seconds(&i.pid().to_string()))
            .sum();
        servers + self.database_cpu_seconds().unwrap_or(0.0)
    }

    /// CPU seconds used so far by the database cluster alone (PostgreSQL only).
    pub fn database_cpu_seconds(&self) -> Option<f64> {
        self.cluster.as_ref().map(|c| c.cpu_seconds())
    }

    /// Waits (at most 20 s) until the deployment is idle: under 5 % of a core over a quarter of a second.
    /// A step that overloaded it leaves a backlog the server works through after the clients have gone; the
    /// next step measured (of this deployment or another beside it) must not share the machine with that.
    pub async fn settle(&self) {
        const WINDOW: std::time::Duration = std::time::Duration::from_millis(250);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let before = self.cpu_seconds();
            tokio::time::sleep(WINDOW).await;
            let busy = (self.cpu_seconds() - before) / WINDOW.as_secs_f64();
            if busy < 0.05 || std::time::Instant::now() > deadline {
                return;
            }
        }
    }

    /// The instances' peak resident memory together, in MB.
    pub fn peak_mb(&self) -> f64 {
        self.instances
            .iter()
            .map(|i| i.memory_kib("VmHWM") as f64 / 1024.0)
            .sum()
    }
}
