//! Signed webhooks through the event handler: with a signature secret configured, only requests
//! carrying a valid Vonage token get in, and a rejected event writes nothing.

use serde_json::{json, Value};
use shared::config::EventConfig;
use shared::testkit::*;
use voice_core::signature::Verifier;

const SECRET: &str = "test-secret-for-signed-webhooks";
const API_KEY: &str = "abcd1234";
const APPLICATION_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";

fn verifier() -> Verifier {
    Verifier::new(
        Some(SECRET),
        Some(API_KEY.into()),
        Some(APPLICATION_ID.into()),
        300,
    )
}

/// Claims exactly as Vonage mints them: no `exp`.
fn claims(body: &[u8]) -> Value {
    vonage_claims(body, API_KEY, APPLICATION_ID)
}

fn bearer_with(alg: &str, secret: &str, claims: &Value) -> String {
    format!("Bearer {}", mint(alg, secret.as_bytes(), claims))
}

fn bearer(claims: &Value) -> String {
    shared::testkit::bearer(SECRET, claims)
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

async fn send_signed(store: &shared::store::Store, request: ApiGw) -> (u16, Value) {
    let cfg = EventConfig {
        signature: verifier(),
        ..EventConfig::unsigned(store.table())
    };
    send_with(&cfg, store, request.request()).await
}

#[tokio::test]
async fn a_vonage_signed_event_is_stored_even_when_api_gateway_base64_encodes_it() {
    let store = local_store().await;
    let body = tutorial_call()[0].1.clone();
    let request = ApiGw::new("POST", "/voice/event")
        .json(body.clone())
        .base64()
        .header("authorization", &bearer(&claims(body.as_bytes())));
    assert_eq!(
        send_signed(&store, request).await,
        (200, json!({"result": "stored"}))
    );
    assert_eq!(
        store.conversation(CONVERSATION).await.unwrap().timeline[0].raw,
        body
    );
}

#[tokio::test]
async fn every_rejection_reason_is_a_401_and_writes_nothing() {
    let store = local_store().await;
    let body = tutorial_call()[0].1.clone();
    let good = claims(body.as_bytes());
    let none_token = {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        format!(
            "Bearer {}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(good.to_string())
        )
    };
    let cases: Vec<(&str, Option<String>)> = vec![
        ("missing header", None),
        (
            "wrong scheme",
            Some(bearer(&good).replacen("Bearer", "Basic", 1)),
        ),
        (
            "bad signature",
            Some(bearer_with("HS256", "not-the-secret", &good)),
        ),
        ("HS512", Some(bearer_with("HS512", SECRET, &good))),
        ("alg none", Some(none_token)),
        ("garbage token", Some("Bearer not.a.jwt".into())),
        (
            "issuer not Vonage",
            Some(bearer(&with(good.clone(), "iss", json!("Mallory")))),
        ),
        (
            "body does not match payload_hash",
            Some(bearer(&claims(b"{}"))),
        ),
        ("token without payload_hash", {
            let mut claims = good.clone();
            claims.as_object_mut().unwrap().remove("payload_hash");
            Some(bearer(&claims))
        }),
        (
            "iat 10 minutes old",
            Some(bearer(&with(good.clone(), "iat", json!(now() - 600)))),
        ),
        (
            "iat 10 minutes ahead",
            Some(bearer(&with(good.clone(), "iat", json!(now() + 600)))),
        ),
        (
            "exp passed",
            Some(bearer(&with(good.clone(), "exp", json!(now() - 1)))),
        ),
        (
            "another account's api_key",
            Some(bearer(&with(good.clone(), "api_key", json!("zzzz9999")))),
        ),
        (
            "another application",
            Some(bearer(&with(
                good.clone(),
                "application_id",
                json!("other-app"),
            ))),
        ),
    ];
    for (what, authorization) in cases {
        let mut request = ApiGw::new("POST", "/voice/event").json(body.clone());
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let (status, response) = send_signed(&store, request).await;
        assert_eq!(status, 401, "{what}: {response}");
        assert!(
            response["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{what}"
        );
    }
    assert_eq!(item_count(&store).await, 0);
}

#[tokio::test]
async fn a_signed_deployment_refuses_events_by_get_even_with_a_valid_token() {
    let store = local_store().await;
    let mut claims = claims(b"");
    claims.as_object_mut().unwrap().remove("payload_hash");
    let request = ApiGw::new("GET", "/voice/event")
        .query("uuid", PHONE_LEG)
        .query("conversation_uuid", CONVERSATION)
        .query("status", "completed")
        .query("price", "999.99")
        .header("authorization", &bearer(&claims));
    let (status, response) = send_signed(&store, request).await;
    assert_eq!(status, 405, "{response}");
    assert!(
        response["error"].as_str().unwrap().contains("POST"),
        "the message says how to fix it: {response}"
    );
    assert_eq!(item_count(&store).await, 0);
}
