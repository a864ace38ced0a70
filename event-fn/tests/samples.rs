//! The checked-in samples stay true: `events/` parse as API Gateway requests and carry the
//! tutorial fixtures unchanged, and `fixtures/` is the team's `../shared/fixtures` as it is.

use lambda_http::{Body, RequestExt};
use shared::testkit::tutorial_call;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sample(name: &str) -> lambda_http::Request {
    let text = std::fs::read_to_string(root().join("events").join(name)).unwrap();
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

#[test]
fn event_samples_carry_the_tutorial_bodies_unchanged() {
    for (file, body) in tutorial_call() {
        let req = sample(&format!("event-{file}"));
        assert_eq!(req.method(), "POST");
        assert_eq!(req.raw_http_path(), "/voice/event");
        match req.body() {
            Body::Text(text) => assert_eq!(text, &body, "{file}"),
            other => panic!("{file}: body {other:?}"),
        }
    }
}

#[test]
fn answer_samples_are_a_get_with_query_and_a_post_with_custom_data() {
    let get = sample("answer-get.json");
    assert_eq!(get.method(), "GET");
    assert_eq!(
        get.query_string_parameters().first("to"),
        Some("447700900000")
    );
    let post = sample("answer-post.json");
    assert_eq!(post.method(), "POST");
    let body: serde_json::Value = serde_json::from_slice(post.body().as_ref()).unwrap();
    assert_eq!(body["custom_data"]["to"], "+44 7700 900000");
}

#[test]
fn vendored_fixtures_match_the_shared_ones_byte_for_byte() {
    let shared = root().join("../shared/fixtures/tutorial-call");
    if !shared.is_dir() {
        // Outside the team's checkout there is nothing to compare with.
        eprintln!("{} not found; nothing to compare", shared.display());
        return;
    }
    for (file, body) in tutorial_call() {
        assert_eq!(
            std::fs::read_to_string(shared.join(&file)).unwrap(),
            body,
            "fixtures/tutorial-call/{file} drifted"
        );
    }
}
