//! A small `make load` inside `make test`: 1 000 deliveries with duplicates, shuffled, from 32
//! handler instances at once, and nothing lost, doubled or wrong.

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

    let report = load::run(&plan, &cfg, 32).await;
    assert_eq!((report.sent, report.errors), (1_000, 0), "{report:?}");

    let check = load::check(&plan, &store).await.unwrap();
    assert!(check.ok(), "{check:?}");
    assert_eq!(check.transitions_stored, plan.distinct);
}

#[test]
fn the_same_seed_gives_the_same_traffic() {
    let a = load::synthesize(10, 200, 10, 3);
    let b = load::synthesize(10, 200, 10, 3);
    assert_eq!(a.deliveries, b.deliveries);
    assert_ne!(a.deliveries, load::synthesize(10, 200, 10, 4).deliveries);
}
