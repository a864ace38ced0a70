//! The fixtures, as they are: the tutorial's real call and every webhook body Vonage
//! publishes; and what the functions' EMF documents must be.

use super::requests::{ApiGw, ANSWER};
use serde_json::Value;
use std::path::PathBuf;

/// The workspace's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The `.json` files of `fixtures/<dir>` whose names start with `prefix`, in name order, as
/// (file name, text).
fn fixture_files(dir: &str, prefix: &str) -> Vec<(String, String)> {
    let dir = fixtures().join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, text)
        })
        .collect()
}

/// The tutorial call's event bodies, in delivery order, as (file name, raw body).
pub fn tutorial_call() -> Vec<(String, String)> {
    fixture_files("tutorial-call", "")
}

/// Vonage's published webhook bodies whose file names start with `prefix` (`event-`,
/// `answer-`), as (file name, text).
pub fn vonage_docs(prefix: &str) -> Vec<(String, String)> {
    fixture_files("vonage-docs", prefix)
}

/// Vonage's two published answer requests as API Gateway delivers them, as (method,
/// request): `answer-get.json` is the query as `[key, value]` pairs, `answer-post.json` the
/// JSON body.
pub fn published_answer_requests() -> Vec<(&'static str, ApiGw)> {
    let mut requests = Vec::new();
    for (name, text) in vonage_docs("answer-") {
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("fixtures/vonage-docs/{name}: {e}"));
        match value.as_array() {
            Some(pairs) => {
                let get = pairs.iter().fold(ApiGw::new("GET", ANSWER), |req, pair| {
                    req.query(
                        pair[0].as_str().unwrap_or(""),
                        pair[1].as_str().unwrap_or(""),
                    )
                });
                requests.push(("GET", get));
            }
            None => requests.push(("POST", ApiGw::new("POST", ANSWER).json(text))),
        }
    }
    requests
}

pub const CONVERSATION: &str = "CON-1a28b1f8-0831-44e6-8d58-42739e7d4c77";
pub const APP_LEG: &str = "2da93da3-bcac-47ee-b48e-4a18fae7db08";
pub const PHONE_LEG: &str = "8aa86e22-8d45-4201-b8d8-3dcd76e76429";

/// The EMF documents (lines with an `_aws` member) among a function's stdout lines.
pub fn emf_documents(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_ok_and(|v| v.get("_aws").is_some()))
        .map(str::to_string)
        .collect()
}

/// Validates EMF documents with `scripts/check_emf.py` (the published schema and the
/// specification's other rules), run by the project's venv; panics with its verdict if not.
pub fn assert_valid_emf(documents: &[String]) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make test` (it installs the venv)",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(root.join("scripts/check_emf.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scripts/check_emf.py");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(documents.join("\n").as_bytes())
            .expect("write documents");
    }
    let output = child.wait_with_output().expect("check_emf.py");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The EMF documents of a function's stdout, after checking there is exactly one per
/// invocation and each is valid: (lines as written, parsed).
pub fn emf_per_invocation(stdout: &str, invocations: usize) -> (Vec<String>, Vec<Value>) {
    let documents = emf_documents(stdout);
    assert_eq!(
        documents.len(),
        invocations,
        "one document per invocation:\n{stdout}"
    );
    assert_valid_emf(&documents);
    let parsed = documents
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or(Value::Null))
        .collect();
    (documents, parsed)
}
