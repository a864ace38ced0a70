//! Synthetic call traffic for both webhooks, and the check that the table holds exactly what
//! that traffic implies.
//!
//! Each call is placed by one of the app users (one user per ten calls) and answered through
//! the answer webhook (a share of answer requests are sent twice, as Vonage retries them); then
//! its events: an app leg and a phone leg with a realistic status sequence (completed, busy,
//! failed, unanswered, rejected); answered calls carry DTMF `input` events between `answered`
//! and `completed`. A share of deliveries are sent twice, the events of each call are shuffled,
//! and many handler instances (each with its own SDK client, as separate Lambda instances
//! would have) send them concurrently. The check compares every event, every leg, and every
//! user's ledger with what was sent.

use lambda_http::Request;
use shared::config::EventConfig;
use shared::event::CallEvent;
use shared::store::{transition_key, Store, SK};
use shared::testkit::{scaled, trim_zeros};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small deterministic PRNG (xorshift64*): the same seed gives the same traffic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// What a leg must look like once every event is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedLeg {
    pub conversation_uuid: String,
    pub uuid: String,
    pub status: String,
    pub outcome: Option<String>,
    pub duration: String,
    pub price: String,
}

/// One call: who placed it, and what its phone leg costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCall {
    pub user: String,
    pub conversation_uuid: String,
    pub to: String,
    pub phone_leg: String,
    /// Whole seconds, and the price with 8 decimals, as the phone leg's `completed` says.
    pub seconds: u64,
    pub price: String,
}

/// The traffic: every delivery (duplicates included) and what the table must end up holding.
pub struct Plan {
    /// The calls, each answered before its events are sent.
    pub calls: Vec<PlannedCall>,
    /// Indexes into `calls` of every answer request, redeliveries included, shuffled.
    pub answers: Vec<usize>,
    pub deliveries: Vec<String>,
    pub distinct: usize,
    pub legs: Vec<ExpectedLeg>,
    /// `(pk, sk)` of every transition item the deliveries must produce.
    pub transitions: BTreeSet<(String, String)>,
}

fn time(ms: u64) -> String {
    // 2026-01-01T00:00:00Z plus `ms`, formatted as Vonage does.
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let day = 1 + h / 24;
    format!(
        "2026-01-{day:02}T{:02}:{m:02}:{s:02}.{:03}Z",
        h % 24,
        ms % 1000
    )
}

/// Builds traffic of about `deliveries` requests over `calls` calls, `duplicate_pct` percent
/// of them redeliveries.
pub fn synthesize(calls: usize, deliveries: usize, duplicate_pct: u64, seed: u64) -> Plan {
    let mut rng = Rng::new(seed);
    let distinct_target = deliveries * 100 / (100 + duplicate_pct as usize);
    // Status events per call are fixed by the scenarios below (about 7); DTMF inputs on answered
    // calls make up the rest of the distinct events.
    let mut per_call: Vec<Vec<String>> = Vec::with_capacity(calls);
    let mut legs = Vec::new();
    let mut planned = Vec::with_capacity(calls);
    let users = (calls / 10).max(1);
    let mut answered_calls = Vec::new();
    let scenarios = [
        "completed",
        "completed",
        "completed",
        "busy",
        "failed",
        "unanswered",
        "rejected",
    ];
    for call in 0..calls {
        let conv = format!("CON-load-{seed}-{call:05}");
        let app = format!("app-{seed}-{call:05}");
        let phone = format!("phone-{seed}-{call:05}");
        let start = call as u64 * 997 + rng.below(500);
        let scenario = scenarios[rng.below(scenarios.len() as u64) as usize];
        let to = format!("4477009{:05}", rng.below(100_000));
        let event = |uuid: &str,
                     direction: &str,
                     to: &str,
                     status: &str,
                     at: u64,
                     extra: serde_json::Value| {
            let mut body = serde_json::json!({
                "uuid": uuid, "conversation_uuid": conv, "status": status, "direction": direction,
                "from": if direction == "outbound" { "447700900001" } else { "Alice" }, "to": to,
                "timestamp": time(at),
            });
            for (k, v) in extra.as_object().into_iter().flatten() {
                body[k] = v.clone();
            }
            body.to_string()
        };
        let app_event =
            |status: &str, at: u64, extra| event(&app, "inbound", "Alice", status, at, extra);
        let phone_event =
            |status: &str, at: u64, extra| event(&phone, "outbound", &to, status, at, extra);
        let end = |duration: u64, price: &str| {
            serde_json::json!({"duration": duration.to_string(), "price": price, "rate": "0.10000000",
                               "network": "23433", "start_time": time(start), "end_time": time(start + duration * 1000)})
        };
        let none = serde_json::Value::Null;
        // App leg: the app user is connected as soon as the call starts; then the phone leg.
        let mut events = vec![
            app_event("started", start, none.clone()),
            app_event("answered", start + 50, none.clone()),
            phone_event("started", start + 100, none.clone()),
        ];
        let (app_duration, phone_duration, price, outcome, phone_end) = match scenario {
            "completed" => {
                let duration = 1 + rng.below(600);
                let price = format!("0.{:08}", duration * 1_666_666 / 10);
                events.push(phone_event("ringing", start + 200, none.clone()));
                events.push(phone_event("answered", start + 3000, none.clone()));
                answered_calls.push((call, app.clone(), start + 3000));
                (
                    duration + 3,
                    duration,
                    price,
                    "answered",
                    start + 3000 + duration * 1000 + 10,
                )
            }
            failure => {
                if failure != "failed" {
                    events.push(phone_event("ringing", start + 200, none.clone()));
                }
                events.push(phone_event(failure, start + 5000, none.clone()));
                (5, 0, "0".to_string(), failure, start + 5010)
            }
        };
        events.push(phone_event(
            "completed",
            phone_end,
            end(phone_duration, &price),
        ));
        events.push(app_event(
            "completed",
            phone_end + 500,
            end(app_duration, "0"),
        ));
        planned.push(PlannedCall {
            user: format!("user-{:02}", call % users),
            conversation_uuid: conv.clone(),
            to: to.clone(),
            phone_leg: phone.clone(),
            seconds: phone_duration,
            price: price.clone(),
        });
        legs.push(ExpectedLeg {
            conversation_uuid: conv.clone(),
            uuid: phone.clone(),
            status: "completed".into(),
            outcome: Some(outcome.into()),
            duration: phone_duration.to_string(),
            price,
        });
        legs.push(ExpectedLeg {
            conversation_uuid: conv.clone(),
            uuid: app.clone(),
            status: "completed".into(),
            outcome: Some("answered".into()),
            duration: app_duration.to_string(),
            price: "0".into(),
        });
        per_call.push(events);
    }
    // DTMF inputs, spread over the answered calls until the distinct target is reached.
    let mut distinct: usize = per_call.iter().map(Vec::len).sum();
    let mut i = 0;
    while distinct < distinct_target && !answered_calls.is_empty() {
        let (call, app, answered_at) = &answered_calls[i % answered_calls.len()];
        let at = answered_at + 100 + (i / answered_calls.len()) as u64 * 97;
        let body = serde_json::json!({
            "uuid": app, "conversation_uuid": format!("CON-load-{seed}-{call:05}"),
            "dtmf": {"digits": (rng.below(10)).to_string(), "timed_out": false},
            "speech": null, "timestamp": time(at),
        });
        per_call[*call].push(body.to_string());
        distinct += 1;
        i += 1;
    }
    let mut transitions = BTreeSet::new();
    let mut duplicates_left = deliveries.saturating_sub(distinct);
    let mut all = Vec::with_capacity(deliveries);
    for events in &mut per_call {
        for body in events.iter() {
            let event =
                CallEvent::from_params(&serde_json::from_str(body).expect("generated JSON"))
                    .expect("valid event");
            transitions.insert(transition_key(&event));
        }
        let mut sent = events.clone();
        let dups = duplicates_left.min(events.len() * duplicate_pct as usize / 100 + 1);
        for _ in 0..dups {
            sent.push(events[rng.below(events.len() as u64) as usize].clone());
        }
        duplicates_left -= dups;
        rng.shuffle(&mut sent);
        all.extend(sent);
    }
    assert_eq!(
        transitions.len(),
        distinct,
        "generated events must have distinct keys"
    );
    let mut answers: Vec<usize> = (0..calls).collect();
    for _ in 0..calls * duplicate_pct as usize / 100 {
        answers.push(rng.below(calls as u64) as usize);
    }
    rng.shuffle(&mut answers);
    Plan {
        calls: planned,
        answers,
        deliveries: all,
        distinct,
        legs,
        transitions,
    }
}

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
            let ledger = shared::store::usage::Ledger::new(client, &table);
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
                let status = match shared::http::event::handle_event(&cfg, &store, post(body)).await
                {
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

/// What the table holds against what the plan implies.
#[derive(Debug, Default)]
pub struct Check {
    pub transitions_expected: usize,
    pub transitions_stored: usize,
    pub lost: usize,
    pub unexpected: usize,
    pub wrong_legs: Vec<String>,
}

impl Check {
    pub fn ok(&self) -> bool {
        self.lost == 0
            && self.unexpected == 0
            && self.transitions_stored == self.transitions_expected
            && self.wrong_legs.is_empty()
    }
}

/// Scans the whole table and compares it with the plan.
pub async fn check(plan: &Plan, store: &Store) -> Result<Check, String> {
    let mut stored = BTreeSet::new();
    let mut transitions_stored = 0;
    let mut legs = HashMap::new();
    let mut start = None;
    loop {
        let page = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
        for item in page.items() {
            let text = |k: &str| {
                item.get(k)
                    .and_then(|v| v.as_s().or(v.as_n()).ok())
                    .cloned()
            };
            let (Some(pk), Some(sk)) = (text("pk"), text(SK)) else {
                continue;
            };
            if sk.starts_with("EVENT#") {
                transitions_stored += 1;
                stored.insert((pk, sk));
            } else if let Some(uuid) = sk.strip_prefix("LEG#") {
                let leg = (
                    text("status"),
                    text("outcome"),
                    text("duration"),
                    text("price"),
                );
                legs.insert(uuid.to_string(), leg);
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    let mut check = Check {
        transitions_expected: plan.transitions.len(),
        transitions_stored,
        lost: plan.transitions.difference(&stored).count(),
        unexpected: stored.difference(&plan.transitions).count(),
        wrong_legs: Vec::new(),
    };
    for expected in &plan.legs {
        let actual = legs.get(&expected.uuid);
        let want = (
            Some(expected.status.clone()),
            expected.outcome.clone(),
            Some(expected.duration.clone()),
            Some(expected.price.clone()),
        );
        let matches = actual.is_some_and(|(status, outcome, duration, price)| {
            let same_number = |a: &Option<String>, b: &Option<String>| {
                a.as_deref().map(trim_zeros) == b.as_deref().map(trim_zeros)
            };
            *status == want.0
                && *outcome == want.1
                && same_number(duration, &want.2)
                && same_number(price, &want.3)
        });
        if !matches {
            check.wrong_legs.push(format!(
                "{}: expected {want:?}, found {actual:?}",
                expected.uuid
            ));
        }
    }
    Ok(check)
}

/// Every user's ledger against the calls the traffic placed for them.
#[derive(Debug, Default)]
pub struct LedgerCheck {
    pub users: usize,
    /// Users whose calls, seconds and spend equal exactly what was sent.
    pub exact: usize,
    /// Calls not counted, and phone legs not charged.
    pub lost: usize,
    /// Counts and sums beyond what was sent.
    pub double_counted: usize,
    pub wrong: Vec<String>,
}

impl LedgerCheck {
    pub fn ok(&self) -> bool {
        self.exact == self.users && self.lost == 0 && self.double_counted == 0
    }
}

/// Reads each user's ledger for `days` (the UTC days the answers fell on) and compares it,
/// exactly, with the plan's calls.
pub async fn check_ledger(
    plan: &Plan,
    store: &Store,
    days: &[String],
) -> Result<LedgerCheck, String> {
    use std::collections::BTreeMap;
    #[derive(Default)]
    struct Expected {
        calls: BTreeSet<String>,
        legs: BTreeSet<String>,
        seconds: i128,
        spend: i128,
    }
    let mut expected: BTreeMap<&str, Expected> = BTreeMap::new();
    for call in &plan.calls {
        let e = expected.entry(&call.user).or_default();
        e.calls.insert(call.conversation_uuid.clone());
        e.legs.insert(call.phone_leg.clone());
        e.seconds += i128::from(call.seconds) * 100_000_000;
        e.spend += scaled(&call.price).ok_or("a generated price")?;
    }
    let mut check = LedgerCheck {
        users: expected.len(),
        ..LedgerCheck::default()
    };
    for (user, want) in &expected {
        let (mut calls, mut counted, mut charged, mut seconds, mut spend) =
            (0i128, BTreeSet::new(), BTreeSet::new(), 0i128, 0i128);
        for day in days {
            let Some(usage) = store
                .ledger()
                .day(user, day)
                .await
                .map_err(|e| e.to_string())?
            else {
                continue;
            };
            calls += usage.calls.parse::<i128>().map_err(|e| e.to_string())?;
            seconds += scaled(&usage.seconds).ok_or("seconds")?;
            spend += scaled(&usage.spend).ok_or("spend")?;
        }
        // The call log: one entry per call counted, and the leg and price once it is charged.
        for call in store
            .ledger()
            .history(user, 1000)
            .await
            .map_err(|e| e.to_string())?
        {
            if call.price.is_some() {
                charged.extend(call.leg);
            }
            counted.insert(call.conversation_uuid);
        }
        let lost = want.calls.difference(&counted).count() + want.legs.difference(&charged).count();
        let sent_calls = want.calls.len() as i128;
        let double = usize::try_from((calls - sent_calls).max(0)).unwrap_or(usize::MAX)
            + usize::from(seconds > want.seconds)
            + usize::from(spend > want.spend);
        check.lost += lost;
        check.double_counted += double;
        if calls == sent_calls && seconds == want.seconds && spend == want.spend && lost == 0 {
            check.exact += 1;
        } else {
            check.wrong.push(format!(
                "{user}: calls {calls} of {sent_calls}, seconds {seconds} of {}, spend {spend} of {} (10^-8)",
                want.seconds, want.spend
            ));
        }
    }
    Ok(check)
}
