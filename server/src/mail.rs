//! Sending mail: one SMTP server the operator names (`--smtp-host`), over STARTTLS, implicit TLS or (for a
//! relay on the same machine) plain; its account from the environment or a file, never a flag. Every
//! conversation is bounded by `--smtp-timeout-seconds`, so a silent server costs a timeout, not a stuck task.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use thiserror::Error;

use crate::config::{Config, SmtpTls};

#[derive(Debug, Error)]
pub enum MailError {
    #[error("the mail settings are not usable: {0}")]
    Config(String),
    #[error("not a mail address: {0}")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("the mail server did not take the mail: {0}")]
    Send(String),
    /// The server refused this mail for good (an unknown mailbox, say): trying again will not help, and
    /// other people's mails go on.
    #[error("the mail server refused the mail for good: {0}")]
    Rejected(String),
}

/// Sends plain-text mails through the configured server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer the configuration asks for; `None` without `--smtp-host`.
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, MailError> {
        let Some(host) = config.smtp_host.as_deref() else {
            return Ok(None);
        };
        let builder = match config.smtp_tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| MailError::Config(e.to_string()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| MailError::Config(e.to_string()))?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder
            .port(config.smtp_port)
            .timeout(Some(Duration::from_secs(config.smtp_timeout_seconds)));
        if let Some(credentials) = credentials(config)? {
            builder = builder.credentials(credentials);
        }
        let from: Mailbox = config
            .smtp_from
            .parse()
            .map_err(|e| MailError::Config(format!("--smtp-from: {e}")))?;
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends one mail; UTF-8 subject and body (lettre encodes the Japanese subject per RFC 2047).
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                MailError::Rejected(e.to_string())
            } else {
                MailError::Send(e.to_string())
            }
        })
    }
}

/// The SMTP account: user from `MAMORI_SMTP_USER`, password from `MAMORI_SMTP_PASSWORD` or the first line of
/// `--smtp-password-file`.
fn credentials(config: &Config) -> Result<Option<Credentials>, MailError> {
    let Ok(user) = std::env::var("MAMORI_SMTP_USER") else {
        return Ok(None);
    };
    let password = match &config.smtp_password_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| MailError::Config(format!("{}: {e}", path.display())))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        None => std::env::var("MAMORI_SMTP_PASSWORD").map_err(|_| {
            MailError::Config(
                "MAMORI_SMTP_USER is set but neither MAMORI_SMTP_PASSWORD nor --smtp-password-file"
                    .into(),
            )
        })?,
    };
    Ok(Some(Credentials::new(user, password)))
}

/// Whether `s` is an address a mail can go to (what the people page accepts).
pub fn valid_address(s: &str) -> bool {
    s.len() <= 254 && s.parse::<lettre::Address>().is_ok()
}
