//! The per-user daily limits, as answer-fn enforces them and calls-fn reports them:
//! `MAX_CALLS_PER_USER_PER_DAY` and `MAX_SPEND_PER_USER_PER_DAY`, each unset for no limit; and
//! how answer-fn holds a spend limit during calls (`voice_core::budget`): `RATE_TABLE`,
//! `DEFAULT_RATE_PER_MINUTE`, `MIN_CALL_SECONDS`, `BILLING_INCREMENT_SECONDS`.

use super::env::{seconds_in, value, ConfigError, Env};
use voice_core::budget::{
    price_per_minute, BudgetSettings, RateTable, DEFAULT_BILLING_INCREMENT_SECONDS,
    DEFAULT_MIN_CALL_SECONDS,
};
use voice_core::decimal::Decimal;
use voice_core::usage::Limits;

/// The variables of the limits.
pub const LIMITS_ENV: &[&str] = &["MAX_CALLS_PER_USER_PER_DAY", "MAX_SPEND_PER_USER_PER_DAY"];

/// The variables of the reservations.
pub const BUDGET_ENV: &[&str] = &[
    "RATE_TABLE",
    "DEFAULT_RATE_PER_MINUTE",
    "MIN_CALL_SECONDS",
    "BILLING_INCREMENT_SECONDS",
];

/// How calls are priced and reserved under a spend limit, with `max_call_seconds`, the
/// connect's longest `limit`, which the minimum call and the increment may not exceed.
pub fn budget(env: &impl Env, max_call_seconds: u32) -> Result<BudgetSettings, ConfigError> {
    let rates =
        RateTable::parse(&value(env, "RATE_TABLE").unwrap_or_default()).map_err(|reason| {
            ConfigError::Invalid {
                name: "RATE_TABLE",
                reason,
            }
        })?;
    let default_rate = match value(env, "DEFAULT_RATE_PER_MINUTE") {
        None => None,
        Some(text) => Some(price_per_minute(&text).ok_or_else(|| ConfigError::Invalid {
            name: "DEFAULT_RATE_PER_MINUTE",
            reason: format!("`{text}` is not a price per minute such as 0.05"),
        })?),
    };
    let min_call_seconds = seconds_in(
        env,
        "MIN_CALL_SECONDS",
        DEFAULT_MIN_CALL_SECONDS.min(max_call_seconds),
        1..=max_call_seconds,
    )?;
    let billing_increment_seconds = seconds_in(
        env,
        "BILLING_INCREMENT_SECONDS",
        DEFAULT_BILLING_INCREMENT_SECONDS.min(max_call_seconds),
        1..=max_call_seconds,
    )?;
    Ok(BudgetSettings {
        rates,
        default_rate,
        min_call_seconds,
        billing_increment_seconds,
    })
}

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
