//! The test kit's pure part (feature `test-util`): webhook tokens signed here, independently of
//! the code under test; events from JSON; and, with `token`, an RSA key made once per process
//! and checking an RS256 token with its public key. The shared crate's test kit re-exports it.

use serde_json::{json, Value};

/// A JWT signed here with `alg` (`HS256`, or anything else for HS512), independently of the code
/// under test.
pub fn mint(alg: &str, secret: &[u8], claims: &Value) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use hmac::{KeyInit, Mac};
    use sha2::{Sha256, Sha512};
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = match alg {
        "HS256" => hmac::Hmac::<Sha256>::new_from_slice(secret)
            .map(|mac| mac.chain_update(&message).finalize().into_bytes().to_vec()),
        _ => hmac::Hmac::<Sha512>::new_from_slice(secret)
            .map(|mac| mac.chain_update(&message).finalize().into_bytes().to_vec()),
    }
    .unwrap_or_default();
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// `Bearer <HS256 token>` for an `Authorization` header.
pub fn bearer(secret: &str, claims: &Value) -> String {
    format!("Bearer {}", mint("HS256", secret.as_bytes(), claims))
}

/// Claims exactly as Vonage mints them for `body`, issued now: no `exp`.
pub fn vonage_claims(body: &[u8], api_key: &str, application_id: &str) -> Value {
    use sha2::{Digest, Sha256};
    json!({"iat": now(), "jti": "3f5e1a2b-0000-4000-8000-000000000001", "iss": "Vonage",
           "payload_hash": hex::encode(Sha256::digest(body)), "api_key": api_key,
           "application_id": application_id})
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

/// A `CallEvent` parsed from JSON parameters.
pub fn call_event(params: Value) -> crate::event::CallEvent {
    let params = params.as_object().cloned().unwrap_or_default();
    crate::event::CallEvent::from_params(&params).expect("a valid event")
}

#[cfg(feature = "token")]
pub use self::rsa::*;

#[cfg(feature = "token")]
mod rsa {
    use serde_json::Value;
    use std::sync::OnceLock;

    /// A 2048-bit RSA key made once per test process: (PKCS#8 PEM, public key DER).
    pub fn rsa_key() -> &'static (String, Vec<u8>) {
        static KEY: OnceLock<(String, Vec<u8>)> = OnceLock::new();
        KEY.get_or_init(|| {
            use aws_lc_rs::encoding::AsDer;
            use aws_lc_rs::rsa::{KeyPair, KeySize};
            use aws_lc_rs::signature::KeyPair as _;
            use base64::{engine::general_purpose::STANDARD, Engine};
            let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
            let der = pair.as_der().expect("PKCS#8");
            let body = STANDARD.encode(der.as_ref());
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
                .collect();
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                lines.join("\n")
            );
            (pem, pair.public_key().as_ref().to_vec())
        })
    }

    /// The header and claims of an RS256 token whose signature `public_der` verifies; panics
    /// otherwise.
    pub fn verify_rs256(token: &str, public_der: &[u8]) -> (Value, Value) {
        rs256_claims(token, public_der)
            .unwrap_or_else(|| panic!("not an RS256 token of this key: {token}"))
    }

    /// As `verify_rs256`, `None` for a token that does not verify.
    pub fn rs256_claims(token: &str, public_der: &[u8]) -> Option<(Value, Value)> {
        use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return None;
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der)
            .verify(format!("{header}.{claims}").as_bytes(), &signature)
            .ok()?;
        let part = |text: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
        };
        Some((part(header)?, part(claims)?))
    }
}
