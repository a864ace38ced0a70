//! Sending the traffic: every call answered through the answer webhook with the ledger, then
//! every delivery through the event webhook, from many handler instances at once.

use super::plan::Plan;
use lambda_http::Request;
use shared::config::EventConfig;
use shared::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A POST of `body` to the event webhook, as API Gateway delivers it.
fn post(body: &str) -> Request {
    shared::testkit::post(shared::testkit::EVENT, body)
}

/// How the traffic went.
#[derive(Debug)]
pub struct Report {
    /// Answer requests sent, and those not answered with a connect.
    pub answers: usize,
    pub answer_errors: usize,
    pub sent: usize,
    pub errors: usize,
    pub status_counts: HashMap<u16, usize>,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Report {
    pub fn events_per_second(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64()
    }
}

/// Answers every call through the answer webhook with the ledger, `instances` at a time, each
/// instance with its own ledger client: how many answers, and how many did not connect.
async fn answer_all(plan: &Plan, table: &str, instances: usize) -> (usize, usize) {
    let calls = Arc::new(plan.calls.clone());
    let answers = Arc::new(plan.answers.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..instances {
        let (calls, answers, next) = (calls.clone(), answers.clone(), next.clone());
        let table = table.to_string();
        tasks.push(tokio::spawn(async move {
            let cfg = shared::testkit::answer_config(&table, &[("ALLOWED_DESTINATIONS", "*")]);
            // The store's timeouts, not answer-fn's 1.2 s: this checks the ledger's counts, and
            // a cold DynamoDB Local on two cores under 32 instances can take longer than that,
            // which answer-fn would rightly answer with "try again later".
            let client = shared::config::dynamodb_client(&shared::config::ProcessEnv, None)
                .expect("a client from the environment");
            let ledger = shared::store::ledger::Ledger::new(client, &table);
            let mut failed = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&call) = answers.get(i) else { break };
                let call = &calls[call];
                let ncco = shared::testkit::answer_call(
                    &cfg,
                    &ledger,
                    &call.user,
                    &call.to,
                    &call.conversation_uuid,
                )
                .await;
                if !ncco.to_string().contains(r#""action":"connect""#) {
                    failed += 1;
                }
            }
            failed
        }));
    }
    let mut failed = 0;
    for task in tasks {
        failed += task.await.expect("answer task");
    }
    (plan.answers.len(), failed)
}

/// Answers every call (`answer_all`), then sends every delivery through the event handler,
/// `instances` at a time, each instance with its own store (SDK client) as Lambda instances
/// have.
pub async fn run(plan: &Plan, cfg: &EventConfig, instances: usize) -> Report {
    let (answers, answer_errors) = answer_all(plan, &cfg.table_name, instances).await;
    let deliveries = Arc::new(plan.deliveries.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..instances {
        let (deliveries, next, cfg) = (deliveries.clone(), next.clone(), cfg.clone());
        tasks.push(tokio::spawn(async move {
            let store = Store::from_env(&cfg).expect("store from the environment");
            let mut results = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = deliveries.get(i) else { break };
                let t = Instant::now();
                let handled =
                    shared::http::event::handle_event(&cfg, &store, store.ledger(), post(body));
                let status = match handled.await {
                    Ok(res) => res.status().as_u16(),
                    Err(_) => 0,
                };
                results.push((status, t.elapsed()));
            }
            results
        }));
    }
    let mut latencies = Vec::new();
    let mut status_counts = HashMap::new();
    for task in tasks {
        for (status, latency) in task.await.expect("load task") {
            *status_counts.entry(status).or_insert(0) += 1;
            latencies.push(latency);
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: usize| {
        latencies
            .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Report {
        answers,
        answer_errors,
        sent: latencies.len(),
        errors: latencies.len() - status_counts.get(&200).copied().unwrap_or(0),
        status_counts,
        elapsed,
        p50: pct(50),
        p99: pct(99),
    }
}
