//! The per-user daily limits, as answer-fn enforces them and calls-fn reports them:
//! `MAX_CALLS_PER_USER_PER_DAY` and `MAX_SPEND_PER_USER_PER_DAY`, each unset for no limit.

use super::env::{value, ConfigError, Env};
use voice_core::decimal::Decimal;
use voice_core::usage::Limits;

/// The variables of the limits.
pub const LIMITS_ENV: &[&str] = &["MAX_CALLS_PER_USER_PER_DAY", "MAX_SPEND_PER_USER_PER_DAY"];

/// The limits the stack sets; a malformed one names its variable.
pub fn limits(env: &impl Env) -> Result<Limits, ConfigError> {
    let max_calls = match value(env, "MAX_CALLS_PER_USER_PER_DAY") {
        None => None,
        Some(text) => Some(text.parse::<u32>().map_err(|_| ConfigError::Invalid {
            name: "MAX_CALLS_PER_USER_PER_DAY",
            reason: format!("`{text}` is not a whole number of calls (unset for no limit)"),
        })?),
    };
    let max_spend = match value(env, "MAX_SPEND_PER_USER_PER_DAY") {
        None => None,
        Some(text) => Some(
            Decimal::parse(&text)
                .filter(|d| !d.as_str().starts_with('-'))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "MAX_SPEND_PER_USER_PER_DAY",
                    reason: format!(
                        "`{text}` is not an amount such as 5 or 2.50 (unset for no limit)"
                    ),
                })?,
        ),
    };
    Ok(Limits {
        max_calls,
        max_spend,
    })
}
