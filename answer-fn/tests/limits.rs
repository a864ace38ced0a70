//! The answer webhook when its ledger's DynamoDB is down: it still answers within 2 s, refusing
//! the call ("please try again later") by default, connecting it with `LIMITS_FAIL_OPEN=true`.
//! Against a DynamoDB Local of its own, frozen (connections open, nothing answers) and stopped.

use devtools::dynamodb_local::DynamoDbLocal;
use serde_json::{json, Value};
use shared::config::{ledger_client, EventConfig, ProcessEnv};
use shared::store::ledger::Ledger;
use shared::store::Store;
use shared::testkit::{answer_call, answer_config};
use std::time::{Duration, Instant};
use voice_core::answer::TRY_LATER_TEXT;

const TABLE: &str = "limits";
/// What Vonage allows before it gives up on the answer URL is 5 s; we promise 2.
const PROMISED: Duration = Duration::from_secs(2);

fn connects(ncco: &Value) -> bool {
    ncco.as_array()
        .unwrap()
        .iter()
        .any(|action| action["action"] == "connect")
}

/// One call per configuration, timed: fail closed refuses, fail open connects.
async fn answers_in_time(ledger: &Ledger, state: &str, call: &mut u32) {
    let limits = ("MAX_CALLS_PER_USER_PER_DAY", "100");
    for (fail_open, connect) in [("false", false), ("true", true)] {
        let cfg = answer_config(TABLE, &[limits, ("LIMITS_FAIL_OPEN", fail_open)]);
        *call += 1;
        let started = Instant::now();
        let ncco = answer_call(
            &cfg,
            ledger,
            "alice",
            "447700900000",
            &format!("CON-{call}"),
        )
        .await;
        let took = started.elapsed();
        eprintln!("{state}, LIMITS_FAIL_OPEN={fail_open}: answered in {took:?}");
        assert!(
            took < PROMISED,
            "{state}, fail open {fail_open}: answered in {took:?}"
        );
        assert_eq!(
            connects(&ncco),
            connect,
            "{state}, fail open {fail_open}: {ncco}"
        );
        if !connect {
            assert_eq!(ncco, json!([{"action": "talk", "text": TRY_LATER_TEXT}]));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_dynamodb_frozen_or_stopped_the_answer_still_comes_within_two_seconds() {
    let mut local = DynamoDbLocal::start(None);
    let endpoint = local.endpoint();
    Store::with_endpoint(&EventConfig::unsigned(TABLE), &endpoint)
        .unwrap()
        .create_table()
        .await
        .unwrap();
    let ledger = Ledger::new(ledger_client(&ProcessEnv, Some(&endpoint)).unwrap(), TABLE);
    let cfg = answer_config(TABLE, &[("MAX_CALLS_PER_USER_PER_DAY", "100")]);
    let mut call = 0;
    // Up: connected and counted.
    let ncco = answer_call(&cfg, &ledger, "alice", "447700900000", "CON-0").await;
    assert!(connects(&ncco), "{ncco}");

    local.pause();
    answers_in_time(&ledger, "frozen", &mut call).await;
    local.resume();

    local.kill();
    answers_in_time(&ledger, "stopped", &mut call).await;
}

#[tokio::test]
async fn limits_fail_open_never_connects_uncounted_on_an_error_dynamodb_will_repeat() {
    // A table that does not exist: DynamoDB answers at once, and will answer the same until
    // someone fixes the stack. That is no outage to ride out: the call is refused.
    let ledger = Ledger::new(ledger_client(&ProcessEnv, None).unwrap(), "no-such-table");
    let cfg = answer_config(
        "no-such-table",
        &[
            ("MAX_CALLS_PER_USER_PER_DAY", "100"),
            ("LIMITS_FAIL_OPEN", "true"),
        ],
    );
    let ncco = answer_call(&cfg, &ledger, "alice", "447700900000", "CON-missing").await;
    assert_eq!(ncco, json!([{"action": "talk", "text": TRY_LATER_TEXT}]));
}
