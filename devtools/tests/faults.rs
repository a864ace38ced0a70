//! Faults, against real DynamoDB Local: an outage mid-stream, a hung DynamoDB, racing writers
//! on one leg, and throttling. Whatever happens, Vonage gets a `503` to retry on, never a `500`,
//! and once it redelivers, the table is exactly as if nothing had happened.

use devtools::dynamodb_local::DynamoDbLocal;
use devtools::load;
use devtools::proxy::Proxy;
use lambda_http::Request;
use serde_json::{json, Value};
use shared::config::aws::OPERATION_TIMEOUT;
use shared::config::EventConfig;
use shared::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A POST of `body` to the event webhook, as API Gateway delivers it.
fn post(body: &str) -> Request {
    shared::testkit::post(shared::testkit::EVENT, body)
}

async fn deliver(cfg: &EventConfig, store: &Store, body: &str) -> (u16, Value) {
    let res = shared::http::event::handle_event(cfg, store, store.ledger(), post(body))
        .await
        .unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null),
    )
}

/// The DynamoDB Local that `make test` started.
fn shared_local() -> SocketAddr {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    let addr = endpoint.strip_prefix("http://").unwrap_or_default();
    assert!(
        addr.starts_with("127.0.0.1:"),
        "run with `make test` (AWS_ENDPOINT_URL_DYNAMODB is `{endpoint}`)"
    );
    addr.parse().unwrap()
}

/// The 503 Vonage sees: a fixed message, no internals.
fn assert_retry_later(status: u16, body: &Value) {
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        &json!({"error": "the event could not be stored; retry later"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_stopped_mid_stream_gives_503s_and_redelivery_leaves_the_table_as_if_nothing_happened(
) {
    let data = std::env::temp_dir().join(format!("ddb-outage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut local = DynamoDbLocal::start(Some(&data));
    let cfg = EventConfig::unsigned("outage");
    let store = Store::with_endpoint(&cfg, &local.endpoint()).expect("store");
    store.create_table().await.unwrap();

    let plan = load::synthesize(20, 300, 10, 11);
    let (first, rest) = plan.deliveries.split_at(150);
    let (during, after) = rest.split_at(6);
    for body in first {
        assert_eq!(deliver(&cfg, &store, body).await.0, 200);
    }

    local.kill();
    let mut failed = Vec::new();
    for body in during {
        let started = Instant::now();
        let (status, response) = deliver(&cfg, &store, body).await;
        assert_retry_later(status, &response);
        assert!(
            started.elapsed() < OPERATION_TIMEOUT + Duration::from_secs(1),
            "took {:?}",
            started.elapsed()
        );
        failed.push(body.clone());
    }

    local.restart();
    // Vonage redelivers what got a 503, then the call goes on.
    for body in failed.iter().chain(after) {
        let (status, response) = deliver(&cfg, &store, body).await;
        assert_eq!(status, 200, "{response}");
    }
    let check = load::check(&plan, &store).await.unwrap();
    assert!(check.ok(), "{check:?}");
    drop(local);
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_dynamodb_times_out_into_a_503_well_before_the_lambda_timeout() {
    let local = DynamoDbLocal::start(None);
    let cfg = EventConfig::unsigned("hung");
    let store = Store::with_endpoint(&cfg, &local.endpoint()).expect("store");
    store.create_table().await.unwrap();
    let body = json!({"uuid": "leg-h", "conversation_uuid": "CON-h", "status": "started",
                      "timestamp": "2026-01-01T00:00:00.000Z"})
    .to_string();

    local.pause();
    let started = Instant::now();
    let (status, response) = deliver(&cfg, &store, &body).await;
    let took = started.elapsed();
    local.resume();
    assert_retry_later(status, &response);
    // The template gives event-fn 8 s; the SDK's operation timeout ends the wait at 5 s.
    assert!(
        took <= OPERATION_TIMEOUT + Duration::from_secs(1),
        "took {took:?}"
    );

    assert_eq!(deliver(&cfg, &store, &body).await.0, 200);
    let conversation = store.conversation("CON-h").await.unwrap();
    assert_eq!(
        (conversation.timeline.len(), conversation.legs.len()),
        (1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_events_of_one_leg_written_at_once_always_leave_the_higher_ranked_state() {
    let cfg = EventConfig::unsigned(&format!("race-{}", std::process::id()));
    let setup = Store::from_env(&cfg).expect("store from the environment");
    setup.create_table().await.unwrap();
    // Separate clients, as two Lambda instances would have.
    let (a, b) = (
        Arc::new(Store::from_env(&cfg).expect("store from the environment")),
        Arc::new(Store::from_env(&cfg).expect("store from the environment")),
    );
    let pairs = [
        ("ringing", "answered", "answered", Some("answered")),
        ("answered", "completed", "completed", Some("answered")),
        ("busy", "completed", "completed", Some("busy")),
        ("started", "failed", "failed", Some("failed")),
        ("ringing", "unanswered", "unanswered", Some("unanswered")),
    ];
    for round in 0..40 {
        for (i, (low, high, status, outcome)) in pairs.iter().enumerate() {
            let leg = format!("leg-{round}-{i}");
            let event = |s: &str, ms: u32| {
                json!({"uuid": leg, "conversation_uuid": "CON-race", "status": s,
                       "timestamp": format!("2026-01-01T00:00:00.{ms:03}Z")})
                .to_string()
            };
            // Every other round the lower-ranked event even carries the later timestamp: rank wins.
            let (low_ms, high_ms) = if round % 2 == 0 {
                (100, 200)
            } else {
                (300, 200)
            };
            let (low_body, high_body) = (event(low, low_ms), event(high, high_ms));
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let send = |store: Arc<Store>, body: String| {
                let (cfg, barrier) = (cfg.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    deliver(&cfg, &store, &body).await.0
                })
            };
            let (x, y) = (send(a.clone(), low_body), send(b.clone(), high_body));
            assert_eq!((x.await.unwrap(), y.await.unwrap()), (200, 200));
            let conversation = setup.conversation("CON-race").await.unwrap();
            let stored = conversation.legs.iter().find(|l| l.uuid == leg).unwrap();
            assert_eq!(
                (stored.status.as_str(), stored.outcome.as_deref()),
                (*status, *outcome),
                "{leg}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_by_the_sdk_then_answered_503_and_nothing_is_lost() {
    let proxy = Proxy::start(shared_local()).await;
    let cfg = EventConfig::unsigned(&format!("throttle-{}", std::process::id()));
    let store = Store::with_endpoint(&cfg, &proxy.endpoint()).expect("store");
    store.create_table().await.unwrap();
    let event = |status: &str, ms: u32| {
        json!({"uuid": "leg-t", "conversation_uuid": "CON-t", "status": status,
               "timestamp": format!("2026-01-01T00:00:00.{ms:03}Z")})
        .to_string()
    };

    // A short burst of throttling: the SDK's retries with backoff absorb it.
    proxy.reset_counts();
    proxy.throttle_next(2);
    assert_eq!(
        deliver(&cfg, &store, &event("started", 1)).await,
        (200, json!({"result": "stored"}))
    );
    assert_eq!(proxy.throttled(), 2);
    assert_eq!(
        proxy.requests(),
        4,
        "two calls, two of them retried once: {:?}",
        proxy.by_operation()
    );

    // Throttled throughout: the SDK gives up after its attempts and Vonage gets a 503.
    proxy.reset_counts();
    proxy.throttle_always(true);
    let (status, response) = deliver(&cfg, &store, &event("completed", 9)).await;
    assert_retry_later(status, &response);
    assert!(
        proxy.requests() >= 4,
        "each call retried: {:?}",
        proxy.by_operation()
    );

    // Vonage redelivers once the table has capacity again; the event is stored, once.
    proxy.throttle_always(false);
    assert_eq!(deliver(&cfg, &store, &event("completed", 9)).await.0, 200);
    let conversation = store.conversation("CON-t").await.unwrap();
    assert_eq!(conversation.timeline.len(), 2);
    assert_eq!(conversation.legs[0].status, "completed");
}
