//! Biscuit tokens: issued by the auth service with its private key, verified
//! offline by every service with the public key.
//!
//! A token's authority block holds `user(id)`, `role(name)`, optionally
//! `department(name)`, and `check if time($t), $t < expiry`. A verifier
//! supplies the current time; a token whose check fails is expired.

use std::fmt;
use std::future::{ready, Ready};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use biscuit_auth::builder::{Algorithm, AuthorizerBuilder};
use biscuit_auth::{AuthorizerLimits, Biscuit, KeyPair, PrivateKey, PublicKey};
use lru::LruCache;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::Problem;
use crate::revocation::RevocationList;

/// An employee's department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// Schedules rockets and launches.
    Operations,
    /// Invoices and credit notes.
    Finance,
    /// Notifications, logs, the event log, employee accounts.
    It,
}

/// What a user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "department")]
pub enum Role {
    /// Books for themselves.
    Traveler,
    /// Books for its customers.
    Agency,
    /// Works for Astro Bookings in a department.
    Employee(Department),
}

impl Role {
    /// The stable name: `traveler`, `agency`, `employee:operations`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Traveler => "traveler",
            Self::Agency => "agency",
            Self::Employee(Department::Operations) => "employee:operations",
            Self::Employee(Department::Finance) => "employee:finance",
            Self::Employee(Department::It) => "employee:it",
        }
    }

    fn parse(role: &str, department: Option<&str>) -> Option<Self> {
        match (role, department) {
            ("traveler", None) => Some(Self::Traveler),
            ("agency", None) => Some(Self::Agency),
            ("employee", Some("operations")) => Some(Self::Employee(Department::Operations)),
            ("employee", Some("finance")) => Some(Self::Employee(Department::Finance)),
            ("employee", Some("it")) => Some(Self::Employee(Department::It)),
            _ => None,
        }
    }

    fn facts(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Traveler => ("traveler", None),
            Self::Agency => ("agency", None),
            Self::Employee(Department::Operations) => ("employee", Some("operations")),
            Self::Employee(Department::Finance) => ("employee", Some("finance")),
            Self::Employee(Department::It) => ("employee", Some("it")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: Uuid,
    /// The user's role.
    pub role: Role,
}

impl Principal {
    /// `Ok` when the caller has one of `roles`, else a 403 problem.
    pub fn require(&self, roles: &[Role]) -> Result<(), Problem> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "this action is not open to the role {}",
                self.role
            )))
        }
    }
}

/// Why a token was not accepted. Deliberately coarse towards clients.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// Not a token signed by our key, or not one of ours.
    #[error("invalid token")]
    Invalid,
    /// Signed by us but past its expiry.
    #[error("expired token")]
    Expired,
    /// Signed by us but revoked (its user logged out).
    #[error("revoked token")]
    Revoked,
}

/// A key that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("the {0} is not a hex-encoded Ed25519 key")]
pub struct KeyError(&'static str);

/// A fresh Ed25519 key pair as `(private hex, public hex)`.
pub fn generate_key_pair() -> (String, String) {
    let pair = KeyPair::new();
    (pair.private().to_bytes_hex(), pair.public().to_bytes_hex())
}

/// Mints tokens. Lives in the auth service (and in development tools).
#[derive(Clone)]
pub struct TokenIssuer {
    key_pair: Arc<KeyPair>,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenIssuer(<private key>)")
    }
}

impl TokenIssuer {
    /// From a hex-encoded Ed25519 private key.
    pub fn from_private_key_hex(hex: &str) -> Result<Self, KeyError> {
        let private = PrivateKey::from_bytes_hex(hex.trim(), Algorithm::Ed25519)
            .map_err(|_| KeyError("private key"))?;
        Ok(Self {
            key_pair: Arc::new(KeyPair::from(&private)),
        })
    }

    /// The public key that verifies this issuer's tokens, hex-encoded.
    pub fn public_key_hex(&self) -> String {
        self.key_pair.public().to_bytes_hex()
    }

    /// A token for `principal` valid for `ttl` from now.
    pub fn issue(&self, principal: &Principal, ttl: Duration) -> String {
        self.issue_expiring_at(principal, SystemTime::now() + ttl)
    }

    /// A token for `principal` that expires at `expires_at`.
    pub fn issue_expiring_at(&self, principal: &Principal, expires_at: SystemTime) -> String {
        let (role, department) = principal.role.facts();
        let mut builder = Biscuit::builder()
            .fact(biscuit_auth::macros::fact!(
                "user({id})",
                id = principal.user_id.to_string()
            ))
            .and_then(|b| b.fact(biscuit_auth::macros::fact!("role({role})", role = role)))
            .and_then(|b| {
                b.fact(biscuit_auth::macros::fact!(
                    "expires({expires})",
                    expires = expires_at
                ))
            })
            .and_then(|b| {
                b.check(biscuit_auth::macros::check!(
                    "check if time($t), $t < {expires}",
                    expires = expires_at
                ))
            })
            .expect("static token facts are well-formed");
        if let Some(department) = department {
            builder = builder
                .fact(biscuit_auth::macros::fact!(
                    "department({department})",
                    department = department
                ))
                .expect("static token facts are well-formed");
        }
        builder
            .build(&self.key_pair)
            .and_then(|token| token.to_base64())
            .expect("signing with a valid key cannot fail")
    }
}

/// Verifies tokens offline with the auth service's public key.
///
/// Verified tokens are remembered (bounded LRU, keyed by the token) until
/// their expiry, at most [`VERIFIED_CACHE_TTL`]: a client sends the same
/// token with every request, and checking a signature and running the
/// Datalog authorizer each time is the largest CPU cost of a small command.
#[derive(Clone)]
pub struct TokenVerifier {
    public_key: PublicKey,
    verified: Arc<Mutex<LruCache<String, Verified>>>,
    revocations: RevocationList,
}

/// A verified token as the cache remembers it.
#[derive(Debug, Clone)]
struct Verified {
    principal: Principal,
    until: SystemTime,
    revocation_ids: Vec<String>,
}

/// How long a verified token is trusted without re-verification.
pub const VERIFIED_CACHE_TTL: Duration = Duration::from_secs(60);
/// How many verified tokens a verifier remembers.
pub const VERIFIED_CACHE_SIZE: usize = 10_000;

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenVerifier({})", self.public_key.to_bytes_hex())
    }
}

impl TokenVerifier {
    /// From a hex-encoded Ed25519 public key.
    pub fn from_public_key_hex(hex: &str) -> Result<Self, KeyError> {
        let public_key = PublicKey::from_bytes_hex(hex.trim(), Algorithm::Ed25519)
            .map_err(|_| KeyError("public key"))?;
        let size = NonZeroUsize::new(VERIFIED_CACHE_SIZE).expect("non-zero");
        Ok(Self {
            public_key,
            verified: Arc::new(Mutex::new(LruCache::new(size))),
            revocations: RevocationList::synced_empty(),
        })
    }

    /// Honours the revocations in `revocations` (see
    /// [`crate::revocation::follow`]). Without this, a verifier knows of no
    /// revocation: right only for tools and tests.
    pub fn with_revocations(mut self, revocations: RevocationList) -> Self {
        self.revocations = revocations;
        self
    }

    /// The revocations this verifier honours.
    pub fn revocations(&self) -> &RevocationList {
        &self.revocations
    }

    /// The revocation ids of a token (hex, one per block, the authority
    /// block's first), when it is one of ours. The auth service revokes a
    /// token by publishing the first.
    pub fn revocation_ids(&self, token: &str) -> Result<Vec<String>, TokenError> {
        let token =
            Biscuit::from_base64(token.trim(), self.public_key).map_err(|_| TokenError::Invalid)?;
        Ok(token
            .revocation_identifiers()
            .iter()
            .map(hex::encode)
            .collect())
    }

    /// The principal a token names, if it is ours and not expired.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_at(token, SystemTime::now())
    }

    /// [`TokenVerifier::verify`] as of `now`.
    pub fn verify_at(&self, token: &str, now: SystemTime) -> Result<Principal, TokenError> {
        let token = token.trim();
        // The cached path decides under the lock, without copying the entry.
        let cached = match self.verified.lock() {
            Ok(mut cache) => match cache.get(token) {
                Some(verified) if now < verified.until => Some(self.decide(verified)),
                Some(_) => {
                    cache.pop(token);
                    None
                }
                None => None,
            },
            Err(_) => None,
        };
        if let Some(decided) = cached {
            return decided;
        }
        let verified = self.verify_uncached(token, now)?;
        let decided = self.decide(&verified);
        if verified.until > now {
            if let Ok(mut cache) = self.verified.lock() {
                cache.put(token.to_owned(), verified);
            }
        }
        decided
    }

    /// A verified token's principal, unless the token has been revoked.
    fn decide(&self, verified: &Verified) -> Result<Principal, TokenError> {
        if verified
            .revocation_ids
            .iter()
            .any(|id| self.revocations.is_revoked(id))
        {
            return Err(TokenError::Revoked);
        }
        Ok(verified.principal)
    }

    /// Full verification: signature, expiry check, facts. The result may be
    /// cached until `until` (the token's expiry, at most
    /// [`VERIFIED_CACHE_TTL`] from now; now for a token without expiry).
    fn verify_uncached(&self, token: &str, now: SystemTime) -> Result<Verified, TokenError> {
        let token =
            Biscuit::from_base64(token, self.public_key).map_err(|_| TokenError::Invalid)?;
        let revocation_ids = token
            .revocation_identifiers()
            .iter()
            .map(hex::encode)
            .collect();
        let mut authorizer = AuthorizerBuilder::new()
            .fact(biscuit_auth::macros::fact!("time({now})", now = now))
            .map_err(|_| TokenError::Invalid)?
            // biscuit's default budget is 1 ms of wall-clock time for the
            // whole evaluation, which a busy or preempted thread exceeds, and
            // valid tokens were then refused. Our tokens are signed by us and
            // tiny; the fact and iteration limits stay at their defaults.
            .set_limits(AuthorizerLimits {
                max_time: Duration::from_secs(1),
                ..AuthorizerLimits::default()
            })
            .code("allow if user($u)")
            .and_then(|b| b.build(&token))
            .map_err(|_| TokenError::Invalid)?;
        match authorizer.authorize() {
            Ok(_) => {}
            // Our tokens carry exactly one check, the expiry; a token signed
            // by our key that fails it has expired.
            Err(biscuit_auth::error::Token::FailedLogic(_)) => return Err(TokenError::Expired),
            Err(_) => return Err(TokenError::Invalid),
        }
        let user: Vec<(String,)> = authorizer
            .query("data($u) <- user($u)")
            .map_err(|_| TokenError::Invalid)?;
        let roles: Vec<(String,)> = authorizer
            .query("data($r) <- role($r)")
            .map_err(|_| TokenError::Invalid)?;
        let departments: Vec<(String,)> = authorizer
            .query("data($d) <- department($d)")
            .map_err(|_| TokenError::Invalid)?;
        let expiries: Vec<(SystemTime,)> = authorizer
            .query("data($t) <- expires($t)")
            .map_err(|_| TokenError::Invalid)?;
        let ([(user,)], [(role,)]) = (user.as_slice(), roles.as_slice()) else {
            return Err(TokenError::Invalid);
        };
        let department = match departments.as_slice() {
            [] => None,
            [(department,)] => Some(department.as_str()),
            _ => return Err(TokenError::Invalid),
        };
        let principal = Principal {
            user_id: user.parse().map_err(|_| TokenError::Invalid)?,
            role: Role::parse(role, department).ok_or(TokenError::Invalid)?,
        };
        let until = expiries
            .first()
            .map(|(t,)| (*t).min(now + VERIFIED_CACHE_TTL))
            .unwrap_or(now);
        Ok(Verified {
            principal,
            until,
            revocation_ids,
        })
    }

    /// The principal of a request's `Authorization: Bearer` header.
    pub fn verify_request(&self, request: &HttpRequest) -> Result<Principal, TokenError> {
        let header = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(TokenError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(TokenError::Missing)?;
        self.verify(token)
    }
}

/// Extractor: the request's authenticated caller, or a 401 problem.
/// Needs a [`TokenVerifier`] in the app data.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = Problem;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(verifier) = req.app_data::<web::Data<TokenVerifier>>() else {
            tracing::error!("no TokenVerifier configured in app data");
            return ready(Err(Problem::internal()));
        };
        ready(match verifier.verify_request(req) {
            Ok(principal) => {
                tracing::Span::current().record("user_id", principal.user_id.to_string());
                Ok(Self(principal))
            }
            Err(error) => Err(Problem::unauthorized(error.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (TokenIssuer, TokenVerifier) {
        let (private, public) = generate_key_pair();
        (
            TokenIssuer::from_private_key_hex(&private).unwrap(),
            TokenVerifier::from_public_key_hex(&public).unwrap(),
        )
    }

    #[test]
    fn a_token_names_its_user_and_role() {
        let (issuer, verifier) = pair();
        for role in [
            Role::Traveler,
            Role::Agency,
            Role::Employee(Department::Operations),
            Role::Employee(Department::Finance),
            Role::Employee(Department::It),
        ] {
            let principal = Principal {
                user_id: Uuid::now_v7(),
                role,
            };
            let token = issuer.issue(&principal, Duration::from_secs(60));
            assert_eq!(verifier.verify(&token), Ok(principal));
        }
    }

    #[test]
    fn an_expired_token_is_refused() {
        let (issuer, verifier) = pair();
        let principal = Principal {
            user_id: Uuid::now_v7(),
            role: Role::Traveler,
        };
        let token =
            issuer.issue_expiring_at(&principal, SystemTime::now() - Duration::from_secs(1));
        assert_eq!(verifier.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_of_another_key_or_tampered_is_refused() {
        let (issuer, _) = pair();
        let (_, verifier) = pair();
        let principal = Principal {
            user_id: Uuid::now_v7(),
            role: Role::Agency,
        };
        let token = issuer.issue(&principal, Duration::from_secs(60));
        assert_eq!(verifier.verify(&token), Err(TokenError::Invalid));
        let (issuer, verifier) = pair();
        let mut token = issuer
            .issue(&principal, Duration::from_secs(60))
            .into_bytes();
        let middle = token.len() / 2;
        token[middle] = if token[middle] == b'A' { b'B' } else { b'A' };
        let token = String::from_utf8(token).unwrap();
        assert_eq!(verifier.verify(&token), Err(TokenError::Invalid));
        assert_eq!(verifier.verify("not a token"), Err(TokenError::Invalid));
    }

    #[test]
    fn a_cached_token_still_expires() {
        let (issuer, verifier) = pair();
        let principal = Principal {
            user_id: Uuid::now_v7(),
            role: Role::Traveler,
        };
        let now = SystemTime::now();
        let token = issuer.issue_expiring_at(&principal, now + Duration::from_secs(10));
        assert_eq!(verifier.verify_at(&token, now), Ok(principal));
        // Verified once and cached; the cache keeps the token's own expiry.
        assert_eq!(
            verifier.verify_at(&token, now + Duration::from_secs(5)),
            Ok(principal)
        );
        assert_eq!(
            verifier.verify_at(&token, now + Duration::from_secs(11)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_revoked_token_is_refused_even_when_cached() {
        let (issuer, verifier) = pair();
        let revocations = RevocationList::new();
        let verifier = verifier.with_revocations(revocations.clone());
        let principal = Principal {
            user_id: Uuid::now_v7(),
            role: Role::Agency,
        };
        let token = issuer.issue(&principal, Duration::from_secs(600));
        let other = issuer.issue(&principal, Duration::from_secs(600));
        assert_eq!(
            verifier.verify(&token),
            Ok(principal),
            "verified and cached"
        );
        let ids = verifier.revocation_ids(&token).unwrap();
        assert!(!ids.is_empty());
        assert_ne!(
            ids,
            verifier.revocation_ids(&other).unwrap(),
            "ids are per token"
        );
        revocations.revoke(&ids[0], SystemTime::now() + Duration::from_secs(600));
        assert_eq!(verifier.verify(&token), Err(TokenError::Revoked));
        assert_eq!(verifier.verify(&other), Ok(principal), "only that token");
        assert_eq!(verifier.revocation_ids("garbage"), Err(TokenError::Invalid));
    }

    #[test]
    fn keys_must_be_hex_ed25519() {
        assert!(TokenVerifier::from_public_key_hex("xyz").is_err());
        assert!(TokenIssuer::from_private_key_hex("").is_err());
    }

    #[test]
    fn require_refuses_other_roles() {
        let principal = Principal {
            user_id: Uuid::now_v7(),
            role: Role::Traveler,
        };
        assert!(principal.require(&[Role::Traveler, Role::Agency]).is_ok());
        let refused = principal
            .require(&[Role::Employee(Department::Operations)])
            .unwrap_err();
        assert_eq!(refused.status, 403);
    }
}
