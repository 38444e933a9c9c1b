//! The real server, in-process, on `localhost:<free port>` with its own data folder.

use std::path::PathBuf;

use std::sync::Arc;

use mamori_server::Config;
use mamori_server::gate::Frozen;
use mamori_server::store::sql::SqlStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestServer {
    /// `http://localhost:<port>`: a host name, not an IP, because WebAuthn refuses bare IP addresses.
    pub url: String,
    pub port: u16,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    _data: tempfile::TempDir,
    /// PostgreSQL instead of the data folder's SQLite file (see [`crate::postgres::servers_on_postgres`]).
    database_url: Option<String>,
}

/// The built app: `MAMORI_DIST`, or `app/dist` in the workspace.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("MAMORI_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../app/dist"));
    assert!(
        dir.join("index.html").is_file(),
        "the app is not built at {}: run `bash scripts/test.sh` (or `trunk build --release` in app/)",
        dir.display()
    );
    dir
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_on(0).await
    }

    /// Starts on a given port (0 for any), e.g. to bring a server back on the port a browser knows.
    pub async fn start_on(port: u16) -> TestServer {
        TestServer::start_with(port, dist_dir()).await
    }

    /// Starts on a port, serving the app build in `dist` (e.g. a second, newer build).
    pub async fn start_with(port: u16, dist: PathBuf) -> TestServer {
        TestServer::start_full(port, dist, Arc::default(), |_| {}).await
    }

    /// Starts with a set of frozen (read-only) documents the test controls (e.g. to refuse a device's
    /// changes).
    pub async fn start_with_frozen(frozen: Arc<Frozen>) -> TestServer {
        TestServer::start_full(0, dist_dir(), frozen, |_| {}).await
    }

    /// Starts as deployed: only signed-in people (and API tokens) sync. [`TestServer::start`] and the others
    /// run with `--open-sync`, for tests of sync itself.
    pub async fn start_signed_in() -> TestServer {
        TestServer::start_configured(|c| c.open_sync = false).await
    }

    /// Starts with settings changed from the defaults (short timeouts, small queues).
    pub async fn start_configured(configure: impl FnOnce(&mut Config)) -> TestServer {
        TestServer::start_full(0, dist_dir(), Arc::default(), configure).await
    }

    /// The server's data folder (its SQLite store), for tests that look inside or tamper with it.
    /// A fresh one-time registration code, as `mamori-server registration-code` prints it.
    pub async fn registration_code(&self) -> String {
        registration_code_at(self.data_dir(), self.database_url.as_deref()).await
    }

    /// The PostgreSQL database this server keeps its data in, if not SQLite in its data folder.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// `/healthz`: open sync connections and documents in memory among other things.
    pub async fn health(&self) -> serde_json::Value {
        get_json(self.port, "/healthz").await
    }

    /// Stops this server and starts another on the same port and data folder (a restart), configured anew.
    pub async fn restart(mut self, configure: impl FnOnce(&mut Config)) -> TestServer {
        self.stop().await;
        let data = std::mem::replace(&mut self._data, tempfile::tempdir().expect("temp dir"));
        let database_url = self.database_url.clone();
        TestServer::start_in(
            self.port,
            dist_dir(),
            Arc::default(),
            |c| {
                c.database_url = database_url;
                configure(c)
            },
            data,
        )
        .await
    }

    async fn start_full(
        port: u16,
        dist: PathBuf,
        frozen: Arc<Frozen>,
        configure: impl FnOnce(&mut Config),
    ) -> TestServer {
        let data = tempfile::tempdir().expect("temp data dir");
        let database_url = if crate::postgres::servers_on_postgres() {
            Some(crate::postgres::fresh_database().await)
        } else {
            None
        };
        TestServer::start_in(
            port,
            dist,
            frozen,
            |c| {
                c.database_url = database_url;
                configure(c)
            },
            data,
        )
        .await
    }

    async fn start_in(
        port: u16,
        dist: PathBuf,
        frozen: Arc<Frozen>,
        configure: impl FnOnce(&mut Config),
        data: tempfile::TempDir,
    ) -> TestServer {
        // The server's own log, when a test run asks for it (`RUST_LOG=info`).
        if std::env::var_os("RUST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .try_init();
        }
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind localhost");
        let port = listener.local_addr().unwrap().port();
        let mut config = Config::for_assets(dist, data.path());
        config.public_url = Some(format!("http://localhost:{port}"));
        config.open_sync = true;
        configure(&mut config);
        let database_url = config.database_url.clone();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(async move {
            let store = SqlStore::at(&config.data_dir, config.database_url.as_deref())
                .await
                .expect("store opens");
            let directory = mamori_server::directory::Directory::new(store.pool());
            mamori_server::run_with(
                listener,
                config,
                Arc::new(store),
                directory,
                frozen,
                async {
                    let _ = rx.await;
                },
            )
            .await
            .expect("server runs");
        });
        TestServer {
            url: format!("http://localhost:{port}"),
            port,
            shutdown: Some(tx),
            handle: Some(handle),
            _data: data,
            database_url,
        }
    }

    /// Stops the server and waits until it no longer answers.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.abort();
            let _ = h.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.abort();
        }
    }
}

/// GETs `path` from `localhost:port` over plain HTTP/1.1 and parses the body as JSON (`Null` if it is not).
pub async fn get_json(port: u16, path: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).await.expect("read");
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_default()
}

/// POSTs an empty body to `path` with a cookie (a session ended from elsewhere, say); returns the status line.
pub async fn post_with_cookie(port: u16, path: &str, cookie: &str) -> String {
    post_with_headers(port, path, &[("Cookie", cookie)]).await
}

/// POSTs an empty body to `path` with these headers (as a forged cross-site request would); returns the
/// status line.
pub async fn post_with_headers(port: u16, path: &str, headers: &[(&str, &str)]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await.expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).await.expect("read");
    text.lines().next().unwrap_or_default().to_string()
}

/// POSTs `body` to `path` with a cookie, straight from this process (no browser in between, so its time is
/// the server's); returns the status line.
pub async fn post_body_with_cookie(port: u16, path: &str, cookie: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s.write_all(body).await.expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).await.expect("read");
    text.lines().next().unwrap_or_default().to_string()
}

/// The server binary built beside the tests (`cargo build -p mamori-server`, done by scripts/test.sh), for
/// tests that run it as a process or call its maintenance commands.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    // A test runs from target/<profile>/deps, a tool of this crate (the benchmarks) from target/<profile>.
    let bin = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("mamori-server"))
        .find(|bin| bin.is_file());
    bin.unwrap_or_else(|| {
        panic!(
            "build the server first: cargo build -p mamori-server (none beside {})",
            exe.display()
        )
    })
}

/// A maintenance command of the server binary on `data_dir` (`["verify-log"]`, `["verify-seal", "--file",
/// path]` …): whether it succeeded, and what it printed (stdout, then stderr).
pub fn maintenance(data_dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(server_binary())
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("the server binary runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `mamori-server verify-seal` on `text` (as a file), against the key in `data_dir`.
pub fn verify_seal(data_dir: &std::path::Path, text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("seal.txt");
    std::fs::write(&file, text).expect("seal file written");
    maintenance(
        data_dir,
        &[
            "verify-seal",
            "--file",
            file.to_str().expect("a UTF-8 path"),
        ],
    )
}

/// A document as the server's store holds it, every chunk loaded together as the server loads it (a stored
/// change whose dependency is not stored fails here).
pub async fn stored_document(
    data_dir: &std::path::Path,
    doc: mamori_shared::model::DocumentId,
) -> automerge::AutoCommit {
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data_dir.join("mamori.db").display()
    ))
    .await
    .expect("the store opens");
    let chunks: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT data FROM chunks WHERE doc_id = ? ORDER BY seq")
            .bind(doc.to_string())
            .fetch_all(&db)
            .await
            .expect("chunks read");
    db.close().await;
    automerge::AutoCommit::load(&chunks.concat()).expect("the stored document loads")
}

/// The server binary as its own process, signed in as deployed, serving the built app on a free port: for
/// tests that read its memory from `/proc` or kill it.
pub struct ServerProcess {
    pub url: String,
    child: std::process::Child,
    data: tempfile::TempDir,
    /// From `--database-url` among the flags it was started with.
    database_url: Option<String>,
    /// Everything it was started with, to start it again the same way.
    args: Vec<std::ffi::OsString>,
    port: u16,
}

impl ServerProcess {
    /// Starts it with extra flags and waits until it answers.
    pub async fn start(extra: &[&str]) -> ServerProcess {
        ServerProcess::start_serving(&dist_dir(), extra).await
    }

    /// [`ServerProcess::start`] with no app to serve (sync and the API only: for the benchmarks).
    pub async fn start_without_app(extra: &[&str]) -> ServerProcess {
        ServerProcess::start_serving(std::path::Path::new("/nonexistent"), extra).await
    }

    async fn start_serving(assets: &std::path::Path, extra: &[&str]) -> ServerProcess {
        let data = tempfile::tempdir().expect("temp data dir");
        ServerProcess::start_in(assets, data, extra).await
    }

    /// [`ServerProcess::start`] on a data folder the test made (e.g. on a small disk); the folder is removed
    /// with the server.
    pub async fn start_with_data(data: tempfile::TempDir, extra: &[&str]) -> ServerProcess {
        ServerProcess::start_in(&dist_dir(), data, extra).await
    }

    async fn start_in(
        assets: &std::path::Path,
        data: tempfile::TempDir,
        extra: &[&str],
    ) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://localhost:{port}");
        let mut args: Vec<std::ffi::OsString> =
            ["--addr", &format!("127.0.0.1:{port}"), "--public-url", &url]
                .iter()
                .map(|a| a.into())
                .collect();
        args.extend([
            "--assets".into(),
            assets.into(),
            "--data-dir".into(),
            data.path().into(),
        ]);
        args.extend(extra.iter().map(|a| a.into()));
        let child = spawn_binary(&args);
        let database_url = extra
            .iter()
            .position(|f| *f == "--database-url")
            .and_then(|i| extra.get(i + 1))
            .map(|u| u.to_string());
        let server = ServerProcess {
            url,
            child,
            data,
            database_url,
            args,
            port,
        };
        server.answering().await;
        server
    }

    async fn answering(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the server process does not answer"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Kills it with SIGKILL (no shutdown of any kind) and starts it again, the same way, on the same port
    /// and data; returns once it answers.
    pub async fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_binary(&self.args);
        self.answering().await;
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// A fresh one-time registration code, as `mamori-server registration-code` prints it.
    pub async fn registration_code(&self) -> String {
        registration_code_at(self.data_dir(), self.database_url.as_deref()).await
    }

    /// The PostgreSQL database this server keeps its data in, if not SQLite in its data folder.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A line of `/proc/<pid>/status` in KiB (`VmHWM`: the peak resident memory so far; `VmRSS`: now).
    pub fn memory_kib(&self, field: &str) -> u64 {
        proc_status_kib(self.pid(), field)
    }
}

/// Starts the server binary; its log goes to this process's stderr with `MAMORI_TEST_SERVER_LOG=1`.
fn spawn_binary(args: &[std::ffi::OsString]) -> std::process::Child {
    let log = std::env::var_os("MAMORI_TEST_SERVER_LOG").is_some();
    std::process::Command::new(server_binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(if log {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::null()
        })
        .stderr(if log {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::null()
        })
        .spawn()
        .expect("the server binary starts")
}

/// A registration code for the server whose store is in `data_dir` (running or not).
async fn registration_code_at(data_dir: &std::path::Path, database_url: Option<&str>) -> String {
    mamori_server::maintenance::registration_code(
        data_dir,
        database_url,
        std::time::Duration::from_secs(3600),
    )
    .await
    .expect("a registration code")
}

/// A `kB` field of `/proc/<pid>/status`.
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Resets `pid`'s peak resident memory (VmHWM) to what it holds now, so the next reading is the peak of
/// what happens after (Linux: writing 5 to `clear_refs`). False where the kernel does not allow it.
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
