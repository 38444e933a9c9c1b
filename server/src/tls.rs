//! HTTPS served by Mamori itself (rustls, with the `ring` provider: no C toolchain needed). The certificate
//! and key are read from PEM files and read again whenever either file changes (a renewed certificate),
//! without dropping open connections: new handshakes use the new certificate, existing ones carry on.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use tokio::net::TcpListener;

use crate::AppError;

/// Serves `app` over TLS on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    cert: &Path,
    key: &Path,
    reload_every: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    // One process-wide provider; a second install (tests start several servers) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| AppError::Tls(format!("{}: {e}", cert.display())))?;
    let watcher = tokio::spawn(reload_on_change(
        config.clone(),
        cert.to_path_buf(),
        key.to_path_buf(),
        reload_every,
    ));
    let handle: Handle<SocketAddr> = Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let served = axum_server::from_tcp_rustls(listener.into_std()?, config)?
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await;
    watcher.abort();
    Ok(served?)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Re-reads the certificate and key whenever either file's modification time changes. A pair that does
/// not load (a half-written renewal) is logged and the old one kept; the next change is tried again.
async fn reload_on_change(config: RustlsConfig, cert: PathBuf, key: PathBuf, every: Duration) {
    let mut seen = (modified(&cert), modified(&key));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = (modified(&cert), modified(&key));
        if now == seen {
            continue;
        }
        match config.reload_from_pem_file(&cert, &key).await {
            Ok(()) => {
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                seen = now;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the new TLS certificate does not load; keeping the old one")
            }
        }
    }
}
