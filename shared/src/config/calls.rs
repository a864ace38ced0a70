//! calls-fn's settings: the table, who the user is, the limits it reports, metrics.

use super::env::{metrics, value, ConfigError, Env};
use super::identity::Identity;
use super::limits::{limits, LIMITS_ENV};
use crate::metrics::{Metrics, NAMESPACE_VAR};
use voice_core::usage::Limits;

/// Every variable calls-fn reads, besides `IDENTITY_ENV` and the AWS SDK's own. Tests check
/// that `from_env` reads exactly these and that template.yaml sets no other.
pub const CALLS_ENV: &[&str] = &[NAMESPACE_VAR, "TABLE_NAME", LIMITS_ENV[0], LIMITS_ENV[1]];

#[derive(Debug, Clone, PartialEq)]
pub struct CallsConfig {
    pub table_name: String,
    pub identity: Identity,
    /// The limits answer-fn applies (the stack gives both functions the same), reported with
    /// what is left of them.
    pub limits: Limits,
    /// CloudWatch EMF metrics on stdout, when the stack names a namespace.
    pub metrics: Option<Metrics>,
}

impl CallsConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let table_name = value(env, "TABLE_NAME").ok_or(ConfigError::Missing(
            "TABLE_NAME",
            "set it to the DynamoDB table that holds the calls",
        ))?;
        Ok(Self {
            table_name,
            identity: Identity::from_env(env)?,
            limits: limits(env)?,
            metrics: metrics(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Vars;

    #[test]
    fn the_table_is_required_and_the_limits_are_read_as_answer_fn_reads_them() {
        match CallsConfig::from_env(&Vars::new(&[])) {
            Err(ConfigError::Missing(name, _)) => assert_eq!(name, "TABLE_NAME"),
            other => panic!("{other:?}"),
        }
        let cfg = CallsConfig::from_env(&Vars::new(&[
            ("TABLE_NAME", "calls"),
            ("MAX_CALLS_PER_USER_PER_DAY", "20"),
            ("MAX_SPEND_PER_USER_PER_DAY", "2.50"),
        ]))
        .unwrap();
        assert_eq!(cfg.limits.max_calls, Some(20));
        assert_eq!(cfg.identity.user_claim, "sub");
        let bad = Vars::new(&[
            ("TABLE_NAME", "calls"),
            ("MAX_SPEND_PER_USER_PER_DAY", "lots"),
        ]);
        match CallsConfig::from_env(&bad) {
            Err(ConfigError::Invalid { name, .. }) => {
                assert_eq!(name, "MAX_SPEND_PER_USER_PER_DAY")
            }
            other => panic!("{other:?}"),
        }
    }
}
