//! A local AWS Lambda Runtime API (`/2018-06-01/runtime/...`) that runs a function binary the
//! way Lambda does, and measures it: init (exec → first `/next`), each invocation (event handed
//! over → `/response`), and peak RSS.

use crate::http::{response, serve};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
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
    /// Starts `command` with `AWS_LAMBDA_RUNTIME_API` pointing at a new local Runtime API; its
    /// output is discarded. The rest of its environment is the caller's: `deployed::Deployed`
    /// gives it the one Lambda gives a function of this template.
    pub async fn start(command: Command) -> Self {
        Self::start_with(command, Stdio::null(), Stdio::null()).await
    }

    /// As `start`, with the function's stdout (its logs and metrics) and stderr going where
    /// the caller says.
    pub async fn start_with(mut command: Command, stdout: Stdio, stderr: Stdio) -> Self {
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
        let server = tokio::spawn(serve(listener, move |request| {
            handle(request, shared.clone())
        }));
        command
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .stdout(stdout)
            .stderr(stderr);
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
        match self.init_or_exit().await {
            Ok(init) => init,
            Err(status) => panic!("the function stopped during init: {status}"),
        }
    }

    /// Its init, or how it ended when it stopped before asking for an event (a function that
    /// refuses to start: Lambda reports an init error).
    pub async fn init_or_exit(&mut self) -> Result<Duration, std::process::ExitStatus> {
        let mut rx = self.first_next.take().expect("init measured once");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout(Duration::from_millis(5), &mut rx).await {
                Ok(at) => return Ok(at.expect("runtime API alive") - self.started),
                Err(_) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        return Err(status);
                    }
                    assert!(
                        Instant::now() < deadline,
                        "function did not poll /next within 30 s"
                    );
                }
            }
        }
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

/// One Runtime API request: `/next` long-polls for the next event; `/response` and `/error`
/// report an invocation's outcome.
async fn handle(request: Request<Incoming>, shared: Arc<Shared>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes().to_vec(),
        Err(_) => return response(400, &[], "unreadable body"),
    };
    if path.ends_with("/runtime/invocation/next") {
        let now = Instant::now();
        if let Some(tx) = shared.first_next.lock().ok().and_then(|mut f| f.take()) {
            let _ = tx.send(now);
        }
        let next = shared.events.lock().await.recv().await;
        let Some((id, payload)) = next else {
            return response(410, &[], "the harness is gone");
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
            + 30_000;
        let deadline = deadline.to_string();
        let headers = [
            ("lambda-runtime-aws-request-id", id.as_str()),
            ("lambda-runtime-deadline-ms", deadline.as_str()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench",
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Sampled=0",
            ),
            ("content-type", "application/json"),
        ];
        return response(200, &headers, payload);
    }
    let id = if let Some(rest) = path.strip_prefix("/2018-06-01/runtime/invocation/") {
        let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
        (id.to_string(), kind == "response")
    } else if path.ends_with("/runtime/init/error") {
        ("init".to_string(), false)
    } else {
        return response(404, &[], "{}");
    };
    let outcome = Outcome {
        ok: id.1,
        body,
        at: Instant::now(),
    };
    let _ = shared.outcomes.send((id.0, outcome)).await;
    response(202, &[], "{}")
}

/// Runs `command` as Lambda would for each payload in turn and returns each invocation's
/// response body and what the function wrote to stdout, once it has stopped.
pub async fn run_capturing_stdout(
    command: Command,
    payloads: &[Vec<u8>],
) -> (Vec<Vec<u8>>, String) {
    let (stdout, path) = capture_file("stdout");
    let mut function = Function::start_with(command, stdout, Stdio::null()).await;
    function.init().await;
    let mut bodies = Vec::with_capacity(payloads.len());
    for payload in payloads {
        let (_, outcome) = function.invoke(payload.clone()).await;
        bodies.push(outcome.body);
    }
    drop(function);
    let stdout = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    (bodies, stdout)
}

/// Starts `command` and waits for its init: the init time, or how it ended when it stopped
/// before asking for an event; and what it wrote to stderr by then.
pub async fn init_with_stderr(
    command: Command,
) -> (Result<Duration, std::process::ExitStatus>, String) {
    let (stderr, path) = capture_file("stderr");
    let mut function = Function::start_with(command, Stdio::null(), stderr).await;
    let outcome = function.init_or_exit().await;
    drop(function);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    (outcome, text)
}

/// A fresh file for a function's output (`what`: `stdout`, `stderr`), and its path.
fn capture_file(what: &str) -> (Stdio, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "function-{what}-{}-{}.log",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ));
    let file = std::fs::File::create(&path).expect("an output file");
    (Stdio::from(file), path)
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
