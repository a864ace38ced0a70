//! Environment variables → typed configuration, read once at init.
//!
//! Each function reads only what it uses. A missing or malformed variable is an error that names
//! the variable, so the function stops at init with a message that says what to fix.

#[cfg(feature = "dynamodb")]
pub mod dns;
#[cfg(feature = "token")]
mod token;
#[cfg(feature = "token")]
pub use token::{private_key, KeySource, TokenConfig, TOKEN_ENV};

use crate::event::Decimal;
use crate::metrics::Metrics;
pub use crate::metrics::NAMESPACE_VAR;
use crate::phone::E164;
use crate::signature::{Verifier, DEFAULT_MAX_SKEW_SECONDS, MIN_SECRET_CHARS};
use crate::usage::Limits;

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
];
/// Every variable event-fn reads, besides `SIGNATURE_ENV` and the AWS SDK's own.
pub const EVENT_ENV: &[&str] = &[NAMESPACE_VAR, "TABLE_NAME", "RETENTION_DAYS"];

/// Non-empty value of a variable; an empty string counts as unset.
fn value(env: &impl Env, name: &str) -> Option<String> {
    env.get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Which destinations the app may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// Any valid E.164 number (`ALLOWED_DESTINATIONS=*`): a prefix of length 0.
    Any,
    /// Numbers starting with one of these E.164 prefixes.
    Prefixes(Vec<String>),
}

impl Allowed {
    /// The longest allowed prefix `digits` starts with (`""` under `*`).
    pub fn longest_match(&self, digits: &str) -> Option<&str> {
        match self {
            Allowed::Any => Some(""),
            Allowed::Prefixes(prefixes) => longest_match(prefixes, digits),
        }
    }
}

/// The longest of `prefixes` that `digits` starts with.
pub fn longest_match<'a>(prefixes: &'a [String], digits: &str) -> Option<&'a str> {
    prefixes
        .iter()
        .map(String::as_str)
        .filter(|p| digits.starts_with(p))
        .max_by_key(|p| p.len())
}

/// Prefixes refused unless a longer (or equal) `ALLOWED_DESTINATIONS` prefix admits them;
/// `BLOCKED_DESTINATIONS` replaces the whole list. The ranges toll fraud aims at:
///
/// - International: satellite and international networks 870/881/882/883 and international
///   premium rate 979 (ITU-T E.164 assignments); German 0900 and 0137, French 089.
/// - UK (Ofcom, National Telephone Numbering Plan): 070 personal numbers, 076 pagers, 084 and
///   087 revenue-sharing service numbers, 09 premium rate; and the Crown Dependencies' mobiles,
///   which share +44 but are billed as international (Ofcom's number allocations to their
///   operators, as libphonenumber lists them): Isle of Man 07524, 07624, 07924, 074576;
///   Guernsey 07781, 07839, 07911; Jersey 07509, 07797, 07829, 07937, 077003, 077007, 077008.
/// - NANP (NANPA, "NANP area codes by country"): 900 premium rate, and the area codes of the
///   NANP countries other than the US and Canada, billed as international: Bahamas 242,
///   Barbados 246, Anguilla 264, Antigua 268, British Virgin Islands 284, Cayman 345,
///   Bermuda 441, Grenada 473, Turks and Caicos 649, Jamaica 658/876, Montserrat 664,
///   Sint Maarten 721, St Lucia 758, Dominica 767, St Vincent 784, Dominican Republic
///   809/829/849, Trinidad and Tobago 868, St Kitts and Nevis 869. US territories (340, 670,
///   671, 684, 787, 939) are billed as domestic and stay allowed.
pub const DEFAULT_BLOCKED: &str = "870,881,882,883,979,49900,49137,3389,\
4470,4476,4484,4487,449,\
447524,447624,447924,4474576,\
447781,447839,447911,\
447509,447797,447829,447937,4477003,4477007,4477008,\
1900,1242,1246,1264,1268,1284,1345,1441,1473,1649,1658,1664,1721,1758,1767,1784,\
1809,1829,1849,1868,1869,1876";

/// Parses a comma-separated list of E.164 prefixes such as `44,353`.
fn prefixes(name: &'static str, list: &str) -> Result<Vec<String>, ConfigError> {
    list.split(',')
        .map(|p| p.trim().trim_start_matches('+'))
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.len() <= 15 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') {
                Ok(p.to_string())
            } else {
                Err(ConfigError::Invalid {
                    name,
                    reason: format!("`{p}` is not an E.164 prefix (digits, not starting with 0)"),
                })
            }
        })
        .collect()
}

pub const DEFAULT_GREETING: &str = "Please wait while we connect you.";

/// Longest a connected call may last, unless `MAX_CALL_SECONDS` says; Vonage's own default
/// (and maximum) is 7,200 s.
pub const DEFAULT_MAX_CALL_SECONDS: u32 = 3600;
/// How long a phone rings before Vonage gives up, unless `RING_TIMEOUT_SECONDS` says
/// (Vonage's default; its NCCO reference allows 1 to 120).
pub const DEFAULT_RING_TIMEOUT_SECONDS: u32 = 60;

/// Vonage's limit on a talk action's text, in characters.
pub const MAX_TALK_CHARS: usize = 1500;

/// Everything the answer webhook decides with.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerConfig {
    /// Our Vonage number: the caller ID of every call we connect.
    pub vonage_number: E164,
    pub allowed: Allowed,
    pub blocked: Vec<String>,
    /// App user that calls to our Vonage number are connected to.
    pub inbound_app_user: Option<String>,
    pub greeting: String,
    /// `limit` of every connect: the longest a call may last, in seconds.
    pub max_call_seconds: u32,
    /// `timeout` of every connect: how long the callee's phone rings, in seconds.
    pub ring_timeout_seconds: u32,
    pub signature: Verifier,
    /// CloudWatch EMF metrics on stdout, when the stack names a namespace (`metrics`).
    pub metrics: Option<Metrics>,
    /// The table of the per-user ledger (`usage`): each call connected for an app user is
    /// counted there. `None`: no ledger and no limits, and no AWS client at all.
    pub table_name: Option<String>,
    pub limits: Limits,
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
        let allowed = match value(env, "ALLOWED_DESTINATIONS").as_deref() {
            Some("*") => Allowed::Any,
            Some(list) => {
                let list = prefixes("ALLOWED_DESTINATIONS", list)?;
                if list.is_empty() {
                    return Err(ConfigError::Invalid {
                        name: "ALLOWED_DESTINATIONS",
                        reason: "no prefix given; use `*` to allow every number".into(),
                    });
                }
                Allowed::Prefixes(list)
            }
            None => Allowed::Prefixes(vec![vonage_number.country_code().to_string()]),
        };
        let blocked = match env.get("BLOCKED_DESTINATIONS") {
            Some(list) => prefixes("BLOCKED_DESTINATIONS", &list)?,
            None => prefixes("BLOCKED_DESTINATIONS", DEFAULT_BLOCKED)?,
        };
        let table_name = value(env, "TABLE_NAME");
        let (limits, limits_fail_open) = limits(env, table_name.as_deref())?;
        Ok(Self {
            vonage_number,
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
            signature: verifier(env)?,
            metrics: metrics(env)?,
            table_name,
            limits,
            limits_fail_open,
        })
    }
}

/// `MAX_CALLS_PER_USER_PER_DAY`, `MAX_SPEND_PER_USER_PER_DAY` (unset: no limit) and
/// `LIMITS_FAIL_OPEN`; a limit needs the ledger's table.
fn limits(env: &impl Env, table: Option<&str>) -> Result<(Limits, bool), ConfigError> {
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
    let fail_open = flag(env, "LIMITS_FAIL_OPEN")?;
    let limits = Limits {
        max_calls,
        max_spend,
    };
    if limits.any() && table.is_none() {
        return Err(ConfigError::Missing(
            "TABLE_NAME",
            "the per-user limits are kept in the calls table: set it to the table's name",
        ));
    }
    Ok((limits, fail_open))
}

/// A whole number of seconds from 1 to `max`, `default` when unset.
fn seconds(env: &impl Env, name: &'static str, default: u32, max: u32) -> Result<u32, ConfigError> {
    seconds_in(env, name, default, 1..=max)
}

/// A whole number of seconds in `range`, `default` when unset.
fn seconds_in(
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

/// `true`, `false` or unset (`false`).
fn flag(env: &impl Env, name: &'static str) -> Result<bool, ConfigError> {
    match value(env, name).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("`{other}` is not true or false"),
        }),
    }
}

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

/// Timeouts well inside Vonage's webhook timeout and the function's: a stalled DynamoDB turns
/// into a `503` that Vonage retries, not a hung invocation.
#[cfg(feature = "dynamodb")]
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
#[cfg(feature = "dynamodb")]
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
#[cfg(feature = "dynamodb")]
pub const OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The answer webhook's ledger client gives up much sooner: the caller hears silence until we
/// answer, and an unreachable ledger must still leave time to answer within 2 s (README,
/// "Usage and limits"). Retries run inside the operation timeout.
#[cfg(feature = "dynamodb")]
pub const LEDGER_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);
#[cfg(feature = "dynamodb")]
pub const LEDGER_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(600);
#[cfg(feature = "dynamodb")]
pub const LEDGER_OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1200);

/// The root certificates AWS endpoints chain to (Amazon Root CA 1–4, Starfield Services Root
/// CA G2), compiled in: the SDK's default client reads and parses the system's whole store
/// (about 150 files) at every cold start, for authorities an AWS endpoint never presents.
#[cfg(feature = "dynamodb")]
pub const AWS_ROOT_CERTIFICATES: &str = include_str!("../../certs/aws-roots.pem");

/// The SDK's HTTPS client (rustls on aws-lc, full certificate verification) trusting exactly
/// the roots in `pem`, resolving names with [`dns::PrimedResolver`].
#[cfg(feature = "dynamodb")]
pub fn https_client(pem: &str) -> Result<aws_sdk_dynamodb::config::SharedHttpClient, ConfigError> {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem.as_bytes());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| ConfigError::Invalid {
            name: "AWS_ROOT_CERTIFICATES",
            reason: e.to_string(),
        })?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_with_resolver(dns::PrimedResolver))
}

/// The DynamoDB client, built once at init from the variables Lambda sets (`AWS_REGION`,
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and
/// `AWS_ENDPOINT_URL_DYNAMODB` (DynamoDB Local), or `endpoint`, with the timeouts above.
///
/// Without aws-config on purpose: its provider chains and profile files cost milliseconds of
/// cold start (README, "Performance"), and in Lambda the answer is always in the environment.
/// Elsewhere, export credentials into the environment first.
#[cfg(feature = "dynamodb")]
pub fn dynamodb_client(
    env: &impl Env,
    endpoint: Option<&str>,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    dynamodb_client_over(env, endpoint, https_client(AWS_ROOT_CERTIFICATES)?)
}

/// The SDK's timeouts: to connect, per attempt, and for the whole operation with its retries.
#[cfg(feature = "dynamodb")]
fn timeout_config(
    connect: std::time::Duration,
    attempt: std::time::Duration,
    operation: std::time::Duration,
) -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(connect)
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

/// The answer webhook's DynamoDB client for the ledger: as `dynamodb_client`, with the
/// `LEDGER_*` timeouts.
#[cfg(feature = "dynamodb")]
pub fn ledger_client(
    env: &impl Env,
    endpoint: Option<&str>,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    let timeouts = timeout_config(
        LEDGER_CONNECT_TIMEOUT,
        LEDGER_ATTEMPT_TIMEOUT,
        LEDGER_OPERATION_TIMEOUT,
    );
    let http = https_client(AWS_ROOT_CERTIFICATES)?;
    dynamodb_client_timed(env, endpoint, http, Some(timeouts))
}

/// As `dynamodb_client`, over the given HTTP client.
#[cfg(feature = "dynamodb")]
pub fn dynamodb_client_over(
    env: &impl Env,
    endpoint: Option<&str>,
    http_client: aws_sdk_dynamodb::config::SharedHttpClient,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    dynamodb_client_timed(env, endpoint, http_client, None)
}

#[cfg(feature = "dynamodb")]
fn dynamodb_client_timed(
    env: &impl Env,
    endpoint: Option<&str>,
    http_client: aws_sdk_dynamodb::config::SharedHttpClient,
    timeouts: Option<aws_sdk_dynamodb::config::timeout::TimeoutConfig>,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    let aws = AwsSettings::from_env(env, "AWS_ENDPOINT_URL_DYNAMODB")?;
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws.region)
        .credentials_provider(aws.credentials)
        .http_client(http_client)
        .timeout_config(timeouts.unwrap_or(aws.timeouts));
    if let Some(endpoint) = endpoint.map(str::to_string).or(aws.endpoint) {
        config = config.endpoint_url(endpoint);
    }
    Ok(aws_sdk_dynamodb::Client::from_conf(config.build()))
}

/// What every AWS client of ours is built from: region, credentials, timeouts and endpoint,
/// from the variables Lambda sets (module `token` builds the Secrets Manager client from it).
#[cfg(feature = "dynamodb")]
pub(crate) struct AwsSettings {
    pub region: aws_sdk_dynamodb::config::Region,
    pub credentials: aws_sdk_dynamodb::config::Credentials,
    pub timeouts: aws_sdk_dynamodb::config::timeout::TimeoutConfig,
    /// The service's own `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
}

#[cfg(feature = "dynamodb")]
impl AwsSettings {
    pub(crate) fn from_env(env: &impl Env, endpoint_var: &str) -> Result<Self, ConfigError> {
        use aws_sdk_dynamodb::config::{Credentials, Region};

        let var = |name: &str| env.get(name).filter(|v| !v.is_empty());
        let required = |name: &'static str| {
            var(name).ok_or(ConfigError::Missing(
                name,
                "Lambda sets it; elsewhere export AWS credentials",
            ))
        };
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError::Missing(
                "AWS_REGION",
                "Lambda sets it; elsewhere export the table's region",
            ))?;
        let credentials = Credentials::new(
            required("AWS_ACCESS_KEY_ID")?,
            required("AWS_SECRET_ACCESS_KEY")?,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        );
        let timeouts = timeout_config(CONNECT_TIMEOUT, ATTEMPT_TIMEOUT, OPERATION_TIMEOUT);
        Ok(Self {
            region: Region::new(region),
            credentials,
            timeouts,
            endpoint: var(endpoint_var).or_else(|| var("AWS_ENDPOINT_URL")),
        })
    }
}

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

    /// Records every variable asked for, answering with values that make parsing succeed.
    struct Recording(std::cell::RefCell<Vec<String>>);

    impl Env for Recording {
        fn get(&self, name: &str) -> Option<String> {
            self.0.borrow_mut().push(name.to_string());
            match name {
                "VONAGE_NUMBER" => Some("447700900001".into()),
                "ALLOW_UNSIGNED_WEBHOOKS" => Some("true".into()),
                "TABLE_NAME" => Some("calls".into()),
                "VONAGE_APPLICATION_ID" => Some("app".into()),
                "VONAGE_PRIVATE_KEY_FILE" => Some("private.key".into()),
                _ => None,
            }
        }
    }

    fn names_read(parse: impl Fn(&Recording)) -> Vec<String> {
        let env = Recording(Default::default());
        parse(&env);
        let mut names = env.0.take();
        names.sort();
        names.dedup();
        names
    }

    /// Parses with the unsigned opt-out (local development), plus `vars`.
    fn answer_env(vars: &[(&str, &str)]) -> Result<AnswerConfig, ConfigError> {
        AnswerConfig::from_env(&unsigned(vars))
    }

    fn event_env(vars: &[(&str, &str)]) -> Result<EventConfig, ConfigError> {
        EventConfig::from_env(&unsigned(vars))
    }

    fn unsigned(vars: &[(&str, &str)]) -> crate::testkit::Vars {
        crate::testkit::Vars::new(&[("ALLOW_UNSIGNED_WEBHOOKS", "true")]).with(vars)
    }

    fn sorted(lists: &[&[&str]]) -> Vec<String> {
        let mut names: Vec<String> = lists.concat().iter().map(|s| s.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_declared_variable_lists_are_exactly_what_from_env_reads() {
        let answer = names_read(|env| drop(AnswerConfig::from_env(env).unwrap()));
        assert_eq!(answer, sorted(&[ANSWER_ENV, SIGNATURE_ENV]));
        let event = names_read(|env| drop(EventConfig::from_env(env).unwrap()));
        assert_eq!(event, sorted(&[EVENT_ENV, SIGNATURE_ENV]));
        #[cfg(feature = "token")]
        {
            let token = names_read(|env| drop(TokenConfig::from_env(env).unwrap()));
            assert_eq!(token, sorted(&[TOKEN_ENV]));
        }
    }

    #[test]
    fn allowed_destinations_default_to_the_vonage_numbers_country() {
        let cfg = answer_env(&[("VONAGE_NUMBER", "+44 7700 900001")]).unwrap();
        assert_eq!(cfg.vonage_number.digits(), "447700900001");
        assert_eq!(cfg.allowed, Allowed::Prefixes(vec!["44".into()]));
        assert_eq!(cfg.greeting, DEFAULT_GREETING);
        assert_eq!(cfg.inbound_app_user, None);
        assert!(cfg.blocked.contains(&"449".to_string()));
    }

    #[test]
    fn allowed_destinations_take_prefixes_or_a_star() {
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("ALLOWED_DESTINATIONS", " 44, +353 ,"),
        ];
        let cfg = answer_env(&env).unwrap();
        assert_eq!(
            cfg.allowed,
            Allowed::Prefixes(vec!["44".into(), "353".into()])
        );
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("ALLOWED_DESTINATIONS", "*"),
        ];
        assert_eq!(answer_env(&env).unwrap().allowed, Allowed::Any);
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
        assert_eq!(answer_env(&env).unwrap().greeting, longest);
        let too_long = "é".repeat(MAX_TALK_CHARS + 1);
        let env = [("VONAGE_NUMBER", "447700900001"), ("GREETING", &too_long)];
        let err = answer_env(&env).unwrap_err();
        assert!(err.to_string().starts_with("GREETING is invalid"), "{err}");
    }

    #[test]
    fn call_limit_and_ring_timeout_default_and_reject_values_out_of_range() {
        let cfg = answer_env(&[("VONAGE_NUMBER", "447700900001")]).unwrap();
        assert_eq!((cfg.max_call_seconds, cfg.ring_timeout_seconds), (3600, 60));
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("MAX_CALL_SECONDS", "7200"),
            ("RING_TIMEOUT_SECONDS", "120"),
        ];
        let cfg = answer_env(&env).unwrap();
        assert_eq!(
            (cfg.max_call_seconds, cfg.ring_timeout_seconds),
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
    fn metrics_are_on_when_the_stack_names_a_namespace_and_off_otherwise() {
        let unsigned = ("ALLOW_UNSIGNED_WEBHOOKS", "true");
        let local = [
            ("VONAGE_NUMBER", "447700900001"),
            ("TABLE_NAME", "calls"),
            unsigned,
        ];
        assert_eq!(AnswerConfig::from_env(&local).unwrap().metrics, None);
        assert_eq!(EventConfig::from_env(&local).unwrap().metrics, None);
        let deployed = [
            ("VONAGE_NUMBER", "447700900001"),
            ("TABLE_NAME", "calls"),
            ("POWERTOOLS_METRICS_NAMESPACE", "VoiceHooks"),
            ("VONAGE_SIGNATURE_SECRET", "a-signature-secret-0123456789"),
        ];
        let answer = AnswerConfig::from_env(&deployed).unwrap().metrics.unwrap();
        assert_eq!(answer.namespace(), "VoiceHooks");
        assert!(EventConfig::from_env(&deployed).unwrap().metrics.is_some());
        let bad = [
            ("TABLE_NAME", "calls"),
            unsigned,
            (NAMESPACE_VAR, "AWS/Lambda"),
        ];
        match EventConfig::from_env(&bad) {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, NAMESPACE_VAR),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_empty_block_list_turns_blocking_off() {
        let env = [
            ("VONAGE_NUMBER", "447700900001"),
            ("BLOCKED_DESTINATIONS", ""),
        ];
        assert!(answer_env(&env).unwrap().blocked.is_empty());
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

    #[cfg(feature = "dynamodb")]
    #[test]
    fn the_client_takes_region_credentials_and_endpoint_from_the_environment() {
        let env = [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
        ];
        let client = dynamodb_client(&env, None).unwrap();
        let conf = client.config();
        assert_eq!(conf.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(
            conf.timeout_config().and_then(|t| t.operation_timeout()),
            Some(OPERATION_TIMEOUT)
        );
    }

    #[cfg(feature = "dynamodb")]
    #[test]
    fn missing_region_or_credentials_stop_the_function_at_init() {
        let no_region = [("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")];
        let err = dynamodb_client(&no_region, None).unwrap_err();
        assert!(
            err.to_string().starts_with("AWS_REGION is not set"),
            "{err}"
        );
        let no_secret = [
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "a"),
        ];
        let err = dynamodb_client(&no_secret, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AWS_SECRET_ACCESS_KEY is not set"),
            "{err}"
        );
    }

    #[cfg(feature = "dynamodb")]
    #[test]
    fn the_trust_store_holds_exactly_the_roots_aws_endpoints_chain_to() {
        use base64::{engine::general_purpose::STANDARD, Engine};
        use sha2::{Digest, Sha256};
        // Amazon Trust Services' published SHA-256 fingerprints.
        let published = [
            "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e", // Amazon Root CA 1
            "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4", // Amazon Root CA 2
            "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4", // Amazon Root CA 3
            "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092", // Amazon Root CA 4
            "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5", // Starfield Services G2
        ];
        let mut fingerprints = Vec::new();
        let mut block: Option<String> = None;
        for line in AWS_ROOT_CERTIFICATES.lines() {
            match line {
                "-----BEGIN CERTIFICATE-----" => block = Some(String::new()),
                "-----END CERTIFICATE-----" => {
                    let der = STANDARD.decode(block.take().unwrap()).unwrap();
                    fingerprints.push(hex::encode(Sha256::digest(der)));
                }
                _ => {
                    if let Some(b64) = block.as_mut() {
                        b64.push_str(line.trim());
                    }
                }
            }
        }
        assert_eq!(fingerprints, published);
        assert!(https_client(AWS_ROOT_CERTIFICATES).is_ok());
    }
}
