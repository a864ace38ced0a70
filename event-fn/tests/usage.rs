//! The per-user ledger against DynamoDB Local, through both webhooks' handlers: the tutorial
//! call costs Alice one call, 5 seconds and its price, whatever the order of the events, the
//! redeliveries and the concurrency; the daily limits refuse the call that would exceed them;
//! a phone leg no app user placed is answered at once and charged to nobody; and no item grows
//! with the traffic.

use serde_json::{json, Value};
use shared::store::ledger::Ledger;
use shared::store::Store;
use shared::testkit::{
    answer_call, answer_config, local_store, post, scan_all, send, trim_zeros, tutorial_call,
    CONVERSATION, EVENT, PHONE_LEG,
};
use shared::usecase::calls::CallLog;
use voice_core::answer::{BUDGET_TEXT, LIMIT_TEXT};
use voice_core::time::day_of;
use voice_core::time::Timestamp;
use voice_core::usage::DayTotals;

const TUTORIAL_TO: &str = "447700900000";

fn today() -> String {
    day_of(&Timestamp::now()).to_string()
}

async fn usage(ledger: &Ledger, user: &str) -> (String, String, String) {
    let DayTotals {
        calls,
        seconds,
        spend,
        ..
    } = ledger
        .day(user, &today())
        .await
        .unwrap()
        .unwrap_or_default();
    (
        calls,
        trim_zeros(&seconds).to_string(),
        trim_zeros(&spend).to_string(),
    )
}

fn connects(ncco: &Value) -> bool {
    ncco.as_array()
        .unwrap()
        .iter()
        .any(|action| action["action"] == "connect")
}

/// The tutorial's bodies with the conversation and leg ids replaced by `tag`'s own.
fn tutorial_as(tag: &str) -> Vec<String> {
    tutorial_call()
        .into_iter()
        .map(|(_, body)| {
            body.replace(CONVERSATION, &format!("CON-{tag}"))
                .replace(PHONE_LEG, &format!("phone-{tag}"))
        })
        .collect()
}

async fn deliver(store: &Store, body: &str) {
    let (status, response) = send(store, post(EVENT, body)).await;
    assert_eq!(status, 200, "{body}: {response}");
}

#[tokio::test]
async fn the_tutorial_call_costs_alice_one_call_five_seconds_and_its_price() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    let ncco = answer_call(&cfg, store.ledger(), "Alice", TUTORIAL_TO, CONVERSATION).await;
    assert!(connects(&ncco), "{ncco}");
    for (_, body) in tutorial_call() {
        deliver(&store, &body).await;
    }
    assert_eq!(
        usage(store.ledger(), "Alice").await,
        ("1".into(), "5".into(), "0.00833333".into())
    );
    // The call is in Alice's call log, with its outcome, duration and price.
    let history = store.ledger().page("Alice", 10, None).await.unwrap().calls;
    assert_eq!(history.len(), 1);
    let call = &history[0];
    assert_eq!(call.conversation_uuid, CONVERSATION);
    assert_eq!(call.leg.as_deref(), Some(PHONE_LEG));
    assert_eq!(call.to, TUTORIAL_TO);
    assert_eq!(call.outcome.as_deref(), Some("answered"));
    assert_eq!(call.duration.as_deref(), Some("5"));
    assert_eq!(call.price.as_deref(), Some("0.00833333"));
    assert!(call.answered_at.starts_with(&today()));
}

#[tokio::test]
async fn every_order_of_the_events_charges_each_call_exactly_once() {
    // All 120 orders of the tutorial's five events, each as a call of its own, all Alice's.
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    let mut orders: Vec<Vec<usize>> = vec![];
    let mut order = vec![0, 1, 2, 3, 4];
    permutations(&mut order, 0, &mut orders);
    assert_eq!(orders.len(), 120);
    for (i, order) in orders.iter().enumerate() {
        let tag = format!("order-{i}");
        answer_call(
            &cfg,
            store.ledger(),
            "Alice",
            TUTORIAL_TO,
            &format!("CON-{tag}"),
        )
        .await;
        let bodies = tutorial_as(&tag);
        for &event in order {
            deliver(&store, &bodies[event]).await;
        }
    }
    // 120 × 0.00833333, exactly.
    assert_eq!(
        usage(store.ledger(), "Alice").await,
        ("120".into(), "600".into(), "0.9999996".into())
    );
}

fn permutations(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, out);
        items.swap(k, i);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redeliveries_and_concurrent_instances_count_nothing_twice() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    // Vonage asks twice (a retried answer): both connect, one call is counted.
    for _ in 0..2 {
        let ncco = answer_call(&cfg, store.ledger(), "Alice", TUTORIAL_TO, CONVERSATION).await;
        assert!(connects(&ncco));
    }
    // Every event three times, all at once, each through an instance of its own.
    let mut tasks = vec![];
    for (_, body) in tutorial_call() {
        for _ in 0..3 {
            let (table, body) = (store.table().to_string(), body.clone());
            tasks.push(tokio::spawn(async move {
                let instance =
                    Store::from_env(&shared::config::EventConfig::unsigned(&table)).unwrap();
                send(&instance, post(EVENT, &body)).await
            }));
        }
    }
    for task in tasks {
        let (status, response) = task.await.unwrap();
        assert_eq!(status, 200, "{response}");
    }
    assert_eq!(
        usage(store.ledger(), "Alice").await,
        ("1".into(), "5".into(), "0.00833333".into())
    );
}

#[tokio::test]
async fn a_delivery_that_died_between_its_writes_is_finished_by_the_redelivery() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    answer_call(&cfg, store.ledger(), "Alice", TUTORIAL_TO, CONVERSATION).await;
    let call = tutorial_call();
    let completed = &call[3].1;
    // The first delivery stored the transition and moved the leg, then the function died
    // before it charged the leg (and Vonage, having no answer, delivers again).
    let event = shared::testkit::call_event(serde_json::from_str(completed).unwrap());
    store.record(&event, completed, true).await.unwrap();
    assert_eq!(usage(store.ledger(), "Alice").await.2, "0");
    // The redelivery is a duplicate transition, and still does the charging.
    let (status, response) = send(&store, post(EVENT, completed)).await;
    assert_eq!((status, response), (200, json!({"result": "duplicate"})));
    assert_eq!(
        usage(store.ledger(), "Alice").await,
        ("1".into(), "5".into(), "0.00833333".into())
    );
    // And one more changes nothing.
    deliver(&store, completed).await;
    assert_eq!(usage(store.ledger(), "Alice").await.2, "0.00833333");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_answers_with_five_calls_left_connect_exactly_five() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[("MAX_CALLS_PER_USER_PER_DAY", "8")]);
    for i in 0..3 {
        let ncco = answer_call(
            &cfg,
            store.ledger(),
            "bob",
            TUTORIAL_TO,
            &format!("CON-early-{i}"),
        )
        .await;
        assert!(connects(&ncco));
    }
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (cfg, table) = (cfg.clone(), store.table().to_string());
            tokio::spawn(async move {
                // The store's timeouts: this counts calls, and a busy DynamoDB Local may take
                // longer than answer-fn's 1.2 s deadline (tested in answer-fn/tests/limits.rs).
                let client =
                    shared::config::dynamodb_client(&shared::config::ProcessEnv, None).unwrap();
                let ledger = Ledger::new(client, &table);
                answer_call(&cfg, &ledger, "bob", TUTORIAL_TO, &format!("CON-rush-{i}")).await
            })
        })
        .collect();
    let mut connected = 0;
    for task in tasks {
        let ncco = task.await.unwrap();
        if connects(&ncco) {
            connected += 1;
        } else {
            assert_eq!(ncco, json!([{"action": "talk", "text": LIMIT_TEXT}]));
        }
    }
    assert_eq!(connected, 5);
    assert_eq!(usage(store.ledger(), "bob").await.0, "8");
    // Bob's limit is his own: Carol still calls.
    let ncco = answer_call(&cfg, store.ledger(), "carol", TUTORIAL_TO, "CON-carol").await;
    assert!(connects(&ncco));
}

#[tokio::test]
async fn once_what_is_left_of_the_spend_limit_cannot_fund_a_minute_the_next_call_is_refused() {
    let store = local_store().await;
    // 0.11 at 0.10 a minute: a minute each for the first two tutorial calls (5 s each, 0.00833333),
    // then 0.09333334 left, under a minute.
    let cfg = answer_config(
        store.table(),
        &[
            ("MAX_SPEND_PER_USER_PER_DAY", "0.11"),
            ("RATE_TABLE", "44:0.10"),
        ],
    );
    let ledger = store.ledger();
    for (i, connect) in [(0, true), (1, true), (2, false)] {
        let tag = format!("spend-{i}");
        let ncco = answer_call(&cfg, ledger, "Alice", TUTORIAL_TO, &format!("CON-{tag}")).await;
        assert_eq!(connects(&ncco), connect, "call {i}: {ncco}");
        if connect {
            for body in tutorial_as(&tag) {
                deliver(&store, &body).await;
            }
        } else {
            assert_eq!(ncco, json!([{"action": "talk", "text": BUDGET_TEXT}]));
        }
    }
    // 0.01666666 spent over two calls; the refused third was not counted.
    assert_eq!(
        usage(ledger, "Alice").await,
        ("2".into(), "10".into(), "0.01666666".into())
    );
    // A retried answer of a call already counted still connects: the call is under way.
    let ncco = answer_call(&cfg, ledger, "Alice", TUTORIAL_TO, "CON-spend-1").await;
    assert!(connects(&ncco), "{ncco}");
    assert_eq!(usage(ledger, "Alice").await.0, "2");
}

#[tokio::test]
async fn calls_nobody_placed_from_the_app_are_not_counted() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[("MAX_CALLS_PER_USER_PER_DAY", "1")]);
    // A refused destination is not counted: only kept in Alice's call log as refused (its
    // owner item and its log entry), and no day is written.
    let ncco = answer_call(&cfg, store.ledger(), "Alice", "449090000000", "CON-premium").await;
    assert!(!connects(&ncco));
    assert_eq!(shared::testkit::item_count(&store).await, 2);
    // A completed phone leg of a call no app user placed, long ago: stored, charged to nobody.
    for (_, body) in tutorial_call() {
        deliver(&store, &body).await;
    }
    assert_eq!(store.ledger().day("Alice", &today()).await.unwrap(), None);
    let log = store.ledger().page("Alice", 10, None).await.unwrap().calls;
    let kept: Vec<_> = log
        .iter()
        .map(|c| (c.conversation_uuid.as_str(), c.outcome.as_deref()))
        .collect();
    assert_eq!(kept, [("CON-premium", Some("refused"))]);
}

#[tokio::test]
async fn a_phone_leg_of_a_call_no_app_user_placed_is_answered_at_once_and_charged_to_nobody() {
    // A call made with the Voice API, or connected uncounted while the ledger was down: its
    // phone leg completes seconds ago, and no owner item names its conversation.
    let store = local_store().await;
    let completed = json!({"uuid": "phone-api", "conversation_uuid": "CON-api",
        "status": "completed", "direction": "outbound", "duration": "5", "price": "0.00833333",
        "to": TUTORIAL_TO, "timestamp": Timestamp::now().as_str()});
    let (status, response) = send(&store, post(EVENT, &completed.to_string())).await;
    assert_eq!((status, response), (200, json!({"result": "stored"})));
    let (status, _) = send(&store, post(EVENT, &completed.to_string())).await;
    assert_eq!(status, 200);
    // Stored, its leg as sent; nothing in any user's ledger.
    let conversation = store.conversation("CON-api").await.unwrap();
    assert_eq!(conversation.legs[0].price.as_deref(), Some("0.00833333"));
    for item in scan_all(&store).await {
        let pk = item["pk"].as_s().unwrap();
        assert!(pk.starts_with("CONV#"), "only the call's own items: {pk}");
    }
}

#[tokio::test]
async fn the_end_of_a_phone_leg_just_answered_finds_its_caller_at_once() {
    // The owner item is read strongly consistent: no grace period, no retry needed.
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    for i in 0..20 {
        let tag = format!("quick-{i}");
        answer_call(
            &cfg,
            store.ledger(),
            "erin",
            TUTORIAL_TO,
            &format!("CON-{tag}"),
        )
        .await;
        let completed = &tutorial_as(&tag)[3];
        let (status, _) = send(&store, post(EVENT, completed)).await;
        assert_eq!(status, 200);
    }
    assert_eq!(usage(store.ledger(), "erin").await.0, "20");
    assert_eq!(usage(store.ledger(), "erin").await.1, "100");
}

#[tokio::test]
async fn a_leg_that_never_connected_is_the_calls_outcome_and_costs_nothing() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    answer_call(&cfg, store.ledger(), "fay", TUTORIAL_TO, "CON-busy").await;
    let leg = |status: &str, at: &str, extra: Value| {
        let mut body = json!({"uuid": "phone-busy", "conversation_uuid": "CON-busy",
            "status": status, "direction": "outbound", "to": TUTORIAL_TO, "timestamp": at});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.to_string()
    };
    // The completed event first, then the busy it followed: the call log says busy.
    deliver(
        &store,
        &leg(
            "completed",
            "2026-01-01T10:00:06.000Z",
            json!({"duration": "0", "price": "0"}),
        ),
    )
    .await;
    deliver(&store, &leg("busy", "2026-01-01T10:00:05.000Z", json!({}))).await;
    let call = &store.ledger().page("fay", 10, None).await.unwrap().calls[0];
    assert_eq!(call.outcome.as_deref(), Some("busy"));
    assert_eq!(
        (call.duration.as_deref(), call.price.as_deref()),
        (Some("0"), Some("0"))
    );
    assert_eq!(
        usage(store.ledger(), "fay").await,
        ("1".into(), "0".into(), "0".into())
    );
}

#[tokio::test]
async fn no_ledger_item_grows_with_the_calls_or_their_ids() {
    let store = local_store().await;
    // With a spend limit, so that each call also holds and releases a reservation.
    let cfg = answer_config(
        store.table(),
        &[
            ("MAX_SPEND_PER_USER_PER_DAY", "1000"),
            ("RATE_TABLE", "44:0.10"),
        ],
    );
    // Sixty calls with the longest ids the webhooks take, each charged and redelivered.
    let long = |i: usize, what: &str| format!("{what}-{i:03}-{}", "x".repeat(116));
    for i in 0..60 {
        let (conversation, leg) = (long(i, "CON"), long(i, "phone"));
        for _ in 0..2 {
            answer_call(&cfg, store.ledger(), "gus", TUTORIAL_TO, &conversation).await;
            let completed = tutorial_call()[3]
                .1
                .replace(CONVERSATION, &conversation)
                .replace(PHONE_LEG, &leg);
            deliver(&store, &completed).await;
        }
    }
    assert_eq!(
        usage(store.ledger(), "gus").await,
        ("60".into(), "300".into(), "0.4999998".into())
    );
    // The day holds its sums, its version, and the holds of calls under way (none now): nothing
    // that grows with the calls; every item stays small.
    for item in scan_all(&store).await {
        let sk = item["sk"].as_s().unwrap();
        if sk.starts_with("DAY#") {
            let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
            names.sort_unstable();
            let day = [
                "calls", "held", "holds", "pk", "seconds", "sk", "spend", "v",
            ];
            assert_eq!(names, day);
            assert!(item["holds"].as_m().unwrap().is_empty(), "{item:?}");
        }
        let size: usize = item
            .iter()
            .map(|(k, v)| k.len() + format!("{v:?}").len())
            .sum();
        assert!(size < 2048, "{sk}: {size} bytes");
    }
}

#[tokio::test]
async fn an_answer_request_with_an_id_too_long_for_a_key_is_a_400_that_writes_nothing() {
    let store = local_store().await;
    let cfg = answer_config(store.table(), &[]);
    for (key, value) in [
        ("conversation_uuid", "c".repeat(8192)),
        ("uuid", "u".repeat(129)),
        ("conversation_uuid", "CON-1#DAY#2026-01-01".to_string()),
        ("from_user", "a".repeat(257)),
        ("from_user", "alice\nbob".to_string()),
    ] {
        let mut query = vec![
            ("from_user", "alice".to_string()),
            ("to", TUTORIAL_TO.to_string()),
            ("conversation_uuid", "CON-ok".to_string()),
        ];
        query.retain(|(k, _)| *k != key);
        query.push((key, value));
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = shared::http::answer::handle_answer(
            &cfg,
            Some(store.ledger()),
            shared::testkit::get(shared::testkit::ANSWER, &pairs),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 400, "{key}");
    }
    assert_eq!(shared::testkit::item_count(&store).await, 0);
}
