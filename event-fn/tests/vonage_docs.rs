//! Every event body Vonage publishes in its webhook and NCCO references
//! (`fixtures/vonage-docs/`, provenance in its README) is stored: `200`, one transition each
//! with the body kept as sent, and a leg exactly where the body has a status and a leg id.

use serde_json::{json, Value};
use shared::store::Item;
use shared::testkit::*;

/// The published event bodies, as (file name, body), in file order.
fn examples() -> Vec<(String, String)> {
    vonage_docs("event-")
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
            send(&store, post(EVENT, body)).await,
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
            send(&store, post(EVENT, body)).await,
            (200, json!({"result": "stored"})),
            "{name}"
        );
    }
    let first = scan_all(&store).await;
    let transitions = first.iter().filter(|i| is_transition(i)).count();
    assert_eq!(transitions, examples.len());
    for (name, body) in &examples {
        assert_eq!(
            send(&store, post(EVENT, body)).await,
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
    assert_eq!(send(&store, post(EVENT, &body.to_string())).await.0, 200);
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
        send(&store, post(EVENT, r#"{"foo": "bar"}"#)).await,
        (200, json!({"result": "stored"}))
    );
    let items = scan_all(&store).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["pk"].as_s().unwrap(), shared::store::NO_CALL_PK);
    assert_eq!(items[0]["raw"].as_s().unwrap(), r#"{"foo": "bar"}"#);
}
