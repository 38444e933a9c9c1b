//! A small SMTP server for tests, on localhost: it takes every mail (no TLS, no authentication) and keeps
//! it, decoded (subject per RFC 2047, body per its transfer encoding); and a silent one that accepts
//! connections and never answers.

use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One mail as received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    /// Listens on `port` (0 for any).
    pub async fn start(port: u16) -> SmtpServer {
        // The port may have just been let go by another test server (its task is ending): try a while.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => break l,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot listen on {port}: {e}"),
            }
        };
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let kept = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = converse(socket, kept).await;
                });
            }
        });
        SmtpServer {
            port,
            received,
            task,
        }
    }

    pub fn received(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (at most `secs`) until `n` mails arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Mail> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn converse(
    socket: tokio::net::TcpStream,
    kept: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 localhost test SMTP\r\n").await?;
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM") {
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            to.push(
                line[8..]
                    .trim()
                    .trim_start_matches(':')
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_string(),
            );
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = Vec::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
            }
            kept.lock()
                .unwrap()
                .push(parse(&data, std::mem::take(&mut to)));
            write.write_all(b"250 kept\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
    Ok(())
}

/// Headers (unfolded) and body of a mail's lines, decoded.
fn parse(lines: &[String], to: Vec<String>) -> Mail {
    let blank = lines
        .iter()
        .position(|l| l.is_empty())
        .unwrap_or(lines.len());
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in &lines[..blank] {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push_str(l.trim_start());
            }
        } else if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let raw_body = lines.get(blank + 1..).unwrap_or_default().join("\n");
    let body = match header("content-transfer-encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => String::from_utf8_lossy(
            &base64::engine::general_purpose::STANDARD
                .decode(raw_body.replace(['\n', '\r'], ""))
                .unwrap_or_default(),
        )
        .into_owned(),
        "quoted-printable" => quoted_printable(&raw_body),
        _ => raw_body,
    };
    Mail {
        to,
        subject: decode_words(&header("subject")),
        body,
    }
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`), the whitespace between them dropped.
fn decode_words(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let Some(end) = rest[start + 2..].find("?=").map(|e| e + start + 2) else {
            break;
        };
        let word = &rest[start + 2..end];
        let mut parts = word.splitn(3, '?');
        let (_charset, enc, text) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            quoted_printable(&text.replace('_', " ")).into_bytes()
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &rest[end + 2..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

fn quoted_printable(s: &str) -> String {
    let mut bytes = Vec::new();
    let mut it = s.replace("=\n", "").into_bytes().into_iter().peekable();
    while let Some(b) = it.next() {
        if b == b'=' {
            let hi = it.next().unwrap_or(b'0');
            let lo = it.next().unwrap_or(b'0');
            let hex = [hi, lo];
            bytes.push(
                u8::from_str_radix(std::str::from_utf8(&hex).unwrap_or("00"), 16).unwrap_or(b'?'),
            );
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Accepts connections and never says a word (a mail server that hangs).
pub struct SilentServer {
    pub port: u16,
    task: JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> SilentServer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        SilentServer { port, task }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_subjects_decode() {
        assert_eq!(
            decode_words("=?utf-8?b?44CQ5a6I44KK44CR?= =?utf-8?b?5pyf6ZmQ?="),
            "【守り】期限"
        );
        assert_eq!(decode_words("plain"), "plain");
    }
}
