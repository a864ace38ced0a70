//! answer-fn started as Lambda starts it for template.yaml (`devtools::deployed`): without a
//! usable signature secret, or with a malformed limit, it refuses to start and names the
//! variable; as deployed, it starts.

use devtools::deployed::{required_parameters, Deployed};

const BIN: &str = env!("CARGO_BIN_EXE_answer-fn");

fn deployed() -> Deployed {
    Deployed::new("AnswerFunction", &required_parameters(), "calls")
}

#[tokio::test]
async fn as_deployed_answer_fn_starts() {
    deployed().starts(BIN).await;
}

#[tokio::test]
async fn with_the_secret_unset_blank_or_white_space_answer_fn_refuses_to_start_naming_it() {
    deployed()
        .refuses_to_start_without_a_usable_secret(BIN)
        .await;
}

#[tokio::test]
async fn a_malformed_limit_stops_answer_fn_at_init_naming_the_variable() {
    for (name, value) in [
        ("MAX_CALLS_PER_USER_PER_DAY", "lots"),
        ("MAX_SPEND_PER_USER_PER_DAY", "-3"),
    ] {
        let stderr = deployed().edited(name, Some(value)).init_failure(BIN).await;
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}
