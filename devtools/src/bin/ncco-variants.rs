//! Prints every kind of NCCO the answer webhook can produce, as JSON lines
//! `{"name": ..., "ncco": [...]}`: each branch of the decision table under the configurations
//! that change its output, plus Vonage's published answer requests, plus the refusals the
//! ledger makes of an allowed call (over the user's limit; limits unavailable). `make test`
//! pipes them into `scripts/check_ncco.py`, which validates each with Vonage's own SDK models.

use serde_json::{json, Value};
use shared::config::AnswerConfig;
use shared::testkit::{published_answer_requests, Vars};
use std::process::ExitCode;
use voice_core::answer::MAX_TALK_CHARS;
use voice_core::answer::{Decision, Refusal};

/// The configurations whose differences show in an NCCO.
fn configs() -> Vec<(&'static str, Vars)> {
    let base = || Vars::unsigned(&[("VONAGE_NUMBER", "447700900001")]);
    let with = |extra: &[(&str, &str)]| base().with(extra);
    vec![
        ("default", base()),
        ("inbound-user", with(&[("INBOUND_APP_USER", "alice")])),
        (
            "longest-greeting",
            with(&[
                ("GREETING", &"a".repeat(MAX_TALK_CHARS)),
                ("INBOUND_APP_USER", "alice"),
            ]),
        ),
        ("any-destination", with(&[("ALLOWED_DESTINATIONS", "*")])),
    ]
}

/// Answer requests covering every branch: app calls to allowed, blocked, not allowed, invalid
/// and missing numbers; phone calls with a caller ID, withheld, or not a number.
fn requests() -> Vec<(String, Value)> {
    let mut requests: Vec<(String, Value)> = [
        ("app-to-allowed", json!({"to": "447700900000", "from_user": "alice", "uuid": "u1", "conversation_uuid": "CON-1"})),
        ("app-to-allowed-in-custom-data", json!({"from_user": "alice", "custom_data": {"to": "+44 7700 900000"}})),
        ("app-to-blocked", json!({"to": "449098790000", "from_user": "alice"})),
        ("app-to-not-allowed", json!({"to": "33612345678", "from_user": "alice"})),
        ("app-to-invalid", json!({"to": "07700900000", "from_user": "alice"})),
        ("app-to-nothing", json!({"from_user": "alice"})),
        ("phone-with-caller-id", json!({"to": "447700900001", "from": "447700900000"})),
        ("phone-caller-id-withheld", json!({"to": "447700900001"})),
        ("phone-caller-id-unknown", json!({"to": "447700900001", "from": "Unknown"})),
    ]
    .into_iter()
    .map(|(name, params)| (name.to_string(), params))
    .collect();
    // Vonage's published requests, through the edge's own parsing.
    for (method, request) in published_answer_requests() {
        let params = shared::http::params(&request.request()).map_or(Value::Null, Value::Object);
        requests.push((format!("vonage-docs-answer-{method}"), params));
    }
    requests
}

fn main() -> ExitCode {
    let mut failures = 0;
    for (config_name, vars) in configs() {
        let config = match AnswerConfig::from_env(&vars) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("{config_name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        for (request_name, params) in requests() {
            let name = format!("{config_name}/{request_name}");
            let Some(params) = params.as_object() else {
                eprintln!("{name}: the request is not a JSON object");
                failures += 1;
                continue;
            };
            match voice_core::answer::answer(&config.settings, params) {
                Ok(answer) => {
                    println!("{}", json!({"name": name, "ncco": answer.ncco}));
                    // What the ledger makes of a call it would connect.
                    if matches!(answer.decision, Decision::ConnectPhone(_)) {
                        for refusal in [
                            Refusal::Limit,
                            Refusal::LimitsUnavailable,
                            Refusal::LedgerError,
                            Refusal::OtherUser,
                        ] {
                            let code = refusal.code();
                            let ncco = answer
                                .clone()
                                .overruled(&config.settings, Decision::Refuse(refusal))
                                .ncco;
                            println!(
                                "{}",
                                json!({"name": format!("{name}/{code}"), "ncco": ncco})
                            );
                        }
                    }
                }
                Err(e) => {
                    eprintln!("{name}: the answer webhook refused the request: {e}");
                    failures += 1;
                }
            }
        }
    }
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
