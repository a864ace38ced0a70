//! The answer webhook through its handler, as API Gateway delivers requests: GET and POST,
//! `custom_data` as an object or a string, refusals and unparseable requests; Vonage's
//! published answer requests; signed requests.

use lambda_http::Request;
use serde_json::{json, Value};
use shared::config::AnswerConfig;
use shared::http::answer::handle_answer;
use shared::testkit::*;

const TUTORIAL_NUMBER: &str = "447700900000";

fn config(extra: &[(&str, &str)]) -> AnswerConfig {
    AnswerConfig::from_env(&Vars::unsigned(&[("VONAGE_NUMBER", "447700900001")]).with(extra))
        .unwrap()
}

fn post_json(body: Value) -> Request {
    post(ANSWER, &body.to_string())
}

async fn call(req: Request) -> (u16, Value) {
    let res = handle_answer(&config(&[]), NO_LEDGER, req).await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/json");
    (
        res.status().as_u16(),
        serde_json::from_slice(res.body().as_ref()).unwrap(),
    )
}

#[tokio::test]
async fn get_answer_request_returns_the_connect_ncco() {
    let req = get(
        ANSWER,
        &[
            ("to", TUTORIAL_NUMBER),
            ("from_user", "Alice"),
            ("uuid", "u1"),
            ("conversation_uuid", "CON-1"),
        ],
    );
    assert_eq!(call(req).await, (200, connect_ncco(TUTORIAL_NUMBER)));
}

#[tokio::test]
async fn get_with_custom_data_as_a_json_string_returns_the_connect_ncco() {
    let req = get(
        ANSWER,
        &[
            ("from_user", "Alice"),
            ("custom_data", r#"{"to":"+447700900000"}"#),
        ],
    );
    assert_eq!(call(req).await, (200, connect_ncco(TUTORIAL_NUMBER)));
}

#[tokio::test]
async fn post_answer_request_returns_the_connect_ncco() {
    let req = post_json(
        json!({"to": TUTORIAL_NUMBER, "from_user": "Alice", "uuid": "u1", "conversation_uuid": "CON-1",
                          "region_url": "https://api-eu-1.vonage.com", "endpoint_type": "app"}),
    );
    assert_eq!(call(req).await, (200, connect_ncco(TUTORIAL_NUMBER)));
}

#[tokio::test]
async fn post_with_custom_data_as_object_and_as_string_returns_the_connect_ncco() {
    let object = post_json(json!({"from_user": "Alice", "custom_data": {"to": TUTORIAL_NUMBER}}));
    assert_eq!(call(object).await, (200, connect_ncco(TUTORIAL_NUMBER)));
    let string =
        post_json(json!({"from_user": "Alice", "custom_data": "{\"to\":\"447700900000\"}"}));
    assert_eq!(call(string).await, (200, connect_ncco(TUTORIAL_NUMBER)));
}

#[tokio::test]
async fn refused_destination_is_still_a_200_with_a_talk_only_ncco() {
    let req = get(ANSWER, &[("to", "14155550100"), ("from_user", "Alice")]);
    assert_eq!(call(req).await, (200, refused_ncco()));
}

#[tokio::test]
async fn unparseable_requests_get_a_400_with_a_json_error() {
    let bad = [
        post_json(json!({"from_user": "Alice", "custom_data": "{not json"})),
        post_json(json!({"from_user": "Alice", "custom_data": "[1]"})),
        post_json(json!({"from_user": "Alice", "custom_data": 5})),
        post_json(json!({"from_user": {"name": "Alice"}, "to": TUTORIAL_NUMBER})),
        post_json(json!({"from_user": "Alice", "custom_data": {"to": ["447700900000"]}})),
    ];
    for req in bad {
        let (status, body) = call(req).await;
        assert_eq!(status, 400);
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
}

/// A request through the answer handler configured by `vars`: (status, JSON body).
async fn call_with(vars: &Vars, request: Request) -> (u16, Value) {
    let config = AnswerConfig::from_env(vars).unwrap();
    let res = handle_answer(&config, NO_LEDGER, request).await.unwrap();
    let body = serde_json::from_slice(res.body().as_ref()).unwrap();
    (res.status().as_u16(), body)
}

#[tokio::test]
async fn both_published_answer_requests_are_answered() {
    let our_number = Vars::unsigned(&[("VONAGE_NUMBER", "442079460000")]);
    let with_user = our_number.clone().with(&[("INBOUND_APP_USER", "alice")]);
    let requests = published_answer_requests();
    assert_eq!(requests.len(), 2, "the GET and the POST example");
    for (what, request) in requests {
        // A phone calling our number: to the inbound app user, with the caller's number shown.
        let (status, ncco) = call_with(&with_user, request.request()).await;
        assert_eq!(status, 200, "{what}: {ncco}");
        assert_eq!(
            ncco[1]["endpoint"][0],
            json!({"type": "app", "user": "alice"}),
            "{what}"
        );
        assert!(ncco[1]["from"].is_string(), "{what}: {ncco}");
        // Nobody to take it: a short message, never a phone connect.
        let (status, ncco) = call_with(&our_number, request.request()).await;
        assert_eq!(
            (status, ncco.as_array().unwrap().len()),
            (200, 1),
            "{what}: {ncco}"
        );
        assert_eq!(ncco[0]["action"], "talk", "{what}");
    }
}

#[tokio::test]
async fn a_signed_deployment_takes_answers_by_post_only_each_body_bound_to_its_token() {
    const SECRET: &str = "test-secret-for-signed-webhooks";
    let vars = Vars::new(&[
        ("VONAGE_NUMBER", "447700900001"),
        ("VONAGE_SIGNATURE_SECRET", SECRET),
        ("VONAGE_API_KEY", "abcd1234"),
        (
            "VONAGE_APPLICATION_ID",
            "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        ),
    ]);
    let body = json!({"to": TUTORIAL_NUMBER, "from_user": "Alice", "conversation_uuid": "CON-1"})
        .to_string();
    let claims = vonage_claims(
        body.as_bytes(),
        "abcd1234",
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    );
    let token = bearer(SECRET, &claims);
    // Unsigned: refused before anything is decided.
    let unsigned = ApiGw::new("POST", ANSWER).json(body.clone());
    assert_eq!(call_with(&vars, unsigned.request()).await.0, 401);
    // Signed as Vonage signs a POST answer: answered.
    let posted = ApiGw::new("POST", ANSWER)
        .json(body)
        .header("authorization", &token);
    let (status, ncco) = call_with(&vars, posted.request()).await;
    assert_eq!(status, 200);
    assert_eq!(ncco[1]["endpoint"][0]["number"], TUTORIAL_NUMBER);

    // The same token replayed with another caller's name: its payload_hash no longer matches.
    let victim =
        json!({"to": TUTORIAL_NUMBER, "from_user": "victim", "conversation_uuid": "CON-2"});
    let replayed = ApiGw::new("POST", ANSWER)
        .json(victim.to_string())
        .header("authorization", &token);
    assert_eq!(call_with(&vars, replayed.request()).await.0, 401);

    // A GET's query is covered by no signature: even with a valid token, a 405 that says
    // which setting to change.
    let mut no_body = vonage_claims(b"", "abcd1234", "aaaaaaaa-bbbb-cccc-dddd-0123456789ab");
    no_body.as_object_mut().unwrap().remove("payload_hash");
    let by_get = ApiGw::new("GET", ANSWER)
        .query("to", TUTORIAL_NUMBER)
        .query("from_user", "victim")
        .header("authorization", &bearer(SECRET, &no_body));
    let (status, body) = call_with(&vars, by_get.request()).await;
    assert_eq!(status, 405, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Answer URL's HTTP method to POST"),
        "{body}"
    );
}
