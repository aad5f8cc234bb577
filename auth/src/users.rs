//! Users' credentials in MongoDB `core.users`, written together with their
//! [`UserMessage`] in the outbox (`core.user_outbox`) in one transaction.

use bson::{doc, DateTime};
use events::user::{Profile, UserMessage};
use mongodb::error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};
use mongodb::options::IndexOptions;
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};
use platform::{Department, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::outbox::{OutboxDoc, OUTBOX};

/// The users collection.
pub const USERS: &str = "users";

/// How many times a transaction that MongoDB calls transient is retried.
const TRANSACTION_ATTEMPTS: usize = 5;

/// A user as stored. `password_hash` never leaves the service.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDoc {
    /// The user id (UUID v7, as a string).
    #[serde(rename = "_id")]
    pub id: String,
    /// Normalized email (unique).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `traveler`, `agency` or `employee`.
    pub role: String,
    /// An employee's department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// What they registered with (or were created with).
    pub profile: Profile,
    /// When the account was created.
    pub created_at: DateTime,
}

impl std::fmt::Debug for UserDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDoc")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("department", &self.department)
            .finish_non_exhaustive()
    }
}

impl UserDoc {
    /// The user id.
    pub fn user_id(&self) -> Option<Uuid> {
        self.id.parse().ok()
    }

    /// The user's role, when the stored role is one we know.
    pub fn role(&self) -> Option<Role> {
        role_of(&self.role, self.department.as_deref())
    }
}

/// The stored `role` and `department` of `role`.
pub fn role_parts(role: Role) -> (&'static str, Option<&'static str>) {
    match role {
        Role::Traveler => ("traveler", None),
        Role::Agency => ("agency", None),
        Role::Employee(department) => ("employee", Some(department_name(department))),
    }
}

/// `operations`, `finance` or `it`.
pub fn department_name(department: Department) -> &'static str {
    match department {
        Department::Operations => "operations",
        Department::Finance => "finance",
        Department::It => "it",
    }
}

/// The role stored as `role` and `department`.
pub fn role_of(role: &str, department: Option<&str>) -> Option<Role> {
    match (role, department) {
        ("traveler", None) => Some(Role::Traveler),
        ("agency", None) => Some(Role::Agency),
        ("employee", Some("operations")) => Some(Role::Employee(Department::Operations)),
        ("employee", Some("finance")) => Some(Role::Employee(Department::Finance)),
        ("employee", Some("it")) => Some(Role::Employee(Department::It)),
        _ => None,
    }
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The email is taken.
    #[error("an account with this email exists")]
    Duplicate,
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
}

/// The users and the outbox.
#[derive(Debug, Clone)]
pub struct UserStore {
    client: Client,
    users: Collection<UserDoc>,
    outbox: Collection<OutboxDoc>,
}

impl UserStore {
    /// The store in `database`, reached through `client`.
    pub fn new(client: Client, database: &Database) -> Self {
        Self {
            client,
            users: database.collection(USERS),
            outbox: database.collection(OUTBOX),
        }
    }

    /// The unique email index and the index that finds IT employees.
    pub fn indexes() -> Vec<IndexModel> {
        vec![
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(
                    IndexOptions::builder()
                        .name("email_unique".to_owned())
                        .unique(true)
                        .build(),
                )
                .build(),
            IndexModel::builder()
                .keys(doc! { "role": 1, "department": 1 })
                .options(IndexOptions::builder().name("role".to_owned()).build())
                .build(),
        ]
    }

    /// Pings the server.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.client
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .await
            .map(|_| ())
    }

    /// The user with this normalized email.
    pub async fn by_email(&self, email: &str) -> mongodb::error::Result<Option<UserDoc>> {
        self.users.find_one(doc! { "email": email }).await
    }

    /// The user with this id.
    pub async fn by_id(&self, user_id: Uuid) -> mongodb::error::Result<Option<UserDoc>> {
        self.users
            .find_one(doc! { "_id": user_id.to_string() })
            .await
    }

    /// Whether any IT employee exists.
    pub async fn has_it_employee(&self) -> mongodb::error::Result<bool> {
        self.users
            .find_one(doc! { "role": "employee", "department": "it" })
            .await
            .map(|found| found.is_some())
    }

    /// Replaces a user's password hash (after a parameter change).
    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> mongodb::error::Result<()> {
        self.users
            .update_one(
                doc! { "_id": user_id },
                doc! { "$set": { "password_hash": hash } },
            )
            .await
            .map(|_| ())
    }

    /// Inserts `user` and `message` into the outbox in one transaction.
    pub async fn create(&self, user: &UserDoc, message: &UserMessage) -> Result<(), CreateError> {
        let outbox = OutboxDoc::new(message).map_err(|e| {
            CreateError::Mongo(mongodb::error::Error::custom(format!(
                "cannot serialize a user message: {e}"
            )))
        })?;
        let mut session = self.client.start_session().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_once(&mut session, user, &outbox).await {
                Ok(()) => return Ok(()),
                Err(error) if read_models::mongo::is_duplicate_key(&error) => {
                    return Err(CreateError::Duplicate)
                }
                Err(error)
                    if attempt < TRANSACTION_ATTEMPTS
                        && error.contains_label(TRANSIENT_TRANSACTION_ERROR) =>
                {
                    tracing::warn!(%error, attempt, "user creation transaction retried");
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    async fn create_once(
        &self,
        session: &mut ClientSession,
        user: &UserDoc,
        outbox: &OutboxDoc,
    ) -> mongodb::error::Result<()> {
        session.start_transaction().await?;
        let written = async {
            self.users.insert_one(user).session(&mut *session).await?;
            self.outbox
                .insert_one(outbox)
                .session(&mut *session)
                .await?;
            Ok::<_, mongodb::error::Error>(())
        }
        .await;
        if let Err(error) = written {
            // Best effort: the server aborts an abandoned transaction anyway.
            let _ = session.abort_transaction().await;
            return Err(error);
        }
        commit(session).await
    }
}

/// Commits, retrying a commit whose result is unknown (a network error
/// after sending it): committing again is safe.
async fn commit(session: &mut ClientSession) -> mongodb::error::Result<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match session.commit_transaction().await {
            Err(error)
                if attempt < TRANSACTION_ATTEMPTS
                    && error.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) =>
            {
                continue
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        for role in [
            Role::Traveler,
            Role::Agency,
            Role::Employee(Department::Operations),
            Role::Employee(Department::Finance),
            Role::Employee(Department::It),
        ] {
            let (name, department) = role_parts(role);
            assert_eq!(role_of(name, department), Some(role));
        }
        assert_eq!(role_of("employee", None), None);
        assert_eq!(role_of("traveler", Some("it")), None);
    }
}
