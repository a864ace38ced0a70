//! Hostile input through the real API Gateway path: every request gets a clear `4xx`, never a
//! `5xx` or a panic, and the event webhook writes nothing for any of them. (The answer
//! webhook's table is in answer-fn/tests/hostile.rs.)

use serde_json::{json, Value};
use shared::testkit::*;

fn event_json(extra: Value) -> String {
    let mut base = json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "started",
                          "timestamp": "2021-03-10T10:36:21.285Z"});
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base.to_string()
}

/// (what it is, request, expected status)
fn hostile_events() -> Vec<(&'static str, ApiGw, u16)> {
    let post = |body: &str| ApiGw::new("POST", EVENT).json(body.to_string());
    let field = |k: &str, v: Value| post(&event_json(json!({ k: v })));
    vec![
        (
            "empty body",
            ApiGw::new("POST", EVENT).header("content-type", "application/json"),
            400,
        ),
        ("blank body", post("  \n "), 400),
        ("not JSON", post("hello"), 400),
        ("truncated JSON", post(r#"{"uuid":"u1""#), 400),
        ("trailing garbage", post(r#"{"uuid":"u1"}x"#), 400),
        (
            "byte order mark",
            post("\u{feff}{\"uuid\":\"u1\",\"conversation_uuid\":\"CON-1\"}"),
            400,
        ),
        ("array", post("[]"), 400),
        ("null", post("null"), 400),
        ("number", post("42"), 400),
        ("string", post("\"started\""), 400),
        ("boolean", post("true"), 400),
        (
            "status past the sort key's room",
            post(&format!(
                r#"{{"uuid":"u1","status":"{}"}}"#,
                "s".repeat(1100)
            )),
            400,
        ),
        (
            "offset that overflows year 9999 in UTC",
            post(r#"{"uuid":"u1","timestamp":"9999-12-31T23:59:59-23:59"}"#),
            400,
        ),
        ("uuid object", field("uuid", json!({"a": 1})), 400),
        ("uuid array", field("uuid", json!(["u1"])), 400),
        ("uuid boolean", field("uuid", json!(true)), 400),
        (
            "conversation with key separator",
            field("conversation_uuid", json!("CON#1")),
            400,
        ),
        ("uuid too long", field("uuid", json!("u".repeat(200))), 400),
        ("uuid with spaces", field("uuid", json!("u 1")), 400),
        ("uuid with newline", field("uuid", json!("u\n1")), 400),
        ("uuid with non-ASCII", field("uuid", json!("ü1")), 400),
        ("status object", field("status", json!({"s": 1})), 400),
        ("status array", field("status", json!(["started"])), 400),
        ("status boolean", field("status", json!(false)), 400),
        (
            "timestamp words",
            field("timestamp", json!("yesterday")),
            400,
        ),
        (
            "timestamp number",
            field("timestamp", json!(1615372581)),
            400,
        ),
        (
            "timestamp impossible date",
            field("timestamp", json!("2021-13-45T99:99:99Z")),
            400,
        ),
        (
            "timestamp without zone",
            field("timestamp", json!("2021-03-10T10:36:21")),
            400,
        ),
        ("timestamp object", field("timestamp", json!({})), 400),
        ("duration with letters", field("duration", json!("5s")), 400),
        ("duration words", field("duration", json!("five")), 400),
        ("duration exponent", field("duration", json!("1e5")), 400),
        ("price NaN", field("price", json!("NaN")), 400),
        ("price Infinity", field("price", json!("Infinity")), 400),
        ("price hex", field("price", json!("0x10")), 400),
        ("price comma", field("price", json!("1,5")), 400),
        (
            "price 50 digits",
            field("price", json!("9".repeat(50))),
            400,
        ),
        ("rate double minus", field("rate", json!("--1")), 400),
        ("rate object", field("rate", json!({"v": 1})), 400),
        ("headers string", field("headers", json!("x")), 400),
        ("headers array", field("headers", json!([1])), 400),
        ("from object", field("from", json!({"n": 1})), 400),
        ("to array", field("to", json!(["447700900000"])), 400),
        ("direction boolean", field("direction", json!(true)), 400),
        ("network array", field("network", json!([23433])), 400),
        ("sip_code object", field("sip_code", json!({})), 400),
        ("detail array", field("detail", json!(["x"])), 400),
        (
            "nested 200 deep in headers",
            post(&format!(
                r#"{{"uuid":"u1","conversation_uuid":"CON-1","headers":{{"x":{}}}}}"#,
                nested_json(200)
            )),
            400,
        ),
        ("nested 10000 deep", post(&nested_json(10_000)), 400),
        ("body over 256 KiB", post(&oversized_body()), 413),
        (
            "invalid UTF-8",
            ApiGw::new("POST", EVENT).json(vec![b'{', b'"', 0xff, 0xfe, b'"', b'}']),
            400,
        ),
        (
            "text/plain",
            ApiGw::new("POST", EVENT)
                .header("content-type", "text/plain")
                .body(event_json(json!({}))),
            415,
        ),
        (
            "form encoded",
            ApiGw::new("POST", EVENT)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("uuid=u1"),
            415,
        ),
        (
            "XML",
            ApiGw::new("POST", EVENT)
                .header("content-type", "application/xml")
                .body("<event/>"),
            415,
        ),
        (
            "PUT",
            ApiGw::new("PUT", EVENT).json(event_json(json!({}))),
            405,
        ),
        ("DELETE", ApiGw::new("DELETE", EVENT), 405),
        (
            "GET repeated uuid",
            ApiGw::new("GET", EVENT)
                .query("uuid", "u1")
                .query("uuid", "u2")
                .query("conversation_uuid", "CON-1"),
            400,
        ),
        (
            "GET repeated status",
            ApiGw::new("GET", EVENT)
                .query("uuid", "u1")
                .query("conversation_uuid", "CON-1")
                .query("status", "started")
                .query("status", "completed"),
            400,
        ),
        (
            "GET bad timestamp",
            ApiGw::new("GET", EVENT)
                .query("uuid", "u1")
                .query("conversation_uuid", "CON-1")
                .query("timestamp", "now"),
            400,
        ),
        (
            "GET duration with letters",
            ApiGw::new("GET", EVENT)
                .query("uuid", "u1")
                .query("conversation_uuid", "CON-1")
                .query("duration", "12abc"),
            400,
        ),
        (
            "GET uuid with separator",
            ApiGw::new("GET", EVENT)
                .query("uuid", "u#1")
                .query("conversation_uuid", "CON-1"),
            400,
        ),
    ]
}

#[tokio::test]
async fn hostile_events_get_a_4xx_and_write_nothing() {
    let store = local_store().await;
    let cases = hostile_events();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    for (what, request, expected) in cases {
        let (status, body) = send(&store, request.request()).await;
        assert_eq!(status, expected, "{what}: {body}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && message.len() < 400,
            "{what}: unclear error {body}"
        );
    }
    assert_eq!(
        item_count(&store).await,
        0,
        "a rejected request wrote something"
    );
}

/// POSTs each body through API Gateway's parsing; each must be stored.
async fn store_each(store: &shared::store::Store, bodies: &[&str]) {
    for body in bodies {
        let (status, response) = send(store, ApiGw::new("POST", EVENT).json(*body).request()).await;
        assert_eq!(
            (status, response),
            (200, json!({"result": "stored"})),
            "{body}"
        );
    }
}

#[tokio::test]
async fn odd_but_valid_events_with_ids_are_stored_raw() {
    let store = local_store().await;
    let cases = [
        r#"{"uuid":"u1","conversation_uuid":"CON-1","mystery":{"a":[1,2,3]}}"#,
        r#"{"uuid":5,"conversation_uuid":"CON-1","status":"started"}"#,
        r#"{"uuid":"u1","conversation_uuid":"CON-1","status":"teleported","timestamp":"2021-03-10T10:36:21Z"}"#,
        r#"{"uuid":"u1","conversation_uuid":"CON-1","status":"started","duration":"","price":null}"#,
    ];
    store_each(&store, &cases).await;
    let conversation = store.conversation("CON-1").await.unwrap();
    assert_eq!(conversation.timeline.len(), 4);
    assert!(conversation.timeline.iter().any(|t| t.raw == cases[0]));
}

#[tokio::test]
async fn objects_that_name_no_call_are_stored_apart_and_touch_no_leg() {
    let store = local_store().await;
    let cases = [
        "{}",
        r#"{"uuid":null,"conversation_uuid":null,"status":"started"}"#,
        r#"{"status":"completed","price":"999.99"}"#,
    ];
    store_each(&store, &cases).await;
    let items = scan_all(&store).await;
    assert_eq!(items.len(), cases.len());
    for item in items {
        assert_eq!(item["pk"].as_s().unwrap(), shared::store::NO_CALL_PK);
    }
}
