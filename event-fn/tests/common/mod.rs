//! Helpers for tests against DynamoDB Local (started by `make test` through
//! `scripts/dynamodb-local.sh`). Each test gets a table of its own, so tests run in parallel.
#![allow(dead_code)]

use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;
use shared::config::EventConfig;
use shared::store::Store;
use std::collections::HashMap;
use std::path::PathBuf;
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
        .unwrap()
        .subsec_nanos();
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
    let res = shared::event::handle_event(&EventConfig::unsigned(store.table()), store, req)
        .await
        .unwrap();
    let body = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    (res.status().as_u16(), body)
}

/// One DynamoDB item.
pub type Item = HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// Every item in the table (one page: these tables are small).
pub async fn scan_all(store: &Store) -> Vec<Item> {
    let out = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    out.items().to_vec()
}

/// How many items the table holds, for "nothing was written" checks.
pub async fn item_count(store: &Store) -> usize {
    scan_all(store).await.len()
}

/// A request exactly as API Gateway's HTTP API (payload v2) hands it to the function, parsed
/// by lambda_http itself: the path every request takes in production.
pub struct ApiGw {
    pub method: &'static str,
    pub path: &'static str,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Send the body base64-encoded even if it is text (API Gateway may do so).
    pub base64: bool,
}

impl ApiGw {
    pub fn new(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            query: vec![],
            headers: vec![],
            body: None,
            base64: false,
        }
    }

    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    pub fn header(mut self, key: &str, value: &str) -> Self {
        self.headers.push((key.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn json(self, body: impl Into<Vec<u8>>) -> Self {
        self.header("content-type", "application/json").body(body)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// The API Gateway event JSON. Bodies that are not UTF-8 go base64-encoded, as API
    /// Gateway sends them.
    pub fn event(&self) -> Value {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let raw_query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
            .collect();
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let (body, base64) = match &self.body {
            None => (Value::Null, false),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) if !self.base64 => (Value::String(text.into()), false),
                _ => (Value::String(STANDARD.encode(bytes)), true),
            },
        };
        serde_json::json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.path),
            "rawPath": self.path,
            "rawQueryString": raw_query.join("&"),
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
                "domainPrefix": "local", "requestId": "test", "routeKey": format!("{} {}", self.method, self.path),
                "stage": "$default", "time": "10/Mar/2021:10:36:21 +0000", "timeEpoch": 1615372581285u64,
                "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "test"}
            },
            "body": body,
            "isBase64Encoded": base64
        })
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.event().to_string())
            .expect("valid API Gateway v2 event")
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
