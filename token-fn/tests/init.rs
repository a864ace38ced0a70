//! token-fn as Lambda starts it: settings checked at init, the private key read once from
//! Secrets Manager (a local stand-in: moto's server mode).

// token-fn checks no webhook signature: it uses `start` only.
#[allow(dead_code)]
#[path = "../../answer-fn/tests/lambda_init/mod.rs"]
mod lambda_init;

use devtools::secrets::SecretsStandIn;
use shared::config::{private_key, ConfigError, KeySource};
use shared::testkit::{rsa_key, Vars};

const BIN: &str = env!("CARGO_BIN_EXE_token-fn");

fn aws(extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        (
            "VONAGE_APPLICATION_ID",
            "aaaaaaaa-bbbb-cccc-dddd-0123456789ab".to_string(),
        ),
        ("TABLE_NAME", "calls".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "local".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_string()),
    ];
    vars.extend(extra.iter().cloned());
    vars
}

fn init(vars: &[(&'static str, String)]) -> String {
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    lambda_init::start(BIN, &pairs, None)
}

/// Past our init, the Lambda runtime reads its own variables, which these tests leave out.
fn got_past_init(stderr: &str) -> bool {
    stderr.contains("AWS_LAMBDA_FUNCTION_NAME")
}

#[test]
fn a_token_lifetime_vonage_would_refuse_stops_the_function_at_init() {
    let key = ("VONAGE_PRIVATE_KEY", rsa_key().0.clone());
    for ttl in ["59", "86401", "0", "one hour"] {
        let stderr = init(&aws(&[key.clone(), ("TOKEN_TTL_SECONDS", ttl.into())]));
        assert!(stderr.contains("TOKEN_TTL_SECONDS"), "{ttl}: {stderr}");
        assert!(!got_past_init(&stderr), "{ttl}: {stderr}");
    }
    let stderr = init(&aws(&[key, ("TOKEN_TTL_SECONDS", "86400".into())]));
    assert!(got_past_init(&stderr), "{stderr}");
}

#[test]
fn without_an_application_id_or_a_usable_key_the_function_does_not_start() {
    let key = ("VONAGE_PRIVATE_KEY", rsa_key().0.clone());
    let mut no_app = aws(&[key]);
    no_app.retain(|(k, _)| *k != "VONAGE_APPLICATION_ID");
    let stderr = init(&no_app);
    assert!(stderr.contains("VONAGE_APPLICATION_ID"), "{stderr}");
    let stderr = init(&aws(&[]));
    assert!(stderr.contains("VONAGE_PRIVATE_KEY_SECRET"), "{stderr}");
    let stderr = init(&aws(&[("VONAGE_PRIVATE_KEY", "not a key".into())]));
    assert!(stderr.contains("private key"), "{stderr}");
    assert!(!got_past_init(&stderr), "{stderr}");
}

#[tokio::test]
async fn in_aws_the_key_is_read_from_secrets_manager_at_init() {
    let secrets = SecretsStandIn::start();
    let pem = rsa_key().0.clone();
    let arn = secrets.create_secret("voice-hooks/private-key", &pem).await;
    let endpoint = ("AWS_ENDPOINT_URL_SECRETSMANAGER", secrets.endpoint());

    let env = Vars::new(&[
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_ENDPOINT_URL_SECRETSMANAGER", &endpoint.1),
    ]);
    let key = private_key(&KeySource::Secret(arn.clone()), &env)
        .await
        .unwrap();
    assert_eq!(key, pem.as_bytes());
    match private_key(&KeySource::Secret("voice-hooks/missing".into()), &env).await {
        Err(ConfigError::Invalid { name, reason }) => {
            assert_eq!(name, "VONAGE_PRIVATE_KEY_SECRET");
            assert!(reason.contains("voice-hooks/missing"), "{reason}");
        }
        other => panic!("{other:?}"),
    }

    // The binary: with the secret it gets past init; with a missing one it names the variable.
    let stderr = init(&aws(&[
        ("VONAGE_PRIVATE_KEY_SECRET", arn),
        endpoint.clone(),
    ]));
    assert!(got_past_init(&stderr), "{stderr}");
    let stderr = init(&aws(&[
        ("VONAGE_PRIVATE_KEY_SECRET", "voice-hooks/missing".into()),
        endpoint.clone(),
    ]));
    assert!(stderr.contains("VONAGE_PRIVATE_KEY_SECRET"), "{stderr}");
    assert!(!got_past_init(&stderr), "{stderr}");
    // A secret that is not a key.
    let arn = secrets
        .create_secret("voice-hooks/not-a-key", "hunter2")
        .await;
    let stderr = init(&aws(&[("VONAGE_PRIVATE_KEY_SECRET", arn), endpoint]));
    assert!(stderr.contains("private key"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the secret's value is never printed: {stderr}"
    );
}
