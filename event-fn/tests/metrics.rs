//! event-fn's CloudWatch metrics as Lambda ships them: the binary started exactly as Lambda
//! starts it for template.yaml (`devtools::deployed`: nothing but Lambda's own variables and
//! the template's), its stdout through a local Runtime API, one EMF document per invocation,
//! each valid against the schema AWS publishes, with the tutorial call's values (replayed with
//! redeliveries) exactly right, and a DynamoDB failure counted as a 5xx.

use devtools::deployed::{required_parameters, Deployed, SECRET};
use serde_json::Value;
use shared::testkit::*;

const BIN: &str = env!("CARGO_BIN_EXE_event-fn");

/// The event function as deployed, its table `table` in DynamoDB at `endpoint`.
fn deployed(table: &str, endpoint: &str) -> Deployed {
    Deployed::new("EventFunction", &required_parameters(), table).dynamodb(endpoint)
}

fn dynamodb_local() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run under make test")
}

fn signed(body: &str) -> Vec<u8> {
    let claims = vonage_claims(
        body.as_bytes(),
        "abcd1234",
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    );
    ApiGw::new("POST", EVENT)
        .json(body)
        .header("authorization", &bearer(SECRET, &claims))
        .event()
        .to_string()
        .into_bytes()
}

/// The exact sum of decimals with at most 8 places (Vonage's prices), as text.
fn sum(decimals: &[String]) -> String {
    let units: i128 = decimals
        .iter()
        .map(|d| scaled(d).unwrap_or_else(|| panic!("`{d}` has more than 8 decimals")))
        .sum();
    format!("{}.{:08}", units / 100_000_000, units % 100_000_000)
}

/// The number text of `name` in an EMF line, as written (no float round trip).
fn number_text(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!("\"{name}\":"))? + name.len() + 3;
    let rest = &line[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

#[tokio::test]
async fn each_invocation_writes_one_valid_emf_document_with_the_calls_values() {
    let store = local_store().await;
    // The tutorial call, answered for its app user (here an e-mail address, as token-fn's
    // USER_CLAIM=email makes them), so that its phone leg is charged to her.
    let answer = answer_config(store.table(), &[]);
    answer_call(
        &answer,
        store.ledger(),
        "alice@example.com",
        "447700900000",
        CONVERSATION,
    )
    .await;
    let call = tutorial_call();
    let mut payloads: Vec<Vec<u8>> = call.iter().map(|(_, body)| signed(body)).collect();
    // Redeliveries: the whole call again, backwards, and both `completed` events a third time.
    payloads.extend(call.iter().rev().map(|(_, body)| signed(body)));
    payloads.extend(call[3..].iter().map(|(_, body)| signed(body)));
    let redeliveries = payloads.len() - call.len();
    // And one request that is not Vonage's.
    payloads.push(
        ApiGw::new("POST", EVENT)
            .json(call[0].1.clone())
            .event()
            .to_string()
            .into_bytes(),
    );

    let (bodies, stdout) = deployed(store.table(), &dynamodb_local())
        .run(BIN, &payloads)
        .await;
    let statuses: Vec<u64> = bodies
        .iter()
        .map(|b| {
            serde_json::from_slice::<Value>(b).unwrap()["statusCode"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        payloads.len() - 1
    );

    let (documents, parsed) = emf_per_invocation(&stdout, payloads.len());
    let with = |key: &str, value: &str| parsed.iter().filter(|d| d[key] == value).count();
    assert_eq!(with("Result", "stored"), call.len());
    assert_eq!(with("Result", "duplicate"), redeliveries);
    assert_eq!(with("Result", "rejected"), 1);
    assert_eq!(with("Reason", "unauthorized"), 1);
    let prices: Vec<String> = documents
        .iter()
        .filter_map(|d| number_text(d, "LegPrice"))
        .collect();
    assert_eq!(
        prices.len(),
        2,
        "each completed leg once, never its redeliveries"
    );
    assert_eq!(sum(&prices), "0.00833333");
    let seconds: Vec<String> = documents
        .iter()
        .filter_map(|d| number_text(d, "LegSeconds"))
        .collect();
    assert_eq!(sum(&seconds), "20.00000000", "5 s phone leg + 15 s app leg");
    // Logs name her by pseudonym only.
    assert!(stdout.contains("charged to user:"), "{stdout}");
    assert!(!stdout.contains("alice"), "{stdout}");
    // Nor the app leg's own user (the tutorial's `to: "Alice"`), nor a number in full.
    assert!(
        !stdout.contains("Alice") && !stdout.contains("447700900000"),
        "{stdout}"
    );
    for document in &parsed {
        assert_eq!(document["Function"], "event");
        assert_eq!(
            document["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "VoiceHooks"
        );
        for leak in [PHONE_LEG, CONVERSATION, "447700900000", "Alice"] {
            assert!(!document.to_string().contains(leak), "{leak} in {document}");
        }
    }
}

#[tokio::test]
async fn a_phone_leg_no_app_user_placed_is_stored_at_once_and_counted_unowned() {
    let store = local_store().await;
    // A phone leg completed just now whose call no app user placed here (the Voice API, an
    // answer served elsewhere): 200 at the first delivery, and counted.
    let completed = serde_json::json!({
        "uuid": "phone-fresh", "conversation_uuid": "CON-fresh", "status": "completed",
        "direction": "outbound", "duration": "5", "price": "0.00833333",
        "to": "447700900000", "timestamp": voice_core::time::Timestamp::now().as_str(),
    })
    .to_string();
    let (bodies, stdout) = deployed(store.table(), &dynamodb_local())
        .run(BIN, &[signed(&completed)])
        .await;
    let response: Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let (documents, parsed) = emf_per_invocation(&stdout, 1);
    assert_eq!(parsed[0]["Result"], "stored");
    assert_eq!(parsed[0]["UnownedLegs"], 1, "{}", documents[0]);
    assert!(parsed[0].get("WebhookErrors").is_none(), "{}", documents[0]);
    // The leg's price is still counted once, as it was stored now.
    assert_eq!(
        number_text(&documents[0], "LegPrice").as_deref(),
        Some("0.00833333")
    );
}

#[tokio::test]
async fn with_dynamodb_unreachable_each_event_is_a_503_counted_as_unavailable() {
    // Nothing listens on port 9 of this machine: every connection is refused at once.
    let (bodies, stdout) = deployed("calls", "http://127.0.0.1:9")
        .run(BIN, &[signed(&tutorial_call()[0].1)])
        .await;
    let response: Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(response["statusCode"], 503, "{response}");
    let (documents, parsed) = emf_per_invocation(&stdout, 1);
    assert_eq!(parsed[0]["Result"], "unavailable", "{}", documents[0]);
    assert_eq!(parsed[0]["Status"], "5xx", "{}", documents[0]);
    assert_eq!(parsed[0]["WebhookErrors"], 1, "{}", documents[0]);
}

#[tokio::test]
async fn the_end_of_a_funded_call_releases_its_reservation_once_and_says_so() {
    let store = local_store().await;
    let cfg = answer_config(
        store.table(),
        &[
            ("MAX_SPEND_PER_USER_PER_DAY", "1.00"),
            ("RATE_TABLE", "44:0.10"),
        ],
    );
    let ncco = answer_call(&cfg, store.ledger(), "alice", "447700900000", "CON-held").await;
    assert_eq!(ncco[1]["limit"], 600, "{ncco}");
    let completed = serde_json::json!({
        "uuid": "phone-held", "conversation_uuid": "CON-held", "status": "completed",
        "direction": "outbound", "duration": "65", "price": "0.10833333", "rate": "0.10000000",
        "to": "447700900000", "timestamp": voice_core::time::Timestamp::now().as_str(),
    })
    .to_string();
    let (_, stdout) = deployed(store.table(), &dynamodb_local())
        .run(BIN, &[signed(&completed), signed(&completed)])
        .await;
    let (documents, parsed) = emf_per_invocation(&stdout, 2);
    assert_eq!(parsed[0]["ReservationsReleased"], 1, "{}", documents[0]);
    assert!(
        parsed[1].get("ReservationsReleased").is_none(),
        "{}",
        documents[1]
    );
}
