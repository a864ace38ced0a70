//! Vonage user tokens: the JWT that lets the Client SDK act as an app user (`createSession`),
//! and the application tokens of our own Users API calls.
//!
//! The token carries exactly the claims Vonage's own SDKs produce: `application_id`, `iat`,
//! `exp`, `jti`, and for a user `sub` and `acl`. It is RS256, signed with the Vonage
//! application's private key through jsonwebtoken's provider (`jwt`).

use crate::identity::UserName;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Map, Value};

/// Lifetime of a user token, unless `TOKEN_TTL_SECONDS` says.
pub const DEFAULT_TTL_SECONDS: u32 = 3600;
/// Shortest lifetime `TOKEN_TTL_SECONDS` may set: a token must outlive its trip to the app.
pub const MIN_TTL_SECONDS: u32 = 60;
/// Longest: Vonage refuses tokens that live longer than 24 hours.
pub const MAX_TTL_SECONDS: u32 = 86_400;
/// Lifetime of the application token that authorises our own Users API calls.
pub const APP_TOKEN_TTL_SECONDS: u64 = 300;

/// The paths Vonage's Android voice tutorial grants a user: enough to log in, place and take
/// calls and receive push; nothing of the account or of other applications.
pub const DEFAULT_ACL_PATHS: &[&str] = &[
    "/*/users/**",
    "/*/conversations/**",
    "/*/sessions/**",
    "/*/devices/**",
    "/*/push/**",
    "/*/knocking/**",
    "/*/legs/**",
];

/// The default `acl` claim: `{"paths": {"/*/users/**": {}, …}}`.
pub fn default_acl() -> Value {
    let paths: Map<String, Value> = DEFAULT_ACL_PATHS
        .iter()
        .map(|p| (p.to_string(), Value::Object(Map::new())))
        .collect();
    serde_json::json!({ "paths": paths })
}

/// Reads an `acl` claim written as JSON (`TOKEN_ACL`): an object whose `paths` is a non-empty
/// object of path → filter object, the shape Vonage documents.
pub fn parse_acl(json: &str) -> Result<Value, String> {
    let acl: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let paths = acl
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("expected {\"paths\": {\"/*/users/**\": {}, …}}")?;
    if paths.is_empty() {
        return Err("`paths` is empty: the token would allow nothing".into());
    }
    if let Some((path, _)) = paths
        .iter()
        .find(|(path, filter)| !path.starts_with('/') || !filter.is_object())
    {
        return Err(format!(
            "`{path}`: each path starts with `/` and maps to an object"
        ));
    }
    Ok(acl)
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an RSA private key in PEM (PKCS#1 or PKCS#8): {0}")]
    NotRsaPem(String),
    #[error("the key cannot sign: {0}")]
    CannotSign(String),
}

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error("the system's random generator failed")]
    Random,
}

/// A user token and when it expires (Unix seconds, the token's `exp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub token: String,
    pub expires_at: u64,
}

#[derive(Serialize)]
struct Claims<'a> {
    application_id: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acl: Option<&'a Value>,
}

/// Mints tokens for one Vonage application with its private key.
pub struct Minter {
    application_id: String,
    key: EncodingKey,
    ttl_seconds: u32,
    acl: Value,
}

impl std::fmt::Debug for Minter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minter")
            .field("application_id", &self.application_id)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl Minter {
    /// Reads the PEM key and signs one token with it, so a key that cannot sign stops the
    /// function at init (and the parsed key is ready for the first request).
    pub fn new(
        application_id: &str,
        private_key_pem: &[u8],
        ttl_seconds: u32,
        acl: Value,
    ) -> Result<Self, KeyError> {
        crate::jwt::install();
        let key = EncodingKey::from_rsa_pem(private_key_pem)
            .map_err(|e| KeyError::NotRsaPem(e.to_string()))?;
        let minter = Self {
            application_id: application_id.to_string(),
            key,
            ttl_seconds,
            acl,
        };
        minter
            .app_token(0)
            .map_err(|e| KeyError::CannotSign(e.to_string()))?;
        Ok(minter)
    }

    pub fn ttl_seconds(&self) -> u32 {
        self.ttl_seconds
    }

    /// A token for `user`, issued at `now` (Unix seconds).
    pub fn user_token(&self, user: &UserName, now: u64) -> Result<Token, MintError> {
        let exp = now.saturating_add(u64::from(self.ttl_seconds));
        let token = self.sign(&Claims {
            application_id: &self.application_id,
            iat: now,
            exp,
            jti: jti()?,
            sub: Some(user.as_str()),
            acl: Some(&self.acl),
        })?;
        Ok(Token {
            token,
            expires_at: exp,
        })
    }

    /// An application token (no `sub`, no `acl`): what Vonage's REST APIs, such as the Users
    /// API, take as `Authorization: Bearer`.
    pub fn app_token(&self, now: u64) -> Result<String, MintError> {
        self.sign(&Claims {
            application_id: &self.application_id,
            iat: now,
            exp: now.saturating_add(APP_TOKEN_TTL_SECONDS),
            jti: jti()?,
            sub: None,
            acl: None,
        })
    }

    fn sign(&self, claims: &Claims) -> Result<String, MintError> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            claims,
            &self.key,
        )?)
    }
}

/// A random version 4 UUID: 122 random bits from aws-lc's generator, so no two tokens share one.
pub fn jti() -> Result<String, MintError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| MintError::Random)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{rsa_key, verify_rs256};
    use std::collections::HashSet;

    const APP: &str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";

    fn minter(ttl: u32) -> Minter {
        Minter::new(APP, rsa_key().0.as_bytes(), ttl, default_acl()).unwrap()
    }

    #[test]
    fn a_user_token_has_exactly_vonages_claims_and_the_configured_lifetime() {
        let token = minter(900)
            .user_token(&UserName::from_claim("alice").unwrap(), 1_700_000_000)
            .unwrap();
        let (header, claims) = verify_rs256(&token.token, &rsa_key().1);
        assert_eq!(header, serde_json::json!({"alg": "RS256", "typ": "JWT"}));
        let keys: HashSet<&str> = claims
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from(["application_id", "iat", "exp", "jti", "sub", "acl"])
        );
        assert_eq!(claims["application_id"], APP);
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["exp"], 1_700_000_900u64);
        assert_eq!(token.expires_at, 1_700_000_900);
        assert_eq!(claims["acl"], default_acl());
        assert_eq!(claims["acl"]["paths"].as_object().unwrap().len(), 7);
        assert_eq!(claims["acl"]["paths"]["/*/legs/**"], serde_json::json!({}));
    }

    #[test]
    fn an_application_token_has_no_sub_and_no_acl() {
        let token = minter(3600).app_token(1_700_000_000).unwrap();
        let (_, claims) = verify_rs256(&token, &rsa_key().1);
        let mut keys: Vec<&str> = claims
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, ["application_id", "exp", "iat", "jti"]);
        assert_eq!(claims["exp"], 1_700_000_000u64 + APP_TOKEN_TTL_SECONDS);
    }

    #[test]
    fn ten_thousand_tokens_have_ten_thousand_distinct_ids() {
        let minter = minter(3600);
        let user = UserName::from_claim("alice").unwrap();
        let ids: HashSet<String> = (0..10_000)
            .map(|_| {
                let token = minter.user_token(&user, 1_700_000_000).unwrap().token;
                let claims = token.split('.').nth(1).unwrap().to_string();
                use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
                let claims: Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
                claims["jti"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 10_000);
        let id = ids.iter().next().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4", "version 4: {id}");
    }

    #[test]
    fn a_key_that_is_not_an_rsa_private_key_is_refused() {
        for pem in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            assert!(
                Minter::new(APP, pem.as_bytes(), 3600, default_acl()).is_err(),
                "{pem}"
            );
        }
    }

    #[test]
    fn an_acl_must_be_paths_to_filter_objects() {
        assert_eq!(
            parse_acl(r#"{"paths":{"/*/sessions/**":{}}}"#).unwrap()["paths"]["/*/sessions/**"],
            serde_json::json!({})
        );
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"paths":{}}"#,
            r#"{"paths":[]}"#,
            r#"{"paths":{"sessions":{}}}"#,
            r#"{"paths":{"/*/sessions/**":true}}"#,
        ] {
            assert!(parse_acl(bad).is_err(), "{bad}");
        }
    }
}
