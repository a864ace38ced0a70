//! An HTTP proxy in front of DynamoDB Local that counts the requests going through it and, on
//! demand, answers some of them itself with a throttling error, as DynamoDB does under load.
//!
//! DynamoDB Local never throttles; this lets tests and the benchmark see exactly what the SDK
//! sends (round trips per event, retries) against the real emulator behind it.

use crate::http::{client, response, serve, HttpClient};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

#[derive(Default)]
struct State {
    requests: AtomicU64,
    throttled: AtomicU64,
    throttle_next: AtomicU64,
    throttle_always: AtomicBool,
    by_operation: Mutex<HashMap<String, u64>>,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

/// Which DynamoDB error the proxy answers with.
pub const THROTTLING_BODY: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(State::default());
        let shared = state.clone();
        let client = client();
        let task = tokio::spawn(serve(listener, move |request| {
            handle(request, upstream, client.clone(), shared.clone())
        }));
        Self { addr, state, task }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received, throttled ones included.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub fn throttled(&self) -> u64 {
        self.state.throttled.load(Ordering::SeqCst)
    }

    /// Requests per DynamoDB operation (`PutItem`, `UpdateItem`, …).
    pub fn by_operation(&self) -> HashMap<String, u64> {
        self.state
            .by_operation
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
    }

    pub fn reset_counts(&self) {
        self.state.requests.store(0, Ordering::SeqCst);
        self.state.throttled.store(0, Ordering::SeqCst);
        if let Ok(mut m) = self.state.by_operation.lock() {
            m.clear();
        }
    }

    /// Answer the next `n` requests with a throttling error.
    pub fn throttle_next(&self, n: u64) {
        self.state.throttle_next.store(n, Ordering::SeqCst);
    }

    /// Answer every request with a throttling error until turned off.
    pub fn throttle_always(&self, on: bool) {
        self.state.throttle_always.store(on, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts the request, answers it with a throttling error if asked to, or forwards it.
async fn handle(
    request: Request<Incoming>,
    upstream: SocketAddr,
    client: HttpClient,
    state: Arc<State>,
) -> Response<Full<Bytes>> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("?")
        .to_string();
    if let Ok(mut m) = state.by_operation.lock() {
        *m.entry(operation).or_default() += 1;
    }
    let throttle = state.throttle_always.load(Ordering::SeqCst)
        || state
            .throttle_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if throttle {
        state.throttled.fetch_add(1, Ordering::SeqCst);
        return response(
            400,
            &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amzn-requestid", "proxy-throttle"),
            ],
            THROTTLING_BODY,
        );
    }
    match forward(request, upstream, &client).await {
        Ok(answer) => answer,
        Err(e) => response(502, &[], format!("proxy: {e}")),
    }
}

/// The request as it came (method, path, headers, body) to `upstream`, and its answer back.
async fn forward(
    request: Request<Incoming>,
    upstream: SocketAddr,
    client: &HttpClient,
) -> Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("http://{upstream}{path}").parse()?;
    let body = body.collect().await?.to_bytes();
    let answer = client
        .request(Request::from_parts(parts, Full::new(body)))
        .await?;
    let (parts, body) = answer.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}
