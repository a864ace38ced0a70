//! Signed webhooks through both handlers: with a signature secret configured, only requests
//! carrying a valid Vonage token get in, and a rejected event writes nothing.

mod common;

use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::config::{AnswerConfig, EventConfig};
use shared::signature::Verifier;

const SECRET: &str = "test-secret-for-signed-webhooks";
const API_KEY: &str = "abcd1234";
const APPLICATION_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

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
    json!({"iat": now(), "jti": "3f5e1a2b-0000-4000-8000-000000000001", "iss": "Vonage",
           "payload_hash": hex::encode(Sha256::digest(body)), "api_key": API_KEY,
           "application_id": APPLICATION_ID})
}

/// A JWT minted here, independently of the code under test: `alg` is `HS256` or `HS512`.
fn bearer_with(alg: &str, secret: &str, claims: &Value) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use hmac::Mac;
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let key = secret.as_bytes();
    let signature = match alg {
        "HS256" => hmac::Hmac::<Sha256>::new_from_slice(key)
            .unwrap()
            .chain_update(&message)
            .finalize()
            .into_bytes()
            .to_vec(),
        _ => hmac::Hmac::<sha2::Sha512>::new_from_slice(key)
            .unwrap()
            .chain_update(&message)
            .finalize()
            .into_bytes()
            .to_vec(),
    };
    format!("Bearer {message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn bearer(claims: &Value) -> String {
    bearer_with("HS256", SECRET, claims)
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
    let res = shared::event::handle_event(&cfg, store, request.request())
        .await
        .unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(res.body().as_ref()).unwrap(),
    )
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

#[tokio::test]
async fn the_answer_webhook_checks_the_token_before_deciding_anything() {
    let cfg = AnswerConfig::from_env(&[
        ("VONAGE_NUMBER", "447700900001"),
        ("VONAGE_SIGNATURE_SECRET", SECRET),
        ("VONAGE_API_KEY", API_KEY),
        ("VONAGE_APPLICATION_ID", APPLICATION_ID),
    ])
    .unwrap();
    let request = || {
        ApiGw::new("GET", "/voice/answer")
            .query("to", "447700900000")
            .query("from_user", "Alice")
    };

    let unsigned = shared::answer::handle_answer(&cfg, request().request())
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);

    // Vonage signs GET webhooks too; there is no body, so no payload_hash to check.
    let mut get_claims = claims(b"");
    get_claims.as_object_mut().unwrap().remove("payload_hash");
    let signed = request().header("authorization", &bearer(&get_claims));
    let res = shared::answer::handle_answer(&cfg, signed.request())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ncco: Value = serde_json::from_slice(res.body().as_ref()).unwrap();
    assert_eq!(ncco[1]["endpoint"][0]["number"], "447700900000");
}
