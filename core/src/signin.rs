//! A sign-in issuer for local development only: `make login` signs tokens with a key that only
//! the local stack holds, and under `make run` the token service and the call history check
//! them as API Gateway's JWT authorizer checks a real issuer's (signature, issuer, audience,
//! expiry), then read the same claims from them (every value a string, as the authorizer hands
//! them over). The deployed stack never has the key: its template cannot set it, and behind the
//! authorizer a request that reaches a function always carries the authorizer's claims.

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The `iss` of local sign-in tokens.
pub const LOCAL_ISSUER: &str = "voice-hooks-local";
/// The `aud` of local sign-in tokens: the app.
pub const LOCAL_AUDIENCE: &str = "voice-hooks-local-app";
/// How long a local sign-in token lives, in seconds.
pub const SIGN_IN_TTL_SECONDS: u64 = 3600;
/// Fewest bytes of a signing key.
pub const MIN_KEY_BYTES: usize = 32;

/// The local stack's issuer, with its key.
#[derive(Clone)]
pub struct LocalIssuer {
    key: Vec<u8>,
}

/// Never prints the key.
impl std::fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalIssuer(..)")
    }
}

impl PartialEq for LocalIssuer {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl LocalIssuer {
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!("a sign-in key has at least {MIN_KEY_BYTES} bytes"));
        }
        crate::jwt::install();
        Ok(Self { key: key.to_vec() })
    }

    /// A sign-in token for `subject` issued at `now` (Unix seconds), with `extra` claims
    /// (`name`, `email`, …).
    pub fn sign_in(
        &self,
        subject: &str,
        extra: &Map<String, Value>,
        now: u64,
    ) -> Result<String, String> {
        let mut claims = extra.clone();
        claims.insert("iss".into(), LOCAL_ISSUER.into());
        claims.insert("aud".into(), LOCAL_AUDIENCE.into());
        claims.insert("sub".into(), subject.into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), now.saturating_add(SIGN_IN_TTL_SECONDS).into());
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.key),
        )
        .map_err(|e| e.to_string())
    }

    /// The claims of the `Authorization: Bearer` token, checked as the authorizer checks them:
    /// HS256 under this key, `iss`, `aud`, and `exp` against `now` (Unix seconds).
    pub fn verify(
        &self,
        authorization: Option<&[u8]>,
        now: u64,
    ) -> Result<HashMap<String, String>, String> {
        let header = authorization.ok_or("no Authorization header")?;
        let header = std::str::from_utf8(header).map_err(|_| "Authorization header is not text")?;
        let token = header
            .trim()
            .strip_prefix("Bearer ")
            .ok_or("Authorization header is not `Bearer <token>`")?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[LOCAL_ISSUER]);
        validation.set_audience(&[LOCAL_AUDIENCE]);
        validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
        validation.leeway = 0;
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(
            token.trim(),
            &DecodingKey::from_secret(&self.key),
            &validation,
        )
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => "the sign-in token is not signed by this stack".into(),
            ErrorKind::InvalidIssuer => "the sign-in token's issuer is not this stack's".into(),
            ErrorKind::InvalidAudience => "the sign-in token is not for this app".into(),
            _ => format!("the sign-in token is malformed: {e}"),
        })?
        .claims;
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or("no `exp`")?;
        if exp <= now {
            return Err("the sign-in token has expired".into());
        }
        Ok(claims
            .into_iter()
            .map(|(name, value)| (name, as_authorizer_text(value)))
            .collect())
    }
}

/// A claim's value as API Gateway's JWT authorizer hands it over: strings as they are, arrays
/// as `[a b]`, everything else as its JSON text.
fn as_authorizer_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        Value::Array(items) => {
            let items: Vec<String> = items.into_iter().map(as_authorizer_text).collect();
            format!("[{}]", items.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn issuer() -> LocalIssuer {
        LocalIssuer::new(&[7u8; 32]).unwrap()
    }

    fn bearer(token: &str) -> Vec<u8> {
        format!("Bearer {token}").into_bytes()
    }

    #[test]
    fn a_token_it_signed_gives_its_claims_as_strings() {
        let extra = json!({"name": "Alice", "groups": ["a", "b"], "email_verified": true});
        let token = issuer()
            .sign_in("alice", extra.as_object().unwrap(), NOW)
            .unwrap();
        let claims = issuer().verify(Some(&bearer(&token)), NOW + 10).unwrap();
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["name"], "Alice");
        assert_eq!(claims["groups"], "[a b]");
        assert_eq!(claims["email_verified"], "true");
        assert_eq!(claims["iss"], LOCAL_ISSUER);
    }

    #[test]
    fn another_key_issuer_audience_or_an_expired_token_is_refused() {
        let token = issuer().sign_in("alice", &Map::new(), NOW).unwrap();
        let other = LocalIssuer::new(&[8u8; 32]).unwrap();
        assert!(other.verify(Some(&bearer(&token)), NOW).is_err());
        assert!(issuer()
            .verify(Some(&bearer(&token)), NOW + SIGN_IN_TTL_SECONDS)
            .unwrap_err()
            .contains("expired"));
        let key = EncodingKey::from_secret(&[7u8; 32]);
        for (iss, aud) in [
            ("someone-else", LOCAL_AUDIENCE),
            (LOCAL_ISSUER, "another-app"),
        ] {
            let claims = json!({"iss": iss, "aud": aud, "sub": "alice", "exp": NOW + 60});
            let forged =
                jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
            assert!(
                issuer().verify(Some(&bearer(&forged)), NOW).is_err(),
                "{iss} {aud}"
            );
        }
        assert!(issuer().verify(None, NOW).is_err());
        assert!(LocalIssuer::new(b"short").is_err());
    }
}
