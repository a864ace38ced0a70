//! calls-fn: the signed-in app user asks for their own calls; we read them from their call log
//! in the ledger, a page at a time, with today's totals and limits.

use lambda_http::{run, service_fn, Error};
use shared::config::{dynamodb_client, CallsConfig, ProcessEnv};
use shared::http::calls::handle_calls;
use shared::store::{ledger::Ledger, warm_up};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::http::logging::init();
    let config = CallsConfig::from_env(&ProcessEnv)?;
    let client = dynamodb_client(&ProcessEnv, None)?;
    warm_up(&client, &config.table_name).await;
    let ledger = Ledger::new(client, &config.table_name);
    run(service_fn(|req| handle_calls(&config, &ledger, req))).await
}
