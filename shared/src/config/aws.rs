//! The AWS clients, built once at init from the variables Lambda sets: region, credentials,
//! timeouts, and an HTTPS client trusting exactly the roots AWS endpoints chain to, resolving
//! names through `dns::PrimedResolver`.

use super::dns;
use super::env::{ConfigError, Env};

/// Timeouts well inside Vonage's webhook timeout and the function's: a stalled DynamoDB turns
/// into a `503` that Vonage retries, not a hung invocation.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
pub const ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
pub const OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The answer webhook's ledger client gives up much sooner: the caller hears silence until we
/// answer, and an unreachable ledger must still leave time to answer within 2 s
/// (docs/usage.md). Retries run inside the operation timeout.
pub const LEDGER_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);
pub const LEDGER_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(600);
pub const LEDGER_OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1200);

/// The root certificates AWS endpoints chain to (Amazon Root CA 1–4, Starfield Services Root
/// CA G2), compiled in: the SDK's default client reads and parses the system's whole store
/// (about 150 files) at every cold start, for authorities an AWS endpoint never presents.
pub const AWS_ROOT_CERTIFICATES: &str = include_str!("../../certs/aws-roots.pem");

/// The SDK's HTTPS client (rustls on aws-lc, full certificate verification) trusting exactly
/// the roots in `pem`, resolving names with [`dns::PrimedResolver`].
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
/// cold start (docs/performance.md), and in Lambda the answer is always in the environment.
/// Elsewhere, export credentials into the environment first.
pub fn dynamodb_client(
    env: &impl Env,
    endpoint: Option<&str>,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    dynamodb_client_over(env, endpoint, https_client(AWS_ROOT_CERTIFICATES)?)
}

/// The SDK's timeouts: to connect, per attempt, and for the whole operation with its retries.
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
pub fn dynamodb_client_over(
    env: &impl Env,
    endpoint: Option<&str>,
    http_client: aws_sdk_dynamodb::config::SharedHttpClient,
) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    dynamodb_client_timed(env, endpoint, http_client, None)
}

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
pub(crate) struct AwsSettings {
    pub region: aws_sdk_dynamodb::config::Region,
    pub credentials: aws_sdk_dynamodb::config::Credentials,
    pub timeouts: aws_sdk_dynamodb::config::timeout::TimeoutConfig,
    /// The service's own `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
