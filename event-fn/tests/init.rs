//! event-fn as Lambda starts it: without a usable signature secret it refuses to start.

#[path = "../../answer-fn/tests/lambda_init/mod.rs"]
mod lambda_init;

#[test]
fn in_lambda_event_fn_without_a_usable_secret_stops_at_init_naming_the_variable() {
    lambda_init::refuses_to_start_without_a_usable_secret(
        env!("CARGO_BIN_EXE_event-fn"),
        &[
            ("TABLE_NAME", "calls"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
        ],
    );
}
