//! Refresh tokens: opaque random strings that buy a new access token.
//!
//! A refresh token is 32 random bytes, base64url without padding. Only its
//! SHA-256 is stored (`core.refresh_tokens`), with its user, its family (the
//! login it descends from) and its expiry. Each use rotates it: the presented
//! token is marked used and a new one of the same family is issued. A used
//! token presented again means it was copied — the whole family is deleted,
//! so neither the thief nor the user can refresh any more (the user logs in
//! again).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The collection.
pub const COLLECTION: &str = "refresh_tokens";

/// A fresh refresh token (what the client gets).
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a refresh token: its SHA-256, hex.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// A stored refresh token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// [`digest`] of the token.
    #[serde(rename = "_id")]
    pub digest: String,
    /// Whose it is.
    pub user_id: String,
    /// The login it descends from.
    pub family_id: String,
    /// When it stops working (the TTL index deletes it then).
    pub expires_at: DateTime,
    /// Whether it was already exchanged.
    pub used: bool,
    /// When it was issued.
    pub created_at: DateTime,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Exchange {
    /// It was valid and is now used: issue the next one of this family.
    Rotated(RefreshRecord),
    /// It had been used before: the family is revoked.
    Reused {
        /// The user whose family was revoked.
        user_id: String,
    },
    /// Unknown or expired.
    Invalid,
}

/// The refresh tokens' collection.
#[derive(Debug, Clone)]
pub struct RefreshStore {
    tokens: Collection<RefreshRecord>,
    ttl: Duration,
}

impl RefreshStore {
    /// The store in `database`; tokens live `ttl`.
    pub fn new(database: &Database, ttl: Duration) -> Self {
        Self {
            tokens: database.collection(COLLECTION),
            ttl,
        }
    }

    /// How long a refresh token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The TTL index and the family index.
    pub fn indexes() -> Vec<IndexModel> {
        vec![
            IndexModel::builder()
                .keys(doc! { "expires_at": 1 })
                .options(
                    IndexOptions::builder()
                        .name("expires_at_ttl".to_owned())
                        .expire_after(Duration::ZERO)
                        .build(),
                )
                .build(),
            IndexModel::builder()
                .keys(doc! { "family_id": 1 })
                .options(IndexOptions::builder().name("family".to_owned()).build())
                .build(),
        ]
    }

    /// Issues a new token of `family_id` for `user_id`; returns the token
    /// and its expiry.
    pub async fn issue(
        &self,
        user_id: Uuid,
        family_id: Uuid,
    ) -> mongodb::error::Result<(String, DateTime)> {
        let token = generate();
        let now = DateTime::now();
        let expires_at =
            DateTime::from_millis(now.timestamp_millis() + self.ttl.as_millis() as i64);
        self.tokens
            .insert_one(RefreshRecord {
                digest: digest(&token),
                user_id: user_id.to_string(),
                family_id: family_id.to_string(),
                expires_at,
                used: false,
                created_at: now,
            })
            .await?;
        Ok((token, expires_at))
    }

    /// Exchanges `token`: marks it used when it is valid, revokes its family
    /// when it was used before.
    pub async fn exchange(&self, token: &str) -> mongodb::error::Result<Exchange> {
        let digest = digest(token);
        let now = DateTime::now();
        let claimed = self
            .tokens
            .find_one_and_update(
                doc! { "_id": &digest, "used": false, "expires_at": { "$gt": now } },
                doc! { "$set": { "used": true } },
            )
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(record) = claimed {
            return Ok(Exchange::Rotated(record));
        }
        match self.tokens.find_one(doc! { "_id": &digest }).await? {
            Some(record) if record.used => {
                self.revoke_family(&record.family_id).await?;
                Ok(Exchange::Reused {
                    user_id: record.user_id,
                })
            }
            _ => Ok(Exchange::Invalid),
        }
    }

    /// Deletes the family of `token` when it belongs to `user_id`; returns
    /// whether there was one.
    pub async fn revoke_family_of(
        &self,
        token: &str,
        user_id: Uuid,
    ) -> mongodb::error::Result<bool> {
        let found = self
            .tokens
            .find_one(doc! { "_id": digest(token), "user_id": user_id.to_string() })
            .await?;
        match found {
            Some(record) => {
                self.revoke_family(&record.family_id).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn revoke_family(&self, family_id: &str) -> mongodb::error::Result<()> {
        self.tokens
            .delete_many(doc! { "family_id": family_id })
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_32_random_bytes_in_base64url() {
        let token = generate();
        assert_eq!(token.len(), 43);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, generate());
    }

    #[test]
    fn only_a_digest_is_stored() {
        let token = generate();
        let stored = digest(&token);
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&token));
        assert_eq!(stored, digest(&format!(" {token}\n")));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
