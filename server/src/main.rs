//! `mamori-server`: parse flags, set up logging, then serve (bind, hand over to [`mamori_server::run`]) or
//! run a maintenance command (`backup`, `restore`, `verify-log`, `registration-code`).

use clap::Parser;

/// mimalloc instead of glibc's malloc: Automerge's save (in every first sync of a document) allocates
/// compressor state with `posix_memalign`, and glibc fragmented around those blocks so badly that each
/// loaded document held ~480 KB of resident memory that was never returned; with mimalloc it is ~33 KB, and
/// unloading a document gives its memory back.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use mamori_server::Config;
use mamori_server::config::Command;
use tracing_subscriber::EnvFilter;

/// `RUST_LOG` if set, else `info`; Automerge's own spans stay off unless `RUST_LOG` names `automerge`.
///
/// Automerge marks its loading functions `#[instrument]` at the info level, so an `info` filter opens a span
/// for every change received and formats its arguments, the whole change graph among them, as text: that was
/// a tenth of the sync server's CPU under load, growing with each document's history.
fn log_filter() -> EnvFilter {
    let asked = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let names_automerge = asked.as_deref().is_some_and(|v| v.contains("automerge"));
    let filter = match asked {
        Some(v) => EnvFilter::try_new(v).unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")),
        None => EnvFilter::new("info,tower_http=warn"),
    };
    if names_automerge {
        filter
    } else {
        filter.add_directive("automerge=warn".parse().expect("a valid directive"))
    }
}

/// A line for whoever started the server. Whoever reads its output may have stopped (a closed pipe): the
/// server goes on serving, where `println!` would panic.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .init();
    let config = Config::parse();
    let db = config.database_url.as_deref();
    match &config.command {
        Some(Command::Backup { to }) => {
            mamori_server::maintenance::backup(&config.data_dir, db, to).await?;
            println!("backup written to {}", to.display());
            return Ok(());
        }
        Some(Command::Restore { from, verify: true }) => {
            return match mamori_server::backups::verify(from, db).await {
                Ok(v) => {
                    println!(
                        "backup restores: {} documents load, access log intact ({} entries, head {}), {} evidence files with the right hashes; {}",
                        v.documents,
                        v.log_entries,
                        v.log_head,
                        v.evidence_files,
                        if v.checksum {
                            "its bytes match the SHA-256 written beside it"
                        } else {
                            "no .sha256 beside it: its bytes were not compared"
                        }
                    );
                    Ok(())
                }
                Err(e) => {
                    eprintln!("backup does NOT restore: {e}");
                    std::process::exit(1);
                }
            };
        }
        Some(Command::Restore { .. }) if db.is_some() => {
            return Err("restore puts a backup file back into the data folder's SQLite store; a PostgreSQL \
                 store is restored with pg_restore (see docs/server.md)"
                .into());
        }
        Some(Command::Restore { from, .. }) => {
            mamori_server::maintenance::restore(&config.data_dir, from).await?;
            println!(
                "restored {} into {}",
                from.display(),
                config.data_dir.display()
            );
            return Ok(());
        }
        Some(Command::VerifyLog) => {
            return match mamori_server::maintenance::verify_log(&config.data_dir, db).await? {
                Ok((n, head)) => {
                    println!("access log intact: {n} entries checked, head {head}");
                    Ok(())
                }
                Err(broken) => {
                    eprintln!("access log broken: {broken}");
                    std::process::exit(1);
                }
            };
        }
        Some(Command::VerifySeal { file }) => {
            let printed = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(file)?
            };
            return match mamori_server::maintenance::verify_seal(&config.data_dir, db, &printed)
                .await?
            {
                Ok(text) => {
                    let items = text.lines().filter(|l| l.starts_with("item ")).count();
                    println!("seal intact: signed by this server over {items} items");
                    Ok(())
                }
                Err(why) => {
                    eprintln!("seal NOT valid: {why}");
                    eprintln!(
                        "(from a PDF, give the text of `pdftotext -layout`: without -layout, lines ending in \"-\" are joined)"
                    );
                    std::process::exit(1);
                }
            };
        }
        Some(Command::RegistrationCode { valid_hours }) => {
            let valid = std::time::Duration::from_secs(valid_hours * 3600);
            let code =
                mamori_server::maintenance::registration_code(&config.data_dir, db, valid).await?;
            println!("{code}");
            eprintln!(
                "登録コード (registration code), valid {valid_hours} h, once: open {}/account?code={code}",
                config.public_url().trim_end_matches('/')
            );
            return Ok(());
        }
        Some(Command::MigrateStore { from, to }) => {
            let done = match mamori_server::migrate_store::migrate_store(from, to).await {
                Ok(done) => done,
                Err(e) => {
                    eprintln!("migrate-store: {e}");
                    std::process::exit(1);
                }
            };
            for (table, rows) in &done.rows {
                println!("{table}: {rows} rows");
            }
            println!(
                "verified: {} documents load with the same heads; access log intact ({} entries, head {})",
                done.documents, done.log_entries, done.log_head
            );
            println!(
                "now start the server with --database-url {}",
                mamori_server::db::redacted(to)
            );
            return Ok(());
        }
        None => {}
    }
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    // The one line a person starting Mamori needs: where to open it.
    say(&format!(
        "Mamori is running: http://localhost:{}/",
        addr.port()
    ));
    // A server with no facility yet: the first set-up needs a registration code, given in the link.
    let valid = std::time::Duration::from_secs(24 * 3600);
    if let Some(code) =
        mamori_server::maintenance::first_registration_code(&config.data_dir, db, valid).await?
    {
        say(&format!(
            "First set-up (registration code {code}, valid 24 h, once): http://localhost:{}/account?code={code}",
            addr.port()
        ));
    }
    if config.open_sync {
        tracing::warn!(
            "--open-sync: anyone who can reach this server may read and change every document"
        );
    }
    if let Some(url) = &config.public_url
        && !url.contains(&format!(":{}", addr.port()))
    {
        tracing::warn!(public_url = %url, "passkeys and sync work only at the public URL (--public-url); this server listens on port {}", addr.port());
    }
    mamori_server::run(listener, config, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
}
