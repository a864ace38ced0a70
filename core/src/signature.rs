//! Signed webhooks: Vonage puts `Authorization: Bearer <JWT>` on every Voice webhook, HS256
//! with the account's signature secret. Both functions check it before touching the request.
//!
//! Vonage's own SDKs check only the signature. This also checks the issuer, the token's age
//! (`iat`, and `exp` when present), the body against the `payload_hash` claim, and, when
//! configured, the API key and application the token was issued for.

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// Shortest signature secret accepted: anything shorter is a placeholder or a typo.
pub const MIN_SECRET_CHARS: usize = 16;

/// How far `iat` may be from our clock, either way, unless `SIGNATURE_MAX_SKEW_SECONDS` says.
pub const DEFAULT_MAX_SKEW_SECONDS: u64 = 300;

/// The claims Vonage puts in a webhook token.
#[derive(Debug, Deserialize)]
struct Claims {
    iat: Option<i64>,
    #[serde(default)]
    payload_hash: Option<String>,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    application_id: Option<String>,
}

/// Why a request is not Vonage's: the request carries no valid credentials (the HTTP edge
/// answers `401`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignatureError(pub String);

/// How requests are verified; built once at init from the environment.
#[derive(Clone)]
pub struct Verifier {
    /// `None`: unsigned mode, for local development only.
    key: Option<DecodingKey>,
    validation: Validation,
    max_skew: u64,
    api_key: Option<String>,
    application_id: Option<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Verifier")
            .field("signed", &self.key.is_some())
            .field("max_skew", &self.max_skew)
            .field("api_key", &self.api_key)
            .field("application_id", &self.application_id)
            .finish()
    }
}

impl PartialEq for Verifier {
    fn eq(&self, other: &Self) -> bool {
        self.key.is_some() == other.key.is_some()
            && self.max_skew == other.max_skew
            && self.api_key == other.api_key
            && self.application_id == other.application_id
    }
}

impl Verifier {
    pub fn new(
        secret: Option<&str>,
        api_key: Option<String>,
        application_id: Option<String>,
        max_skew: u64,
    ) -> Self {
        crate::jwt::install();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["iss"]);
        validation.set_issuer(&["Vonage"]);
        validation.validate_aud = false;
        // `exp` is honoured exactly when present; Vonage's tokens carry none.
        validation.leeway = 0;
        Self {
            key: secret.map(|s| DecodingKey::from_secret(s.as_bytes())),
            validation,
            max_skew,
            api_key,
            application_id,
        }
    }

    /// No verification at all (local development, tests of other things).
    pub fn unsigned() -> Self {
        Self::new(None, None, None, DEFAULT_MAX_SKEW_SECONDS)
    }

    pub fn is_signed(&self) -> bool {
        self.key.is_some()
    }

    /// `Ok` if `authorization` (the header's bytes) holds a valid Vonage token for `body` (the
    /// bytes as received); `401` otherwise.
    pub fn verify(&self, authorization: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
        let Some(key) = &self.key else { return Ok(()) };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        self.verify_at(key, authorization, body, now)
            .map_err(SignatureError)
    }

    fn verify_at(
        &self,
        key: &DecodingKey,
        authorization: Option<&[u8]>,
        body: &[u8],
        now: u64,
    ) -> Result<(), String> {
        let header = authorization
            .ok_or("missing Authorization header; Vonage signs webhooks with a Bearer token")?;
        let header = std::str::from_utf8(header)
            .ok()
            .filter(|h| h.is_ascii())
            .ok_or("Authorization header is not text")?;
        let (scheme, token) = header
            .trim()
            .split_once(' ')
            .ok_or("Authorization header is not `Bearer <token>`")?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "Authorization scheme `{}` is not Bearer",
                scheme.chars().take(20).collect::<String>()
            ));
        }
        let claims = jsonwebtoken::decode::<Claims>(token.trim(), key, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => {
                    "token signature does not match the signature secret".to_string()
                }
                ErrorKind::InvalidAlgorithm
                | ErrorKind::UnsupportedAlgorithm
                | ErrorKind::InvalidAlgorithmName => "token is not signed with HS256".to_string(),
                ErrorKind::InvalidIssuer => "token issuer is not Vonage".to_string(),
                ErrorKind::MissingRequiredClaim(claim) => format!("token has no `{claim}` claim"),
                ErrorKind::ExpiredSignature => "token has expired".to_string(),
                _ => format!("token is malformed: {e}"),
            })?
            .claims;

        let iat = claims.iat.ok_or("token has no `iat` claim")?;
        let age = i128::from(now as i64) - i128::from(iat);
        if age.unsigned_abs() > u128::from(self.max_skew) {
            return Err(format!(
                "token issued {}s {} our clock; at most {}s allowed",
                age.unsigned_abs(),
                if age < 0 { "ahead of" } else { "behind" },
                self.max_skew
            ));
        }
        // Without a hash, a token would vouch for any body: one leaked token (they live for
        // minutes) could then carry made-up events.
        if !body.is_empty() {
            let expected = claims.payload_hash.as_deref().ok_or(
                "token has no `payload_hash`; a signed request with a body must carry its hash",
            )?;
            let actual = hex::encode(Sha256::digest(body));
            if !bool::from(
                actual
                    .as_bytes()
                    .ct_eq(expected.to_ascii_lowercase().as_bytes()),
            ) {
                return Err("body does not match the token's payload_hash".into());
            }
        }
        if let Some(expected) = &self.api_key {
            if claims.api_key.as_deref() != Some(expected) {
                return Err("token api_key is not this account's".into());
            }
        }
        if let Some(expected) = &self.application_id {
            if claims.application_id.as_deref() != Some(expected) {
                return Err("token application_id is not this application's".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const SECRET: &str = "test-signature-secret-0123456789abcdef";

    use crate::testkit::{mint, now};

    /// A token as Vonage mints it: HS256, iat, jti, iss, payload_hash, api_key,
    /// application_id, and no exp.
    fn vonage_claims(body: &[u8]) -> Value {
        crate::testkit::vonage_claims(body, "abcd1234", "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")
    }

    fn token(claims: &Value) -> String {
        mint("HS256", SECRET.as_bytes(), claims)
    }

    fn verifier() -> Verifier {
        Verifier::new(
            Some(SECRET),
            Some("abcd1234".into()),
            Some("aaaaaaaa-bbbb-cccc-dddd-0123456789ab".into()),
            DEFAULT_MAX_SKEW_SECONDS,
        )
    }

    fn rejection(authorization: Option<&str>, body: &[u8]) -> String {
        match verifier().verify(authorization.map(|a| a.as_bytes()), body) {
            Err(SignatureError(reason)) => reason,
            other => panic!("expected 401, got {other:?}"),
        }
    }

    const BODY: &[u8] = br#"{"status":"started"}"#;

    #[test]
    fn a_token_built_exactly_like_vonages_is_accepted() {
        let bearer = format!("Bearer {}", token(&vonage_claims(BODY)));
        verifier()
            .verify(Some(&bearer).map(|a| a.as_bytes()), BODY)
            .unwrap();
    }

    #[test]
    fn a_get_without_body_is_accepted_with_a_payload_hash_of_nothing_to_check() {
        let mut claims = vonage_claims(b"");
        claims.as_object_mut().unwrap().remove("payload_hash");
        verifier()
            .verify(
                Some(&format!("bearer {}", token(&claims))).map(|a| a.as_bytes()),
                b"",
            )
            .unwrap();
    }

    #[test]
    fn without_a_secret_every_request_passes() {
        assert!(!Verifier::unsigned().is_signed());
        Verifier::unsigned().verify(None, BODY).unwrap();
    }

    #[test]
    fn missing_header_is_rejected() {
        assert!(rejection(None, BODY).contains("missing Authorization"));
    }

    #[test]
    fn wrong_scheme_is_rejected() {
        let t = token(&vonage_claims(BODY));
        assert!(rejection(Some(&format!("Basic {t}")), BODY).contains("not Bearer"));
        assert!(rejection(Some(&t), BODY).contains("not `Bearer <token>`"));
    }

    #[test]
    fn bad_signature_is_rejected() {
        let forged = mint("HS256", b"other", &vonage_claims(BODY));
        assert!(rejection(Some(&format!("Bearer {forged}")), BODY).contains("signature"));
        let mut tampered = token(&vonage_claims(BODY));
        tampered.pop();
        assert!(rejection(Some(&format!("Bearer {tampered}x")), BODY).contains("token"));
    }

    #[test]
    fn other_algorithms_and_none_are_rejected() {
        let hs512 = mint("HS512", SECRET.as_bytes(), &vonage_claims(BODY));
        assert!(rejection(Some(&format!("Bearer {hs512}")), BODY).contains("HS256"));
        // alg=none: header and claims, no signature.
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(vonage_claims(BODY).to_string())
        );
        let reason = rejection(Some(&format!("Bearer {none}")), BODY);
        assert!(
            reason.contains("HS256") || reason.contains("malformed"),
            "{reason}"
        );
    }

    #[test]
    fn issuer_other_than_vonage_is_rejected() {
        let mut claims = vonage_claims(BODY);
        claims["iss"] = json!("Mallory");
        assert!(rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("issuer"));
        claims.as_object_mut().unwrap().remove("iss");
        assert!(rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("`iss`"));
    }

    #[test]
    fn a_body_that_does_not_match_payload_hash_is_rejected() {
        let bearer = format!("Bearer {}", token(&vonage_claims(BODY)));
        assert!(rejection(Some(&bearer), br#"{"status":"completed"}"#).contains("payload_hash"));
    }

    #[test]
    fn a_body_under_a_token_without_payload_hash_is_rejected() {
        let mut claims = vonage_claims(BODY);
        claims.as_object_mut().unwrap().remove("payload_hash");
        let bearer = format!("Bearer {}", token(&claims));
        assert!(rejection(Some(&bearer), BODY).contains("no `payload_hash`"));
    }

    #[test]
    fn payload_hash_is_compared_on_the_raw_bytes() {
        // The same JSON with other whitespace is another body.
        let bearer = format!("Bearer {}", token(&vonage_claims(BODY)));
        assert!(rejection(Some(&bearer), br#"{ "status": "started" }"#).contains("payload_hash"));
    }

    #[test]
    fn iat_outside_the_skew_is_rejected_either_way() {
        for offset in [-301, 301] {
            let mut claims = vonage_claims(BODY);
            claims["iat"] = json!(now() + offset);
            assert!(
                rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("our clock"),
                "{offset}"
            );
        }
        let mut claims = vonage_claims(BODY);
        claims["iat"] = json!(now() - 290);
        verifier()
            .verify(
                Some(&format!("Bearer {}", token(&claims))).map(|a| a.as_bytes()),
                BODY,
            )
            .unwrap();
        claims.as_object_mut().unwrap().remove("iat");
        assert!(rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("`iat`"));
    }

    #[test]
    fn an_expired_exp_is_honoured() {
        let mut claims = vonage_claims(BODY);
        claims["exp"] = json!(now() - 10);
        assert!(rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("expired"));
        claims["exp"] = json!(now() + 60);
        verifier()
            .verify(
                Some(&format!("Bearer {}", token(&claims))).map(|a| a.as_bytes()),
                BODY,
            )
            .unwrap();
    }

    #[test]
    fn api_key_and_application_id_must_match_when_configured() {
        let mut claims = vonage_claims(BODY);
        claims["api_key"] = json!("someone-else");
        assert!(rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("api_key"));
        let mut claims = vonage_claims(BODY);
        claims["application_id"] = json!("another-app");
        assert!(
            rejection(Some(&format!("Bearer {}", token(&claims))), BODY).contains("application_id")
        );
        // Not configured: not checked.
        let lenient = Verifier::new(Some(SECRET), None, None, DEFAULT_MAX_SKEW_SECONDS);
        lenient
            .verify(
                Some(&format!("Bearer {}", token(&claims))).map(|a| a.as_bytes()),
                BODY,
            )
            .unwrap();
    }
}
