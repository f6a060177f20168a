//! A real SMTP server for the e-mail tests: aiosmtpd (pinned in tests/peers/python) started by
//! `tests/peers/python/smtp_sink.py` on a free port. Each message it receives lands as a JSON
//! file (recipients, subject, plain-text and HTML parts, parsed by Python's email package) in a
//! directory of its own, which [`SmtpServer::next_mail_to`] reads.

use serde::Deserialize;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One received mail.
#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedMail {
    /// The envelope sender.
    pub mail_from: String,
    /// The envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// The `From` header.
    pub from: String,
    /// The `To` header.
    pub to: String,
    /// The `Subject` header.
    pub subject: String,
    /// The top-level content type (`multipart/alternative` for ours).
    pub content_type: String,
    /// The plain-text part.
    pub text: Option<String>,
    /// The HTML part.
    pub html: Option<String>,
}

impl ReceivedMail {
    /// The plain-text part (a panic when there is none).
    pub fn text(&self) -> &str {
        self.text
            .as_deref()
            .expect("the mail has a plain-text part")
    }

    /// The HTML part (a panic when there is none).
    pub fn html(&self) -> &str {
        self.html.as_deref().expect("the mail has an HTML part")
    }

    /// The first link in the plain-text part that starts with `prefix`.
    pub fn link_starting(&self, prefix: &str) -> String {
        let text = self.text();
        let start = text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link starting {prefix} in:\n{text}"));
        text[start..]
            .split_whitespace()
            .next()
            .expect("a link")
            .to_owned()
    }
}

/// A running aiosmtpd, stopped when dropped.
pub struct SmtpServer {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    dir: tempfile::TempDir,
    seen: Mutex<HashSet<PathBuf>>,
    pending: Mutex<Vec<ReceivedMail>>,
    credentials: Option<(String, String)>,
    _child: Child,
}

impl SmtpServer {
    /// Starts aiosmtpd on a free port and waits until it listens.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// Starts aiosmtpd requiring authentication with `username` and `password`; [`settings`]
    /// then include them.
    ///
    /// [`settings`]: SmtpServer::settings
    pub async fn start_with_auth(username: &str, password: &str) -> Self {
        Self::start_with(Some((username.to_owned(), password.to_owned()))).await
    }

    async fn start_with(credentials: Option<(String, String)>) -> Self {
        let dir = tempfile::tempdir().expect("a directory for received mail");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/python/smtp_sink.py");
        let mut command = Command::new(crate::python::python());
        command.arg(&script).arg(dir.path());
        if let Some((username, password)) = &credentials {
            command.arg(username).arg(password);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts");
        let stdout = child.stdout.take().expect("its standard output");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("aiosmtpd says where it listens within 30 s")
            .expect("its output is readable")
            .expect("a line");
        let port: u16 = line
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the SMTP sink: {line}"));
        Self {
            port,
            dir,
            seen: Mutex::new(HashSet::new()),
            pending: Mutex::new(Vec::new()),
            credentials,
            _child: child,
        }
    }

    /// The `HEARTH__EMAIL__…` settings that send a test instance's mail here.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let mut settings = vec![
            ("HEARTH__EMAIL__SMTP_HOST", "127.0.0.1".to_owned()),
            ("HEARTH__EMAIL__SMTP_PORT", self.port.to_string()),
            ("HEARTH__EMAIL__TLS", "none".to_owned()),
            (
                "HEARTH__EMAIL__FROM",
                "Hearth <hearth@localhost>".to_owned(),
            ),
        ];
        if let Some((username, password)) = &self.credentials {
            settings.push(("HEARTH__EMAIL__USERNAME", username.clone()));
            settings.push(("HEARTH__EMAIL__PASSWORD", password.clone()));
        }
        settings
    }

    /// Mails received so far and not yet returned, oldest first.
    fn take_new(&self) -> Vec<ReceivedMail> {
        // Files, not a socket: a mail that arrives is never lost between two looks.
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("the mail directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut seen = self.seen.lock().expect("not poisoned");
        files
            .into_iter()
            .filter(|p| seen.insert(p.clone()))
            .map(|p| {
                let raw = std::fs::read(&p).expect("a mail file");
                serde_json::from_slice(&raw).expect("a mail record")
            })
            .collect()
    }

    /// Waits (at most 20 s) for the next mail to `address` and returns it; mails to others that
    /// arrive meanwhile are set aside for their own calls.
    pub async fn next_mail_to(&self, address: &str) -> ReceivedMail {
        self.wait_for(address, Duration::from_secs(20))
            .await
            .unwrap_or_else(|| panic!("no mail to {address} arrived within 20 s"))
    }

    /// Waits at most `within` for a mail to `address`; `None` when none arrives.
    pub async fn wait_for(&self, address: &str, within: Duration) -> Option<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(mail) = self.take_to(address) {
                return Some(mail);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn take_to(&self, address: &str) -> Option<ReceivedMail> {
        let mut pending = self.pending.lock().expect("not poisoned");
        pending.extend(self.take_new());
        let index = pending
            .iter()
            .position(|m| m.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(address)))?;
        Some(pending.remove(index))
    }
}
