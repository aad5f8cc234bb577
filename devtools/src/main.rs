//! `astro-dev`: development tools for a local stack.
//!
//! - `astro-dev keygen`: prints a fresh `AUTH_PRIVATE_KEY=…` and
//!   `AUTH_PUBLIC_KEY=…` pair (hex Ed25519) for a local environment file.
//! - `astro-dev token ROLE [USER_ID]`: mints a token with `AUTH_PRIVATE_KEY`
//!   (ROLE: traveler, agency, operations, finance, it) for an id without an
//!   account: for scripts and tools.
//! - `astro-dev seed [--api URL [--auth URL]]`: loads demo data through the
//!   command API (rockets, launches, bookings) once, and prints demo tokens.
//!   With `--auth`, it acts as the demo users registered by `seed-users`
//!   (logged in on the auth service), so they own the demo bookings.
//! - `astro-dev seed-users [--auth URL]`: registers demo users of every role
//!   through the auth service (employees as the bootstrap IT account from
//!   `AUTH_BOOTSTRAP_IT_EMAIL` / `AUTH_BOOTSTRAP_IT_PASSWORD`), idempotently,
//!   and prints their credentials.
//!
//! Both seeds wait out a short login throttle of the auth service
//! (`Retry-After`, 30 s in all); a longer one is reported, not failed on, so
//! that `scripts/start.sh` still starts the stack.

use std::time::Duration;

use anyhow::{bail, Context};
use platform::{Department, Principal, Role, TokenIssuer};
use uuid::Uuid;

mod seed;

fn role(name: &str) -> anyhow::Result<Role> {
    Ok(match name {
        "traveler" => Role::Traveler,
        "agency" => Role::Agency,
        "operations" => Role::Employee(Department::Operations),
        "finance" => Role::Employee(Department::Finance),
        "it" => Role::Employee(Department::It),
        other => bail!("unknown role {other}: use traveler, agency, operations, finance or it"),
    })
}

fn issuer() -> anyhow::Result<TokenIssuer> {
    let key = platform::config::required("AUTH_PRIVATE_KEY")?;
    TokenIssuer::from_private_key_hex(&key).context("AUTH_PRIVATE_KEY")
}

/// Demo tokens last a day: long enough for a day of local work.
pub const DEMO_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// Registers the demo users through the auth service at `auth`.
async fn seed_users(auth: &str) -> anyhow::Result<()> {
    let email = platform::config::required("AUTH_BOOTSTRAP_IT_EMAIL")?;
    let password = platform::config::required("AUTH_BOOTSTRAP_IT_PASSWORD")?;
    let summary = seed::users(auth, &email, &password, seed::THROTTLE_PATIENCE).await?;
    print!("{summary}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["keygen"] => {
            let (private, public) = platform::auth::generate_key_pair();
            println!("AUTH_PRIVATE_KEY={private}");
            println!("AUTH_PUBLIC_KEY={public}");
        }
        ["token", name] | ["token", name, _] => {
            let user_id = match args.get(2) {
                Some(id) => id.parse().context("USER_ID must be a UUID")?,
                None => Uuid::now_v7(),
            };
            let principal = Principal {
                user_id,
                role: role(name)?,
            };
            println!("{}", issuer()?.issue(&principal, DEMO_TOKEN_TTL));
        }
        ["seed"] => seed::run(&issuer()?, "http://127.0.0.1:8081", None).await?,
        ["seed", "--api", url] => seed::run(&issuer()?, url, None).await?,
        ["seed", "--api", url, "--auth", auth] => seed::run(&issuer()?, url, Some(auth)).await?,
        ["seed-users"] => seed_users("http://127.0.0.1:8083").await?,
        ["seed-users", "--auth", url] => seed_users(url).await?,
        _ => bail!(
            "usage: astro-dev keygen | astro-dev token ROLE [USER_ID] | astro-dev seed [--api URL [--auth URL]] | astro-dev seed-users [--auth URL]"
        ),
    }
    Ok(())
}
