//! Helpers for tests against DynamoDB Local (started by `make test` through
//! `scripts/dynamodb-local.sh`). Each test gets a table of its own, so tests run in parallel.
#![allow(dead_code)]

use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;
use shared::config::EventConfig;
use shared::signature::Verifier;
use shared::store::Store;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// A store on a fresh table in DynamoDB Local.
pub async fn local_store() -> Store {
    local_store_with(None).await
}

/// Unsigned: these tests are about storage; the signed path has tests of its own.
pub fn unsigned_config(table: &str) -> EventConfig {
    EventConfig {
        table_name: table.into(),
        retention_days: None,
        signature: Verifier::unsigned(),
    }
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
        .unwrap()
        .subsec_nanos();
    let table = format!(
        "calls-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let store = Store::from_env(&EventConfig {
        retention_days,
        ..unsigned_config(&table)
    })
    .await;
    store
        .create_table()
        .await
        .expect("create table in DynamoDB Local");
    store
}

/// The tutorial call's event bodies, in delivery order, as (file name, raw body).
pub fn tutorial_call() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/tutorial-call");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect()
}

pub const CONVERSATION: &str = "CON-1a28b1f8-0831-44e6-8d58-42739e7d4c77";
pub const APP_LEG: &str = "2da93da3-bcac-47ee-b48e-4a18fae7db08";
pub const PHONE_LEG: &str = "8aa86e22-8d45-4201-b8d8-3dcd76e76429";

/// A POST of `body` as Vonage sends it.
pub fn post(body: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/voice/event")
        .header("content-type", "application/json")
        .body(Body::Text(body.to_string()))
        .unwrap()
}

/// A GET with `params` as its query string (Vonage's `event_method: GET`).
pub fn get(params: &[(&str, &str)]) -> Request {
    let map: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    lambda_http::http::Request::builder()
        .method("GET")
        .uri("/voice/event")
        .body(Body::Empty)
        .unwrap()
        .with_query_string_parameters(map)
}

/// Sends a request through the event handler: (status, JSON body).
pub async fn send(store: &Store, req: Request) -> (u16, Value) {
    let res = shared::event::handle_event(&unsigned_config(store.table()), store, req)
        .await
        .unwrap();
    let body = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    (res.status().as_u16(), body)
}

/// Every item in the table, for "nothing was written" checks.
pub async fn item_count(store: &Store) -> usize {
    let out = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    out.items().len()
}
