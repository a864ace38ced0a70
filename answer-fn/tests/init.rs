//! answer-fn as Lambda starts it: without a usable signature secret it refuses to start.

mod lambda_init;

#[test]
fn in_lambda_answer_fn_without_a_usable_secret_stops_at_init_naming_the_variable() {
    lambda_init::refuses_to_start_without_a_usable_secret(
        env!("CARGO_BIN_EXE_answer-fn"),
        &[("VONAGE_NUMBER", "447700900001")],
    );
}
