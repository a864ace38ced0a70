//! A table of one's own in DynamoDB Local (started by `make test`), and what tests read back
//! (feature `admin`).

use super::requests::{get, ANSWER};
use super::vars::Vars;
use crate::config::{AnswerConfig, EventConfig};
use crate::store::ledger::Ledger;
use crate::store::{Item, Store};
use lambda_http::Request;
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};

/// A store on a fresh table in DynamoDB Local.
pub async fn local_store() -> Store {
    local_store_with(None).await
}

pub async fn local_store_with(retention_days: Option<u32>) -> Store {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "these tests need DynamoDB Local: run them with `make test` (AWS_ENDPOINT_URL_DYNAMODB is `{endpoint}`)"
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let table = format!(
        "calls-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let store = Store::from_env(&EventConfig {
        retention_days,
        ..EventConfig::unsigned(&table)
    })
    .expect("store from the environment");
    store
        .create_table()
        .await
        .expect("create table in DynamoDB Local");
    store
}

/// Sends a request through the event handler, unsigned: (status, JSON body).
pub async fn send(store: &Store, req: Request) -> (u16, Value) {
    send_with(&EventConfig::unsigned(store.table()), store, req).await
}

/// Sends a request through the event handler configured by `cfg`: (status, JSON body).
pub async fn send_with(cfg: &EventConfig, store: &Store, req: Request) -> (u16, Value) {
    let res = crate::http::event::handle_event(cfg, store, store.ledger(), req)
        .await
        .expect("the handler answers every request");
    let body = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    (res.status().as_u16(), body)
}

/// The answer webhook's settings for a test: our number, the ledger in `table`, and `vars`.
pub fn answer_config(table: &str, vars: &[(&str, &str)]) -> AnswerConfig {
    let env =
        Vars::unsigned(&[("VONAGE_NUMBER", "447700900001"), ("TABLE_NAME", table)]).with(vars);
    AnswerConfig::from_env(&env).expect("answer config")
}

/// An app user's call to `to` through the answer webhook with `ledger`: the NCCO.
pub async fn answer_call(
    cfg: &AnswerConfig,
    ledger: &Ledger,
    user: &str,
    to: &str,
    conversation_uuid: &str,
) -> Value {
    let req = get(
        ANSWER,
        &[
            ("from_user", user),
            ("to", to),
            ("conversation_uuid", conversation_uuid),
            ("uuid", &format!("app-{conversation_uuid}")),
        ],
    );
    let res = crate::http::answer::handle_answer(cfg, Some(ledger), req)
        .await
        .expect("the handler answers every request");
    assert_eq!(res.status(), 200);
    serde_json::from_slice(res.body().as_ref()).expect("an NCCO")
}

/// Every item in the table (one page: these tables are small).
pub async fn scan_all(store: &Store) -> Vec<Item> {
    let out = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .expect("scan");
    out.items().to_vec()
}

/// How many items the table holds, for "nothing was written" checks.
pub async fn item_count(store: &Store) -> usize {
    scan_all(store).await.len()
}
