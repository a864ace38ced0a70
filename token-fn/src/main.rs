//! token-fn: the signed-in app user asks for their Vonage user token; we make sure the user
//! exists at Vonage and mint it.

use lambda_http::{run, service_fn, Error};
use shared::config::{dynamodb_client, private_key, ProcessEnv, TokenConfig};
use shared::http::token::handle_token;
use shared::store::{profiles::Profiles, warm_up};
use shared::vonage::UsersApi;
use voice_core::token::Minter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::http::logging::init();
    let config = TokenConfig::from_env(&ProcessEnv)?;
    let pem = private_key(&config.private_key, &ProcessEnv).await?;
    let minter = Minter::new(
        &config.application_id,
        &pem,
        config.ttl_seconds,
        config.acl.clone(),
    )
    .map_err(|e| format!("the Vonage private key: {e}"))?;
    let client = dynamodb_client(&ProcessEnv, None)?;
    warm_up(&client, &config.table_name).await;
    let profiles = Profiles::new(client, &config.table_name);
    let vonage = UsersApi::new(&config.vonage_api_url)?;
    run(service_fn(|req| {
        handle_token(&config, &minter, &profiles, &vonage, req)
    }))
    .await
}
