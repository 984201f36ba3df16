//! Credentials: password hashes (Argon2id), access tokens (HS256 JWTs, the algorithm pinned),
//! opaque refresh tokens (stored only as SHA-256 hashes), and the signing secret.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ticket::Role;

/// Who is calling, as their access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub department_id: Option<String>,
    pub enterprise_id: Option<String>,
    /// The password was set by someone else: until the user has chosen their own, the API
    /// answers only their own account, the password change and signing out.
    pub must_change_password: bool,
    /// An enterprise user who has not accepted the legal texts in force (a new version was
    /// published since): until they do, the API answers only their own account, the
    /// acceptance, the password change and signing out.
    pub consent_required: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dept: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ent: Option<String>,
    /// Must change the password first (absent: no).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pwc: bool,
    /// Must accept the legal texts first (absent: no).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    cns: bool,
    iat: i64,
    exp: i64,
    typ: String,
}

/// What a signed download link carries: whose it is, the download it is for (path and query,
/// exactly as it may be fetched), and until when.
#[derive(Debug, Serialize, Deserialize)]
struct DownloadClaims {
    sub: String,
    path: String,
    exp: i64,
    typ: String,
}

/// The user and the download a valid download link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadGrant {
    pub user_id: String,
    /// The path with its query, e.g. `/api/v1/ledger.xlsx?status=closed`.
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        // Only HS256 is accepted: a token claiming `none` or any other algorithm fails.
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the service's clock (which tests can move), below.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["sub", "exp"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(&self, who: &Principal, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = Claims {
            sub: who.user_id.clone(),
            role: who.role.as_str().to_string(),
            dept: who.department_id.clone(),
            ent: who.enterprise_id.clone(),
            pwc: who.must_change_password,
            cns: who.consent_required,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
            typ: "access".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("signing an access token")
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Principal, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.typ != "access" {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        let role = Role::parse(&claims.role).ok_or(TokenError::Invalid)?;
        Ok(Principal {
            user_id: claims.sub,
            role,
            department_id: claims.dept,
            enterprise_id: claims.ent,
            must_change_password: claims.pwc,
            consent_required: claims.cns,
        })
    }

    /// A download link's token for `user_id` and `path` (with its query), good for `ttl_secs`:
    /// signed with the access tokens' secret, but of its own type, so that neither passes for
    /// the other.
    pub fn issue_download(
        &self,
        user_id: &str,
        path: &str,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> anyhow::Result<String> {
        let claims = DownloadClaims {
            sub: user_id.to_string(),
            path: path.to_string(),
            exp: now.timestamp() + ttl_secs,
            typ: "download".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("signing a download link")
    }

    /// What a download link's token grants, if it is ours, of its type and not expired.
    pub fn verify_download(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<DownloadGrant, TokenError> {
        let data = jsonwebtoken::decode::<DownloadClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.typ != "download" {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(DownloadGrant {
            user_id: claims.sub,
            path: claims.path,
        })
    }

    /// A token that a phone number was proven with an SMS code (by signing in with a code
    /// for a number no account has), good for registering it within `ttl_secs`.
    pub fn issue_phone_proof(
        &self,
        phone: &str,
        ttl_secs: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = PhoneProof {
            sub: phone.to_string(),
            exp: now.timestamp() + ttl_secs,
            typ: PHONE_PROOF.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("signing a phone proof")
    }

    /// The phone number a proof from [`TokenKeys::issue_phone_proof`] stands for, if it is
    /// one of ours and still good.
    pub fn verify_phone_proof(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        let data =
            jsonwebtoken::decode::<PhoneProof>(token, &self.decoding, &self.validation).ok()?;
        let claims = data.claims;
        (claims.typ == PHONE_PROOF && claims.exp > now.timestamp()).then_some(claims.sub)
    }
}

const PHONE_PROOF: &str = "phone_proof";

#[derive(Debug, Serialize, Deserialize)]
struct PhoneProof {
    sub: String,
    exp: i64,
    typ: String,
}

/// A turn to hash or check a password. Argon2id at its default cost holds a 19 MiB block while
/// it runs, on a blocking thread: without a bound, a burst of sign-ins would take memory in
/// proportion to its size (and the allocator keeps much of it afterwards). At most one runs
/// per core at a time (more would only share the cores); the rest wait here, in async code,
/// holding no thread. Request handlers take one before [`hash_password`] or
/// [`verify_password`]; one-off commands need not.
pub async fn password_turn() -> tokio::sync::SemaphorePermit<'static> {
    static TURNS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let turns = TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores.max(2))
    });
    match turns.acquire().await {
        Ok(permit) => permit,
        // The semaphore is never closed.
        Err(_) => unreachable!("the password semaphore is never closed"),
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Spends the time of a password check when there is no account, so that response time does
/// not tell which usernames exist.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(bytes)
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> anyhow::Result<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// What is stored of a refresh token.
pub fn hash_token(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes in lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The access-token secret: the configured one, or the one kept in the data directory,
/// generated there on first run.
pub fn load_or_create_secret(configured: &str, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if !configured.is_empty() {
        anyhow::ensure!(
            configured.len() >= 32,
            "auth.jwt_secret must be at least 32 characters"
        );
        return Ok(configured.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt_secret");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let secret = text.trim();
        anyhow::ensure!(
            secret.len() >= 32,
            "{} holds too short a secret; delete it to have a new one generated",
            path.display()
        );
        return Ok(secret.as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<48>()?);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "no auth.jwt_secret configured: generated one and saved it; set auth.jwt_secret (the \
         same on every instance) when running more than one"
    );
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            user_id: "u1".into(),
            role: Role::Cadre,
            department_id: Some("d1".into()),
            enterprise_id: None,
            must_change_password: false,
            consent_required: false,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn access_tokens_round_trip_and_expire() {
        let keys = TokenKeys::new(&[7u8; 32], 900);
        let token = keys.issue(&principal(), now()).expect("token");
        assert_eq!(keys.verify(&token, now()), Ok(principal()));
        assert_eq!(
            keys.verify(&token, now() + chrono::Duration::seconds(900)),
            Err(TokenError::Expired)
        );
        // A user who must change their password carries it in the token.
        let pending = Principal {
            must_change_password: true,
            consent_required: false,
            ..principal()
        };
        let token = keys.issue(&pending, now()).expect("token");
        assert_eq!(keys.verify(&token, now()), Ok(pending));
    }

    #[test]
    fn download_links_are_bound_expire_and_are_no_access_tokens() {
        let keys = TokenKeys::new(&[7u8; 32], 900);
        let path = "/api/v1/ledger.xlsx?status=closed";
        let link = keys.issue_download("u1", path, now(), 60).expect("link");
        let grant = DownloadGrant {
            user_id: "u1".into(),
            path: path.into(),
        };
        assert_eq!(keys.verify_download(&link, now()), Ok(grant));
        assert_eq!(
            keys.verify_download(&link, now() + chrono::Duration::seconds(60)),
            Err(TokenError::Expired)
        );
        assert_eq!(keys.verify(&link, now()), Err(TokenError::Invalid));
        let access = keys.issue(&principal(), now()).expect("token");
        assert_eq!(
            keys.verify_download(&access, now()),
            Err(TokenError::Invalid)
        );
        let other = TokenKeys::new(&[8u8; 32], 900);
        assert_eq!(
            other.verify_download(&link, now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn refuses_other_keys_and_algorithms() {
        let keys = TokenKeys::new(&[7u8; 32], 900);
        let other = TokenKeys::new(&[8u8; 32], 900);
        let token = other.issue(&principal(), now()).expect("token");
        assert_eq!(keys.verify(&token, now()), Err(TokenError::Invalid));

        // The same claims with "alg": "none" and no signature.
        let good = keys.issue(&principal(), now()).expect("token");
        let payload = good.split('.').nth(1).expect("payload");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            keys.verify(&format!("{header}.{payload}."), now()),
            Err(TokenError::Invalid)
        );
        assert_eq!(keys.verify("garbage", now()), Err(TokenError::Invalid));
    }

    #[test]
    fn passwords() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token().expect("token");
        let b = new_refresh_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
    }

    #[test]
    fn secret_is_generated_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("qys-secret-{}", uuid::Uuid::now_v7()));
        let first = load_or_create_secret("", &dir).expect("secret");
        let second = load_or_create_secret("", &dir).expect("secret");
        assert_eq!(first, second);
        assert!(load_or_create_secret("short", &dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
