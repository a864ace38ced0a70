//! Spend caps that hold during the call, against DynamoDB Local through both webhooks'
//! handlers: the answer reserves what a call may cost and its connect's `limit` is what that
//! funds; the completed leg charges its real price and releases the reservation, once; a
//! reservation nobody settles expires; concurrent calls never commit more than the limit.

use serde_json::{json, Value};
use shared::config::AnswerConfig;
use shared::store::Store;
use shared::testkit::{answer_call, answer_config, local_store, post, send, EVENT};
use shared::usecase::calls::CallLog;
use voice_core::answer::{BUDGET_TEXT, NO_RATE_TEXT};
use voice_core::decimal::{Amount, Decimal};
use voice_core::time::{day_of, Timestamp};
use voice_core::usage::DayTotals;

const UK_MOBILE: &str = "447700900000";

/// The connect's `limit`, or `None` when the answer connects nothing.
fn limit_of(ncco: &Value) -> Option<u64> {
    ncco.as_array()?
        .iter()
        .find(|action| action["action"] == "connect")
        .and_then(|connect| connect["limit"].as_u64())
}

fn spoken(ncco: &Value) -> &str {
    ncco[0]["text"].as_str().unwrap_or_default()
}

fn amount(text: &str) -> Amount {
    Amount::of(&Decimal::parse(text).unwrap()).unwrap()
}

/// `user`'s day: spend and what open calls hold, exactly.
async fn day(store: &Store, user: &str, day: &str) -> (Amount, Amount) {
    let DayTotals { spend, held, .. } = store
        .ledger()
        .day(user, day)
        .await
        .unwrap()
        .unwrap_or_default();
    let exact = |text: &str| amount(if text.is_empty() { "0" } else { text });
    (exact(&spend), exact(&held))
}

fn today() -> String {
    day_of(&Timestamp::now()).to_string()
}

/// The end of a call's phone leg, as Vonage reports it.
async fn ended(store: &Store, conversation: &str, status: &str, extra: Value) {
    let mut event = json!({"uuid": format!("phone-{conversation}"), "conversation_uuid": conversation,
        "status": status, "direction": "outbound", "to": UK_MOBILE,
        "timestamp": Timestamp::now().as_str()});
    for (key, value) in extra.as_object().unwrap() {
        event[key] = value.clone();
    }
    let (code, body) = send(store, post(EVENT, &event.to_string())).await;
    assert_eq!(code, 200, "{event}: {body}");
}

async fn completed(store: &Store, conversation: &str, seconds: &str, price: &str) {
    let extra = json!({"duration": seconds, "price": price, "rate": "0.10000000"});
    ended(store, conversation, "completed", extra).await;
}

fn capped(store: &Store, vars: &[(&str, &str)]) -> AnswerConfig {
    let mut all = vec![("RATE_TABLE", "44:0.10")];
    all.extend_from_slice(vars);
    answer_config(store.table(), &all)
}

#[tokio::test]
async fn five_concurrent_calls_with_budget_for_two_minutes_never_commit_more_than_the_limit() {
    let store = local_store().await;
    // Calls of at most a minute each, 0.20 at 0.10 a minute: two of the five can be funded.
    let cfg = capped(
        &store,
        &[
            ("MAX_SPEND_PER_USER_PER_DAY", "0.20"),
            ("MAX_CALL_SECONDS", "60"),
        ],
    );
    let call = |i: u32| {
        let (cfg, store) = (&cfg, &store);
        async move {
            let conversation = format!("CON-five-{i}");
            answer_call(cfg, store.ledger(), "alice", UK_MOBILE, &conversation).await
        }
    };
    // All five at once: their reads and writes of alice's day interleave.
    let (a, b, c, d, e) = tokio::join!(call(0), call(1), call(2), call(3), call(4));
    let nccos = [a, b, c, d, e];
    let funded: Vec<u64> = nccos.iter().filter_map(limit_of).collect();
    assert_eq!(funded, [60, 60], "{nccos:?}");
    for ncco in nccos.iter().filter(|n| limit_of(n).is_none()) {
        assert_eq!(spoken(ncco), BUDGET_TEXT);
    }
    let (spend, held) = day(&store, "alice", &today()).await;
    assert_eq!((spend, held), (Amount::ZERO, amount("0.20")));
}

#[tokio::test]
async fn a_calls_connect_limit_shrinks_as_the_days_spend_grows_and_spend_is_the_sum_of_prices() {
    let store = local_store().await;
    let cfg = capped(&store, &[("MAX_SPEND_PER_USER_PER_DAY", "1.00")]);
    // Each call talks for part of what it was funded for, at Vonage's 8-decimal prices.
    let talks = [
        ("300", "0.50000000"),
        ("130", "0.21666666"),
        ("61", "0.10166666"),
    ];
    let mut limits = Vec::new();
    let mut sum = Amount::ZERO;
    for (i, (seconds, price)) in talks.iter().enumerate() {
        let conversation = format!("CON-shrink-{i}");
        let ncco = answer_call(&cfg, store.ledger(), "bob", UK_MOBILE, &conversation).await;
        limits.push(limit_of(&ncco).expect("connected"));
        let (_, held) = day(&store, "bob", &today()).await;
        assert!(
            held > Amount::ZERO,
            "the call holds its funding while it runs"
        );
        completed(&store, &conversation, seconds, price).await;
        sum = sum.checked_add(amount(price)).unwrap();
        let (spend, held) = day(&store, "bob", &today()).await;
        assert_eq!(
            (spend, held),
            (sum, Amount::ZERO),
            "charged exactly, released"
        );
    }
    // Left 1.00 → 10 min; 0.50 → 5 min; 0.28333334 → 2 min (2 min 50 s, whole minutes).
    assert_eq!(limits, [600, 300, 120]);
    // 0.18166668 left: one minute more, then 0.08166668 is under a minute: refused, said so.
    let ncco = answer_call(&cfg, store.ledger(), "bob", UK_MOBILE, "CON-shrink-3").await;
    assert_eq!(limit_of(&ncco), Some(60));
    completed(&store, "CON-shrink-3", "60", "0.10000000").await;
    let ncco = answer_call(&cfg, store.ledger(), "bob", UK_MOBILE, "CON-shrink-4").await;
    assert_eq!((limit_of(&ncco), spoken(&ncco)), (None, BUDGET_TEXT));
    let (spend, _) = day(&store, "bob", &today()).await;
    assert_eq!(
        spend,
        amount("0.91833332"),
        "the exact sum of the four prices"
    );
    assert!(spend <= amount("1.00"));
    // The refusal is in bob's call log with why.
    let log = store.ledger().page("bob", 1, None).await.unwrap().calls;
    assert_eq!(
        (log[0].outcome.as_deref(), log[0].reason.as_deref()),
        (Some("refused"), Some("budget"))
    );
}

#[tokio::test]
async fn a_lost_completed_events_reservation_expires_and_a_late_one_charges_once() {
    use shared::usecase::answer::answer_call as answer_at;
    let store = local_store().await;
    let cfg = capped(
        &store,
        &[
            ("MAX_SPEND_PER_USER_PER_DAY", "0.10"),
            ("MAX_CALL_SECONDS", "60"),
            ("RING_TIMEOUT_SECONDS", "30"),
        ],
    );
    let at = |time: &str| Timestamp::parse(&format!("2026-12-01T{time}Z")).unwrap();
    let ask = |conversation: &str| {
        json!({"to": UK_MOBILE, "from_user": "carol", "conversation_uuid": conversation})
            .as_object()
            .cloned()
            .unwrap()
    };
    let limit = |answered: &shared::usecase::answer::Answered| {
        limit_of(&serde_json::to_value(&answered.answer.ncco).unwrap())
    };
    // 10:00 the first call holds all 0.10 for 60 s; its `completed` never arrives.
    let first = answer_at(
        &cfg,
        Some(store.ledger()),
        &ask("CON-lost"),
        at("10:00:00.000"),
    )
    .await
    .unwrap();
    assert_eq!(limit(&first), Some(60));
    // 10:05 the hold is still there (60 s + 30 s ringing + 300 s margin): nothing left.
    let second = answer_at(
        &cfg,
        Some(store.ledger()),
        &ask("CON-b"),
        at("10:05:00.000"),
    )
    .await
    .unwrap();
    assert_eq!(limit(&second), None);
    // 10:07 it has expired: the next call gets its budget, and says it dropped one.
    let third = answer_at(
        &cfg,
        Some(store.ledger()),
        &ask("CON-c"),
        at("10:07:00.000"),
    )
    .await
    .unwrap();
    assert_eq!(limit(&third), Some(60));
    assert_eq!(third.funded.unwrap().expired, 1);
    let (spend, held) = day(&store, "carol", "2026-12-01").await;
    assert_eq!((spend, held), (Amount::ZERO, amount("0.10")));
    // The lost event arrives after all, twice: its price is charged once; CON-c's hold stays.
    for _ in 0..2 {
        completed(&store, "CON-lost", "42", "0.07000000").await;
    }
    let (spend, held) = day(&store, "carol", "2026-12-01").await;
    assert_eq!((spend, held), (amount("0.07"), amount("0.10")));
}

#[tokio::test]
async fn redeliveries_change_nothing() {
    let store = local_store().await;
    let cfg = capped(&store, &[("MAX_SPEND_PER_USER_PER_DAY", "2.00")]);
    // An answer asked for three times: one count, one hold, the same limit each time.
    let mut limits = Vec::new();
    for _ in 0..3 {
        let ncco = answer_call(&cfg, store.ledger(), "dave", UK_MOBILE, "CON-again").await;
        limits.push(limit_of(&ncco));
    }
    assert_eq!(limits, [Some(1200), Some(1200), Some(1200)]);
    let (_, held) = day(&store, "dave", &today()).await;
    assert_eq!(held, amount("2"));
    let totals = store.ledger().day("dave", &today()).await.unwrap().unwrap();
    assert_eq!(totals.calls, "1");
    // Its completed event three times: charged once, released once.
    for _ in 0..3 {
        completed(&store, "CON-again", "65", "0.10833333").await;
    }
    let (spend, held) = day(&store, "dave", &today()).await;
    assert_eq!((spend, held), (amount("0.10833333"), Amount::ZERO));
    // A call that never connects releases its hold on its first not-connected event; its
    // redeliveries and a following zero-length completed change nothing more.
    let ncco = answer_call(&cfg, store.ledger(), "dave", UK_MOBILE, "CON-busy").await;
    assert!(limit_of(&ncco).is_some());
    for _ in 0..2 {
        ended(&store, "CON-busy", "busy", json!({})).await;
    }
    completed(&store, "CON-busy", "0", "0").await;
    let (spend, held) = day(&store, "dave", &today()).await;
    assert_eq!((spend, held), (amount("0.10833333"), Amount::ZERO));
}

#[tokio::test]
async fn a_destination_is_priced_by_the_table_else_by_what_legs_taught_else_by_the_default() {
    let store = local_store().await;
    // No table entry for France, no default: refused, said so, kept in the call log.
    let france = "33612345678";
    let vars = [
        ("MAX_SPEND_PER_USER_PER_DAY", "1.00"),
        ("ALLOWED_DESTINATIONS", "44,33"),
    ];
    let cfg = answer_config(store.table(), &vars);
    let ncco = answer_call(&cfg, store.ledger(), "erin", france, "CON-fr-0").await;
    assert_eq!((limit_of(&ncco), spoken(&ncco)), (None, NO_RATE_TEXT));
    // A default prices it: 1.00 at 0.05 a minute funds the whole hour.
    let mut with_default = vars.to_vec();
    with_default.push(("DEFAULT_RATE_PER_MINUTE", "0.05"));
    let cfg = answer_config(store.table(), &with_default);
    let ncco = answer_call(&cfg, store.ledger(), "erin", france, "CON-fr-1").await;
    assert_eq!(limit_of(&ncco), Some(1200));
    // The call's leg says France costs 0.20 a minute: from now on that is its price.
    let event = json!({"duration": "30", "price": "0.10000000", "rate": "0.20000000",
        "to": france});
    ended(&store, "CON-fr-1", "completed", event).await;
    let ncco = answer_call(&cfg, store.ledger(), "erin", france, "CON-fr-2").await;
    assert_eq!(
        limit_of(&ncco),
        Some(240),
        "0.90 left at 0.20 a minute: 4 minutes"
    );
    // A cheaper leg never lowers it; a dearer one raises it.
    for (conversation, rate) in [("CON-fr-2", "0.15000000"), ("CON-fr-4", "0.30000000")] {
        if conversation == "CON-fr-4" {
            answer_call(&cfg, store.ledger(), "ivy", france, conversation).await;
        }
        let event = json!({"duration": "6", "price": "0.01500000", "rate": rate, "to": france});
        ended(&store, conversation, "completed", event).await;
    }
    let ncco = answer_call(&cfg, store.ledger(), "jay", france, "CON-fr-5").await;
    assert_eq!(
        limit_of(&ncco),
        Some(180),
        "1.00 at 0.30 a minute: 3 minutes"
    );
    // A table entry wins over both.
    let mut with_table = with_default.clone();
    with_table.push(("RATE_TABLE", "336:0.45"));
    let cfg = answer_config(store.table(), &with_table);
    let ncco = answer_call(&cfg, store.ledger(), "frank", france, "CON-fr-3").await;
    assert_eq!(
        limit_of(&ncco),
        Some(120),
        "1.00 at 0.45 a minute: 2 minutes"
    );
}
