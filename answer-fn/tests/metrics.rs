//! answer-fn's CloudWatch metrics as Lambda ships them: the binary started exactly as Lambda
//! starts it for template.yaml (`devtools::deployed`), its stdout through a local Runtime API,
//! one EMF document per invocation, valid against the published schema, counting answers by
//! decision and refusal reason (the ledger's too, DynamoDB down included) and rejected
//! requests by kind.

use devtools::deployed::{required_parameters, Deployed, APPLICATION_ID, SECRET};
use shared::testkit::*;

const BIN: &str = env!("CARGO_BIN_EXE_answer-fn");

/// An app user's answer request, by POST as a signed deployment takes it; signed unless not.
fn answer_request(to: &str, conversation: &str, signed: bool) -> Vec<u8> {
    let body = serde_json::json!({"to": to, "from_user": "alice@example.com",
        "conversation_uuid": conversation})
    .to_string();
    let mut request = ApiGw::new("POST", ANSWER).json(body.clone());
    if signed {
        let claims = vonage_claims(body.as_bytes(), "abcd1234", APPLICATION_ID);
        request = request.header("authorization", &bearer(SECRET, &claims));
    }
    request.event().to_string().into_bytes()
}

#[tokio::test]
async fn each_answer_writes_one_valid_emf_document_by_decision_and_reason() {
    let store = local_store().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run under make test");
    let payloads = [
        answer_request("447700900000", "CON-1", true),
        answer_request("447700900000", "CON-2", true),
        answer_request("449098790000", "CON-3", true),
        answer_request("33612345678", "CON-4", true),
        answer_request("447700900000", "CON-5", false),
    ];
    let (_, stdout) = Deployed::new("AnswerFunction", &required_parameters(), store.table())
        .dynamodb(&endpoint)
        .run(BIN, &payloads)
        .await;
    let (documents, parsed) = emf_per_invocation(&stdout, payloads.len());
    let count = |key: &str, value: &str| parsed.iter().filter(|d| d[key] == value).count();
    assert_eq!(count("Decision", "connect-phone"), 2);
    assert_eq!(count("Decision", "refuse"), 2);
    assert_eq!(count("Reason", "blocked"), 1);
    assert_eq!(count("Reason", "not-allowed"), 1);
    assert_eq!(
        (count("Status", "4xx"), count("Reason", "unauthorized")),
        (1, 1)
    );
    for document in &documents {
        assert!(
            !document.contains("447700900000") && !document.contains("alice"),
            "{document}"
        );
    }
    // The logs name the user by pseudonym only: user names are personal data.
    assert!(!stdout.contains("alice"), "{stdout}");
    assert!(
        stdout.contains(&voice_core::privacy::pseudonym("alice@example.com")),
        "{stdout}"
    );
}

#[tokio::test]
async fn with_dynamodb_unreachable_the_refusal_is_counted_as_limits_unavailable() {
    // Nothing listens on port 9 of this machine: every connection is refused at once.
    let payloads = [answer_request("447700900000", "CON-down", true)];
    let (_, stdout) = Deployed::new("AnswerFunction", &required_parameters(), "calls")
        .dynamodb("http://127.0.0.1:9")
        .run(BIN, &payloads)
        .await;
    let (documents, parsed) = emf_per_invocation(&stdout, 1);
    assert_eq!(parsed[0]["Decision"], "refuse", "{}", documents[0]);
    assert_eq!(
        parsed[0]["Reason"], "limits-unavailable",
        "{}",
        documents[0]
    );
}

#[tokio::test]
async fn as_deployed_a_spend_limit_reserves_and_reports_what_each_call_holds() {
    let store = local_store().await;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run under make test");
    let mut parameters = required_parameters();
    parameters.extend([("MaxSpendPerUserPerDay", "0.20"), ("RateTable", "44:0.10")]);
    let payloads = [
        answer_request("447700900000", "CON-funded", true),
        answer_request("447700900000", "CON-short", true),
    ];
    let (bodies, stdout) = Deployed::new("AnswerFunction", &parameters, store.table())
        .dynamodb(&endpoint)
        .run(BIN, &payloads)
        .await;
    let ncco = |i: usize| -> serde_json::Value {
        let response: serde_json::Value = serde_json::from_slice(&bodies[i]).unwrap();
        serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
    };
    // 0.20 at 0.10 a minute: two minutes for the first call, nothing for the second.
    assert_eq!(ncco(0)[1]["limit"], 120, "{}", ncco(0));
    assert_eq!(ncco(1)[0]["text"], voice_core::answer::BUDGET_TEXT);
    let (documents, parsed) = emf_per_invocation(&stdout, 2);
    assert_eq!(parsed[0]["Reservations"], 1, "{}", documents[0]);
    assert_eq!(parsed[0]["RateSource"], "table");
    assert_eq!(parsed[0]["ReservationsExpired"], 0);
    assert_eq!(parsed[0]["SpendOfLimit"], 100);
    assert_eq!(
        (&parsed[1]["Decision"], &parsed[1]["Reason"]),
        (&"refuse".into(), &"budget".into())
    );
    assert!(parsed[1].get("Reservations").is_none(), "{}", documents[1]);
}
