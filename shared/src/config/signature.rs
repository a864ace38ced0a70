//! The signed-webhook check's settings: the secret, the account and application a token must
//! name, how far its issue time may be from ours. Fail closed wherever the function runs.

use super::env::{flag, value, ConfigError, Env};
use voice_core::signature::{Verifier, DEFAULT_MAX_SKEW_SECONDS, MIN_SECRET_CHARS};

/// Variables of signed-webhook verification, read by both webhooks (see `signature`).
/// `ALLOW_UNSIGNED_WEBHOOKS` is set by `make run`, the tools and the tests only: template.yaml
/// never sets it, so a deployed webhook without a usable secret does not start.
pub const SIGNATURE_ENV: &[&str] = &[
    "ALLOW_UNSIGNED_WEBHOOKS",
    "VONAGE_SIGNATURE_SECRET",
    "VONAGE_API_KEY",
    "VONAGE_APPLICATION_ID",
    "SIGNATURE_MAX_SKEW_SECONDS",
];
/// The signed-webhook check, from `VONAGE_SIGNATURE_SECRET`, `VONAGE_API_KEY`,
/// `VONAGE_APPLICATION_ID` and `SIGNATURE_MAX_SKEW_SECONDS`. Fail closed: without a usable
/// secret the function does not start, unless `ALLOW_UNSIGNED_WEBHOOKS=true` (local
/// development only) lets it run unsigned, with a warning.
pub fn verifier(env: &impl Env) -> Result<Verifier, ConfigError> {
    let get = |name: &str| value(env, name);
    let max_skew = match get("SIGNATURE_MAX_SKEW_SECONDS") {
        None => DEFAULT_MAX_SKEW_SECONDS,
        Some(s) => s.parse().map_err(|_| ConfigError::Invalid {
            name: "SIGNATURE_MAX_SKEW_SECONDS",
            reason: format!("`{s}` is not a whole number of seconds"),
        })?,
    };
    let secret = get("VONAGE_SIGNATURE_SECRET");
    let unsigned_allowed = flag(env, "ALLOW_UNSIGNED_WEBHOOKS")?;
    match &secret {
        None if !unsigned_allowed => {
            return Err(ConfigError::Missing(
                "VONAGE_SIGNATURE_SECRET",
                "every webhook must be verified: set it to the signature secret from the Vonage \
                 dashboard (API settings); for local development only, ALLOW_UNSIGNED_WEBHOOKS=true \
                 starts without one",
            ))
        }
        None => tracing::warn!(
            "VONAGE_SIGNATURE_SECRET is not set and ALLOW_UNSIGNED_WEBHOOKS=true: webhooks are NOT verified. Fine for local development, never in production."
        ),
        Some(s) if s.chars().count() < MIN_SECRET_CHARS => {
            return Err(ConfigError::Invalid {
                name: "VONAGE_SIGNATURE_SECRET",
                reason: format!(
                    "{} characters after trimming; a signature secret has at least {MIN_SECRET_CHARS}",
                    s.chars().count()
                ),
            })
        }
        Some(_) => {}
    }
    Ok(Verifier::new(
        secret.as_deref(),
        get("VONAGE_API_KEY"),
        get("VONAGE_APPLICATION_ID"),
        max_skew,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_reads_from_the_environment() {
        let signed = verifier(&[
            (
                "VONAGE_SIGNATURE_SECRET",
                "test-signature-secret-0123456789abcdef",
            ),
            ("SIGNATURE_MAX_SKEW_SECONDS", "60"),
        ])
        .unwrap();
        assert!(signed.is_signed());
        assert!(format!("{signed:?}").contains("max_skew: 60"), "{signed:?}");
        let unsigned = ("ALLOW_UNSIGNED_WEBHOOKS", "true");
        let blank = verifier(&[unsigned, ("VONAGE_SIGNATURE_SECRET", " ")]).unwrap();
        assert!(!blank.is_signed());
        assert!(verifier(&[unsigned, ("SIGNATURE_MAX_SKEW_SECONDS", "5m")]).is_err());
    }

    #[test]
    fn a_missing_blank_or_short_secret_stops_the_function_at_init_wherever_it_runs() {
        for secret in [
            None,
            Some(String::new()),
            Some(" ".repeat(16)),
            Some(format!("  {}  ", "s".repeat(15))),
        ] {
            let err = match &secret {
                None => verifier(&[("VONAGE_API_KEY", "abcd1234")]).unwrap_err(),
                Some(secret) => {
                    verifier(&[("VONAGE_SIGNATURE_SECRET", secret.as_str())]).unwrap_err()
                }
            };
            assert!(
                err.to_string().starts_with("VONAGE_SIGNATURE_SECRET"),
                "{secret:?}: {err}"
            );
        }
        let ok = verifier(&[("VONAGE_SIGNATURE_SECRET", "s".repeat(16).as_str())]);
        assert!(ok.unwrap().is_signed());
    }

    #[test]
    fn only_allow_unsigned_webhooks_starts_without_a_secret_and_a_short_one_is_still_an_error() {
        let unsigned = ("ALLOW_UNSIGNED_WEBHOOKS", "true");
        assert!(!verifier(&[unsigned]).unwrap().is_signed());
        assert!(verifier(&[("ALLOW_UNSIGNED_WEBHOOKS", "false")]).is_err());
        assert!(verifier(&[("ALLOW_UNSIGNED_WEBHOOKS", "yes")]).is_err());
        assert!(verifier(&[unsigned, ("VONAGE_SIGNATURE_SECRET", "short")]).is_err());
        // The opt-out never turns a usable secret off.
        let signed = verifier(&[unsigned, ("VONAGE_SIGNATURE_SECRET", &"s".repeat(16))]);
        assert!(signed.unwrap().is_signed());
    }
}
