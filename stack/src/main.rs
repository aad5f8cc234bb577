//! `astro-stack`: runs a command against an isolated black-box stack of
//! Astro Bookings (see the `stack` library): starts the stack, seeds an
//! account of every role and a little data, runs the command with the
//! stack's addresses, tokens and ids in its environment (`ASTRO_*`), tears
//! the stack down and exits with the command's status.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use stack::seed::{self, Seeded};
use stack::{Options, Service, Stack};

#[derive(Debug, Parser)]
#[command(name = "astro-stack")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a stack, seed it, run `COMMAND` against it, tear it down; exit
    /// with the command's status.
    Run {
        /// Where the service binaries are.
        #[arg(long, env = "STACK_BIN_DIR", default_value = "target/debug")]
        bin_dir: PathBuf,
        /// SecantusDB's server command (`secantusd_bin` of scripts/lib.sh).
        #[arg(long, env = "SECANTUSD_BIN")]
        secantusd: PathBuf,
        /// Keep the stack's directory (logs, MongoDB data, mail) even when
        /// the command passes.
        #[arg(long, env = "STACK_KEEP")]
        keep: bool,
        /// The command and its arguments (after `--`).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Command::Run {
        bin_dir,
        secantusd,
        keep,
        command,
    } = Cli::parse().command;
    let began = std::time::Instant::now();
    let (it_email, it_password) = seed::BOOTSTRAP_IT;
    let auth_env = [
        ("AUTH_BOOTSTRAP_IT_EMAIL", it_email),
        ("AUTH_BOOTSTRAP_IT_PASSWORD", it_password),
        // A long suite (a larger example count) outlives the default
        // 15 minutes; an expired token would fail every later request.
        ("ACCESS_TOKEN_TTL_SECS", "14400"),
    ];
    let options = Options {
        kind: "stack".to_owned(),
        bin_dir,
        secantusd,
        env: auth_env
            .iter()
            .map(|(k, v)| (Service::Auth, (*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let mut stack = match Stack::create(&options).await {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("astro-stack: cannot create the stack: {e:#}");
            return ExitCode::from(2);
        }
    };
    eprintln!("astro-stack: logs and data in {}", stack.dir.display());
    let mut outcome = run(&mut stack, &command).await;
    // A process that ended under the command (a crash, an external signal)
    // makes every later answer of the suite meaningless: fail the run,
    // naming it, even if the command passed.
    let died = stack.exited();
    if !died.is_empty() {
        for line in &died {
            eprintln!("astro-stack: {line}");
        }
        if matches!(&outcome, Ok(status) if status.success()) {
            outcome = Err(anyhow::anyhow!(
                "{} process(es) of the stack ended during the run",
                died.len()
            ));
        }
    }
    stack.stop().await;
    if let Err(e) = stack.drop_data().await {
        eprintln!("astro-stack: could not drop the stack's database and streams: {e:#}");
    }
    let code = match outcome {
        Ok(status) => {
            eprintln!(
                "astro-stack: {} {status} after {:.0} s",
                command[0],
                began.elapsed().as_secs_f64()
            );
            // A signal's death has no code: fail as a shell would (128+n
            // is not portable to read here, 1 is enough to fail).
            status.code().unwrap_or(1)
        }
        Err(e) => {
            eprintln!("astro-stack: {e:#}");
            2
        }
    };
    if code == 0 && !keep {
        stack.remove_dir();
    } else {
        eprintln!(
            "astro-stack: kept the logs of every process in {}",
            stack.dir.display()
        );
    }
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Starts and seeds the stack and runs `command` against it.
async fn run(stack: &mut Stack, command: &[String]) -> anyhow::Result<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    stack.start().await.context("starting the stack")?;
    eprintln!(
        "astro-stack: MongoDB, maildev and the five services up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let seeded = seed::seed(&seed::Urls {
        command: stack.base(Service::CommandApi),
        query: stack.base(Service::QueryApi),
        auth: stack.base(Service::Auth),
    })
    .await
    .context("seeding the stack")?;
    eprintln!(
        "astro-stack: seeded in {:.1} s; running {}",
        started.elapsed().as_secs_f64(),
        command.join(" ")
    );
    let status = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .envs(environment(stack, &seeded))
        .status()
        .await
        .with_context(|| format!("running {}", command[0]))?;
    Ok(status)
}

/// What the command gets to find the stack: `ASTRO_*` variables.
fn environment(stack: &Stack, seeded: &Seeded) -> Vec<(String, String)> {
    let mut env = vec![
        ("ASTRO_COMMAND_API_URL", stack.base(Service::CommandApi)),
        ("ASTRO_QUERY_API_URL", stack.base(Service::QueryApi)),
        ("ASTRO_AUTH_URL", stack.base(Service::Auth)),
        ("ASTRO_NOTIFIER_URL", stack.base(Service::Notifier)),
        ("ASTRO_PROJECTORS_URL", stack.base(Service::Projectors)),
        ("ASTRO_MAILDEV_URL", stack.maildev_url()),
        ("ASTRO_STACK_DIR", stack.dir.display().to_string()),
        ("ASTRO_AUTH_PUBLIC_KEY", stack.public_key.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect::<Vec<_>>();
    env.extend(seed::environment(seeded));
    env
}
