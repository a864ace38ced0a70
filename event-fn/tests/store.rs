//! The event webhook against real DynamoDB Local: exactly-once transitions, legs that never
//! move backwards, outcomes that survive `completed`.

use serde_json::json;
use shared::store::admin::{Conversation, Leg};
use shared::testkit::*;

async fn replay(store: &shared::store::Store, bodies: &[&str]) {
    for body in bodies {
        let (status, response) = send(store, post(EVENT, body)).await;
        assert_eq!(status, 200, "{body}: {response}");
    }
}

fn leg<'a>(conversation: &'a Conversation, uuid: &str) -> &'a Leg {
    conversation
        .legs
        .iter()
        .find(|l| l.uuid == uuid)
        .unwrap_or_else(|| panic!("no leg {uuid}"))
}

fn timeline_keys(conversation: &Conversation) -> Vec<(String, String)> {
    conversation
        .timeline
        .iter()
        .map(|t| (t.sk.clone(), t.raw.clone()))
        .collect()
}

#[tokio::test]
async fn tutorial_call_in_order_leaves_both_legs_completed_with_duration_and_price() {
    let store = local_store().await;
    let call = tutorial_call();
    replay(
        &store,
        &call.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>(),
    )
    .await;

    let conversation = store.conversation(CONVERSATION).await.unwrap();
    assert_eq!(conversation.timeline.len(), 5);
    assert_eq!(conversation.legs.len(), 2);

    let phone = leg(&conversation, PHONE_LEG);
    assert_eq!(phone.status, "completed");
    assert_eq!(phone.outcome.as_deref(), Some("answered"));
    assert_eq!(phone.direction.as_deref(), Some("outbound"));
    assert_eq!(phone.from.as_deref(), Some("Alice"));
    assert_eq!(phone.to.as_deref(), Some("447700900000"));
    assert_eq!(phone.duration.as_deref(), Some("5"));
    // DynamoDB keeps N exact; whether it keeps trailing zeros is up to the server.
    assert_eq!(phone.rate.as_deref().map(trim_zeros), Some("0.1"));
    assert_eq!(phone.price.as_deref(), Some("0.00833333"));
    assert_eq!(phone.network.as_deref(), Some("23433"));
    assert_eq!(
        phone.start_time.as_deref(),
        Some("2021-03-10T10:36:31.000Z")
    );
    assert_eq!(phone.end_time.as_deref(), Some("2021-03-10T10:36:36.000Z"));
    assert_eq!(phone.status_at, "2021-03-10T10:36:35.585Z");

    let app = leg(&conversation, APP_LEG);
    assert_eq!(app.status, "completed");
    assert_eq!(app.direction.as_deref(), Some("inbound"));
    assert_eq!(app.to.as_deref(), Some("Alice"));
    assert_eq!(app.from, None);
    assert_eq!(app.duration.as_deref(), Some("15"));
    assert_eq!(app.price.as_deref(), Some("0"));
    assert_eq!(app.network, None);

    // The timeline is in time order and keeps each body exactly as it was sent.
    let kinds: Vec<_> = conversation
        .timeline
        .iter()
        .map(|t| t.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["started", "started", "answered", "completed", "completed"]
    );
    for (t, (_, body)) in conversation.timeline.iter().zip(&call) {
        assert_eq!(&t.raw, body);
    }
}

#[tokio::test]
async fn reverse_order_and_double_delivery_end_in_the_same_legs_and_transitions() {
    let call = tutorial_call();
    let in_order: Vec<&str> = call.iter().map(|(_, b)| b.as_str()).collect();
    let reversed: Vec<&str> = in_order.iter().rev().copied().collect();
    let twice: Vec<&str> = in_order.iter().flat_map(|b| [*b, *b]).collect();
    let twice_reversed: Vec<&str> = reversed.iter().chain(reversed.iter()).copied().collect();

    let mut results = Vec::new();
    for order in [&in_order, &reversed, &twice, &twice_reversed] {
        let store = local_store().await;
        replay(&store, order).await;
        let mut conversation = store.conversation(CONVERSATION).await.unwrap();
        conversation.legs.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        results.push(conversation);
    }
    for other in &results[1..] {
        assert_eq!(other.legs, results[0].legs);
        assert_eq!(timeline_keys(other), timeline_keys(&results[0]));
    }
    assert_eq!(
        results[2].timeline.len(),
        5,
        "redeliveries add no transitions"
    );
}

#[tokio::test]
async fn a_redelivered_event_is_acknowledged_as_a_duplicate_and_writes_nothing() {
    let store = local_store().await;
    let (_, body) = &tutorial_call()[0];
    assert_eq!(
        send(&store, post(EVENT, body)).await,
        (200, json!({"result": "stored"}))
    );
    let items = item_count(&store).await;
    assert_eq!(
        send(&store, post(EVENT, body)).await,
        (200, json!({"result": "duplicate"}))
    );
    assert_eq!(item_count(&store).await, items);
}

/// Sends one event of `leg-1` and returns the status code.
async fn deliver_leg(store: &shared::store::Store, status: &str, time: &str) -> u16 {
    send(store, post(EVENT, &leg_event(status, time))).await.0
}

fn leg_event(status: &str, time: &str) -> String {
    json!({"uuid": "leg-1", "conversation_uuid": "CON-busy", "status": status, "direction": "outbound",
           "to": "447700900000", "from": "447700900001", "timestamp": time})
    .to_string()
}

#[tokio::test]
async fn busy_then_completed_shows_completed_with_outcome_busy() {
    let events = [
        leg_event("started", "2021-03-10T10:00:00.000Z"),
        leg_event("ringing", "2021-03-10T10:00:01.000Z"),
        leg_event("busy", "2021-03-10T10:00:02.000Z"),
        leg_event("completed", "2021-03-10T10:00:03.000Z"),
    ];
    for order in [vec![0, 1, 2, 3], vec![3, 2, 1, 0], vec![0, 3, 1, 2]] {
        let store = local_store().await;
        for i in &order {
            assert_eq!(send(&store, post(EVENT, &events[*i])).await.0, 200);
        }
        let conversation = store.conversation("CON-busy").await.unwrap();
        let leg = leg(&conversation, "leg-1");
        assert_eq!(
            (leg.status.as_str(), leg.outcome.as_deref()),
            ("completed", Some("busy")),
            "order {order:?}"
        );
        assert_eq!(conversation.timeline.len(), 4);
    }
}

#[tokio::test]
async fn late_ringing_does_not_regress_a_completed_leg() {
    let store = local_store().await;
    deliver_leg(&store, "answered", "2021-03-10T10:00:02.000Z").await;
    deliver_leg(&store, "completed", "2021-03-10T10:00:09.000Z").await;
    assert_eq!(
        deliver_leg(&store, "ringing", "2021-03-10T10:00:01.000Z").await,
        200
    );
    let conversation = store.conversation("CON-busy").await.unwrap();
    let leg = leg(&conversation, "leg-1");
    assert_eq!(leg.status, "completed");
    assert_eq!(leg.status_at, "2021-03-10T10:00:09.000Z");
    assert_eq!(leg.outcome.as_deref(), Some("answered"));
    assert_eq!(
        conversation.timeline.len(),
        3,
        "the late ringing is still in the timeline"
    );
}

#[tokio::test]
async fn between_equal_ranks_the_later_timestamp_wins_whatever_the_order() {
    for order in [[0, 1], [1, 0]] {
        let store = local_store().await;
        let events = [
            leg_event("failed", "2021-03-10T10:00:02.000Z"),
            leg_event("rejected", "2021-03-10T10:00:03.000Z"),
        ];
        for i in order {
            send(&store, post(EVENT, &events[i])).await;
        }
        let conversation = store.conversation("CON-busy").await.unwrap();
        let leg = leg(&conversation, "leg-1");
        assert_eq!(
            (leg.status.as_str(), leg.outcome.as_deref()),
            ("rejected", Some("rejected")),
            "{order:?}"
        );
    }
}

#[tokio::test]
async fn unknown_statuses_and_unknown_event_kinds_are_stored_not_rejected() {
    let store = local_store().await;
    let unknown_status = json!({"uuid": "leg-9", "conversation_uuid": "CON-9", "status": "on_hold",
                                "timestamp": "2021-03-10T10:00:00.000Z"});
    let unknown_kind = json!({"conversation_uuid": "CON-9", "brand_new_field": {"x": 1},
                              "timestamp": "2021-03-10T10:00:01.000Z"});
    let input = json!({"uuid": "leg-9", "conversation_uuid": "CON-9", "dtmf": {"digits": "12", "timed_out": false},
                       "timestamp": "2021-03-10T10:00:02.000Z"});
    for body in [&unknown_status, &unknown_kind, &input] {
        assert_eq!(
            send(&store, post(EVENT, &body.to_string())).await,
            (200, json!({"result": "stored"}))
        );
    }
    let conversation = store.conversation("CON-9").await.unwrap();
    let kinds: Vec<_> = conversation
        .timeline
        .iter()
        .map(|t| t.kind.as_str())
        .collect();
    assert_eq!(kinds, ["on_hold", "unknown", "input"]);
    assert_eq!(
        leg(&conversation, "leg-9").status,
        "on_hold",
        "an unknown status shows on a leg with nothing better"
    );
}

#[tokio::test]
async fn an_unknown_status_does_not_overwrite_a_known_one() {
    let store = local_store().await;
    deliver_leg(&store, "answered", "2021-03-10T10:00:02.000Z").await;
    deliver_leg(&store, "on_hold", "2021-03-10T10:00:05.000Z").await;
    let conversation = store.conversation("CON-busy").await.unwrap();
    assert_eq!(leg(&conversation, "leg-1").status, "answered");
    assert_eq!(conversation.timeline.len(), 2);
}

#[tokio::test]
async fn get_style_event_delivery_is_stored_like_a_post() {
    let store = local_store().await;
    let params = [
        ("uuid", PHONE_LEG),
        ("conversation_uuid", CONVERSATION),
        ("status", "completed"),
        ("direction", "outbound"),
        ("to", "447700900000"),
        ("duration", "5"),
        ("price", "0.00833333"),
        ("rate", "0.10000000"),
        ("network", "23433"),
        ("timestamp", "2021-03-10T10:36:35.585Z"),
    ];
    assert_eq!(
        send(&store, get(EVENT, &params)).await,
        (200, json!({"result": "stored"}))
    );
    let conversation = store.conversation(CONVERSATION).await.unwrap();
    let phone = leg(&conversation, PHONE_LEG);
    assert_eq!(
        (phone.status.as_str(), phone.price.as_deref()),
        ("completed", Some("0.00833333"))
    );
    let raw: serde_json::Value = serde_json::from_str(&conversation.timeline[0].raw).unwrap();
    assert_eq!(
        raw["price"], "0.00833333",
        "the query is kept as a JSON object"
    );
}

#[tokio::test]
async fn events_without_a_conversation_get_a_call_key_of_their_own() {
    let store = local_store().await;
    let body =
        json!({"uuid": "leg-x", "status": "started", "timestamp": "2021-03-10T10:00:00.000Z"});
    assert_eq!(send(&store, post(EVENT, &body.to_string())).await.0, 200);
    let items = scan_all(&store).await;
    let pks: Vec<_> = items
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    assert_eq!(
        pks,
        ["CALL#leg-x"],
        "a transition only: no leg without a conversation"
    );
}

#[tokio::test]
async fn retention_days_set_expires_at_on_every_item() {
    let store = local_store_with(Some(30)).await;
    replay(&store, &[&tutorial_call()[0].1]).await;
    let items = scan_all(&store).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(items.len(), 2);
    for item in &items {
        let expires: u64 = item["expires_at"].as_n().unwrap().parse().unwrap();
        assert!(
            expires > now + 29 * 86_400 && expires <= now + 30 * 86_400 + 60,
            "{expires}"
        );
    }
}

#[tokio::test]
async fn malformed_events_get_a_400_and_write_nothing() {
    let store = local_store().await;
    for body in [
        "",
        "not json",
        "[]",
        "\"started\"",
        r#"{"uuid":"u","conversation_uuid":"C","price":"1,5"}"#,
        r#"{"uuid":"u","conversation_uuid":"C","timestamp":"9999-12-31T23:59:59-23:59"}"#,
        &json!({"uuid": "u", "conversation_uuid": "C", "status": "x".repeat(2000)}).to_string(),
    ] {
        let (status, response) = send(&store, post(EVENT, body)).await;
        assert_eq!(status, 400, "{body:?}");
        assert!(response["error"].is_string(), "{response}");
    }
    assert_eq!(item_count(&store).await, 0);
}

#[tokio::test]
async fn dynamodb_unreachable_gives_a_503_so_vonage_retries() {
    let reachable = local_store().await;
    let config = reachable
        .client()
        .config()
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let unreachable = shared::store::Store::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        &shared::config::EventConfig::unsigned(reachable.table()),
    );
    let (status, response) = send(&unreachable, post(EVENT, &tutorial_call()[0].1)).await;
    assert_eq!(status, 503);
    assert!(
        response["error"].as_str().unwrap().contains("retry"),
        "{response}"
    );
}

#[tokio::test]
async fn a_far_future_event_is_kept_but_cannot_freeze_the_leg() {
    let store = local_store().await;
    let call = tutorial_call();
    let forged = json!({"uuid": PHONE_LEG, "conversation_uuid": CONVERSATION, "status": "completed",
                        "direction": "outbound", "duration": "7199", "price": "999.99",
                        "timestamp": "9999-12-30T00:00:00Z"});
    assert_eq!(
        send(&store, post(EVENT, &forged.to_string())).await,
        (200, json!({"result": "stored"}))
    );
    replay(
        &store,
        &call.iter().map(|(_, b)| b.as_str()).collect::<Vec<_>>(),
    )
    .await;
    let conversation = store.conversation(CONVERSATION).await.unwrap();
    assert_eq!(
        conversation.timeline.len(),
        6,
        "the forged event is still a transition"
    );
    let phone = leg(&conversation, PHONE_LEG);
    assert_eq!(phone.price.as_deref(), Some("0.00833333"));
    assert_eq!(phone.duration.as_deref(), Some("5"));
    assert_eq!(phone.status_at, "2021-03-10T10:36:35.585Z");
}

#[tokio::test]
async fn warming_up_takes_both_writes_to_the_wire_sends_nothing_and_the_client_still_writes() {
    use shared::config::dns::is_primed;
    use shared::store::warm_up;
    // An endpoint, by name as in Lambda, that records any connection: the warm-up must open none.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let silent = shared::store::Store::with_endpoint(
        &shared::config::EventConfig::unsigned("calls"),
        &endpoint,
    )
    .unwrap();
    assert_eq!(
        warm_up(silent.client(), silent.table()).await,
        2,
        "both writes serialised, resolved, signed and stopped before transmit"
    );
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "no connection opened"
    );
    // The lookup runs in the background while init goes on.
    let mut waited = 0;
    while !is_primed("localhost") && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        waited += 1;
    }
    assert!(
        is_primed("localhost"),
        "the endpoint's name resolved at init"
    );

    // A table reached by name: warmed up, then the first event goes out as usual.
    let table = local_store().await;
    let by_name = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap()
        .replace("127.0.0.1", "localhost");
    let store = shared::store::Store::with_endpoint(
        &shared::config::EventConfig::unsigned(table.table()),
        &by_name,
    )
    .unwrap();
    assert_eq!(warm_up(store.client(), store.table()).await, 2);
    assert_eq!(item_count(&store).await, 0, "nothing written");
    let (status, _) = send(&store, post(EVENT, &tutorial_call()[0].1)).await;
    assert_eq!(status, 200);
    assert_eq!(
        item_count(&store).await,
        2,
        "the first event stored as usual"
    );
}
