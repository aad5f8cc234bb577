//! Starting the system's real processes next to a test, a benchmark or the
//! chaos run: a free port to give each, waiting for its `/ready`, and the
//! command line of a maildev (the SMTP capture server).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A port free right now on 127.0.0.1 (bound, then released).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Waits until `GET {base}/ready` answers 200, for at most `timeout`;
/// `what` names the service in the error.
pub async fn wait_ready(base: &str, what: &str, timeout: Duration) -> anyhow::Result<()> {
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .context("building the HTTP client")?;
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(r) = probe.get(format!("{base}/ready")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{what} did not become ready within {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The command that runs maildev (`MAILDEV_NODE` running `MAILDEV_JS`,
/// installed by `scripts/lib.sh`) on 127.0.0.1 with SMTP on `smtp_port` and
/// its HTTP API on `web_port`. With `mail_dir`, every email is kept there
/// as a `.eml` file before the SMTP server acknowledges it, and read back
/// when a maildev starts on the same directory (so a restart keeps the
/// inbox); without, mail lives in memory only.
pub fn maildev_command(smtp_port: u16, web_port: u16, mail_dir: Option<&Path>) -> Command {
    let node = std::env::var("MAILDEV_NODE")
        .expect("MAILDEV_NODE names maildev's node (run with ./scripts/test.sh)");
    let script = std::env::var("MAILDEV_JS")
        .expect("MAILDEV_JS names maildev's script (run with ./scripts/test.sh)");
    let mut command = Command::new(node);
    command
        .arg(script)
        .args(["--smtp", &smtp_port.to_string()])
        .args(["--web", &web_port.to_string()])
        .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"]);
    if let Some(dir) = mail_dir {
        command.arg("--mail-directory").arg(dir);
    }
    command
}
