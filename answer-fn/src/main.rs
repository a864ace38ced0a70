//! answer-fn: Vonage asks what to do with a call; we answer with an NCCO.

use lambda_http::{run, service_fn, Error};
use shared::config::{AnswerConfig, ProcessEnv};
use shared::http::answer::handle_answer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::http::logging::init();
    let config = AnswerConfig::from_env(&ProcessEnv)?;
    run(service_fn(|req| handle_answer(&config, req))).await
}
