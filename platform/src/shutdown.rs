//! Graceful shutdown of the processes that run workers beside their HTTP
//! server (projectors, notifier): they turn actix's own signal handling off
//! and stop everything themselves when this resolves.

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Stops a running process as SIGTERM would (tests, embedders).
#[derive(Clone, Debug)]
pub struct Stopper(tokio::sync::watch::Sender<bool>);

impl Default for Stopper {
    fn default() -> Self {
        Self(tokio::sync::watch::channel(false).0)
    }
}

impl Stopper {
    /// Asks the process to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Turns true when the process is to stop.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// The workers a process runs beside its HTTP server (consumers, relays,
/// senders), each told to stop through a `watch` that turns true.
pub struct Workers {
    stopper: Stopper,
    tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

impl Workers {
    /// Workers stopped by `stopper` (or SIGTERM/SIGINT).
    pub fn new(stopper: Stopper) -> Self {
        Self {
            stopper,
            tasks: Vec::new(),
        }
    }

    /// Spawns the worker `name`: `run` gets the receiver that turns true
    /// when it is to stop, and must then finish what it holds and return.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, run: F)
    where
        F: FnOnce(tokio::sync::watch::Receiver<bool>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let task = tokio::spawn(run(self.stopper.subscribe()));
        self.tasks.push((name, task));
    }

    /// Serves `server` until SIGTERM/SIGINT or [`Stopper::stop`]; then
    /// tells every worker to stop, waits for each, and stops the server
    /// gracefully (its requests in flight finish).
    pub async fn serve(self, server: actix_web::dev::Server) -> std::io::Result<()> {
        let handle = server.handle();
        let server = tokio::spawn(server);
        let mut stopped = self.stopper.subscribe();
        tokio::select! {
            () = termination() => tracing::info!("termination signal received"),
            _ = stopped.wait_for(|stop| *stop) => {}
        }
        self.stopper.stop();
        for (name, task) in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, component = name, "a component's task failed");
            }
        }
        handle.stop(true).await;
        match server.await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}
