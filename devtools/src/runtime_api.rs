//! A local AWS Lambda Runtime API (`/2018-06-01/runtime/...`) that runs a function binary the
//! way Lambda does, and measures it: init (exec → first `/next`), each invocation (event handed
//! over → `/response`), and peak RSS.

use crate::wire::read_message;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Mutex};

/// What the function sent back for one invocation.
#[derive(Debug)]
pub struct Outcome {
    pub ok: bool,
    pub body: Vec<u8>,
    pub at: Instant,
}

struct Shared {
    /// Events waiting for a `/next`: (request id, payload).
    events: Mutex<mpsc::Receiver<(String, Vec<u8>)>>,
    outcomes: mpsc::Sender<(String, Outcome)>,
    first_next: std::sync::Mutex<Option<oneshot::Sender<Instant>>>,
}

/// One function process under a fresh Runtime API.
pub struct Function {
    child: Child,
    started: Instant,
    first_next: Option<oneshot::Receiver<Instant>>,
    events: mpsc::Sender<(String, Vec<u8>)>,
    outcomes: mpsc::Receiver<(String, Outcome)>,
    server: tokio::task::JoinHandle<()>,
    invocations: u64,
}

impl Function {
    /// Starts `command` with `AWS_LAMBDA_RUNTIME_API` pointing at a new local Runtime API and
    /// the variables Lambda always sets.
    pub async fn start(mut command: Command) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime API");
        let addr = listener.local_addr().expect("address");
        let (events_tx, events_rx) = mpsc::channel(1);
        let (outcomes_tx, outcomes_rx) = mpsc::channel(16);
        let (first_tx, first_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(events_rx),
            outcomes: outcomes_tx,
            first_next: std::sync::Mutex::new(Some(first_tx)),
        });
        let server = tokio::spawn(serve(listener, shared));
        command
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "WARN")
            // Lambda sets both; boto3 reads only the second.
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let started = Instant::now();
        let child = command.spawn().expect("start function");
        Self {
            child,
            started,
            first_next: Some(first_rx),
            events: events_tx,
            outcomes: outcomes_rx,
            server,
            invocations: 0,
        }
    }

    /// Time from exec to the function's first `/next`: its init.
    pub async fn init(&mut self) -> Duration {
        let rx = self.first_next.take().expect("init measured once");
        let at = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .expect("function did not poll /next within 30 s")
            .expect("runtime API alive");
        at - self.started
    }

    /// Hands one event over and waits for its answer: (latency, outcome).
    pub async fn invoke(&mut self, payload: Vec<u8>) -> (Duration, Outcome) {
        self.invocations += 1;
        let id = format!("bench-{}", self.invocations);
        let handed = Instant::now();
        self.events
            .send((id.clone(), payload))
            .await
            .expect("runtime API alive");
        let (got, outcome) = tokio::time::timeout(Duration::from_secs(30), self.outcomes.recv())
            .await
            .expect("no answer within 30 s")
            .expect("runtime API alive");
        assert_eq!(got, id, "answer for another invocation");
        (outcome.at - handed, outcome)
    }

    /// Peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = connection(stream, shared).await;
        });
    }
}

fn response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    head += "\r\n";
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    while let Some(request) = read_message(&mut read).await? {
        let path = request
            .start
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string();
        let reply = if path.ends_with("/runtime/invocation/next") {
            let now = Instant::now();
            if let Some(tx) = shared.first_next.lock().ok().and_then(|mut f| f.take()) {
                let _ = tx.send(now);
            }
            let next = shared.events.lock().await.recv().await;
            let Some((id, payload)) = next else {
                return Ok(());
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis()
                + 30_000;
            let headers = [
                ("lambda-runtime-aws-request-id", id),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
                ),
                ("content-type", "application/json".into()),
            ];
            response("200 OK", &headers, &payload)
        } else if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
            let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
            let outcome = Outcome {
                ok: kind == "response",
                body: request.body,
                at: Instant::now(),
            };
            let _ = shared.outcomes.send((id.to_string(), outcome)).await;
            response("202 Accepted", &[], b"{}")
        } else if path.ends_with("/runtime/init/error") {
            let outcome = Outcome {
                ok: false,
                body: request.body,
                at: Instant::now(),
            };
            let _ = shared.outcomes.send(("init".into(), outcome)).await;
            response("202 Accepted", &[], b"{}")
        } else {
            response("404 Not Found", &[], b"{}")
        };
        write.write_all(&reply).await?;
    }
    Ok(())
}

/// Median, min, max of a set of durations.
pub fn median_min_max(values: &mut [Duration]) -> (Duration, Duration, Duration) {
    values.sort();
    let n = values.len();
    if n == 0 {
        return Default::default();
    }
    (values[n / 2], values[0], values[n - 1])
}

/// The `p`-th percentile (0–100) of sorted durations.
pub fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}
