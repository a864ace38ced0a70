//! An HTTP proxy in front of DynamoDB Local that counts the requests going through it and, on
//! demand, answers some of them itself with a throttling error, as DynamoDB does under load.
//!
//! DynamoDB Local never throttles; this lets tests and the benchmark see exactly what the SDK
//! sends (round trips per event, retries) against the real emulator behind it.

use crate::wire::read_message;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

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
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(client, upstream, state).await;
                });
            }
        });
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

async fn serve(client: TcpStream, upstream: SocketAddr, state: Arc<State>) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let (client_read, mut client_write) = client.into_split();
    let mut client_read = BufReader::new(client_read);
    let mut upstream_conn: Option<(
        BufReader<tokio::net::tcp::OwnedReadHalf>,
        tokio::net::tcp::OwnedWriteHalf,
    )> = None;
    while let Some(request) = read_message(&mut client_read).await? {
        state.requests.fetch_add(1, Ordering::SeqCst);
        let operation = request
            .header("x-amz-target")
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
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\n\
                 x-amzn-RequestId: proxy-throttle\r\nContent-Length: {}\r\n\r\n{THROTTLING_BODY}",
                THROTTLING_BODY.len()
            );
            client_write.write_all(response.as_bytes()).await?;
            continue;
        }
        if upstream_conn.is_none() {
            let stream = TcpStream::connect(upstream).await?;
            stream.set_nodelay(true)?;
            let (r, w) = stream.into_split();
            upstream_conn = Some((BufReader::new(r), w));
        }
        let Some((up_read, up_write)) = upstream_conn.as_mut() else {
            break;
        };
        up_write.write_all(&request.encode()).await?;
        let Some(response) = read_message(up_read).await? else {
            break;
        };
        client_write.write_all(&response.encode()).await?;
    }
    Ok(())
}
