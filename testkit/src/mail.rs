//! The real SMTP capture server (maildev) the tests send mail to and read
//! it back from: the shared one `scripts/test.sh` starts (`SMTP_URL`,
//! `MAILDEV_API_URL`), and private ones a test starts and stops itself
//! (an SMTP server that is down, then back).

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The shared server's SMTP URL (`SMTP_URL`).
pub fn smtp_url() -> String {
    super::env_or("SMTP_URL", "smtp://127.0.0.1:1025")
}

/// The shared server's HTTP API (`MAILDEV_API_URL`).
pub fn api_url() -> String {
    super::env_or("MAILDEV_API_URL", "http://127.0.0.1:1080")
}

/// The emails a maildev at `api` received for `address` (its envelope
/// recipient), oldest first, as maildev describes them (`subject`, `text`,
/// `html`, `headers`, `envelope`, …).
pub async fn received(api: &str, address: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(format!("{api}/api/email"))
        .query(&[("envelope.to.address", address)])
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("maildev's API answers (is maildev running?)");
    assert!(
        response.status().is_success(),
        "maildev answered {}",
        response.status()
    );
    response.json().await.expect("maildev lists emails as JSON")
}

/// Waits until `count` emails for `address` arrived at the maildev at
/// `api` (panics after `timeout`), and returns them.
pub async fn wait_for_mail(
    api: &str,
    address: &str,
    count: usize,
    timeout: Duration,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let got = received(api, address).await;
        if got.len() >= count {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {count} emails to {address}; got {}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A free local TCP port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A maildev of the test's own, killed when dropped.
pub struct PrivateMaildev {
    child: Child,
    /// Its SMTP URL.
    pub smtp_url: String,
    /// Its HTTP API.
    pub api_url: String,
}

impl PrivateMaildev {
    /// Starts maildev (`MAILDEV_NODE` running `MAILDEV_JS`, installed by
    /// `scripts/lib.sh`) with SMTP on `smtp_port` and waits until its API
    /// answers.
    pub async fn start(smtp_port: u16) -> Self {
        let web_port = free_port();
        let child = crate::process::maildev_command(smtp_port, web_port, None)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting maildev");
        let maildev = Self {
            child,
            smtp_url: format!("smtp://127.0.0.1:{smtp_port}"),
            api_url: format!("http://127.0.0.1:{web_port}"),
        };
        let health = format!("{}/api/healthz", maildev.api_url);
        super::wait_for(Duration::from_secs(30), "maildev to answer", || async {
            reqwest::get(&health)
                .await
                .is_ok_and(|r| r.status().is_success())
                && std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_ok()
        })
        .await;
        maildev
    }
}

impl Drop for PrivateMaildev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
