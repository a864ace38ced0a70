//! Starts a function's binary as Lambda would, for init tests of the functions (each
//! includes this file by path). The Runtime API address points at nothing: a function that got
//! past its own init would then fail in the runtime, which reads variables these tests leave out.

use std::process::Command;

/// Runs `binary` in a Lambda-like environment with `vars`, and the secret if given; its stderr.
pub fn start(binary: &str, vars: &[(&str, &str)], secret: Option<&str>) -> String {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .envs(vars.iter().copied());
    if let Some(secret) = secret {
        command.env("VONAGE_SIGNATURE_SECRET", secret);
    }
    let output = command.output().expect("run the function's binary");
    assert!(
        !output.status.success(),
        "it cannot serve without a Runtime API"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Without a usable secret the binary stops at init naming the variable; with one it gets past.
pub fn refuses_to_start_without_a_usable_secret(binary: &str, vars: &[(&str, &str)]) {
    for secret in [None, Some(""), Some("                "), Some("too-short")] {
        let stderr = start(binary, vars, secret);
        assert!(
            stderr.contains("VONAGE_SIGNATURE_SECRET"),
            "{secret:?}: {stderr}"
        );
        assert!(
            !stderr.contains("AWS_LAMBDA_FUNCTION_NAME"),
            "{secret:?}: {stderr}"
        );
    }
    let stderr = start(binary, vars, Some("a-signature-secret-of-32-chars!!"));
    assert!(!stderr.contains("VONAGE_SIGNATURE_SECRET"), "{stderr}");
    // Past our init, the Lambda runtime reads its own variables, which this test leaves out.
    assert!(stderr.contains("AWS_LAMBDA_FUNCTION_NAME"), "{stderr}");
}
