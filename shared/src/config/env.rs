//! The environment as typed values: the `Env` seam tests fill with pairs, the readers every
//! setting uses, and the error that names the variable to fix.

use crate::metrics::{Metrics, NAMESPACE_VAR};

/// Looks a variable up; `std::env::var` in production, a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_string())
    }
}

#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set; {1}")]
    Missing(&'static str, &'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The message itself: a `main` that returns this error prints it with `{:?}` at init, where
/// the operator reads it.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Non-empty value of a variable, trimmed; an empty string counts as unset.
pub fn value(env: &impl Env, name: &str) -> Option<String> {
    env.get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `true`, `false` or unset (`false`).
pub fn flag(env: &impl Env, name: &'static str) -> Result<bool, ConfigError> {
    match value(env, name).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("`{other}` is not true or false"),
        }),
    }
}

/// A whole number of seconds from 1 to `max`, `default` when unset.
pub fn seconds(
    env: &impl Env,
    name: &'static str,
    default: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    seconds_in(env, name, default, 1..=max)
}

/// A whole number of seconds in `range`, `default` when unset.
pub fn seconds_in(
    env: &impl Env,
    name: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(text) = value(env, name) else {
        return Ok(default);
    };
    match text.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError::Invalid {
            name,
            reason: format!(
                "`{text}` is not a whole number of seconds from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// Metrics, on when `POWERTOOLS_METRICS_NAMESPACE` names their CloudWatch namespace (the
/// template sets it; `make run` does not).
pub fn metrics(env: &impl Env) -> Result<Option<Metrics>, ConfigError> {
    value(env, NAMESPACE_VAR)
        .map(|namespace| {
            Metrics::new(&namespace).map_err(|reason| ConfigError::Invalid {
                name: NAMESPACE_VAR,
                reason,
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_are_unset_and_flags_are_true_or_false() {
        let env = [("A", "  x "), ("B", "   "), ("T", "true"), ("F", "no")];
        assert_eq!(value(&env, "A").as_deref(), Some("x"));
        assert_eq!((value(&env, "B"), value(&env, "C")), (None, None));
        assert_eq!((flag(&env, "T"), flag(&env, "C")), (Ok(true), Ok(false)));
        assert!(flag(&env, "F").is_err());
        assert_eq!(seconds(&[("S", "7")], "S", 60, 120), Ok(7));
        assert!(seconds(&[("S", "0")], "S", 60, 120).is_err());
    }

    #[test]
    fn metrics_are_on_when_the_stack_names_a_namespace_and_off_otherwise() {
        assert_eq!(metrics(&[("TABLE_NAME", "calls")]), Ok(None));
        let on = metrics(&[(NAMESPACE_VAR, "VoiceHooks")]).unwrap().unwrap();
        assert_eq!(on.namespace(), "VoiceHooks");
        match metrics(&[(NAMESPACE_VAR, "AWS/Lambda")]) {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, NAMESPACE_VAR),
            other => panic!("{other:?}"),
        }
    }
}
