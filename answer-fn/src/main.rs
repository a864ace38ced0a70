//! answer-fn: Vonage asks what to do with a call; we answer with an NCCO, and count each call an
//! app user places in their daily ledger (refusing it over their limits).

use lambda_http::{run, service_fn, Error};
use shared::config::{ledger_client, AnswerConfig, ProcessEnv};
use shared::http::answer::handle_answer;
use shared::store::{ledger::Ledger, warm_up};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::http::logging::init();
    let config = AnswerConfig::from_env(&ProcessEnv)?;
    let ledger = match &config.table_name {
        Some(table) => {
            let client = ledger_client(&ProcessEnv, None)?;
            warm_up(&client, table).await;
            Some(Ledger::new(client, table))
        }
        None => None,
    };
    run(service_fn(|req| {
        handle_answer(&config, ledger.as_ref(), req)
    }))
    .await
}
