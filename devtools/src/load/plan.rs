//! The traffic: calls placed by app users, each with an app leg and a phone leg in a realistic
//! status sequence, DTMF inputs, redeliveries, shuffled; and what the table must end up
//! holding. Deterministic in its seed.

use shared::store::transition_key;
use std::collections::BTreeSet;
use voice_core::event::CallEvent;

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

/// A leg's price as Vonage gives it at the traffic's 0.10 a minute: whole seconds, 8 decimals,
/// rounded down.
pub fn price(seconds: u64) -> String {
    // 0.10 a minute is 1/600 a second: 10⁸ / 600 units of 10⁻⁸ per second.
    let units = seconds * 100_000_000 / 600;
    format!("{}.{:08}", units / 100_000_000, units % 100_000_000)
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
                let price = price(duration);
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
