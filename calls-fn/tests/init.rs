//! calls-fn started as Lambda starts it for template.yaml (`devtools::deployed`, with
//! `AuthIssuer` set so the stack has it): the signed-in user's calls behind the authorizer,
//! with metrics; and the local sign-in of `make run` refused in every form.

use devtools::deployed::{required_parameters, Deployed};
use serde_json::{json, Value};
use shared::config::LOCAL_SIGN_IN_VAR;
use shared::testkit::{
    answer_call, answer_config, emf_per_invocation, local_store, ApiGw, LocalSignIn,
};

const BIN: &str = env!("CARGO_BIN_EXE_calls-fn");

/// The call history as deployed with the token service, on `table`.
fn deployed(table: &str) -> Deployed {
    let mut parameters = required_parameters();
    parameters.extend([
        (
            "AuthIssuer",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test",
        ),
        ("AuthAudience", "android-client"),
        (
            "VonagePrivateKeySecretArn",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:voice-hooks/key-AbCdEf",
        ),
        ("MaxCallsPerUserPerDay", "10"),
    ]);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run under make test");
    Deployed::new("CallsFunction", &parameters, table).dynamodb(&endpoint)
}

fn status_and_body(response: &[u8]) -> (u64, Value) {
    let response: Value = serde_json::from_slice(response).unwrap();
    let body = response["body"].as_str().unwrap_or("null");
    (
        response["statusCode"].as_u64().unwrap_or(0),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn as_deployed_the_signed_in_user_gets_their_calls_and_a_metric() {
    let store = local_store().await;
    let answer = answer_config(store.table(), &[]);
    answer_call(
        &answer,
        store.ledger(),
        "grace",
        "447700900123",
        "CON-grace-1",
    )
    .await;
    let request = ApiGw::new("GET", "/calls")
        .claims(json!({ "sub": "grace" }))
        .event()
        .to_string()
        .into_bytes();
    let (bodies, stdout) = deployed(store.table()).run(BIN, &[request]).await;
    let (status, page) = status_and_body(&bodies[0]);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["calls"][0]["conversation_uuid"], "CON-grace-1");
    assert_eq!(page["today"]["max_calls"], 10, "the stack's limit");
    assert_eq!(page["today"]["calls_left"], 9);
    let (_, parsed) = emf_per_invocation(&stdout, 1);
    assert_eq!(
        (&parsed[0]["Function"], &parsed[0]["Histories"]),
        (&json!("calls"), &json!(1))
    );
    assert!(!stdout.contains("447700900123"), "{stdout}");
}

#[tokio::test]
async fn as_deployed_a_local_sign_in_token_is_refused_and_the_key_stops_the_function() {
    let store = local_store().await;
    let local = LocalSignIn::new("calls-init-key", 0x42);
    let token = local.token("grace", 0);
    // Behind the authorizer every request carries its claims; one without them is a 401,
    // whatever token it holds.
    let request = ApiGw::new("GET", "/calls")
        .header("authorization", &format!("Bearer {token}"))
        .event()
        .to_string()
        .into_bytes();
    let (bodies, _) = deployed(store.table()).run(BIN, &[request]).await;
    let (status, body) = status_and_body(&bodies[0]);
    assert_eq!(status, 401, "{body}");
    // The key named in the console: the function refuses to start.
    let stderr = deployed(store.table())
        .added(LOCAL_SIGN_IN_VAR, &local.file())
        .init_failure(BIN)
        .await;
    assert!(stderr.contains(LOCAL_SIGN_IN_VAR), "{stderr}");
    assert!(stderr.contains("make run only"), "{stderr}");
}

#[tokio::test]
async fn a_malformed_limit_stops_the_function_at_init() {
    let stderr = deployed("calls")
        .edited("MAX_SPEND_PER_USER_PER_DAY", Some("lots"))
        .init_failure(BIN)
        .await;
    assert!(stderr.contains("MAX_SPEND_PER_USER_PER_DAY"), "{stderr}");
    deployed("calls").starts(BIN).await;
}
