//! answer-fn's CloudWatch metrics as Lambda would ship them: the binary's own stdout through a
//! local Runtime API, one EMF document per invocation, valid against the published schema,
//! counting answers by decision and refusal reason and rejected requests by kind.

use devtools::runtime_api::run_capturing_stdout;
use shared::testkit::*;
use std::process::Command;

const SECRET: &str = "test-secret-for-emf-metrics-0123";

fn answer_request(to: &str, signed: bool) -> Vec<u8> {
    let mut request = ApiGw::new("GET", ANSWER)
        .query("to", to)
        .query("from_user", "Alice");
    if signed {
        let mut claims = vonage_claims(b"", "abcd1234", "aaaaaaaa-bbbb-cccc-dddd-0123456789ab");
        claims.as_object_mut().unwrap().remove("payload_hash");
        request = request.header("authorization", &bearer(SECRET, &claims));
    }
    request.event().to_string().into_bytes()
}

#[tokio::test]
async fn each_answer_writes_one_valid_emf_document_by_decision_and_reason() {
    let payloads = [
        answer_request("447700900000", true),
        answer_request("447700900000", true),
        answer_request("449098790000", true),
        answer_request("33612345678", true),
        answer_request("447700900000", false),
    ];
    let mut command = Command::new(env!("CARGO_BIN_EXE_answer-fn"));
    command
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("VONAGE_SIGNATURE_SECRET", SECRET)
        .env("VONAGE_NUMBER", "447700900001");
    let (_, stdout) = run_capturing_stdout(command, &payloads).await;
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
            !document.contains("447700900000") && !document.contains("Alice"),
            "{document}"
        );
    }
}
