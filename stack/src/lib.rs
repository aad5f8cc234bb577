//! An isolated black-box stack of Astro Bookings on loopback: the five
//! services (debug or release binaries), a private SecantusDB and a private
//! maildev on free ports, a PostgreSQL database and NATS streams of the
//! stack's own on the shared servers, and a fresh token signing key pair.
//! Nothing is shared with `scripts/start.sh`'s stack or another run, and
//! everything is removed afterwards ([`Stack::drop_data`]).
//!
//! The chaos run kills and restarts its processes ([`procs`]);
//! `astro-stack run -- <command>` starts one, seeds accounts of every role
//! and a little data ([`seed`]) and runs a black-box suite against it
//! (schemathesis, Cypress).

pub mod procs;
pub mod seed;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use procs::{Supervised, START_TIMEOUT};

/// A service of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// `command-api`.
    CommandApi,
    /// `projectors serve relay sales profiles finance`.
    Projectors,
    /// `query-api`.
    QueryApi,
    /// `notifier`.
    Notifier,
    /// `auth`.
    Auth,
}

impl Service {
    /// Every service, in start-up order (the command API migrates first).
    pub const ALL: [Service; 5] = [
        Self::CommandApi,
        Self::Projectors,
        Self::QueryApi,
        Self::Auth,
        Self::Notifier,
    ];

    /// The binary's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::CommandApi => "command-api",
            Self::Projectors => "projectors",
            Self::QueryApi => "query-api",
            Self::Notifier => "notifier",
            Self::Auth => "auth",
        }
    }
}

/// Names of a stack's own PostgreSQL database and NATS streams (on the
/// shared servers), from its kind and the process id of its owner.
#[derive(Debug, Clone)]
pub struct Names {
    /// The PostgreSQL database.
    pub database: String,
    /// `EVENTS_STREAM`.
    pub events_stream: String,
    /// `EVENTS_SUBJECT_PREFIX`.
    pub events_prefix: String,
    /// `USERS_STREAM`.
    pub users_stream: String,
    /// `USERS_SUBJECT_PREFIX`.
    pub users_prefix: String,
    /// `DEAD_LETTER_STREAM`.
    pub dead_letters: String,
}

impl Names {
    /// The names of stack `kind` (lower case, e.g. `chaos`) of process
    /// `pid`: `astro_chaos_<pid>`, `CHAOS_<pid>_EVENTS`, ...
    pub fn of(kind: &str, pid: u32) -> Self {
        let upper = kind.to_uppercase();
        Self {
            database: format!("astro_{kind}_{pid}"),
            events_stream: format!("{upper}_{pid}_EVENTS"),
            events_prefix: format!("{kind}{pid}.events"),
            users_stream: format!("{upper}_{pid}_USERS"),
            users_prefix: format!("{kind}{pid}.users"),
            dead_letters: format!("{upper}_{pid}_DEAD_LETTERS"),
        }
    }
}

/// What a stack is made of.
#[derive(Debug, Clone)]
pub struct Options {
    /// Its kind (lower case): names its directory, database and streams.
    pub kind: String,
    /// Where `command-api`, `projectors`, `query-api`, `auth`, `notifier`
    /// are.
    pub bin_dir: PathBuf,
    /// SecantusDB's server command (`secantusd_bin` of `scripts/lib.sh`).
    pub secantusd: PathBuf,
    /// Environment added to one service's (after the stack's own, so it
    /// wins).
    pub env: Vec<(Service, String, String)>,
}

/// A stack: made by [`Stack::create`], started by [`Stack::start`],
/// stopped by [`Stack::stop`] (or killed) and removed by
/// [`Stack::drop_data`] and [`Stack::remove_dir`].
pub struct Stack {
    /// Its directory (logs, MongoDB data, mail), under the temporary
    /// directory.
    pub dir: PathBuf,
    /// Its database and streams.
    pub names: Names,
    /// URL of its PostgreSQL database.
    pub db_url: String,
    /// URL of its MongoDB.
    pub mongodb_uri: String,
    /// The shared NATS.
    pub nats_url: String,
    /// The hex Ed25519 key the auth service signs tokens with.
    pub private_key: String,
    /// Its public half, which the other services verify tokens with.
    pub public_key: String,
    /// Its maildev's SMTP port.
    pub smtp_port: u16,
    /// Its maildev's HTTP API port.
    pub maildev_port: u16,
    /// MongoDB, maildev and the services, in start-up order (not running
    /// before [`Stack::start`]).
    pub processes: Vec<Supervised>,
    server: String,
    ports: HashMap<Service, u16>,
}

impl Stack {
    /// Makes its directory (`<tmp>/astro-<kind>-<pid>`) and its empty
    /// database and picks its ports and keys; starts nothing.
    pub async fn create(options: &Options) -> anyhow::Result<Self> {
        let pid = std::process::id();
        let kind = &options.kind;
        let names = Names::of(kind, pid);
        let dir = std::env::temp_dir().join(format!("astro-{kind}-{pid}"));
        std::fs::create_dir_all(dir.join("mongo"))?;
        std::fs::create_dir_all(dir.join("mail"))?;
        let server = testkit::base_database_url();
        let nats_url = testkit::nats_url();
        let db_url = testkit::url_of_database(&server, &names.database);
        let free = testkit::process::free_port;
        let (mongo_port, smtp_port, maildev_port) = (free()?, free()?, free()?);
        let ports: HashMap<Service, u16> = Service::ALL
            .iter()
            .map(|&s| Ok((s, free()?)))
            .collect::<anyhow::Result<_>>()?;
        let mongodb_uri = format!("mongodb://127.0.0.1:{mongo_port}/?replicaSet=secantus");
        let (private_key, public_key) = platform::auth::generate_key_pair();
        let mut stack = Self {
            dir,
            names,
            db_url,
            mongodb_uri,
            nats_url,
            private_key,
            public_key,
            smtp_port,
            maildev_port,
            processes: Vec::new(),
            server,
            ports,
        };
        stack.processes = stack.commands(options, mongo_port)?;
        create_database(&stack.server, &stack.names.database).await?;
        Ok(stack)
    }

    /// `http://127.0.0.1:PORT` of `service`.
    pub fn base(&self, service: Service) -> String {
        format!("http://127.0.0.1:{}", self.ports[&service])
    }

    /// `http://127.0.0.1:PORT` of its maildev's HTTP API.
    pub fn maildev_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.maildev_port)
    }

    /// Its processes, built the same way each time they are started.
    fn commands(&self, options: &Options, mongo_port: u16) -> anyhow::Result<Vec<Supervised>> {
        let dir = &self.dir;
        let names = &self.names;
        // MongoDB and SMTP of the stack's own, which a run can stop.
        let config = dir.join("secantusd.toml");
        std::fs::write(
            &config,
            format!("# the {} stack's SecantusDB; flags win\n", options.kind),
        )?;
        let mut secantusd = std::process::Command::new(&options.secantusd);
        secantusd
            .arg("--config")
            .arg(&config)
            .args(["--host", "127.0.0.1", "--port", &mongo_port.to_string()])
            .arg("--storage-path")
            .arg(dir.join("mongo"))
            .args(["--cache-size", "128M"]);
        let mongo = Supervised::new("mongodb", &secantusd, Vec::new(), dir, mongo_port, None);
        let maildev = Supervised::new(
            "maildev",
            &testkit::process::maildev_command(
                self.smtp_port,
                self.maildev_port,
                Some(&dir.join("mail")),
            ),
            Vec::new(),
            dir,
            self.smtp_port,
            None,
        );

        // The services, with the environment scripts/start.sh gives them.
        let common = vec![
            ("DATABASE_URL", self.db_url.clone()),
            ("NATS_URL", self.nats_url.clone()),
            ("MONGODB_URI", self.mongodb_uri.clone()),
            ("EVENTS_STREAM", names.events_stream.clone()),
            ("EVENTS_SUBJECT_PREFIX", names.events_prefix.clone()),
            ("DEAD_LETTER_STREAM", names.dead_letters.clone()),
            ("USERS_STREAM", names.users_stream.clone()),
            ("USERS_SUBJECT_PREFIX", names.users_prefix.clone()),
            ("RUST_LOG", "info".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
        ];
        let ops_services = [
            Service::CommandApi,
            Service::Auth,
            Service::Notifier,
            Service::Projectors,
        ]
        .iter()
        .map(|&s| format!("{}={}", s.name(), self.base(s)))
        .collect::<Vec<_>>()
        .join(",");
        let mut processes = vec![mongo, maildev];
        for service in Service::ALL {
            let mut env: Vec<(String, String)> = common
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            let mut add = |k: &str, v: String| env.push((k.to_owned(), v));
            let addr = format!("127.0.0.1:{}", self.ports[&service]);
            let mut args: Vec<&str> = Vec::new();
            match service {
                Service::CommandApi => {
                    add("COMMAND_API_ADDR", addr);
                    add("AUTH_PUBLIC_KEY", self.public_key.clone());
                }
                Service::Projectors => {
                    add("PROJECTORS_ADDR", addr);
                    args = vec!["serve", "relay", "sales", "profiles", "finance"];
                }
                Service::QueryApi => {
                    add("QUERY_API_ADDR", addr);
                    add("AUTH_PUBLIC_KEY", self.public_key.clone());
                    add("OPS_SERVICES", ops_services.clone());
                    add(
                        "OPS_STREAMS",
                        format!("{},{}", names.events_stream, names.users_stream),
                    );
                }
                Service::Auth => {
                    add("AUTH_API_ADDR", addr);
                    add("AUTH_PRIVATE_KEY", self.private_key.clone());
                }
                Service::Notifier => {
                    add("NOTIFIER_ADDR", addr);
                    add("SMTP_URL", format!("smtp://127.0.0.1:{}", self.smtp_port));
                }
            }
            for (_, k, v) in options.env.iter().filter(|(s, _, _)| *s == service) {
                add(k, v.clone());
            }
            let mut command = std::process::Command::new(options.bin_dir.join(service.name()));
            command.args(&args);
            processes.push(Supervised::new(
                service.name(),
                &command,
                env,
                dir,
                self.ports[&service],
                Some(self.base(service)),
            ));
        }
        Ok(processes)
    }

    /// Starts every process in turn, each once the one before answers
    /// (MongoDB and maildev first; the command API migrates the database
    /// before the others start).
    pub async fn start(&mut self) -> anyhow::Result<()> {
        for process in &mut self.processes {
            process.spawn()?;
            process.wait_up(START_TIMEOUT).await?;
        }
        Ok(())
    }

    /// Stops every process, the services first (SIGTERM, SIGKILL after
    /// 15 s).
    pub async fn stop(&mut self) {
        for process in self.processes.iter_mut().rev() {
            process.stop().await;
        }
    }

    /// The processes that ended without being stopped, each a line naming
    /// it, its exit status and its log.
    pub fn exited(&mut self) -> Vec<String> {
        self.processes
            .iter_mut()
            .filter_map(|p| {
                let status = p.exited()?;
                Some(format!(
                    "{} ended on its own ({status}); see {}",
                    p.name,
                    p.log().display()
                ))
            })
            .collect()
    }

    /// Kills every process still running (SIGKILL).
    pub async fn kill(&mut self) {
        for process in &mut self.processes {
            process.kill().await;
        }
    }

    /// Drops its database and deletes its streams.
    pub async fn drop_data(&self) -> anyhow::Result<()> {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&self.server).await?;
        sqlx::raw_sql(&format!(
            r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
            self.names.database
        ))
        .execute(&mut admin)
        .await?;
        admin.close().await?;
        let jetstream = async_nats::jetstream::new(async_nats::connect(&self.nats_url).await?);
        for stream in [
            &self.names.events_stream,
            &self.names.users_stream,
            &self.names.dead_letters,
        ] {
            let _ = jetstream.delete_stream(stream).await;
        }
        Ok(())
    }

    /// Deletes its directory.
    pub fn remove_dir(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// The log of process `name` (`mongodb`, `maildev` or a service's).
    pub fn log(&self, name: &str) -> Option<&Path> {
        self.processes
            .iter()
            .find(|p| p.name == name)
            .map(Supervised::log)
    }
}

async fn create_database(server: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .context("connecting to PostgreSQL (DATABASE_URL)")?;
    sqlx::raw_sql(&format!(r#"CREATE DATABASE "{name}""#))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_a_chaos_stack_are_the_ones_the_chaos_run_always_used() {
        let names = Names::of("chaos", 42);
        assert_eq!(names.database, "astro_chaos_42");
        assert_eq!(names.events_stream, "CHAOS_42_EVENTS");
        assert_eq!(names.events_prefix, "chaos42.events");
        assert_eq!(names.users_stream, "CHAOS_42_USERS");
        assert_eq!(names.users_prefix, "chaos42.users");
        assert_eq!(names.dead_letters, "CHAOS_42_DEAD_LETTERS");
    }
}
