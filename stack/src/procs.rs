//! The processes of a stack: the five services, a private SecantusDB and a
//! private maildev, each a child process on ports of its own with its log
//! in the stack's directory, which its user (the chaos run) may kill, stop
//! and restart.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::process::{Child, Command};

/// How long a (re)started process gets to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(90);

/// A child process the run can kill and start again, the same way each
/// time (same program, arguments, environment and ports).
pub struct Supervised {
    /// Its name in the logs and the report.
    pub name: String,
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// `http://127.0.0.1:PORT` of a service with `/ready`.
    pub base: Option<String>,
    /// A port it listens on (ready when it accepts connections, for a
    /// process without `/ready`).
    pub port: u16,
    /// Starts so far.
    pub starts: u32,
    /// Whether the run took it down on purpose (an exit is then expected).
    pub down_on_purpose: bool,
}

impl Supervised {
    /// A process running `command` (its program and arguments), with `env`
    /// added to the run's environment, logging to `dir/<name>.log`.
    pub fn new(
        name: &str,
        command: &std::process::Command,
        env: Vec<(String, String)>,
        dir: &Path,
        port: u16,
        base: Option<String>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            program: command.get_program().to_owned(),
            args: command.get_args().map(ToOwned::to_owned).collect(),
            env,
            log: dir.join(format!("{name}.log")),
            child: None,
            base,
            port,
            starts: 0,
            down_on_purpose: false,
        }
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Starts it (appending to its log).
    pub fn spawn(&mut self) -> anyhow::Result<()> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        writeln!(
            file,
            "=== start {} of {} at {}",
            self.starts + 1,
            self.name,
            chrono::Utc::now().to_rfc3339()
        )?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} ({:?})", self.name, self.program))?;
        self.child = Some(child);
        self.starts += 1;
        self.down_on_purpose = false;
        Ok(())
    }

    /// SIGKILL, and wait for the process to be gone.
    pub async fn kill(&mut self) {
        self.down_on_purpose = true;
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// SIGTERM (a clean stop, as a server is stopped for maintenance or a
    /// failover), SIGKILL if it is still there after 15 s.
    pub async fn stop(&mut self) {
        self.down_on_purpose = true;
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            // `kill` the command: sending a signal from Rust needs `unsafe`
            // libc or another crate, for one line of a test tool.
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
            if tokio::time::timeout(Duration::from_secs(15), child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = child.kill().await;
    }

    /// How it ended, if it has ended without the run taking it down.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.down_on_purpose {
            return None;
        }
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(status)
    }

    /// Waits until it answers: `/ready` 200 for a service, a TCP connection
    /// otherwise.
    pub async fn wait_up(&self, timeout: Duration) -> anyhow::Result<()> {
        wait_up(&self.name, self.base.as_deref(), self.port, timeout)
            .await
            .with_context(|| format!("see {}", self.log.display()))
    }

    /// What [`Supervised::wait_up`] needs, to wait without holding the
    /// process.
    pub fn probe(&self) -> (String, Option<String>, u16) {
        (self.name.clone(), self.base.clone(), self.port)
    }
}

/// Waits until `/ready` at `base` answers 200, or (no `base`) until `port`
/// accepts connections.
pub async fn wait_up(
    name: &str,
    base: Option<&str>,
    port: u16,
    timeout: Duration,
) -> anyhow::Result<()> {
    if let Some(base) = base {
        return testkit::process::wait_ready(base, name, timeout).await;
    }
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "{name} did not accept connections on port {port} within {} s",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
