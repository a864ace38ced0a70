//! Hostile input to the answer webhook through the real API Gateway path: every request gets a
//! clear `4xx` or a `200` that connects nothing, never a `5xx` or a panic.

use serde_json::{json, Value};
use shared::config::AnswerConfig;
use shared::testkit::*;

fn answer_config() -> AnswerConfig {
    AnswerConfig::from_env(&Vars::unsigned(&[("VONAGE_NUMBER", "447700900001")])).unwrap()
}

/// (what it is, request, expected status). A `200` here is a refusal: talk, no connect.
fn hostile_answers() -> Vec<(&'static str, ApiGw, u16)> {
    let post = |body: &str| ApiGw::new("POST", ANSWER).json(body.to_string());
    let app = |to: Value| post(&json!({"from_user": "Alice", "to": to}).to_string());
    let get_to = |to: &str| {
        ApiGw::new("GET", ANSWER)
            .query("from_user", "Alice")
            .query("to", to)
    };
    vec![
        (
            "empty body",
            ApiGw::new("POST", ANSWER).header("content-type", "application/json"),
            400,
        ),
        ("blank body", post(" "), 400),
        ("not JSON", post("to=447700900000"), 400),
        ("truncated JSON", post(r#"{"to":"4477"#), 400),
        ("trailing garbage", post(r#"{"to":"447700900000"}]"#), 400),
        (
            "byte order mark",
            post("\u{feff}{\"to\":\"447700900000\"}"),
            400,
        ),
        ("array", post("[]"), 400),
        ("null", post("null"), 400),
        ("number", post("447700900000"), 400),
        ("to object", app(json!({"n": "447700900000"})), 400),
        ("to array", app(json!(["447700900000"])), 400),
        ("to boolean", app(json!(true)), 400),
        (
            "from_user object",
            post(r#"{"from_user":{"name":"Alice"},"to":"447700900000"}"#),
            400,
        ),
        (
            "from_user array",
            post(r#"{"from_user":["Alice"],"to":"447700900000"}"#),
            400,
        ),
        (
            "uuid object",
            post(r#"{"from_user":"Alice","to":"447700900000","uuid":{}}"#),
            400,
        ),
        (
            "endpoint_type array",
            post(r#"{"from_user":"Alice","to":"447700900000","endpoint_type":["app"]}"#),
            400,
        ),
        (
            "region_url object",
            post(r#"{"from_user":"Alice","to":"447700900000","region_url":{}}"#),
            400,
        ),
        (
            "custom_data number",
            post(r#"{"from_user":"Alice","custom_data":5}"#),
            400,
        ),
        (
            "custom_data array",
            post(r#"{"from_user":"Alice","custom_data":["447700900000"]}"#),
            400,
        ),
        (
            "custom_data boolean",
            post(r#"{"from_user":"Alice","custom_data":true}"#),
            400,
        ),
        (
            "custom_data string not JSON",
            post(r#"{"from_user":"Alice","custom_data":"to=447700900000"}"#),
            400,
        ),
        (
            "custom_data string holding an array",
            post(r#"{"from_user":"Alice","custom_data":"[1]"}"#),
            400,
        ),
        (
            "custom_data string holding a number",
            post(r#"{"from_user":"Alice","custom_data":"447700900000"}"#),
            400,
        ),
        (
            "custom_data.to object",
            post(r#"{"from_user":"Alice","custom_data":{"to":{}}}"#),
            400,
        ),
        (
            "custom_data.to array",
            post(r#"{"from_user":"Alice","custom_data":{"to":["447700900000"]}}"#),
            400,
        ),
        (
            "nested 200 deep in custom_data",
            post(&format!(
                r#"{{"from_user":"Alice","custom_data":{{"x":{}}}}}"#,
                nested_json(200)
            )),
            400,
        ),
        ("nested 10000 deep", post(&nested_json(10_000)), 400),
        ("body over 256 KiB", post(&oversized_body()), 413),
        (
            "invalid UTF-8",
            ApiGw::new("POST", ANSWER).json(vec![
                b'{', b'"', b't', b'o', b'"', b':', b'"', 0xc3, 0x28, b'"', b'}',
            ]),
            400,
        ),
        (
            "text/plain",
            ApiGw::new("POST", ANSWER)
                .header("content-type", "text/plain")
                .body(r#"{"to":"447700900000"}"#),
            415,
        ),
        (
            "form encoded",
            ApiGw::new("POST", ANSWER)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("to=447700900000"),
            415,
        ),
        (
            "PUT",
            ApiGw::new("PUT", ANSWER).json(r#"{"to":"447700900000"}"#),
            405,
        ),
        ("DELETE", ApiGw::new("DELETE", ANSWER), 405),
        ("PATCH", ApiGw::new("PATCH", ANSWER), 405),
        (
            "GET repeated to",
            get_to("447700900000").query("to", "449098790000"),
            400,
        ),
        (
            "GET repeated from_user",
            get_to("447700900000").query("from_user", "Bob"),
            400,
        ),
        (
            "GET custom_data not JSON",
            ApiGw::new("GET", ANSWER)
                .query("from_user", "Alice")
                .query("custom_data", "{to:1"),
            400,
        ),
        (
            "GET custom_data array",
            ApiGw::new("GET", ANSWER)
                .query("from_user", "Alice")
                .query("custom_data", "[]"),
            400,
        ),
        (
            "GET custom_data.to object",
            ApiGw::new("GET", ANSWER)
                .query("from_user", "Alice")
                .query("custom_data", r#"{"to":{}}"#),
            400,
        ),
        // Well-formed requests for numbers we must never dial: 200, a talk, no connect.
        ("number with letters", app(json!("44770O900000")), 200),
        ("50-digit number", app(json!("9".repeat(50))), 200),
        ("16-digit number", app(json!("4477009000001234")), 200),
        ("plus only", app(json!("+")), 200),
        ("international prefix 00", app(json!("00447700900000")), 200),
        (
            "premium rate in allowed country",
            app(json!("+44 909 879 0000")),
            200,
        ),
        (
            "SQL in number",
            app(json!("447700900000; DROP TABLE calls")),
            200,
        ),
        ("Arabic-Indic digits", app(json!("٤٤٧٧٠٠٩٠٠٠٠٠")), 200),
        ("tab inside number", app(json!("44770\t0900000")), 200),
        (
            "extension suffix",
            app(json!("+44 7700 900000 ext 12")),
            200,
        ),
        ("other country", app(json!("+1 415 555 0100")), 200),
        ("satellite network", app(json!("+881 612 345 678")), 200),
        (
            "custom_data.to 50 digits",
            post(&json!({"from_user": "Alice", "custom_data": {"to": "1".repeat(50)}}).to_string()),
            200,
        ),
        (
            "no destination at all",
            post(r#"{"from_user":"Alice"}"#),
            200,
        ),
        ("GET number with letters", get_to("44-77OO-900000"), 200),
        ("GET 50-digit number", get_to(&"4".repeat(50)), 200),
        (
            "phone caller asking for a premium line",
            post(r#"{"from":"447700900002","to":"449098790000"}"#),
            200,
        ),
    ]
}

#[tokio::test]
async fn hostile_answer_requests_get_a_4xx_or_a_200_that_connects_nothing() {
    let cfg = answer_config();
    let cases = hostile_answers();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    for (what, request, expected) in cases {
        let res = shared::http::answer::handle_answer(&cfg, NO_LEDGER, request.request())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = serde_json::from_slice(res.body().as_ref()).unwrap();
        assert_eq!(status, expected, "{what}: {body}");
        if status == 200 {
            let actions: Vec<_> = body
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["action"].as_str().unwrap())
                .collect();
            assert_eq!(actions, ["talk"], "{what}: must not connect: {body}");
        } else {
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{what}: {body}"
            );
        }
    }
}
