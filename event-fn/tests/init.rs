//! The binary as Lambda starts it: in a Lambda environment without a usable signature secret it
//! refuses to start, naming the variable, before it asks the Runtime API for any request.

use std::process::Command;

fn start(secret: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_event-fn"));
    command
        .env_clear()
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        // Nothing listens there: a function that got past init would fail on it instead.
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("TABLE_NAME", "calls")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local");
    if let Some(secret) = secret {
        command.env("VONAGE_SIGNATURE_SECRET", secret);
    }
    command.output().expect("run event-fn")
}

#[test]
fn in_lambda_event_fn_without_a_usable_secret_stops_at_init_naming_the_variable() {
    for secret in [None, Some(""), Some("                "), Some("too-short")] {
        let output = start(secret);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{secret:?}");
        assert!(
            stderr.contains("VONAGE_SIGNATURE_SECRET"),
            "{secret:?}: {stderr}"
        );
        assert!(
            !stderr.contains("AWS_LAMBDA_FUNCTION_NAME"),
            "{secret:?}: {stderr}"
        );
    }
}

#[test]
fn in_lambda_event_fn_with_a_secret_gets_past_init() {
    let output = start(Some("a-signature-secret-of-32-chars!!"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("VONAGE_SIGNATURE_SECRET"), "{stderr}");
    // Past our init, the Lambda runtime reads its own variables, which this test leaves out.
    assert!(stderr.contains("AWS_LAMBDA_FUNCTION_NAME"), "{stderr}");
}
