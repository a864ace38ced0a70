//! answer-fn as Lambda starts it: without a usable signature secret, or with a malformed limit,
//! it refuses to start.

mod lambda_init;

#[test]
fn in_lambda_answer_fn_without_a_usable_secret_stops_at_init_naming_the_variable() {
    lambda_init::refuses_to_start_without_a_usable_secret(
        env!("CARGO_BIN_EXE_answer-fn"),
        &[("VONAGE_NUMBER", "447700900001")],
    );
}

#[test]
fn a_malformed_limit_stops_answer_fn_at_init_naming_the_variable() {
    for (name, value) in [
        ("MAX_CALLS_PER_USER_PER_DAY", "lots"),
        ("MAX_SPEND_PER_USER_PER_DAY", "-3"),
    ] {
        let stderr = lambda_init::start(
            env!("CARGO_BIN_EXE_answer-fn"),
            &[
                ("VONAGE_NUMBER", "447700900001"),
                ("TABLE_NAME", "calls"),
                (name, value),
            ],
            Some("a-signature-secret-of-32-chars!!"),
        );
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(!stderr.contains("AWS_LAMBDA_FUNCTION_NAME"), "{stderr}");
    }
}
