//! The servers a load runs against, each started fresh as its own process on a free localhost port with its
//! own data folder, so its CPU time and memory can be read from `/proc`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mamori,
    /// `@automerge/automerge-repo-sync-server` from npm (installed in `tests/reference-server`).
    Reference,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mamori => "Mamori",
            Kind::Reference => "reference",
        }
    }
}

/// A running server process; killed on drop.
pub struct Server {
    pub kind: Kind,
    pub port: u16,
    child: Child,
    _data: tempfile::TempDir,
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Mamori server binary built with the `server` profile (`scripts/bench.sh` builds it).
pub fn mamori_binary() -> PathBuf {
    workspace().join("target/server/mamori-server")
}

pub fn reference_script() -> PathBuf {
    workspace().join(
        "tests/reference-server/node_modules/@automerge/automerge-repo-sync-server/src/index.js",
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free localhost port")
}

impl Server {
    /// Starts a server on a fresh data folder; `extra` are flags for Mamori's server.
    pub async fn start(kind: Kind, extra: &[&str]) -> Server {
        let data = tempfile::tempdir().expect("temp data dir");
        Server::start_in(kind, data, extra).await
    }

    /// Starts a server on a given data folder (e.g. one seeded with documents).
    pub async fn start_in(kind: Kind, data: tempfile::TempDir, extra: &[&str]) -> Server {
        let port = free_port();
        let mut cmd = match kind {
            Kind::Mamori => {
                let bin = mamori_binary();
                assert!(
                    bin.is_file(),
                    "{} is missing: run scripts/bench.sh",
                    bin.display()
                );
                let mut c = Command::new(bin);
                c.arg("--addr")
                    .arg(format!("127.0.0.1:{port}"))
                    .arg("--data-dir")
                    .arg(data.path())
                    .arg("--assets")
                    .arg(workspace().join("app/dist"))
                    // The reference server has no access control: compare like with like.
                    .arg("--open-sync")
                    .args(extra)
                    .env("RUST_LOG", "error");
                c
            }
            Kind::Reference => {
                let script = reference_script();
                assert!(
                    script.is_file(),
                    "{} is missing: run scripts/bench.sh (it installs the reference server)",
                    script.display()
                );
                let mut c = Command::new("node");
                c.arg(script)
                    .env("PORT", port.to_string())
                    .env("DATA_DIR", data.path().join("amrg"))
                    .current_dir(data.path());
                c
            }
        };
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let server = Server {
            kind,
            port,
            child,
            _data: data,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "{} did not start listening",
                kind.name()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// The sync WebSocket URL (the reference server accepts upgrades on any path).
    pub fn ws_url(&self) -> String {
        format!("ws://localhost:{}/sync", self.port)
    }

    /// Mamori's `/healthz` as JSON.
    pub async fn health(&self) -> serde_json::Value {
        crate::server::get_json(self.port, "/healthz").await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
