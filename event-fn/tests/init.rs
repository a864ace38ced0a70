//! event-fn started as Lambda starts it for template.yaml (`devtools::deployed`): without a
//! usable signature secret it refuses to start and names the variable; as deployed, it starts.

use devtools::deployed::{required_parameters, Deployed};

const BIN: &str = env!("CARGO_BIN_EXE_event-fn");

fn deployed() -> Deployed {
    Deployed::new("EventFunction", &required_parameters(), "calls")
}

#[tokio::test]
async fn as_deployed_event_fn_starts() {
    deployed().starts(BIN).await;
}

#[tokio::test]
async fn with_the_secret_unset_blank_or_white_space_event_fn_refuses_to_start_naming_it() {
    deployed()
        .refuses_to_start_without_a_usable_secret(BIN)
        .await;
}
