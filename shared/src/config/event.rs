//! The event webhook's settings: its table, how long items are kept, the signature check and
//! metrics.

use super::env::{metrics, value, ConfigError, Env};
use super::signature::verifier;
use crate::metrics::{Metrics, NAMESPACE_VAR};
use voice_core::signature::Verifier;

/// Every variable event-fn reads, besides `SIGNATURE_ENV` and the AWS SDK's own.
pub const EVENT_ENV: &[&str] = &[NAMESPACE_VAR, "TABLE_NAME", "RETENTION_DAYS"];

/// Everything the event webhook needs besides its DynamoDB client.
#[derive(Debug, Clone, PartialEq)]
pub struct EventConfig {
    pub table_name: String,
    /// Items get an `expires_at` this many days after they are written; `None` keeps them.
    pub retention_days: Option<u32>,
    pub signature: Verifier,
    /// CloudWatch EMF metrics on stdout, when the stack names a namespace (`metrics`).
    pub metrics: Option<Metrics>,
}

impl EventConfig {
    /// A table with no retention and no signature check: for local tools and tests, where
    /// requests do not come from Vonage.
    pub fn unsigned(table_name: &str) -> Self {
        Self {
            table_name: table_name.to_string(),
            retention_days: None,
            signature: Verifier::unsigned(),
            metrics: None,
        }
    }

    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let table_name = value(env, "TABLE_NAME").ok_or(ConfigError::Missing(
            "TABLE_NAME",
            "set it to the DynamoDB table that holds the calls",
        ))?;
        let retention_days = match value(env, "RETENTION_DAYS") {
            None => None,
            Some(days) => match days.parse::<u32>() {
                Ok(0) => None,
                Ok(days) if days <= 36_500 => Some(days),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "RETENTION_DAYS",
                        reason: format!(
                            "`{days}` is not a whole number of days (0 keeps items forever)"
                        ),
                    })
                }
            },
        };
        Ok(Self {
            table_name,
            retention_days,
            signature: verifier(env)?,
            metrics: metrics(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_env(vars: &[(&str, &str)]) -> Result<EventConfig, ConfigError> {
        EventConfig::from_env(&crate::testkit::Vars::unsigned(vars))
    }

    #[test]
    fn event_config_reads_table_and_retention() {
        let cfg = event_env(&[("TABLE_NAME", "calls"), ("RETENTION_DAYS", "90")]).unwrap();
        assert_eq!(
            (cfg.table_name.as_str(), cfg.retention_days),
            ("calls", Some(90))
        );
        assert!(!cfg.signature.is_signed());
        let cfg = event_env(&[("TABLE_NAME", "calls"), ("RETENTION_DAYS", "0")]).unwrap();
        assert_eq!(cfg.retention_days, None);
        assert!(event_env(&[("TABLE_NAME", "calls"), ("RETENTION_DAYS", "ninety")]).is_err());
        assert!(event_env(&[("RETENTION_DAYS", "1")]).is_err());
    }
}
