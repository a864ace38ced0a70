//! The answer webhook's settings: the decision's (`voice_core::answer::AnswerSettings`), the
//! signature check, metrics, and the ledger's table, limits and failure mode.

use super::env::{flag, metrics, seconds, value, ConfigError, Env};
use super::signature::verifier;
use crate::metrics::{Metrics, NAMESPACE_VAR};
use voice_core::answer::{
    AnswerSettings, DEFAULT_GREETING, DEFAULT_MAX_CALL_SECONDS, DEFAULT_RING_TIMEOUT_SECONDS,
    MAX_TALK_CHARS,
};
use voice_core::budget::BudgetSettings;
use voice_core::phone::E164;
use voice_core::policy::{parse_prefixes, Allowed, DEFAULT_BLOCKED};
use voice_core::signature::Verifier;
use voice_core::usage::Limits;

/// Every variable answer-fn reads, besides `SIGNATURE_ENV`. Tests check that `from_env` reads
/// exactly these and that template.yaml sets no other.
pub const ANSWER_ENV: &[&str] = &[
    NAMESPACE_VAR,
    "VONAGE_NUMBER",
    "ALLOWED_DESTINATIONS",
    "BLOCKED_DESTINATIONS",
    "INBOUND_APP_USER",
    "GREETING",
    "MAX_CALL_SECONDS",
    "RING_TIMEOUT_SECONDS",
    "TABLE_NAME",
    "MAX_CALLS_PER_USER_PER_DAY",
    "MAX_SPEND_PER_USER_PER_DAY",
    "LIMITS_FAIL_OPEN",
    "RATE_TABLE",
    "DEFAULT_RATE_PER_MINUTE",
    "MIN_CALL_SECONDS",
    "BILLING_INCREMENT_SECONDS",
];
/// Everything the answer webhook works with.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerConfig {
    /// What the decision decides with: our number, the destination policy, the connect's
    /// limits, the greeting, the inbound app user.
    pub settings: AnswerSettings,
    pub signature: Verifier,
    /// CloudWatch EMF metrics on stdout, when the stack names a namespace.
    pub metrics: Option<Metrics>,
    /// The table of the per-user ledger: each call connected for an app user is counted there.
    /// `None`: no ledger and no limits, and no AWS client at all.
    pub table_name: Option<String>,
    pub limits: Limits,
    /// How a spend limit is held during calls: rates, the minimum call, the increment.
    pub budget: BudgetSettings,
    /// When the ledger cannot be reached: connect anyway (`LIMITS_FAIL_OPEN=true`) or refuse
    /// with "please try again later" (the default).
    pub limits_fail_open: bool,
}

impl AnswerConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let number = value(env, "VONAGE_NUMBER").ok_or(ConfigError::Missing(
            "VONAGE_NUMBER",
            "set it to your Vonage number in E.164 digits, e.g. 447700900001",
        ))?;
        let vonage_number = E164::parse(&number).map_err(|e| ConfigError::Invalid {
            name: "VONAGE_NUMBER",
            reason: e.to_string(),
        })?;
        let invalid = |name: &'static str| move |reason| ConfigError::Invalid { name, reason };
        let allowed = match value(env, "ALLOWED_DESTINATIONS") {
            Some(list) => Allowed::parse(&list).map_err(invalid("ALLOWED_DESTINATIONS"))?,
            None => Allowed::country_of(&vonage_number),
        };
        // Unset: the built-in ranges; set, even empty, it replaces them.
        let blocked = parse_prefixes(
            &env.get("BLOCKED_DESTINATIONS")
                .unwrap_or(DEFAULT_BLOCKED.into()),
        )
        .map_err(invalid("BLOCKED_DESTINATIONS"))?;
        let settings = AnswerSettings {
            allowed,
            blocked,
            inbound_app_user: value(env, "INBOUND_APP_USER"),
            greeting: greeting(env)?,
            max_call_seconds: seconds(env, "MAX_CALL_SECONDS", DEFAULT_MAX_CALL_SECONDS, 7200)?,
            ring_timeout_seconds: seconds(
                env,
                "RING_TIMEOUT_SECONDS",
                DEFAULT_RING_TIMEOUT_SECONDS,
                120,
            )?,
            ..AnswerSettings::new(vonage_number)
        };
        let table_name = value(env, "TABLE_NAME");
        let (limits, limits_fail_open) = limits(env, table_name.as_deref())?;
        let budget = super::limits::budget(env, settings.max_call_seconds)?;
        Ok(Self {
            settings,
            signature: verifier(env)?,
            metrics: metrics(env)?,
            table_name,
            limits,
            budget,
            limits_fail_open,
        })
    }
}

/// The limits (`config::limits`) and `LIMITS_FAIL_OPEN`; a limit needs the ledger's table.
fn limits(env: &impl Env, table: Option<&str>) -> Result<(Limits, bool), ConfigError> {
    let limits = super::limits::limits(env)?;
    let fail_open = flag(env, "LIMITS_FAIL_OPEN")?;
    if limits.any() && table.is_none() {
        return Err(ConfigError::Missing(
            "TABLE_NAME",
            "the per-user limits are kept in the calls table: set it to the table's name",
        ));
    }
    Ok((limits, fail_open))
}

/// `GREETING`: 1 to 1,500 characters, or Vonage refuses every NCCO that carries it.
fn greeting(env: &impl Env) -> Result<String, ConfigError> {
    let greeting = value(env, "GREETING").unwrap_or_else(|| DEFAULT_GREETING.to_string());
    let chars = greeting.chars().count();
    if chars > MAX_TALK_CHARS {
        return Err(ConfigError::Invalid {
            name: "GREETING",
            reason: format!("{chars} characters; Vonage speaks at most {MAX_TALK_CHARS}"),
        });
    }
    Ok(greeting)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses with the unsigned opt-out (local development), plus `vars`.
    fn answer_env(vars: &[(&str, &str)]) -> Result<AnswerConfig, ConfigError> {
        AnswerConfig::from_env(&crate::testkit::Vars::unsigned(vars))
    }

    #[test]
    fn allowed_destinations_default_to_the_vonage_numbers_country() {
        let cfg = answer_env(&[("VONAGE_NUMBER", "+44 7700 900001")]).unwrap();
        assert_eq!(cfg.settings.vonage_number.digits(), "447700900001");
        assert_eq!(cfg.settings.allowed, Allowed::Prefixes(vec!["44".into()]));
        assert_eq!(cfg.settings.greeting, voice_core::answer::DEFAULT_GREETING);
        assert_eq!(cfg.settings.inbound_app_user, None);
        assert!(cfg.settings.blocked.contains(&"449".to_string()));
    }

    #[test]
    fn allowed_destinations_take_prefixes_or_a_star() {
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("ALLOWED_DESTINATIONS", " 44, +353 ,"),
        ];
        let cfg = answer_env(&env).unwrap();
        assert_eq!(
            cfg.settings.allowed,
            Allowed::Prefixes(vec!["44".into(), "353".into()])
        );
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("ALLOWED_DESTINATIONS", "*"),
        ];
        assert_eq!(answer_env(&env).unwrap().settings.allowed, Allowed::Any);
    }

    #[test]
    fn missing_vonage_number_names_the_variable() {
        let err = answer_env(&[("GREETING", "hi")]).unwrap_err();
        assert!(
            err.to_string().starts_with("VONAGE_NUMBER is not set"),
            "{err}"
        );
    }

    #[test]
    fn malformed_variables_are_rejected_at_init() {
        let err = answer_env(&[("VONAGE_NUMBER", "07700 900001")]).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: "VONAGE_NUMBER",
                    ..
                }
            ),
            "{err}"
        );
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("ALLOWED_DESTINATIONS", "44,uk"),
        ];
        let err = answer_env(&env).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: "ALLOWED_DESTINATIONS",
                    ..
                }
            ),
            "{err}"
        );
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("ALLOWED_DESTINATIONS", ","),
        ];
        assert!(answer_env(&env).is_err());
    }

    #[test]
    fn a_greeting_longer_than_vonage_speaks_stops_the_function_at_init() {
        let longest = "a".repeat(MAX_TALK_CHARS);
        let env = [("VONAGE_NUMBER", "447700900001"), ("GREETING", &longest)];
        assert_eq!(answer_env(&env).unwrap().settings.greeting, longest);
        let too_long = "é".repeat(MAX_TALK_CHARS + 1);
        let env = [("VONAGE_NUMBER", "447700900001"), ("GREETING", &too_long)];
        let err = answer_env(&env).unwrap_err();
        assert!(err.to_string().starts_with("GREETING is invalid"), "{err}");
    }

    #[test]
    fn call_limit_and_ring_timeout_default_and_reject_values_out_of_range() {
        let cfg = answer_env(&[("VONAGE_NUMBER", "447700900001")]).unwrap();
        assert_eq!(
            (
                cfg.settings.max_call_seconds,
                cfg.settings.ring_timeout_seconds
            ),
            (3600, 60)
        );
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("MAX_CALL_SECONDS", "7200"),
            ("RING_TIMEOUT_SECONDS", "120"),
        ];
        let cfg = answer_env(&env).unwrap();
        assert_eq!(
            (
                cfg.settings.max_call_seconds,
                cfg.settings.ring_timeout_seconds
            ),
            (7200, 120)
        );
        for (name, bad) in [
            ("MAX_CALL_SECONDS", "0"),
            ("MAX_CALL_SECONDS", "7201"),
            ("MAX_CALL_SECONDS", "1h"),
            ("RING_TIMEOUT_SECONDS", "0"),
            ("RING_TIMEOUT_SECONDS", "121"),
            ("RING_TIMEOUT_SECONDS", "-5"),
        ] {
            let env = [("VONAGE_NUMBER", "447700900001"), (name, bad)];
            let err = answer_env(&env).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!("{name} is invalid")),
                "{err}"
            );
        }
    }

    #[test]
    fn limits_are_off_unless_set_and_malformed_ones_stop_the_function_at_init() {
        let number = ("VONAGE_NUMBER", "447700900001");
        let cfg = answer_env(&[number]).unwrap();
        assert_eq!((cfg.table_name, cfg.limits.any()), (None, false));
        let cfg = answer_env(&[
            number,
            ("TABLE_NAME", "calls"),
            ("MAX_CALLS_PER_USER_PER_DAY", "20"),
            ("MAX_SPEND_PER_USER_PER_DAY", "2.50"),
            ("LIMITS_FAIL_OPEN", "true"),
        ])
        .unwrap();
        assert_eq!(cfg.table_name.as_deref(), Some("calls"));
        assert_eq!(cfg.limits.max_calls, Some(20));
        assert_eq!(
            cfg.limits.max_spend.as_ref().map(|d| d.as_str()),
            Some("2.50")
        );
        assert!(cfg.limits_fail_open);
        let table = ("TABLE_NAME", "calls");
        for (name, value) in [
            ("MAX_CALLS_PER_USER_PER_DAY", "-1"),
            ("MAX_CALLS_PER_USER_PER_DAY", "ten"),
            ("MAX_CALLS_PER_USER_PER_DAY", "2.5"),
            ("MAX_SPEND_PER_USER_PER_DAY", "-1"),
            ("MAX_SPEND_PER_USER_PER_DAY", "1e3"),
            ("MAX_SPEND_PER_USER_PER_DAY", "€5"),
            ("LIMITS_FAIL_OPEN", "yes"),
        ] {
            match answer_env(&[number, table, (name, value)]) {
                Err(ConfigError::Invalid { name: named, .. }) => assert_eq!(named, name, "{value}"),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
        // A limit without the table it is kept in.
        match answer_env(&[number, ("MAX_CALLS_PER_USER_PER_DAY", "5")]) {
            Err(ConfigError::Missing(name, _)) => assert_eq!(name, "TABLE_NAME"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reservations_default_to_whole_minutes_and_malformed_settings_stop_the_function() {
        let number = ("VONAGE_NUMBER", "447700900001");
        let cfg = answer_env(&[number]).unwrap();
        assert_eq!(cfg.budget, BudgetSettings::default());
        assert_eq!(
            (
                cfg.budget.min_call_seconds,
                cfg.budget.billing_increment_seconds
            ),
            (60, 60)
        );
        let cfg = answer_env(&[
            number,
            ("RATE_TABLE", "44:0.0230, 447:0.06"),
            ("DEFAULT_RATE_PER_MINUTE", "0.05"),
            ("MIN_CALL_SECONDS", "30"),
            ("BILLING_INCREMENT_SECONDS", "6"),
        ])
        .unwrap();
        assert!(cfg.budget.rates.rate_for("447700900000").is_some());
        assert!(cfg.budget.default_rate.is_some());
        assert_eq!(cfg.budget.min_call_seconds, 30);
        assert_eq!(cfg.budget.billing_increment_seconds, 6);
        // A short MAX_CALL_SECONDS bounds the defaults instead of refusing every call.
        let short = answer_env(&[number, ("MAX_CALL_SECONDS", "30")]).unwrap();
        assert_eq!(short.budget.min_call_seconds, 30);
        for (name, value) in [
            ("RATE_TABLE", "44"),
            ("RATE_TABLE", "44:free"),
            ("DEFAULT_RATE_PER_MINUTE", "-0.01"),
            ("DEFAULT_RATE_PER_MINUTE", "cheap"),
            ("MIN_CALL_SECONDS", "0"),
            ("MIN_CALL_SECONDS", "3601"),
            ("BILLING_INCREMENT_SECONDS", "3601"),
        ] {
            match answer_env(&[number, (name, value)]) {
                Err(ConfigError::Invalid { name: named, .. }) => assert_eq!(named, name, "{value}"),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_empty_block_list_turns_blocking_off() {
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("BLOCKED_DESTINATIONS", ""),
        ];
        assert!(answer_env(&env).unwrap().settings.blocked.is_empty());
    }

    #[test]
    fn metrics_follow_the_stacks_namespace() {
        let number = ("VONAGE_NUMBER", "447700900001");
        assert_eq!(answer_env(&[number]).unwrap().metrics, None);
        let deployed = answer_env(&[number, (NAMESPACE_VAR, "VoiceHooks")]).unwrap();
        assert_eq!(deployed.metrics.unwrap().namespace(), "VoiceHooks");
    }
}
