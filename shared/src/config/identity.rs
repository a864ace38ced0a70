//! Who the signed-in app user is, for the token service and the call history: the verified claim
//! that names them (`USER_CLAIM`), and where verified claims come from. Behind API Gateway, its
//! JWT authorizer; under `make run` only, the local sign-in (`voice_core::signin`): sign-in
//! tokens `make login` signs, checked as API
//! Gateway's JWT authorizer checks a real issuer's. The key is a file of hex text
//! (`LOCAL_SIGN_IN_KEY_FILE`) that `make run` makes in target/.
//!
//! A deployed stack can never use it: template.yaml does not set the variable (a test says
//! so), and a function refuses to start with it beside a metrics namespace, which every
//! deployed stack names (`MetricsNamespace` cannot be empty).

use super::env::{value, ConfigError, Env};
use crate::metrics::NAMESPACE_VAR;
use voice_core::signin::{LocalIssuer, MIN_KEY_BYTES};

/// The variable naming the local sign-in key's file.
pub const LOCAL_SIGN_IN_VAR: &str = "LOCAL_SIGN_IN_KEY_FILE";
/// The variables of the identity.
pub const IDENTITY_ENV: &[&str] = &["USER_CLAIM", LOCAL_SIGN_IN_VAR];
/// The verified claim that names the app user, unless `USER_CLAIM` says.
pub const DEFAULT_USER_CLAIM: &str = "sub";

/// How a request's user is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The verified claim whose value names the user (`identity::UserName`).
    pub user_claim: String,
    /// The local sign-in, under `make run` only.
    pub local: Option<LocalIssuer>,
}

impl Identity {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            user_claim: value(env, "USER_CLAIM").unwrap_or_else(|| DEFAULT_USER_CLAIM.to_string()),
            local: local_sign_in(env)?,
        })
    }
}

/// The local issuer, when `LOCAL_SIGN_IN_KEY_FILE` names a key and the environment is not a
/// deployed stack's.
pub fn local_sign_in(env: &impl Env) -> Result<Option<LocalIssuer>, ConfigError> {
    let Some(path) = value(env, LOCAL_SIGN_IN_VAR) else {
        return Ok(None);
    };
    let invalid = |reason: String| ConfigError::Invalid {
        name: LOCAL_SIGN_IN_VAR,
        reason,
    };
    if value(env, NAMESPACE_VAR).is_some() {
        return Err(invalid(format!(
            "local sign-in is for make run only, and {NAMESPACE_VAR} says this is a deployed \
             stack: there identities come from the API's JWT authorizer alone; unset it"
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| invalid(format!("{path}: {e}")))?;
    let key = hex::decode(text.trim())
        .ok()
        .filter(|key| key.len() >= MIN_KEY_BYTES)
        .ok_or_else(|| {
            invalid(format!(
                "{path} does not hold a key of at least {MIN_KEY_BYTES} bytes in hex \
                 (make login writes one)"
            ))
        })?;
    LocalIssuer::new(&key).map(Some).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Vars;

    fn key_file(name: &str, text: &str) -> String {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn refused(vars: &[(&str, &str)]) -> String {
        match local_sign_in(&Vars::new(vars)) {
            Err(ConfigError::Invalid { name, reason }) => {
                assert_eq!(name, LOCAL_SIGN_IN_VAR);
                reason
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn off_unless_a_key_file_is_named_and_never_beside_a_metrics_namespace() {
        assert_eq!(local_sign_in(&Vars::new(&[])).unwrap(), None);
        let good = key_file("signin-good", &format!("{}\n", "ab".repeat(32)));
        let on = local_sign_in(&Vars::new(&[(LOCAL_SIGN_IN_VAR, &good)])).unwrap();
        assert_eq!(on, Some(LocalIssuer::new(&[0xab; 32]).unwrap()));
        let deployed = refused(&[(LOCAL_SIGN_IN_VAR, &good), (NAMESPACE_VAR, "VoiceHooks")]);
        assert!(deployed.contains("make run only"), "{deployed}");
        let short = key_file("signin-short", &"ab".repeat(16));
        assert!(refused(&[(LOCAL_SIGN_IN_VAR, &short)]).contains("32 bytes"));
        let not_hex = key_file("signin-text", &"z".repeat(64));
        assert!(refused(&[(LOCAL_SIGN_IN_VAR, &not_hex)]).contains("hex"));
        assert!(refused(&[(LOCAL_SIGN_IN_VAR, "/nonexistent/key")]).contains("/nonexistent/key"));
        for path in [good, short, not_hex] {
            std::fs::remove_file(path).unwrap();
        }
    }
}
