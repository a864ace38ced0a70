//! token-fn's settings, and its private key: PEM text or a file locally, Secrets Manager in AWS.

use super::aws::{https_client, AwsSettings, AWS_ROOT_CERTIFICATES};
use super::env::{metrics, seconds_in, value, ConfigError, Env};
use super::identity::Identity;
use crate::metrics::NAMESPACE_VAR;
use serde_json::Value;
use voice_core::token::{
    default_acl, parse_acl, DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, MIN_TTL_SECONDS,
};

/// Every variable token-fn reads, besides `IDENTITY_ENV` and the AWS SDK's own. Tests check that `from_env` reads
/// exactly these and that template.yaml sets no other.
pub const TOKEN_ENV: &[&str] = &[
    NAMESPACE_VAR,
    "VONAGE_APPLICATION_ID",
    "TABLE_NAME",
    "TOKEN_TTL_SECONDS",
    "TOKEN_ACL",
    "VONAGE_API_URL",
    "VONAGE_PRIVATE_KEY",
    "VONAGE_PRIVATE_KEY_FILE",
    "VONAGE_PRIVATE_KEY_SECRET",
];

/// Vonage's API host, where the Users API lives.
pub const DEFAULT_VONAGE_API_URL: &str = "https://api.nexmo.com";

/// Where the Vonage application's private key comes from: exactly one of three variables.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `VONAGE_PRIVATE_KEY`: the PEM text itself (local use and tests).
    Pem(String),
    /// `VONAGE_PRIVATE_KEY_FILE`: a PEM file, such as the tutorial's `private.key`.
    File(String),
    /// `VONAGE_PRIVATE_KEY_SECRET`: a Secrets Manager secret's ARN or name (AWS).
    Secret(String),
}

/// Never prints the key.
impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Pem(_) => f.write_str("Pem(..)"),
            KeySource::File(path) => write!(f, "File({path:?})"),
            KeySource::Secret(id) => write!(f, "Secret({id:?})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TokenConfig {
    pub application_id: String,
    pub table_name: String,
    /// Who the signed-in user is.
    pub identity: Identity,
    pub ttl_seconds: u32,
    /// The `acl` claim of every user token.
    pub acl: Value,
    pub vonage_api_url: String,
    pub private_key: KeySource,
    /// CloudWatch EMF metrics on stdout, when the stack names a namespace.
    pub metrics: Option<crate::metrics::Metrics>,
}

impl TokenConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let application_id = value(env, "VONAGE_APPLICATION_ID").ok_or(ConfigError::Missing(
            "VONAGE_APPLICATION_ID",
            "set it to the id of your Vonage application",
        ))?;
        let table_name = value(env, "TABLE_NAME").ok_or(ConfigError::Missing(
            "TABLE_NAME",
            "set it to the DynamoDB table that holds the calls and the users",
        ))?;
        let ttl_seconds = seconds_in(
            env,
            "TOKEN_TTL_SECONDS",
            DEFAULT_TTL_SECONDS,
            MIN_TTL_SECONDS..=MAX_TTL_SECONDS,
        )?;
        let acl = match value(env, "TOKEN_ACL") {
            None => default_acl(),
            Some(json) => parse_acl(&json).map_err(|reason| ConfigError::Invalid {
                name: "TOKEN_ACL",
                reason,
            })?,
        };
        let vonage_api_url =
            value(env, "VONAGE_API_URL").unwrap_or_else(|| DEFAULT_VONAGE_API_URL.to_string());
        check_api_url(&vonage_api_url)?;
        Ok(Self {
            application_id,
            table_name,
            identity: Identity::from_env(env)?,
            ttl_seconds,
            acl,
            vonage_api_url,
            private_key: key_source(env)?,
            metrics: metrics(env)?,
        })
    }
}

/// `https://…`, or `http://` to 127.0.0.1 or localhost: the key-signed application token
/// travels to this address, so it never goes anywhere in clear text.
fn check_api_url(url: &str) -> Result<(), ConfigError> {
    let local = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
    ];
    let https = url
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty());
    if https || local.iter().any(|prefix| url.starts_with(prefix)) {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            name: "VONAGE_API_URL",
            reason: format!("`{url}` is not https:// (plain http only to 127.0.0.1 or localhost)"),
        })
    }
}

fn key_source(env: &impl Env) -> Result<KeySource, ConfigError> {
    let sources = [
        value(env, "VONAGE_PRIVATE_KEY").map(KeySource::Pem),
        value(env, "VONAGE_PRIVATE_KEY_FILE").map(KeySource::File),
        value(env, "VONAGE_PRIVATE_KEY_SECRET").map(KeySource::Secret),
    ];
    let mut given = sources.into_iter().flatten();
    match (given.next(), given.next()) {
        (Some(source), None) => Ok(source),
        (None, _) => Err(ConfigError::Missing(
            "VONAGE_PRIVATE_KEY_SECRET",
            "in AWS, the ARN of the Secrets Manager secret holding the application's private key; \
             locally, VONAGE_PRIVATE_KEY_FILE=private.key (or VONAGE_PRIVATE_KEY with the PEM text)",
        )),
        (Some(_), Some(_)) => Err(ConfigError::Invalid {
            name: "VONAGE_PRIVATE_KEY_SECRET",
            reason: "set only one of VONAGE_PRIVATE_KEY, VONAGE_PRIVATE_KEY_FILE and \
                     VONAGE_PRIVATE_KEY_SECRET"
                .into(),
        }),
    }
}

/// The private key's PEM bytes, read once at init. A secret comes from Secrets Manager
/// (`AWS_ENDPOINT_URL_SECRETSMANAGER` points elsewhere, e.g. a local stand-in).
pub async fn private_key(source: &KeySource, env: &impl Env) -> Result<Vec<u8>, ConfigError> {
    match source {
        KeySource::Pem(pem) => Ok(pem.replace("\\n", "\n").into_bytes()),
        KeySource::File(path) => std::fs::read(path).map_err(|e| ConfigError::Invalid {
            name: "VONAGE_PRIVATE_KEY_FILE",
            reason: format!("{path}: {e}"),
        }),
        KeySource::Secret(id) => {
            let invalid = |reason: String| ConfigError::Invalid {
                name: "VONAGE_PRIVATE_KEY_SECRET",
                reason,
            };
            let client = secrets_client(env)?;
            let output = client
                .get_secret_value()
                .secret_id(id)
                .send()
                .await
                .map_err(|e| {
                    invalid(format!(
                        "{id}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                    ))
                })?;
            match (output.secret_string, output.secret_binary) {
                (Some(text), _) => Ok(text.into_bytes()),
                (None, Some(blob)) => Ok(blob.into_inner()),
                (None, None) => Err(invalid(format!("{id} holds no value"))),
            }
        }
    }
}

/// The Secrets Manager client: the same settings and trust store as the DynamoDB client.
fn secrets_client(env: &impl Env) -> Result<aws_sdk_secretsmanager::Client, ConfigError> {
    let aws = AwsSettings::from_env(env, "AWS_ENDPOINT_URL_SECRETSMANAGER")?;
    let mut config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws.region)
        .credentials_provider(aws.credentials)
        .http_client(https_client(AWS_ROOT_CERTIFICATES)?)
        .timeout_config(aws.timeouts);
    if let Some(endpoint) = aws.endpoint {
        config = config.endpoint_url(endpoint);
    }
    Ok(aws_sdk_secretsmanager::Client::from_conf(config.build()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Vars;

    fn env() -> Vars {
        Vars::new(&[
            (
                "VONAGE_APPLICATION_ID",
                "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
            ),
            ("TABLE_NAME", "calls"),
            ("VONAGE_PRIVATE_KEY_FILE", "private.key"),
        ])
    }

    fn invalid_variable(env: &Vars) -> &'static str {
        match TokenConfig::from_env(env) {
            Err(ConfigError::Invalid { name, .. }) | Err(ConfigError::Missing(name, _)) => name,
            Ok(cfg) => panic!("accepted: {cfg:?}"),
        }
    }

    #[test]
    fn defaults_are_an_hour_the_voice_acl_the_sub_claim_and_vonages_api() {
        let cfg = TokenConfig::from_env(&env()).unwrap();
        assert_eq!(cfg.ttl_seconds, 3600);
        assert_eq!(cfg.acl, default_acl());
        assert_eq!(cfg.identity.user_claim, "sub");
        assert_eq!(cfg.identity.local, None);
        assert_eq!(cfg.vonage_api_url, "https://api.nexmo.com");
        assert_eq!(cfg.private_key, KeySource::File("private.key".into()));
        assert_eq!(cfg.metrics, None);
    }

    #[test]
    fn a_lifetime_vonage_would_refuse_stops_the_function_at_init() {
        for ttl in ["59", "86401", "0", "-5", "1h", "3600.5"] {
            let vars = env().with(&[("TOKEN_TTL_SECONDS", ttl)]);
            assert_eq!(invalid_variable(&vars), "TOKEN_TTL_SECONDS", "{ttl}");
        }
        for (ttl, seconds) in [("60", 60), ("86400", 86_400), (" 900 ", 900)] {
            let vars = env().with(&[("TOKEN_TTL_SECONDS", ttl)]);
            assert_eq!(TokenConfig::from_env(&vars).unwrap().ttl_seconds, seconds);
        }
    }

    #[test]
    fn the_application_id_the_table_and_exactly_one_key_are_required() {
        let only = |pairs: &[(&str, &str)]| {
            Vars::new(&[("VONAGE_APPLICATION_ID", "app"), ("TABLE_NAME", "calls")]).with(pairs)
        };
        assert_eq!(invalid_variable(&only(&[])), "VONAGE_PRIVATE_KEY_SECRET");
        assert_eq!(
            invalid_variable(&only(&[
                ("VONAGE_PRIVATE_KEY", "pem"),
                ("VONAGE_PRIVATE_KEY_SECRET", "arn")
            ])),
            "VONAGE_PRIVATE_KEY_SECRET"
        );
        let secret = only(&[("VONAGE_PRIVATE_KEY_SECRET", "arn:aws:secretsmanager:x")]);
        assert_eq!(
            TokenConfig::from_env(&secret).unwrap().private_key,
            KeySource::Secret("arn:aws:secretsmanager:x".into())
        );
        let no_app = Vars::new(&[("TABLE_NAME", "calls"), ("VONAGE_PRIVATE_KEY", "pem")]);
        assert_eq!(invalid_variable(&no_app), "VONAGE_APPLICATION_ID");
        let no_table = Vars::new(&[("VONAGE_APPLICATION_ID", "a"), ("VONAGE_PRIVATE_KEY", "p")]);
        assert_eq!(invalid_variable(&no_table), "TABLE_NAME");
        assert!(!format!("{:?}", KeySource::Pem("SECRET".into())).contains("SECRET"));
    }

    #[test]
    fn the_application_token_never_travels_in_clear_text_except_to_this_machine() {
        for url in [
            "http://api.nexmo.com",
            "ftp://x",
            "https://",
            "api.nexmo.com",
            "http://127.0.0.2:80",
        ] {
            let vars = env().with(&[("VONAGE_API_URL", url)]);
            assert_eq!(invalid_variable(&vars), "VONAGE_API_URL", "{url}");
        }
        for url in [
            "https://api-eu.vonage.com",
            "http://127.0.0.1:4010",
            "http://localhost:4010",
        ] {
            let vars = env().with(&[("VONAGE_API_URL", url)]);
            assert_eq!(TokenConfig::from_env(&vars).unwrap().vonage_api_url, url);
        }
    }

    #[test]
    fn a_malformed_acl_stops_the_function_at_init() {
        let empty = env().with(&[("TOKEN_ACL", r#"{"paths":{}}"#)]);
        assert_eq!(invalid_variable(&empty), "TOKEN_ACL");
        let acl = r#"{"paths":{"/*/sessions/**":{}}}"#;
        let given = env().with(&[("TOKEN_ACL", acl)]);
        assert_eq!(
            TokenConfig::from_env(&given).unwrap().acl,
            serde_json::from_str::<Value>(acl).unwrap()
        );
    }

    #[tokio::test]
    async fn a_key_is_read_from_its_text_or_its_file() {
        let pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let escaped = pem.replace('\n', "\\n");
        let key = private_key(&KeySource::Pem(escaped), &env()).await.unwrap();
        assert_eq!(key, pem.as_bytes());
        let path = std::env::temp_dir().join(format!("voice-hooks-key-{}", std::process::id()));
        std::fs::write(&path, pem).unwrap();
        let file = KeySource::File(path.display().to_string());
        assert_eq!(private_key(&file, &env()).await.unwrap(), pem.as_bytes());
        std::fs::remove_file(&path).unwrap();
        match private_key(&file, &env()).await {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, "VONAGE_PRIVATE_KEY_FILE"),
            other => panic!("{other:?}"),
        }
    }
}
