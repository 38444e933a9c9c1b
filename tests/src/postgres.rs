//! PostgreSQL for tests: a fresh database per test on the throwaway cluster `scripts/postgres.sh start`
//! makes (`scripts/test.sh` starts one and sets `MAMORI_TEST_POSTGRES`). Each test gets its own database, so
//! tests run in parallel and leave nothing behind that another reads.

use sqlx::Connection;

/// The cluster's URL (`postgres://mamori@127.0.0.1:PORT/postgres`).
pub fn cluster_url() -> String {
    std::env::var("MAMORI_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "MAMORI_TEST_POSTGRES is not set: run the tests with `bash scripts/test.sh`, or start a cluster with \
             `eval \"$(bash scripts/postgres.sh start | sed 's/^/export /')\"`"
        )
    })
}

/// Whether every [`crate::TestServer`] should keep its data in PostgreSQL (`MAMORI_TEST_ENGINE=postgres`):
/// how `scripts/test.sh` runs the server-level end-to-end suites a second time, on the other engine.
pub fn servers_on_postgres() -> bool {
    std::env::var("MAMORI_TEST_ENGINE").is_ok_and(|e| e == "postgres")
}

/// Creates a new, empty database on the cluster; returns its URL.
pub async fn fresh_database() -> String {
    database_on(&cluster_url()).await
}

/// Creates a new, empty database on the cluster at `cluster` (any database's URL on it); returns its URL.
pub async fn database_on(cluster: &str) -> String {
    let name = format!("mamori_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(cluster)
        .await
        .unwrap_or_else(|e| panic!("connect to the cluster at {cluster}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let mut url = url::Url::parse(cluster).expect("cluster URL");
    url.set_path(&name);
    url.to_string()
}

/// A PostgreSQL cluster of one's own (`scripts/postgres.sh start`), stopped and removed on drop: for the
/// benchmarks, and for tests that stop the database under the server (the shared cluster must stay up).
pub struct Cluster {
    pub url: String,
    dir: String,
}

fn script() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh")
}

impl Cluster {
    pub fn start() -> Cluster {
        let out = std::process::Command::new("bash")
            .arg(script())
            .arg("start")
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("scripts/postgres.sh runs");
        assert!(out.status.success(), "a PostgreSQL cluster starts");
        let text = String::from_utf8_lossy(&out.stdout);
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("{key} in {text}"))
                .to_string()
        };
        Cluster {
            url: value("MAMORI_TEST_POSTGRES"),
            dir: value("MAMORI_PG_DIR"),
        }
    }

    /// Stops the database (as a crashed or full database server would stop answering), keeping its data.
    pub fn pause(&self) {
        self.ctl("pause");
    }

    /// Starts it again on the same port and data.
    pub fn resume(&self) {
        self.ctl("resume");
    }

    /// CPU seconds the whole cluster has used: the postmaster, its live and its ended backends.
    pub fn cpu_seconds(&self) -> f64 {
        let pid = std::fs::read_to_string(format!("{}/data/postmaster.pid", self.dir))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .expect("the cluster's postmaster.pid");
        crate::load::proc::tree_cpu_seconds(pid)
    }

    fn ctl(&self, what: &str) {
        let ok = std::process::Command::new("bash")
            .arg(script())
            .args([what, &self.dir])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "postgres.sh {what}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(script())
            .args(["stop", &self.dir])
            .status();
    }
}
