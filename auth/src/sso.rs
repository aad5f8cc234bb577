//! Single sign-on for the web apps: the OAuth 2.1 authorization code flow
//! with PKCE (RFC 7636, S256 only).
//!
//! The auth app, signed in with its own session, asks for a one-time code
//! bound to a client (a web app of `AUTH_CLIENTS`), one of its exact
//! redirect URIs and the app's PKCE challenge; the app exchanges the code,
//! with the verifier only it knows, for its own session. A code is 32
//! random bytes, base64url; only its SHA-256 is stored
//! (`core.authorization_codes`, deleted by a TTL index after expiry, and
//! checked for expiry on read), and it is deleted by the first exchange
//! whatever its outcome, so it works once even under concurrency. See
//! docs/auth.md.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bson::{doc, DateTime};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use platform::config::ConfigError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The collection of issued, unexchanged codes.
pub const COLLECTION: &str = "authorization_codes";

/// The variable listing the clients.
pub const CLIENTS_VARIABLE: &str = "AUTH_CLIENTS";

/// The local web apps: the sales site (4200), the IT console `ops` (4202)
/// and the `backoffice` (4203), each by both names a developer's browser
/// may use.
pub const LOCAL_CLIENTS: &str = "sales=http://127.0.0.1:4200/auth/callback,sales=http://localhost:4200/auth/callback,ops=http://127.0.0.1:4202/auth/callback,ops=http://localhost:4202/auth/callback,backoffice=http://127.0.0.1:4203/auth/callback,backoffice=http://localhost:4203/auth/callback";

/// The only PKCE method accepted: `plain` would send the verifier itself
/// through the browser, which is what PKCE is there to avoid.
pub const S256: &str = "S256";

/// The web apps that may sign users in, each with its exact redirect URIs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Clients(Vec<(String, String)>);

impl Clients {
    /// Parses comma-separated `client_id=redirect_uri` pairs (a client may
    /// appear several times). A client id is 1 to 64 characters of
    /// `[A-Za-z0-9._-]`; a redirect URI an absolute http(s) URL without a
    /// fragment, kept as written (it is matched by string equality). The
    /// error names the entry.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut clients = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((client_id, redirect_uri)) = entry.split_once('=') else {
                return Err(format!("`{entry}` is not client_id=redirect_uri"));
            };
            let (client_id, redirect_uri) = (client_id.trim(), redirect_uri.trim());
            if client_id.is_empty()
                || client_id.len() > 64
                || !client_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                return Err(format!(
                    "`{entry}`: the client id must be 1 to 64 letters, digits, `.`, `_` or `-`"
                ));
            }
            let url = url::Url::parse(redirect_uri)
                .map_err(|e| format!("`{entry}`: the redirect URI is not an absolute URL ({e})"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(format!(
                    "`{entry}`: the redirect URI must be an http or https URL"
                ));
            }
            if url.fragment().is_some() || redirect_uri.contains('#') {
                return Err(format!(
                    "`{entry}`: the redirect URI must not have a fragment"
                ));
            }
            let pair = (client_id.to_owned(), redirect_uri.to_owned());
            if !clients.contains(&pair) {
                clients.push(pair);
            }
        }
        if clients.is_empty() {
            return Err("no client is listed".into());
        }
        Ok(Self(clients))
    }

    /// `AUTH_CLIENTS`, or [`LOCAL_CLIENTS`] when unset or empty.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(&platform::config::string(CLIENTS_VARIABLE, LOCAL_CLIENTS)).map_err(|reason| {
            ConfigError::Invalid {
                name: CLIENTS_VARIABLE,
                reason,
            }
        })
    }

    /// Whether `client_id` is a client.
    pub fn knows(&self, client_id: &str) -> bool {
        self.0.iter().any(|(id, _)| id == client_id)
    }

    /// Whether `redirect_uri` is one of `client_id`'s, character for
    /// character (OAuth 2.1: no prefix, no normalization, no wildcard).
    pub fn allows(&self, client_id: &str, redirect_uri: &str) -> bool {
        self.0
            .iter()
            .any(|(id, uri)| id == client_id && uri == redirect_uri)
    }
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` proves `challenge` (S256), in time independent of
/// where they differ.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    let computed = challenge_of(verifier);
    computed.len() == challenge.len()
        && computed
            .bytes()
            .zip(challenge.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Whether `challenge` can be an S256 challenge: a SHA-256 in base64url
/// without padding is exactly 43 characters.
pub fn is_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Whether `verifier` is a verifier as RFC 7636 §4.1 defines it: 43 to 128
/// characters of `[A-Za-z0-9-._~]`.
pub fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The stored form of a code: its SHA-256, hex.
fn digest(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// An issued code, as stored (never the code itself).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// SHA-256 of the code, hex.
    #[serde(rename = "_id")]
    pub digest: String,
    /// Who signed in.
    pub user_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI it was issued for.
    pub redirect_uri: String,
    /// The client's S256 challenge.
    pub code_challenge: String,
    /// When it stops working (the TTL index deletes it some time after).
    pub expires_at: DateTime,
    /// When it was issued.
    pub created_at: DateTime,
}

impl std::fmt::Debug for CodeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRecord")
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What a code is issued for.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    /// The signed-in user.
    pub user_id: Uuid,
    /// The client (already checked against [`Clients`]).
    pub client_id: &'a str,
    /// Its redirect URI (already checked).
    pub redirect_uri: &'a str,
    /// The client's S256 challenge (already checked).
    pub code_challenge: &'a str,
}

/// The codes' collection.
#[derive(Debug, Clone)]
pub struct CodeStore {
    codes: Collection<CodeRecord>,
    ttl: Duration,
}

impl CodeStore {
    /// The store in `database`; codes live `ttl`.
    pub fn new(database: &Database, ttl: Duration) -> Self {
        Self {
            codes: database.collection(COLLECTION),
            ttl,
        }
    }

    /// The TTL index.
    pub fn indexes() -> Vec<IndexModel> {
        vec![IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(
                IndexOptions::builder()
                    .name("expires_at_ttl".to_owned())
                    .expire_after(Duration::ZERO)
                    .build(),
            )
            .build()]
    }

    /// Issues a code for `grant`; returns the code and its expiry.
    pub async fn issue(&self, grant: &Grant<'_>) -> mongodb::error::Result<(String, DateTime)> {
        let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let now = DateTime::now();
        let expires_at =
            DateTime::from_millis(now.timestamp_millis() + self.ttl.as_millis() as i64);
        self.codes
            .insert_one(CodeRecord {
                digest: digest(&code),
                user_id: grant.user_id.to_string(),
                client_id: grant.client_id.to_owned(),
                redirect_uri: grant.redirect_uri.to_owned(),
                code_challenge: grant.code_challenge.to_owned(),
                expires_at,
                created_at: now,
            })
            .await?;
        Ok((code, expires_at))
    }

    /// Takes `code` out of the store (one atomic delete: of concurrent
    /// exchanges, one gets it); `None` when it is unknown, already taken or
    /// expired (the TTL index deletes late, so expiry is checked here).
    pub async fn take(&self, code: &str) -> mongodb::error::Result<Option<CodeRecord>> {
        let taken = self
            .codes
            .find_one_and_delete(doc! { "_id": digest(code) })
            .await?;
        Ok(taken.filter(|record| record.expires_at > DateTime::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, appendix B (`mB92`: a copy of this vector with `mJ92` and
    /// a 46-character challenge circulates; no SHA-256 is 46 characters).
    #[test]
    fn the_s256_challenge_is_the_one_of_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(challenge_of(verifier), challenge);
        assert!(verifies(verifier, challenge));
        assert!(is_verifier(verifier));
        assert!(is_challenge(challenge));
    }

    #[test]
    fn another_verifier_does_not_verify_the_challenge() {
        let challenge = challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert!(!verifies(
            "dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk",
            &challenge
        ));
        assert!(!verifies("", &challenge));
        assert!(!verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ""));
        // `plain` would compare the verifier itself: never accepted.
        assert!(!verifies(&challenge, &challenge));
    }

    #[test]
    fn a_challenge_is_43_base64url_characters_without_padding() {
        let good = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_challenge(good));
        assert!(!is_challenge(&good[..42]));
        assert!(!is_challenge(&format!("{good}=")));
        assert!(!is_challenge(&good.replace('-', "+")));
        assert!(!is_challenge(&good.replace('E', "/")));
    }

    #[test]
    fn a_verifier_is_43_to_128_unreserved_characters() {
        assert!(is_verifier(&"a".repeat(43)));
        assert!(is_verifier(&"a-._~Z9".repeat(19)[..128]));
        assert!(!is_verifier(&"a".repeat(42)));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(43))));
        assert!(!is_verifier(&format!("{} ", "a".repeat(43))));
        assert!(!is_verifier(&format!("{}é", "a".repeat(43))));
    }

    #[test]
    fn the_local_clients_are_the_three_web_apps_by_both_names() {
        let clients = Clients::parse(LOCAL_CLIENTS).unwrap();
        for (client, port) in [("sales", 4200), ("ops", 4202), ("backoffice", 4203)] {
            for host in ["127.0.0.1", "localhost"] {
                let uri = format!("http://{host}:{port}/auth/callback");
                assert!(clients.allows(client, &uri), "{client} {uri}");
            }
        }
        assert!(!clients.knows("auth"));
    }

    #[test]
    fn a_client_may_have_several_redirect_uris_each_matched_exactly() {
        let clients = Clients::parse(
            "sales=https://sales.example.com/auth/callback, sales=https://www.example.com/cb,ops=https://ops.example.com/cb",
        )
        .unwrap();
        assert!(clients.knows("sales"));
        assert!(clients.allows("sales", "https://sales.example.com/auth/callback"));
        assert!(clients.allows("sales", "https://www.example.com/cb"));
        for refused in [
            "https://sales.example.com/auth/callback/",
            "https://sales.example.com/auth/callback?x=1",
            "https://sales.example.com/auth/callback#x",
            "https://SALES.example.com/auth/callback",
            "https://sales.example.com:443/auth/callback",
            "https://sales.example.com/auth",
            "http://sales.example.com/auth/callback",
            "https://ops.example.com/cb",
        ] {
            assert!(!clients.allows("sales", refused), "{refused}");
        }
        assert!(!clients.allows("backoffice", "https://www.example.com/cb"));
    }

    #[test]
    fn a_malformed_client_list_is_refused_naming_the_entry() {
        for (list, hint) in [
            ("sales", "is not client_id=redirect_uri"),
            ("=https://a.example.com/cb", "client id"),
            ("sa les=https://a.example.com/cb", "client id"),
            ("sales=/auth/callback", "not an absolute URL"),
            ("sales=ftp://a.example.com/cb", "http or https"),
            ("sales=https://a.example.com/cb#top", "fragment"),
            ("sales=https://a.example.com/cb#", "fragment"),
            ("", "no client"),
        ] {
            let error = Clients::parse(list).expect_err(list);
            assert!(error.contains(hint), "{list}: {error}");
            if !list.is_empty() {
                assert!(error.contains(list.trim()), "{list}: {error}");
            }
        }
    }

    #[test]
    fn only_a_digest_of_a_code_is_stored() {
        let stored = digest("some-code");
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains("some-code"));
    }
}
