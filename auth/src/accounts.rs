//! Creating accounts: validation of the email, password and profile, the
//! hash, and the user written with its [`UserMessage`] in one transaction.
//! Shared by registration, employee creation and the bootstrap IT account.

use anyhow::bail;
use bson::DateTime;
use chrono::Utc;
use events::user::{
    EmployeeCreated, EmployeeProfile, Profile, UserEvent, UserMessage, UserRegistered,
};
use platform::{Department, FieldError, Problem, Role};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::errors::{hash_problem, mongo_problem};
use crate::password::{check_policy, HashError};
use crate::settings::Bootstrap;
use crate::startup::AppState;
use crate::users::{department_name, role_parts, CreateError, UserDoc};

/// An account to create, validated.
pub struct NewAccount {
    /// Normalized email.
    pub email: String,
    /// The password (policy checked).
    pub password: SecretString,
    /// The role it gets.
    pub role: Role,
    /// Its profile (validated).
    pub profile: Profile,
    /// The IT employee creating it (employees only; `None` for the bootstrap).
    pub created_by: Option<Uuid>,
}

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The email is taken.
    #[error("an account with this email exists")]
    Duplicate,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
}

impl AccountError {
    /// The answer to the client.
    pub fn into_problem(self) -> Problem {
        match self {
            Self::Duplicate => {
                Problem::conflict("email-taken", "an account with this email already exists")
            }
            Self::Hash(error) => hash_problem(&error),
            Self::Mongo(error) => mongo_problem(&error),
        }
    }
}

/// Checks the email (normalizing it) and the password: the normalized email,
/// and every field error (`email`, `password`).
pub fn check_credentials(raw_email: &str, password: &str) -> (String, Vec<FieldError>) {
    let mut errors = Vec::new();
    let email = match domain::profile::normalize_email(raw_email) {
        Ok(email) => email,
        Err(message) => {
            errors.push(FieldError::new("email", "invalid", message));
            raw_email.trim().to_lowercase()
        }
    };
    errors.extend(check_policy(password, &email));
    (email, errors)
}

/// The profile's field errors as of today, with their paths prefixed by
/// `strip` removed (`profile.full_name` → `full_name` for a flat body).
pub fn check_profile(profile: &Profile, strip: &str) -> Vec<FieldError> {
    domain::profile::validate_profile(profile, Utc::now().date_naive())
        .into_iter()
        .map(|(field, message)| {
            let field = field.strip_prefix(strip).unwrap_or(&field).to_owned();
            FieldError::new(field, "invalid", message)
        })
        .collect()
}

/// Hashes the password and creates the account with its message; wakes the
/// outbox publisher once committed.
pub async fn create(
    state: &AppState,
    account: NewAccount,
    correlation_id: &str,
) -> Result<UserDoc, AccountError> {
    let (hash, elapsed) = state.hasher.hash(account.password).await?;
    state.metrics.argon2("hash", elapsed);
    let user_id = Uuid::now_v7();
    let (role, department) = role_parts(account.role);
    let user = UserDoc {
        id: user_id.to_string(),
        email: account.email.clone(),
        password_hash: hash,
        role: role.to_owned(),
        department: department.map(str::to_owned),
        profile: account.profile.clone(),
        created_at: DateTime::now(),
    };
    let event = match account.role {
        Role::Employee(department) => UserEvent::EmployeeCreated(EmployeeCreated {
            user_id,
            email: account.email,
            department: department_name(department).to_owned(),
            profile: account.profile,
            created_by: account.created_by,
        }),
        Role::Traveler | Role::Agency => UserEvent::UserRegistered(UserRegistered {
            user_id,
            email: account.email,
            profile: account.profile,
        }),
    };
    let message = UserMessage {
        event_id: Uuid::now_v7(),
        occurred_at: Utc::now(),
        correlation_id: correlation_id.to_owned(),
        event_version: "1".to_owned(),
        event,
    };
    match state.users.create(&user, &message).await {
        Ok(()) => {}
        Err(CreateError::Duplicate) => return Err(AccountError::Duplicate),
        Err(CreateError::Mongo(error)) => return Err(error.into()),
    }
    state.outbox_wake.notify_one();
    tracing::info!(user_id = %user_id, role = %account.role, "account created");
    Ok(user)
}

/// The first IT account, from `AUTH_BOOTSTRAP_IT_*`, validated at start-up.
#[derive(Debug, Clone)]
pub struct BootstrapAccount {
    email: String,
    password: SecretString,
}

impl BootstrapAccount {
    /// Validates the configured account: a bad email or a weak password
    /// stops start-up (the message names the rule, never the password).
    pub fn from_settings(bootstrap: &Bootstrap) -> anyhow::Result<Self> {
        let (email, errors) =
            check_credentials(&bootstrap.email, bootstrap.password.expose_secret());
        if let Some(error) = errors.first() {
            bail!(
                "AUTH_BOOTSTRAP_IT_{}: {}",
                error.field.to_uppercase(),
                error.message
            );
        }
        Ok(Self {
            email,
            password: bootstrap.password.clone(),
        })
    }
}

/// Creates the bootstrap IT account unless an IT employee exists. Replicas
/// starting together race safely: the unique email index lets one win.
pub async fn bootstrap_it(state: &AppState, bootstrap: &BootstrapAccount) -> anyhow::Result<()> {
    if state.users.has_it_employee().await? {
        tracing::info!("an IT employee exists: no bootstrap account needed");
        return Ok(());
    }
    let account = NewAccount {
        email: bootstrap.email.clone(),
        password: bootstrap.password.clone(),
        role: Role::Employee(Department::It),
        profile: Profile::Employee(EmployeeProfile {
            full_name: "IT administrator".to_owned(),
        }),
        created_by: None,
    };
    match create(state, account, "bootstrap").await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "bootstrap IT account created");
            Ok(())
        }
        Err(AccountError::Duplicate) => {
            if state.users.has_it_employee().await? {
                tracing::info!("the bootstrap IT account was created by another replica");
            } else {
                tracing::error!("AUTH_BOOTSTRAP_IT_EMAIL belongs to an account that is not IT: no bootstrap account");
            }
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
