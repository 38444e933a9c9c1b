//! Server settings, from flags or `MAMORI_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "mamori-server",
    about = "Mamori (守り): the sync server and app host"
)]
pub struct Config {
    /// What to do; without a command, serve.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "MAMORI_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The built app (trunk's output folder).
    #[arg(long, env = "MAMORI_ASSETS", default_value = "app/dist")]
    pub assets: PathBuf,
    /// Where the server keeps its data (the embedded SQLite store, evidence files, editions).
    #[arg(long, env = "MAMORI_DATA", default_value = "data")]
    pub data_dir: PathBuf,
    /// PostgreSQL instead of the embedded SQLite store (`postgres://user:password@host:port/database`):
    /// documents, people and the access log then live there, and several instances may share it. Evidence
    /// files stay in the data folder (give every instance the same shared folder).
    #[arg(long, env = "MAMORI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The largest sync message accepted, in bytes.
    #[arg(long, env = "MAMORI_MAX_MESSAGE_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// How many documents one connection may sync.
    #[arg(
        long,
        env = "MAMORI_MAX_DOCUMENTS_PER_CONNECTION",
        default_value_t = 10_000
    )]
    pub max_documents_per_connection: usize,
    /// Sustained messages a second one connection may send.
    #[arg(long, env = "MAMORI_MESSAGES_PER_SECOND", default_value_t = 200)]
    pub messages_per_second: u32,
    /// Messages one connection may send in a burst (a device catching up after a week offline).
    #[arg(long, env = "MAMORI_MESSAGE_BURST", default_value_t = 2_000)]
    pub message_burst: u32,
    /// How long one write to a peer may last before the peer counts as stalled and is disconnected. While a
    /// write waits, the server reads no more of that peer's messages (back-pressure on that connection
    /// alone), so what one slow peer holds is bounded by one batch of replies.
    #[arg(long, env = "MAMORI_SEND_TIMEOUT_MS", default_value_t = 10_000)]
    pub send_timeout_ms: u64,
    /// A ping is sent after this long without hearing from a peer.
    #[arg(long, env = "MAMORI_PING_INTERVAL_MS", default_value_t = 15_000)]
    pub ping_interval_ms: u64,
    /// A peer that does not answer a ping within this long is gone, and its connection is closed.
    #[arg(long, env = "MAMORI_PONG_TIMEOUT_MS", default_value_t = 10_000)]
    pub pong_timeout_ms: u64,
    /// The address people open Mamori at. Passkeys are bound to its host name (WebAuthn refuses bare IP
    /// addresses: use a name such as `mamori.clinic.lan`, or `localhost` on one machine). Without it,
    /// `http://localhost:<the port it listens on>` (`https://` with `--tls-cert`): the one machine case.
    #[arg(long, env = "MAMORI_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Lets every peer sync every document without signing in. Only for development, tests of sync itself
    /// and the load benchmark (the reference server it is compared with has no access control either):
    /// never for real data. By default only signed-in people (or API tokens) sync, each only what their
    /// role allows.
    #[arg(long, env = "MAMORI_OPEN_SYNC")]
    pub open_sync: bool,
    /// A session unused for this long ends (the person signs in again); an open sync socket is closed
    /// then too. Fractions allowed (tests use seconds). The defaults (30 minutes, 12 hours) are OWASP ASVS
    /// V3.3.2 at level 2; see docs/access.md.
    #[arg(long, env = "MAMORI_SESSION_IDLE_MINUTES", default_value_t = 30.0)]
    pub session_idle_minutes: f64,
    /// A session ends this long after sign-in, however much it is used; its sockets close then.
    #[arg(long, env = "MAMORI_SESSION_ABSOLUTE_HOURS", default_value_t = 12.0)]
    pub session_absolute_hours: f64,
    /// Serve HTTPS with this certificate chain (PEM); needs `--tls-key`. Re-read when the file changes
    /// (a renewed certificate), without dropping open connections.
    #[arg(long, env = "MAMORI_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "MAMORI_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies (their addresses) whose `X-Forwarded-For` is believed: the client address behind
    /// them is used for sign-in rate limits and the access log. Nobody else's forwarded headers count.
    #[arg(
        long = "trusted-proxy",
        env = "MAMORI_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How often to look for a renewed certificate.
    #[arg(long, env = "MAMORI_TLS_RELOAD_MS", default_value_t = 10_000)]
    pub tls_reload_ms: u64,
    /// Access-log entries younger than this are never removed; older ones are purged from the start of the
    /// chain, once a day, behind a checkpoint entry.
    #[arg(long, env = "MAMORI_LOG_RETENTION_DAYS", default_value_t = 5 * 365 + 2)]
    pub log_retention_days: u64,
    /// Sensitive changes (roles, leaving, passkeys, recovery codes, tokens) need a passkey proven within this
    /// many seconds; older sessions are asked to re-authenticate first.
    #[arg(long, env = "MAMORI_REAUTH_SECONDS", default_value_t = 300)]
    pub reauth_seconds: u64,
    /// How long an invitation link can be used.
    #[arg(long, env = "MAMORI_INVITATION_DAYS", default_value_t = 7)]
    pub invitation_days: u64,
    /// How long after leaving a facility a person's device may still hand back its unsynced changes (its
    /// ended session cookie works for nothing else, and for this only this long).
    #[arg(long, env = "MAMORI_HAND_BACK_DAYS", default_value_t = 30)]
    pub hand_back_days: u64,
    /// A document no connection has open is unloaded from memory after this long (it stays in the store).
    #[arg(long, env = "MAMORI_UNLOAD_IDLE_MS", default_value_t = 60_000)]
    pub unload_idle_ms: u64,
    /// Operations (and changes) a sync message may declare per KiB it carries (its DEFLATE'd parts counted
    /// inflated too), beyond a small floor: what bounds Automerge's work on one message before it sees it.
    /// Honest messages carry about 50.
    #[arg(long, env = "MAMORI_OPS_PER_KIB", default_value_t = 128)]
    pub ops_per_kib: u64,
    /// The largest a document may grow in the store, in bytes.
    #[arg(long, env = "MAMORI_MAX_DOCUMENT_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_document_bytes: usize,
    /// The most a facility's documents and evidence files may take in the store together, in bytes.
    #[arg(long, env = "MAMORI_MAX_FACILITY_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub max_facility_bytes: u64,
    /// The most documents one facility may register.
    #[arg(long, env = "MAMORI_MAX_FACILITY_DOCUMENTS", default_value_t = 10_000)]
    pub max_facility_documents: u64,
    /// How long an evidence file's upload may take, in seconds, before it is refused (408) and nothing of it
    /// kept: a client that stops sending half way must not hold a connection and a temporary file forever.
    /// 20 MB over a 1 Mbit/s line takes under three minutes.
    #[arg(long, env = "MAMORI_UPLOAD_SECONDS", default_value_t = 600)]
    pub upload_seconds: u64,
    /// The SMTP server reminder mails go through; without it, no mail is sent (期限 still shows in the
    /// app). The account, if the server needs one, comes from the environment (`MAMORI_SMTP_USER`,
    /// `MAMORI_SMTP_PASSWORD`) or `--smtp-password-file`, never from a flag: flags show in `ps`.
    #[arg(long, env = "MAMORI_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "MAMORI_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// `starttls` (port 587), `tls` (implicit TLS, port 465) or `none` (a relay on this machine only).
    #[arg(long, env = "MAMORI_SMTP_TLS", default_value = "starttls")]
    pub smtp_tls: SmtpTls,
    /// The sender of reminder mails (e.g. `守り Mamori <mamori@clinic.example>`).
    #[arg(
        long,
        env = "MAMORI_SMTP_FROM",
        default_value = "Mamori <mamori@localhost>"
    )]
    pub smtp_from: String,
    /// A file holding the SMTP password (its first line), instead of `MAMORI_SMTP_PASSWORD`.
    #[arg(long, env = "MAMORI_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<std::path::PathBuf>,
    /// How long one SMTP conversation may take before it is given up (and retried later).
    #[arg(long, env = "MAMORI_SMTP_TIMEOUT_SECONDS", default_value_t = 30)]
    pub smtp_timeout_seconds: u64,
    /// How often reminders are looked at for mails to send, in seconds.
    #[arg(long, env = "MAMORI_REMINDER_CHECK_SECONDS", default_value_t = 3600)]
    pub reminder_check_seconds: u64,
    /// A folder of checklist edition files (`*.json`, as `shared/editions/`) to load at start, beside the
    /// embedded 令和7年度版: a new edition without a new build. Default: `editions` in the data folder.
    #[arg(long, env = "MAMORI_EDITIONS_DIR")]
    pub editions_dir: Option<PathBuf>,
    /// Where scheduled backups go, in generations (default: `backups` in the data folder). Put it on another
    /// disk than the data folder if you can.
    #[arg(long, env = "MAMORI_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// A second location that receives a copy of every scheduled backup and is never pruned: a USB disk
    /// that is unplugged between backups, or a write-once object-store mount (see the README).
    #[arg(long, env = "MAMORI_BACKUP_OFFLINE_DIR")]
    pub backup_offline_dir: Option<PathBuf>,
    /// Hours between scheduled backups (0: none; the first is taken an hour after start).
    #[arg(long, env = "MAMORI_BACKUP_EVERY_HOURS", default_value_t = 24)]
    pub backup_every_hours: u64,
    /// Daily generations kept in the backup folder.
    #[arg(long, env = "MAMORI_BACKUP_KEEP_DAILY", default_value_t = 3)]
    pub backup_keep_daily: u32,
    /// Weekly generations kept in the backup folder (besides the daily ones).
    #[arg(long, env = "MAMORI_BACKUP_KEEP_WEEKLY", default_value_t = 4)]
    pub backup_keep_weekly: u32,
}

impl Config {
    pub fn send_timeout(&self) -> Duration {
        Duration::from_millis(self.send_timeout_ms)
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms)
    }

    pub fn pong_timeout(&self) -> Duration {
        Duration::from_millis(self.pong_timeout_ms)
    }

    pub fn require_sign_in(&self) -> bool {
        !self.open_sync
    }

    /// The address people open Mamori at: `--public-url`, or else `localhost` at the port this server
    /// listens on (see [`Config::listening_on`]), so a server started on another port accepts its own pages.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let scheme = if self.tls() { "https" } else { "http" };
                format!("{scheme}://localhost:{}", self.addr.port())
            }
        }
    }

    /// Notes the address the server was bound to (a port of 0 becomes the one the system chose), which the
    /// default public URL follows.
    pub fn listening_on(&mut self, addr: SocketAddr) {
        self.addr = addr;
    }

    /// Whether this server speaks HTTPS itself.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// Whether browsers reach Mamori over HTTPS (its own TLS, or a proxy's in front of it, as the public URL
    /// says): then the session cookie is `__Host-` and `Secure`, and responses carry HSTS.
    pub fn https(&self) -> bool {
        self.tls() || self.public_url().starts_with("https://")
    }

    /// The client's address: the peer's, or behind a trusted proxy the last address in `X-Forwarded-For`
    /// that is not itself a trusted proxy.
    pub fn client_ip(
        &self,
        peer: std::net::SocketAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        if !self.trusted_proxies.contains(&peer.ip()) {
            return peer.ip();
        }
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .rev()
            .find(|a| !self.trusted_proxies.contains(a))
            .unwrap_or(peer.ip())
    }

    pub fn session_limits(&self) -> crate::directory::SessionLimits {
        crate::directory::SessionLimits {
            idle: Duration::from_secs_f64(self.session_idle_minutes.max(0.0) * 60.0),
            absolute: Duration::from_secs_f64(self.session_absolute_hours.max(0.0) * 3600.0),
        }
    }

    pub fn log_retention(&self) -> Duration {
        Duration::from_secs(self.log_retention_days * 24 * 3600)
    }

    /// What one sync message's chunks may cost: inflated to at most twice the largest message, and
    /// `--ops-per-kib` operations declared per KiB.
    pub fn chunk_limits(&self) -> mamori_shared::sync::chunks::ChunkLimits {
        mamori_shared::sync::chunks::ChunkLimits {
            max_inflated_bytes: 2 * self.max_message_bytes,
            ops_per_kib: self.ops_per_kib,
            ..Default::default()
        }
    }

    /// What a device's whole document handed back in one request may cost: as a sync message, but without
    /// the cap on operations per message (a document cannot come in batches); its body limit bounds it.
    pub fn hand_back_limits(&self) -> mamori_shared::sync::chunks::ChunkLimits {
        mamori_shared::sync::chunks::ChunkLimits {
            max_ops: u64::MAX,
            ..self.chunk_limits()
        }
    }

    pub fn editions_dir(&self) -> PathBuf {
        self.editions_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("editions"))
    }

    /// The backup schedule (`None` when scheduled backups are off).
    pub fn backup_schedule(&self) -> Option<crate::backups::Schedule> {
        (self.backup_every_hours > 0).then(|| crate::backups::Schedule {
            dir: self
                .backup_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("backups")),
            offline_dir: self.backup_offline_dir.clone(),
            every: Duration::from_secs(self.backup_every_hours * 3600),
            keep_daily: self.backup_keep_daily as usize,
            keep_weekly: self.backup_keep_weekly as usize,
        })
    }

    pub fn unload_idle(&self) -> Duration {
        Duration::from_millis(self.unload_idle_ms)
    }

    /// Settings for tests and tools: serve `assets`, listen wherever the caller bound.
    pub fn for_assets(assets: impl Into<PathBuf>, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: ([127, 0, 0, 1], 0).into(),
            assets: assets.into(),
            data_dir: data_dir.into(),
            ..Config::parse_from(["mamori-server"])
        }
    }
}

/// How the SMTP connection for reminder mails is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    /// Plain first, then STARTTLS (required): submission on port 587.
    Starttls,
    /// TLS from the first byte: port 465.
    Tls,
    /// No TLS: only for a relay on this machine (or a test's).
    None,
}

/// Maintenance commands, run beside (or instead of) the server.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Writes a consistent copy of the store to FILE; safe while the server runs and writes.
    Backup {
        /// Where to write the copy (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replaces the store in the data folder with a backup. Stop the server first. With --verify, replaces
    /// nothing: restores the backup into a scratch place and checks that every document loads, the access
    /// log verifies and every evidence file is there (a PostgreSQL dump, `.dump`, into a scratch database
    /// on the server at --database-url).
    Restore {
        /// The backup to restore.
        #[arg(long)]
        from: PathBuf,
        /// Only check that the backup restores; change nothing.
        #[arg(long)]
        verify: bool,
    },
    /// Checks the access log's hash chain from its newest checkpoint; names the first entry that does not
    /// fit and exits with status 1 if one does not.
    VerifyLog,
    /// Checks a sealed annual check read back from the printed binder (e.g. `pdftotext binder.pdf -`): the
    /// block between `-----BEGIN MAMORI SEAL-----` and `-----END MAMORI SEAL-----` must be signed by this
    /// server's key over exactly its text. Exits with status 1 if not.
    VerifySeal {
        /// The text holding the block (`-` for standard input).
        #[arg(long)]
        file: PathBuf,
    },
    /// Prints a one-time code for registering a facility (its first 管理者 types it, or opens the printed
    /// link). Safe while the server runs.
    RegistrationCode {
        /// How long the code can be used.
        #[arg(long, default_value_t = 24)]
        valid_hours: u64,
    },
    /// Copies a SQLite store (a backup file, or a data folder whose server is stopped) into an empty
    /// PostgreSQL database, then verifies the copy: row counts, every document's heads, the access log.
    MigrateStore {
        /// The SQLite store: a backup file or a data folder holding mamori.db.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database (postgres://…), empty.
        #[arg(long)]
        to: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_follows_the_port_listened_on() {
        // Started on another port without --public-url: its own pages must be its origin.
        let mut config = Config::parse_from(["mamori-server", "--addr", "127.0.0.1:9123"]);
        assert_eq!(config.public_url(), "http://localhost:9123");
        // Bound to port 0, the port the system chose.
        config.listening_on(([127, 0, 0, 1], 41234).into());
        assert_eq!(config.public_url(), "http://localhost:41234");
        // Given, it is kept whatever the port.
        let config = Config::parse_from([
            "mamori-server",
            "--addr",
            "0.0.0.0:9123",
            "--public-url",
            "https://mamori.clinic.lan",
        ]);
        assert_eq!(config.public_url(), "https://mamori.clinic.lan");
    }
}
