//! A small `make load` inside `make test`: 50 calls from 5 users answered (some twice), then
//! 1 000 deliveries with duplicates, shuffled, from 32 handler instances at once, and nothing
//! lost, doubled or wrong: not an event, not a leg, not a user's ledger.

use devtools::load;
use shared::config::EventConfig;
use shared::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_shuffled_events_with_duplicates_land_exactly_once_and_every_leg_is_right() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "run with `make test` (DynamoDB Local)"
    );
    let cfg = EventConfig::unsigned(&format!("load-{}", std::process::id()));
    let store = Store::from_env(&cfg).expect("store from the environment");
    store.create_table().await.unwrap();

    let plan = load::synthesize(50, 1_000, 10, 7);
    assert_eq!(plan.deliveries.len(), 1_000);
    assert!(
        plan.deliveries.len() > plan.distinct,
        "the traffic has redeliveries"
    );

    let day = voice_core::time::day_of(&voice_core::time::Timestamp::now()).to_string();
    let report = load::run(&plan, &cfg, 32).await;
    assert_eq!((report.sent, report.errors), (1_000, 0), "{report:?}");
    assert_eq!(
        (report.answers, report.answer_errors),
        (55, 0),
        "{report:?}"
    );

    let check = load::check(&plan, &store).await.unwrap();
    assert!(check.ok(), "{check:?}");
    assert_eq!(check.transitions_stored, plan.distinct);

    let ledger = load::check_ledger(&plan, &store, &[day]).await.unwrap();
    assert!(ledger.ok(), "{ledger:?}");
    assert_eq!((ledger.users, ledger.exact), (5, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_spend_limit_no_users_settled_spend_exceeds_it_and_it_is_exact() {
    let cfg = EventConfig::unsigned(&format!("load-capped-{}", std::process::id()));
    let store = Store::from_env(&cfg).expect("store from the environment");
    store.create_table().await.unwrap();
    // 60 calls from 6 users, 0.50 each a day at 0.10 a minute: some calls are cut short by
    // their limit, some refused, and nobody spends more than 0.50.
    let plan = load::synthesize(60, 600, 10, 11);
    let check = load::run_capped(&plan, &cfg, 8, "0.50").await.unwrap();
    assert!(check.ok(), "{check:?}");
    assert_eq!((check.users, check.exact, check.over_limit), (6, 6, 0));
    assert!(check.cut > 0, "{check:?}");
}

#[test]
fn decimals_are_compared_exactly() {
    use shared::testkit::scaled;
    assert_eq!(scaled("0.00833333"), Some(833_333));
    assert_eq!(scaled("5"), Some(500_000_000));
    assert_eq!(scaled("0.9999996"), Some(99_999_960));
    assert_eq!(scaled("0.000000001"), None);
}

#[test]
fn the_same_seed_gives_the_same_traffic() {
    let a = load::synthesize(10, 200, 10, 3);
    let b = load::synthesize(10, 200, 10, 3);
    assert_eq!(a.deliveries, b.deliveries);
    assert_ne!(a.deliveries, load::synthesize(10, 200, 10, 4).deliveries);
}
