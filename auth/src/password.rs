//! Passwords: the policy a new password must meet, and argon2id hashing
//! and verification off the async executor.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so
//! each carries the parameters it was made with: changing the parameters
//! never locks anyone out, and [`Hasher::needs_rehash`] tells when a stored
//! hash should be replaced after a successful login.

use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use platform::FieldError;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// Fewest characters in a password.
pub const MIN_LENGTH: usize = 12;
/// Most characters in a password.
pub const MAX_LENGTH: usize = 256;

/// Passwords people pick most often that are long enough to pass the length
/// rule (and a few shorter classics, compared case-insensitively). A small
/// embedded list; a breach corpus check would be the next step.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789abc",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "aaaaaaaaaaaa",
    "abc123456789",
    "abcdefghijkl",
    "administrator",
    "administrator1",
    "changeme1234",
    "correcthorsebatterystaple",
    "iloveyou1234",
    "letmein12345",
    "letmeinplease",
    "password1234",
    "password12345",
    "password123456",
    "password1234!",
    "passwordpassword",
    "qazwsxedcrfv",
    "qwerty123456",
    "qwertyuiop12",
    "qwertyuiopasdf",
    "qwertyuiopasdfgh",
    "superman1234",
    "trustno1trustno1",
    "welcome12345",
    "welcome123456",
    "iloveyouiloveyou",
    "football1234",
    "baseball1234",
    "starwars1234",
    "sunshine1234",
    "princess1234",
    "dragon123456",
    "monkey123456",
    "master123456",
    "000000000000",
    "111111111111",
    "121212121212",
    "987654321098",
    "zxcvbnm12345",
    "asdfghjkl123",
    "p@ssw0rd1234",
    "p@ssword1234",
    "passw0rd1234",
    "astrobookings",
    "astrobookings1",
    "astrobookings123",
    "spacetravel123",
    "rocketlaunch123",
];

/// Every way `password` breaks the policy, as field errors on `password`:
/// length in characters within [`MIN_LENGTH`]..=[`MAX_LENGTH`], no control
/// character (see `domain::text`), not a common
/// password, not containing the email's local part (of 3 characters or more).
pub fn check_policy(password: &str, email: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let length = password.chars().count();
    if length < MIN_LENGTH {
        errors.push(FieldError::new(
            "password",
            "too-short",
            format!("must be at least {MIN_LENGTH} characters"),
        ));
    } else if length > MAX_LENGTH {
        errors.push(FieldError::new(
            "password",
            "too-long",
            format!("must be at most {MAX_LENGTH} characters"),
        ));
    }
    // A new password with a control character could not be typed again
    // on another device; which one and where is not echoed back.
    if let Err(error) = domain::text::no_control(password) {
        errors.push(FieldError::new(
            "password",
            error.code(),
            "must not contain control characters",
        ));
    }
    let lowered = password.to_lowercase();
    if COMMON.contains(&lowered.as_str()) {
        errors.push(FieldError::new(
            "password",
            "too-common",
            "is one of the most common passwords; choose another",
        ));
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 3 && lowered.contains(&local) {
        errors.push(FieldError::new(
            "password",
            "contains-email",
            "must not contain your email address",
        ));
    }
    errors
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory per hash in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over the memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's recommendation for argon2id (m = 19 MiB, t = 2, p = 1).
    pub const OWASP: Self = Self {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>, argon2::Error> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashing failed: a bug or exhausted resources, never the caller's input.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password matches.
    Match,
    /// It does not (or the stored hash is unreadable).
    Mismatch,
}

/// Hashes and verifies passwords on tokio's blocking threads, at most
/// `max_concurrent` at once (each holds `memory_kib` of memory).
#[derive(Clone)]
pub struct Hasher {
    params: HashParams,
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// A hash of a random password made with `params` at start-up: unknown
    /// emails are verified against it so that they cost what a known one does.
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// A hasher with `params`; computes the dummy hash (blocking: call at
    /// start-up).
    pub fn new(params: HashParams, max_concurrent: usize) -> Result<Self, HashError> {
        let argon2 = params.argon2().map_err(|e| HashError(e.to_string()))?;
        let random: [u8; 32] = rand::random();
        let dummy_hash = hash_with(&argon2, &hex::encode(random))?;
        Ok(Self {
            params,
            argon2,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// The PHC hash of `password` and how long hashing took.
    pub async fn hash(&self, password: SecretString) -> Result<(String, Duration), HashError> {
        let argon2 = self.argon2.clone();
        self.blocking(move || hash_with(&argon2, password.expose_secret()))
            .await
    }

    /// Verifies `password` against `stored` (a PHC string), or against the
    /// dummy hash when there is no stored hash, so that both take as long.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<(Verdict, Duration), HashError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let argon2 = self.argon2.clone();
        let (verdict, elapsed) = self
            .blocking(move || Ok(verify_with(&argon2, password.expose_secret(), &hash)))
            .await?;
        let verdict = if known { verdict } else { Verdict::Mismatch };
        Ok((verdict, elapsed))
    }

    /// Whether `stored` was made with other parameters than the current ones.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm != argon2::ARGON2ID_IDENT
            || params.m_cost() != self.params.memory_kib
            || params.t_cost() != self.params.iterations
            || params.p_cost() != self.params.parallelism
    }

    /// Runs `work` on a blocking thread once a permit is free; returns its
    /// result and how long the work itself took.
    async fn blocking<T, F>(&self, work: F) -> Result<(T, Duration), HashError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, HashError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            work().map(|value| (value, started.elapsed()))
        })
        .await
        .map_err(|e| HashError(e.to_string()))?
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

fn verify_with(argon2: &Argon2<'_>, password: &str, stored: &str) -> Verdict {
    match PasswordHash::new(stored) {
        Ok(parsed) if argon2.verify_password(password.as_bytes(), &parsed).is_ok() => {
            Verdict::Match
        }
        Ok(_) => Verdict::Mismatch,
        Err(_) => {
            tracing::error!("a stored password hash is not a PHC string");
            Verdict::Mismatch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashParams = HashParams {
        memory_kib: 1_024,
        iterations: 1,
        parallelism: 1,
    };

    fn codes(password: &str, email: &str) -> Vec<String> {
        check_policy(password, email)
            .into_iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn a_long_uncommon_password_passes() {
        assert!(codes("orbital-tangerine-42", "ada@example.com").is_empty());
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(codes("short-pass", "ada@example.com"), ["too-short"]);
        assert!(codes("ñññññññññññç", "ada@example.com").is_empty());
        assert_eq!(codes(&"x".repeat(257), "ada@example.com"), ["too-long"]);
        assert!(codes(&"xy".repeat(128), "ada@example.com").is_empty());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert_eq!(codes("Password1234", "ada@example.com"), ["too-common"]);
        assert_eq!(codes("QWERTY123456", "ada@example.com"), ["too-common"]);
    }

    #[test]
    fn a_password_must_not_contain_the_email_local_part() {
        assert_eq!(
            codes("my-name-is-LOVELACE!", "lovelace@example.com"),
            ["contains-email"]
        );
        // Too short a local part to mean anything.
        assert!(codes("a-perfectly-fine-one", "a@example.com").is_empty());
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hasher = Hasher::new(CHEAP, 2).unwrap();
        let (hash, _) = hasher
            .hash("orbital-tangerine-42".to_owned().into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        let right = hasher
            .verify("orbital-tangerine-42".to_owned().into(), Some(hash.clone()))
            .await
            .unwrap();
        assert_eq!(right.0, Verdict::Match);
        let wrong = hasher
            .verify("orbital-tangerine-43".to_owned().into(), Some(hash))
            .await
            .unwrap();
        assert_eq!(wrong.0, Verdict::Mismatch);
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches() {
        let hasher = Hasher::new(CHEAP, 1).unwrap();
        let dummy = hasher.dummy_hash.to_string();
        let (verdict, _) = hasher
            .verify("anything".to_owned().into(), None)
            .await
            .unwrap();
        assert_eq!(verdict, Verdict::Mismatch);
        assert!(!hasher.needs_rehash(&dummy));
    }

    #[tokio::test]
    async fn changed_parameters_ask_for_a_rehash() {
        let old = Hasher::new(CHEAP, 1).unwrap();
        let (hash, _) = old
            .hash("orbital-tangerine-42".to_owned().into())
            .await
            .unwrap();
        let new = Hasher::new(
            HashParams {
                memory_kib: 2_048,
                ..CHEAP
            },
            1,
        )
        .unwrap();
        assert!(new.needs_rehash(&hash));
        assert!(!old.needs_rehash(&hash));
        assert!(new.needs_rehash("not a hash"));
        // The old hash still verifies with the new hasher: its parameters
        // travel with it.
        let (verdict, _) = new
            .verify("orbital-tangerine-42".to_owned().into(), Some(hash))
            .await
            .unwrap();
        assert_eq!(verdict, Verdict::Match);
    }
}
