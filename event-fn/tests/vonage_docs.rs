//! Every event body Vonage publishes in its webhook and NCCO references
//! (`fixtures/vonage-docs/`, provenance in its README) is stored: `200`, one transition each
//! with the body kept as sent, and a leg exactly where the body has a status and a leg id.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The published event bodies, as (file name, body), in file order.
fn examples() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/vonage-docs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("event-") && name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

fn is_transition(item: &Item) -> bool {
    item["sk"].as_s().unwrap().starts_with("EVENT#")
}

fn is_leg(item: &Item) -> bool {
    item["sk"].as_s().unwrap().starts_with("LEG#")
}

#[tokio::test]
async fn each_published_event_is_stored_as_one_transition_with_its_body_as_sent() {
    let examples = examples();
    assert_eq!(examples.len(), 20, "the references publish 20 event bodies");
    for (name, body) in &examples {
        let store = local_store().await;
        assert_eq!(
            send(&store, post(body)).await,
            (200, json!({"result": "stored"})),
            "{name}"
        );
        let items = scan_all(&store).await;
        let transitions: Vec<_> = items.iter().filter(|i| is_transition(i)).collect();
        assert_eq!(transitions.len(), 1, "{name}");
        assert_eq!(transitions[0]["raw"].as_s().unwrap(), body, "{name}");

        let parsed: Value = serde_json::from_str(body).unwrap();
        let has_leg_id = parsed.get("uuid").or(parsed.get("call_uuid")).is_some();
        let expects_leg = parsed.get("status").is_some() && has_leg_id;
        let legs = items.iter().filter(|i| is_leg(i)).count();
        assert_eq!(legs, usize::from(expects_leg), "{name}");
        assert_eq!(
            items.len(),
            transitions.len() + legs,
            "{name}: nothing else"
        );
    }
}

#[tokio::test]
async fn all_published_events_together_then_again_store_each_once() {
    let store = local_store().await;
    let examples = examples();
    for (name, body) in &examples {
        assert_eq!(
            send(&store, post(body)).await,
            (200, json!({"result": "stored"})),
            "{name}"
        );
    }
    let first = scan_all(&store).await;
    let transitions = first.iter().filter(|i| is_transition(i)).count();
    assert_eq!(transitions, examples.len());
    for (name, body) in &examples {
        assert_eq!(
            send(&store, post(body)).await,
            (200, json!({"result": "duplicate"})),
            "{name}"
        );
    }
    let mut again = scan_all(&store).await;
    let mut first = first;
    let key = |i: &Item| {
        (
            i["pk"].as_s().unwrap().clone(),
            i["sk"].as_s().unwrap().clone(),
        )
    };
    first.sort_by_key(key);
    again.sort_by_key(key);
    assert_eq!(first, again, "redeliveries write nothing");
}

#[tokio::test]
async fn a_transfer_is_filed_under_the_conversation_the_leg_moved_to() {
    let store = local_store().await;
    let body = json!({"conversation_uuid_from": "CON-from", "conversation_uuid_to": "CON-to",
                      "uuid": "leg-1", "timestamp": "2020-01-01T12:00:00.000Z"});
    assert_eq!(send(&store, post(&body.to_string())).await.0, 200);
    let items = scan_all(&store).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["pk"].as_s().unwrap(), "CONV#CON-to");
    assert!(items[0]["sk"]
        .as_s()
        .unwrap()
        .starts_with("EVENT#2020-01-01T12:00:00.000Z#leg-1#transfer#"));
}

#[tokio::test]
async fn an_event_that_names_no_call_is_filed_under_the_no_call_partition() {
    let store = local_store().await;
    assert_eq!(
        send(&store, post(r#"{"foo": "bar"}"#)).await,
        (200, json!({"result": "stored"}))
    );
    let items = scan_all(&store).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["pk"].as_s().unwrap(), shared::store::NO_CALL_PK);
    assert_eq!(items[0]["raw"].as_s().unwrap(), r#"{"foo": "bar"}"#);
}

/// A published answer request through the answer handler as API Gateway delivers it.
async fn answer(request: ApiGw, inbound_app_user: Option<&'static str>) -> (u16, Value) {
    let mut vars = vec![("VONAGE_NUMBER", "442079460000")];
    vars.extend(inbound_app_user.map(|user| ("INBOUND_APP_USER", user)));
    struct Vars(Vec<(&'static str, &'static str)>);
    impl shared::config::Env for Vars {
        fn get(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }
    let config = shared::config::AnswerConfig::from_env(&Vars(vars)).unwrap();
    let res = shared::answer::handle_answer(&config, request.request())
        .await
        .unwrap();
    let body = serde_json::from_slice(res.body().as_ref()).unwrap();
    (res.status().as_u16(), body)
}

fn docs_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/vonage-docs")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn both_published_answer_requests_are_answered_by_get_and_post() {
    let pairs = docs_file("answer-get.json");
    let get = || {
        pairs
            .as_array()
            .unwrap()
            .iter()
            .fold(ApiGw::new("GET", "/voice/answer"), |req, pair| {
                req.query(pair[0].as_str().unwrap(), pair[1].as_str().unwrap())
            })
    };
    let post =
        || ApiGw::new("POST", "/voice/answer").json(docs_file("answer-post.json").to_string());
    for (what, request) in [("GET", &get as &dyn Fn() -> ApiGw), ("POST", &post)] {
        // A phone calling our number: to the inbound app user, with the caller's number shown.
        let (status, ncco) = answer(request(), Some("alice")).await;
        assert_eq!(status, 200, "{what}: {ncco}");
        assert_eq!(
            ncco[1]["endpoint"][0],
            json!({"type": "app", "user": "alice"}),
            "{what}"
        );
        assert!(ncco[1]["from"].is_string(), "{what}: {ncco}");
        // Nobody to take it: a short message, never a phone connect.
        let (status, ncco) = answer(request(), None).await;
        assert_eq!(
            (status, ncco.as_array().unwrap().len()),
            (200, 1),
            "{what}: {ncco}"
        );
        assert_eq!(ncco[0]["action"], "talk", "{what}");
    }
}
