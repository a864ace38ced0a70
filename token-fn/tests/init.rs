//! token-fn started as Lambda starts it for template.yaml (`devtools::deployed`, with
//! `AuthIssuer` set so the stack has it): settings checked at init, the private key read once
//! from Secrets Manager (a local stand-in: moto's server mode), and a known user served with its
//! metrics.

use devtools::deployed::{required_parameters, Deployed};
use devtools::secrets::SecretsStandIn;
use shared::config::{private_key, ConfigError, KeySource};
use shared::testkit::{emf_per_invocation, local_store, rsa_key, ApiGw, Vars};

const BIN: &str = env!("CARGO_BIN_EXE_token-fn");

/// The token function as deployed with its key in the secret `arn` of `secrets`.
fn deployed(secrets: &SecretsStandIn, arn: &str, table: &str) -> Deployed {
    let mut parameters = required_parameters();
    parameters.extend([
        (
            "AuthIssuer",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test",
        ),
        ("AuthAudience", "android-client"),
        ("VonagePrivateKeySecretArn", arn),
    ]);
    Deployed::new("TokenFunction", &parameters, table).secrets_manager(&secrets.endpoint())
}

/// A stand-in holding the application's key; its ARN.
async fn with_key() -> (SecretsStandIn, String) {
    let secrets = SecretsStandIn::start();
    let arn = secrets
        .create_secret("voice-hooks/private-key", &rsa_key().0)
        .await;
    (secrets, arn)
}

#[tokio::test]
async fn a_token_lifetime_vonage_would_refuse_stops_the_function_at_init() {
    let (secrets, arn) = with_key().await;
    for ttl in ["59", "86401", "0", "one hour"] {
        let stderr = deployed(&secrets, &arn, "calls")
            .edited("TOKEN_TTL_SECONDS", Some(ttl))
            .init_failure(BIN)
            .await;
        assert!(stderr.contains("TOKEN_TTL_SECONDS"), "{ttl}: {stderr}");
    }
    deployed(&secrets, &arn, "calls")
        .edited("TOKEN_TTL_SECONDS", Some("86400"))
        .starts(BIN)
        .await;
}

#[tokio::test]
async fn without_an_application_id_or_a_key_the_function_does_not_start() {
    let (secrets, arn) = with_key().await;
    for variable in ["VONAGE_APPLICATION_ID", "VONAGE_PRIVATE_KEY_SECRET"] {
        let stderr = deployed(&secrets, &arn, "calls")
            .edited(variable, None)
            .init_failure(BIN)
            .await;
        assert!(stderr.contains(variable), "{variable}: {stderr}");
    }
}

#[tokio::test]
async fn as_deployed_the_key_is_read_from_secrets_manager_at_init() {
    let (secrets, arn) = with_key().await;
    deployed(&secrets, &arn, "calls").starts(BIN).await;
    // A secret that is not there: the variable is named.
    let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:voice-hooks/missing-AbCdEf";
    let stderr = deployed(&secrets, missing, "calls").init_failure(BIN).await;
    assert!(stderr.contains("VONAGE_PRIVATE_KEY_SECRET"), "{stderr}");
    // A secret that is not a key: said so, its value never printed.
    let arn = secrets
        .create_secret("voice-hooks/not-a-key", "hunter2")
        .await;
    let stderr = deployed(&secrets, &arn, "calls").init_failure(BIN).await;
    assert!(stderr.contains("private key"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the secret's value is never printed: {stderr}"
    );
}

#[tokio::test]
async fn as_deployed_a_known_user_gets_a_token_and_it_is_counted() {
    use shared::store::profiles::Profiles;
    use shared::usecase::token::UserProfiles;
    use voice_core::identity::Profile;
    use voice_core::identity::UserName;
    let (secrets, arn) = with_key().await;
    let store = local_store().await;
    let user = UserName::from_claim("known-user").unwrap();
    Profiles::new(store.client().clone(), store.table())
        .remember(&Profile {
            name: user.clone(),
            vonage_user_id: "USR-known".into(),
            created_at: 0,
        })
        .await
        .unwrap();
    let request = ApiGw::new("POST", "/token")
        .claims(serde_json::json!({ "sub": "known-user" }))
        .event()
        .to_string()
        .into_bytes();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run under make test");
    let (bodies, stdout) = deployed(&secrets, &arn, store.table())
        .dynamodb(&endpoint)
        .run(BIN, &[request])
        .await;
    let response: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let (_, parsed) = emf_per_invocation(&stdout, 1);
    assert_eq!(
        (parsed[0]["Function"].clone(), parsed[0]["User"].clone()),
        ("token".into(), "known".into())
    );
    assert_eq!(parsed[0]["Tokens"], 1);
    // The log line names the user by pseudonym only.
    assert!(!stdout.contains("known-user"), "{stdout}");
    assert!(
        stdout.contains(&voice_core::privacy::pseudonym("known-user")),
        "{stdout}"
    );
}

#[tokio::test]
async fn in_aws_the_key_is_read_from_secrets_manager() {
    let secrets = SecretsStandIn::start();
    let pem = rsa_key().0.clone();
    let arn = secrets.create_secret("voice-hooks/private-key", &pem).await;
    let endpoint = secrets.endpoint();

    let env = Vars::new(&[
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_ENDPOINT_URL_SECRETSMANAGER", &endpoint),
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
}

#[tokio::test]
async fn as_deployed_a_local_sign_in_token_is_refused_and_the_key_stops_the_function() {
    use shared::config::LOCAL_SIGN_IN_VAR;
    let (secrets, arn) = with_key().await;
    let store = local_store().await;
    let local = shared::testkit::LocalSignIn::new("token-init-key", 0x42);
    let token = local.token("mallory", 0);
    let request = ApiGw::new("POST", "/token")
        .header("authorization", &format!("Bearer {token}"))
        .event()
        .to_string()
        .into_bytes();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run under make test");
    let (bodies, _) = deployed(&secrets, &arn, store.table())
        .dynamodb(&endpoint)
        .run(BIN, &[request])
        .await;
    let response: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(response["statusCode"], 401, "{response}");
    let stderr = deployed(&secrets, &arn, store.table())
        .added(LOCAL_SIGN_IN_VAR, &local.file())
        .init_failure(BIN)
        .await;
    assert!(stderr.contains(LOCAL_SIGN_IN_VAR), "{stderr}");
}
