//! What `make bench` measures and prints: a function's cold starts through the local Runtime
//! API (init, first and warm invocations, peak RSS), and DynamoDB Local on its own.

use crate::runtime_api::{median_min_max, percentile, Function};
use std::process::Command;
use std::time::Duration;

/// Warm invocations after each cold start.
pub const WARM: usize = 1000;

/// The status code of the API Gateway response the function returned.
pub fn status_of(body: &[u8]) -> u64 {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["statusCode"].as_u64())
        .unwrap_or(0)
}

pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

pub fn us(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

/// One function's figures over its cold starts.
#[derive(Default)]
pub struct Figures {
    pub init: Vec<Duration>,
    pub first: Vec<Duration>,
    pub warm: Vec<Duration>,
    pub warm_p50: Vec<Duration>,
    pub rss_kib: Vec<u64>,
}

impl Figures {
    pub fn print(&mut self, name: &str) {
        let (i, i_min, i_max) = median_min_max(&mut self.init);
        let (f, f_min, f_max) = median_min_max(&mut self.first);
        self.warm.sort();
        let (p50, p50_min, p50_max) = median_min_max(&mut self.warm_p50);
        self.rss_kib.sort();
        let rss = |k: u64| format!("{:.1}", k as f64 / 1024.0);
        println!(
            "| {name} | {} ms ({}–{}) | {} ms ({}–{}) | {} µs ({}–{}) | {} µs | {} MB ({}–{}) |",
            ms(i),
            ms(i_min),
            ms(i_max),
            ms(f),
            ms(f_min),
            ms(f_max),
            us(p50),
            us(p50_min),
            us(p50_max),
            us(percentile(&self.warm, 99)),
            rss(self.rss_kib[self.rss_kib.len() / 2]),
            rss(self.rss_kib[0]),
            rss(self.rss_kib[self.rss_kib.len() - 1]),
        );
    }
}

impl Figures {
    /// One cold start: init, a first invocation, then `WARM` more.
    pub async fn cold_start(
        &mut self,
        command: Command,
        mut payload: impl FnMut(usize) -> Vec<u8>,
    ) {
        let mut function = Function::start(command).await;
        self.init.push(function.init().await);
        let mut latencies = Vec::with_capacity(WARM);
        for i in 0..=WARM {
            let (latency, outcome) = function.invoke(payload(i)).await;
            assert!(
                outcome.ok && status_of(&outcome.body) == 200,
                "invocation failed: {}",
                String::from_utf8_lossy(&outcome.body)
            );
            if i == 0 {
                self.first.push(latency);
            } else {
                latencies.push(latency);
            }
        }
        self.rss_kib.push(function.peak_rss_kib());
        latencies.sort();
        self.warm_p50.push(percentile(&latencies, 50));
        self.warm.extend(latencies);
    }
}

/// DynamoDB Local on its own, from the harness, without any function: a `PutItem` on a warm
/// connection back to back (what a warm invocation meets), and one after a cold start's idle
/// gap of 3 ms, on a warm and on a new connection (what a first invocation meets). The
/// emulator's share of every first invocation, the Python peer's included.
pub async fn dynamodb_local_alone(address: std::net::SocketAddr, table: &str) {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::client::conn::http1::{handshake, SendRequest};
    const ROUNDS: usize = 200;
    const IDLE: Duration = Duration::from_millis(3);
    let mut n = 0u64;
    let mut request = || {
        n += 1;
        let body = format!(
            r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"BENCH#alone"}},"sk":{{"S":"{n}"}}}}}}"#
        );
        hyper::Request::post("/")
            .header("host", address.to_string())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.PutItem")
            .header("x-amz-date", "20260101T000000Z")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .body(Full::new(Bytes::from(body)))
            .expect("a request")
    };
    // One request on one connection, timed from sending it to the last byte of the answer.
    async fn exchange(
        connection: &mut SendRequest<Full<Bytes>>,
        request: hyper::Request<Full<Bytes>>,
    ) -> Duration {
        connection.ready().await.expect("connection ready");
        let started = std::time::Instant::now();
        let response = connection.send_request(request).await.expect("an answer");
        assert_eq!(response.status(), 200, "DynamoDB Local refused the PutItem");
        response.into_body().collect().await.expect("the body");
        started.elapsed()
    }
    let connect = || async {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (connection, driver) = handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("HTTP/1.1");
        tokio::spawn(driver);
        connection
    };
    let mut warm = connect().await;
    for _ in 0..ROUNDS {
        exchange(&mut warm, request()).await;
    }
    let (mut back_to_back, mut after_idle, mut new_after_idle) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        back_to_back.push(exchange(&mut warm, request()).await);
        tokio::time::sleep(IDLE).await;
        after_idle.push(exchange(&mut warm, request()).await);
        tokio::time::sleep(IDLE).await;
        let mut fresh = connect().await;
        new_after_idle.push(exchange(&mut fresh, request()).await);
    }
    let p50 = |v: &mut Vec<Duration>| {
        v.sort();
        us(percentile(v, 50))
    };
    println!(
        "DynamoDB Local alone, PutItem p50 over {ROUNDS}: back to back on a warm connection {} µs; \
         after 3 ms idle {} µs on a warm connection, {} µs on a new one",
        p50(&mut back_to_back),
        p50(&mut after_idle),
        p50(&mut new_after_idle)
    );
}
