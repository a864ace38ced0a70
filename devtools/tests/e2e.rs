//! End to end through the path a developer runs: `cargo lambda watch` serving both functions
//! over HTTP at their production paths, DynamoDB Local behind them. `scripts/e2e.sh` (part of
//! `make test`) starts both, runs this test against them and stops everything however it ends.

use devtools::http::request;
use serde_json::Value;
use shared::config::EventConfig;
use shared::store::Store;
use std::path::Path;
use std::time::Duration;

const CONVERSATION: &str = "CON-1a28b1f8-0831-44e6-8d58-42739e7d4c77";

fn base_url() -> String {
    std::env::var("E2E_BASE_URL").expect("E2E_BASE_URL: run through scripts/e2e.sh (make test)")
}

/// The first request to each function compiles it under `cargo lambda watch`.
const FIRST_REQUEST: Duration = Duration::from_secs(600);

#[test]
#[ignore = "needs cargo lambda watch and DynamoDB Local: run by scripts/e2e.sh in make test"]
fn a_call_answered_and_replayed_over_http_is_stored_and_reads_back() {
    let base = base_url();
    let url = format!("{base}/voice/answer?to=447700900000&from_user=Alice&uuid=2da93da3-bcac-47ee-b48e-4a18fae7db08&conversation_uuid={CONVERSATION}");
    let (status, body) = request("GET", &url, None, b"", FIRST_REQUEST).unwrap();
    assert_eq!(status, 200, "{body}");
    let ncco: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ncco[1]["action"], "connect");
    assert_eq!(ncco[1]["from"], "447700900001");
    assert_eq!(
        ncco[1]["endpoint"][0],
        serde_json::json!({"type": "phone", "number": "447700900000"})
    );

    let (status, body) = request(
        "POST",
        &format!("{base}/voice/answer"),
        Some("text/plain"),
        b"to=1",
        FIRST_REQUEST,
    )
    .unwrap();
    assert_eq!(status, 415, "{body}");

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tutorial-call");
    let mut files: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let event = std::fs::read(file).unwrap();
        let (status, body) = request(
            "POST",
            &format!("{base}/voice/event"),
            Some("application/json"),
            &event,
            FIRST_REQUEST,
        )
        .unwrap();
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"result":"stored"}"#),
            "{}",
            file.display()
        );
    }
    let redelivered = std::fs::read(&files[3]).unwrap();
    let (status, body) = request(
        "POST",
        &format!("{base}/voice/event"),
        Some("application/json"),
        &redelivered,
        FIRST_REQUEST,
    )
    .unwrap();
    assert_eq!((status, body.as_str()), (200, r#"{"result":"duplicate"}"#));
    let (status, _) = request(
        "POST",
        &format!("{base}/voice/event"),
        Some("application/json"),
        b"[]",
        FIRST_REQUEST,
    )
    .unwrap();
    assert_eq!(status, 400, "a body that is not a JSON object");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (conversation, alice) = runtime.block_on(async {
        let store = Store::from_env(&EventConfig::unsigned(
            &std::env::var("TABLE_NAME").unwrap(),
        ))
        .expect("store from the environment");
        let alice = devtools::report::user_calls(store.ledger(), "Alice")
            .await
            .unwrap();
        (store.conversation(CONVERSATION).await.unwrap(), alice)
    });
    // `make calls USER=Alice`: the call, its number masked, and the day's totals (the answer
    // webhook counted the call, the event webhook charged its phone leg).
    let lines: Vec<&str> = alice.lines().collect();
    assert!(lines[1].contains("********0000"), "{alice}");
    assert!(!alice.contains("447700900000"), "{alice}");
    let today = &lines[1][..10];
    let totals = lines
        .iter()
        .find(|l| l.starts_with(&format!("{today} ")))
        .expect(&alice);
    assert_eq!(
        totals.split_whitespace().collect::<Vec<_>>(),
        [today, "1", "5", "0.00833333"],
        "{alice}"
    );
    assert_eq!(conversation.timeline.len(), 5);
    let phone = conversation
        .legs
        .iter()
        .find(|l| l.direction.as_deref() == Some("outbound"))
        .unwrap();
    assert_eq!(
        (phone.status.as_str(), phone.outcome.as_deref()),
        ("completed", Some("answered"))
    );
    assert_eq!(
        (
            phone.duration.as_deref(),
            phone.price.as_deref(),
            phone.network.as_deref()
        ),
        (Some("5"), Some("0.00833333"), Some("23433"))
    );
    let app = conversation
        .legs
        .iter()
        .find(|l| l.direction.as_deref() == Some("inbound"))
        .unwrap();
    assert_eq!(
        (app.status.as_str(), app.duration.as_deref()),
        ("completed", Some("15"))
    );
}

#[test]
#[ignore = "needs cargo lambda watch and DynamoDB Local: run by scripts/e2e.sh in make test"]
fn make_run_serves_the_token_route_and_refuses_it_without_a_sign_in() {
    let base = base_url();
    // Locally no JWT authorizer runs: without a local sign-in token, no identity.
    let (status, body) = request(
        "POST",
        &format!("{base}/token"),
        Some("application/json"),
        br#"{"sub":"alice"}"#,
        FIRST_REQUEST,
    )
    .unwrap();
    assert_eq!(status, 401, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("JWT authorizer"),
        "{body}"
    );
}

#[test]
#[ignore = "needs cargo lambda watch and DynamoDB Local: run by scripts/e2e.sh in make test"]
fn make_run_serves_each_signed_in_user_their_own_calls() {
    use devtools::http::request_with_headers;
    use shared::config::{identity::local_sign_in, ProcessEnv};
    let base = base_url();
    let conversation = "CON-e2e-history-0001";
    let url = format!("{base}/voice/answer?to=447700900000&from_user=e2e-heidi&uuid=app-e2e-1&conversation_uuid={conversation}");
    let (status, body) = request("GET", &url, None, b"", FIRST_REQUEST).unwrap();
    assert_eq!(status, 200, "{body}");
    // What make login prints: a token the local stack's key signed.
    let issuer = local_sign_in(&ProcessEnv)
        .expect("LOCAL_SIGN_IN_KEY_FILE, as make run sets it")
        .expect("the local sign-in is on under make run");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let calls_of = |user: &str| {
        let token = issuer.sign_in(user, &serde_json::Map::new(), now).unwrap();
        let auth = format!("Bearer {token}");
        let (status, body) = request_with_headers(
            "GET",
            &format!("{base}/calls?limit=5"),
            &[("authorization", auth.as_str())],
            b"",
            FIRST_REQUEST,
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let heidi = calls_of("e2e-heidi");
    assert_eq!(
        heidi["calls"][0]["conversation_uuid"], conversation,
        "{heidi}"
    );
    assert_eq!(heidi["calls"][0]["to"], "447700900000");
    let ivan = calls_of("e2e-ivan");
    assert_eq!(ivan["calls"], serde_json::json!([]), "{ivan}");
    // Without a token: 401, as behind the authorizer.
    let (status, body) =
        request("GET", &format!("{base}/calls"), None, b"", FIRST_REQUEST).unwrap();
    assert_eq!(status, 401, "{body}");
}
