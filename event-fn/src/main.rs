//! event-fn: Vonage reports call status changes; we store each one in DynamoDB, and settle the
//! end of each phone leg with the app user who placed the call.

use lambda_http::{run, service_fn, Error};
use shared::config::{dynamodb_client, EventConfig, ProcessEnv};
use shared::http::event::handle_event;
use shared::store::{warm_up, Store};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::http::logging::init();
    let config = EventConfig::from_env(&ProcessEnv)?;
    let store = Store::new(dynamodb_client(&ProcessEnv, None)?, &config);
    warm_up(store.client(), store.table()).await;
    run(service_fn(|req| {
        handle_event(&config, &store, store.ledger(), req)
    }))
    .await
}
