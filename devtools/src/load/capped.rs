//! The traffic again, under a daily spend limit: each user's calls answered through the answer
//! webhook two at a time (one answer in ten asked for twice), each phone leg then lasting what
//! it would have, but never beyond the connect's `limit` (Vonage ends the call there), priced
//! at the rate table's 0.10 a minute as Vonage prices it (whole seconds, 8 decimals, rounded
//! down), and its events delivered twice, shuffled, from many instances at once. A call the
//! answer refuses gets no phone leg. The check: every user's settled spend is the exact sum of
//! their legs' prices, never above the limit, nothing is still held, and every funded call is
//! counted once.

use super::plan::{price, Plan, Rng};
use shared::config::EventConfig;
use shared::store::Store;
use shared::usecase::calls::CallLog;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use voice_core::decimal::{Amount, Decimal};

/// Price per minute of every destination of the traffic (UK mobiles), as `RATE_TABLE` says.
pub const RATE: &str = "0.10";
/// Longest call: two calls at once can each be funded while the limit lasts.
pub const MAX_CALL_SECONDS: &str = "300";

/// What one user's calls came to.
#[derive(Debug, Default, Clone)]
struct UserTally {
    funded: usize,
    refused: usize,
    /// Calls cut short by their connect `limit`.
    cut: usize,
    /// The exact sum of their legs' prices.
    spend: Amount,
}

/// How the capped traffic went, and the check.
#[derive(Debug, Default)]
pub struct CappedCheck {
    pub users: usize,
    pub calls: usize,
    pub funded: usize,
    pub refused: usize,
    pub cut: usize,
    /// Users whose settled spend is exactly the sum of their legs' prices, with nothing held
    /// and every funded call counted once.
    pub exact: usize,
    /// Users whose settled spend is above the limit.
    pub over_limit: usize,
    /// The highest settled spend of any user.
    pub highest: String,
    /// What the highest user's calls would have cost without the limit, at full length.
    pub uncapped_highest: String,
    pub wrong: Vec<String>,
}

impl CappedCheck {
    pub fn ok(&self) -> bool {
        self.exact == self.users && self.over_limit == 0 && self.funded > 0 && self.refused > 0
    }
}

fn exact(text: &str) -> Amount {
    Decimal::parse(text)
        .and_then(|d| Amount::of(&d))
        .unwrap_or(Amount::ZERO)
}

/// The connect's `limit` of an NCCO, if it connects.
fn connect_limit(ncco: &serde_json::Value) -> Option<u64> {
    ncco.as_array()?
        .iter()
        .find(|action| action["action"] == "connect")?["limit"]
        .as_u64()
}

/// A phone leg's events as Vonage sends them for a call that lasted `seconds` (0: it never
/// connected), each twice, shuffled.
fn leg_events(conversation: &str, leg: &str, seconds: u64, rng: &mut Rng) -> Vec<String> {
    let now = voice_core::time::Timestamp::now();
    let at = |offset: i64| {
        now.plus_seconds(offset)
            .unwrap_or_else(|| now.clone())
            .as_str()
            .to_string()
    };
    let event = |status: &str, offset: i64, extra: serde_json::Value| {
        let mut body = serde_json::json!({"uuid": leg, "conversation_uuid": conversation,
            "status": status, "direction": "outbound", "to": "447700900000",
            "from": "447700900001", "timestamp": at(offset)});
        for (key, value) in extra.as_object().into_iter().flatten() {
            body[key] = value.clone();
        }
        body.to_string()
    };
    let none = serde_json::Value::Null;
    let mut events = vec![event("started", -2, none.clone())];
    if seconds > 0 {
        events.push(event("answered", -1, none.clone()));
    } else {
        events.push(event("busy", -1, none.clone()));
    }
    let end = serde_json::json!({"duration": seconds.to_string(), "price": price(seconds),
        "rate": "0.10000000"});
    events.push(event("completed", 0, end));
    let mut sent = events.clone();
    sent.extend(events);
    rng.shuffle(&mut sent);
    sent
}

/// Runs the plan's calls under `limit` a day per user against `cfg.table_name`, `instances`
/// users at a time, and checks every user's ledger.
pub async fn run_capped(
    plan: &Plan,
    cfg: &EventConfig,
    instances: usize,
    limit: &str,
) -> Result<CappedCheck, String> {
    let mut by_user: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, call) in plan.calls.iter().enumerate() {
        by_user.entry(call.user.clone()).or_default().push(i);
    }
    let users: Arc<Vec<(String, Vec<usize>)>> = Arc::new(by_user.into_iter().collect());
    let calls = Arc::new(plan.calls.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let tallies = Arc::new(Mutex::new(BTreeMap::<String, UserTally>::new()));
    let mut tasks = Vec::new();
    for instance in 0..instances {
        let (users, calls, next, tallies) =
            (users.clone(), calls.clone(), next.clone(), tallies.clone());
        let (cfg, limit) = (cfg.clone(), limit.to_string());
        tasks.push(tokio::spawn(async move {
            let answer = shared::testkit::answer_config(
                &cfg.table_name,
                &[
                    ("ALLOWED_DESTINATIONS", "*"),
                    ("MAX_SPEND_PER_USER_PER_DAY", &limit),
                    ("RATE_TABLE", &format!("44:{RATE}")),
                    ("MAX_CALL_SECONDS", MAX_CALL_SECONDS),
                ],
            );
            let store = Store::from_env(&cfg).map_err(|e| e.to_string())?;
            let mut rng = Rng::new(1000 + instance as u64);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((user, mine)) = users.get(i) else {
                    break;
                };
                let mut tally = UserTally::default();
                for pair in mine.chunks(2) {
                    let answer_one = |c: usize| {
                        let (answer, store, call) = (&answer, &store, &calls[c]);
                        async move {
                            let ask = || {
                                shared::testkit::answer_call(
                                    answer,
                                    store.ledger(),
                                    &call.user,
                                    "447700900000",
                                    &call.conversation_uuid,
                                )
                            };
                            let first = connect_limit(&ask().await);
                            // One answer in ten is asked for again: the same funding.
                            if c % 10 == 0 && connect_limit(&ask().await) != first {
                                return Err(format!("{} funded twice", call.conversation_uuid));
                            }
                            Ok::<_, String>((c, first))
                        }
                    };
                    // Two calls of the user at once: their reservations race for the day.
                    let outcomes = match *pair {
                        [a, b] => {
                            let (a, b) = tokio::join!(answer_one(a), answer_one(b));
                            vec![a?, b?]
                        }
                        [a] => vec![answer_one(a).await?],
                        _ => Vec::new(),
                    };
                    for (c, funded) in outcomes {
                        let call = &calls[c];
                        let Some(limit) = funded else {
                            tally.refused += 1;
                            continue;
                        };
                        tally.funded += 1;
                        let seconds = call.seconds.min(limit);
                        if call.seconds > limit {
                            tally.cut += 1;
                        }
                        tally.spend = tally
                            .spend
                            .checked_add(exact(&price(seconds)))
                            .ok_or("overflow")?;
                        for body in
                            leg_events(&call.conversation_uuid, &call.phone_leg, seconds, &mut rng)
                        {
                            let request = shared::testkit::post(shared::testkit::EVENT, &body);
                            let response = shared::http::event::handle_event(
                                &cfg,
                                &store,
                                store.ledger(),
                                request,
                            )
                            .await
                            .map_err(|e| e.to_string())?;
                            if response.status() != 200 {
                                return Err(format!("event answered {}", response.status()));
                            }
                        }
                    }
                }
                tallies
                    .lock()
                    .map_err(|_| "poisoned")?
                    .insert(user.clone(), tally);
            }
            Ok::<_, String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let tallies = tallies.lock().map_err(|_| "poisoned")?.clone();
    let mut check = check_capped(cfg, &tallies, limit, plan.calls.len()).await?;
    let mut uncapped: BTreeMap<&str, Amount> = BTreeMap::new();
    for call in &plan.calls {
        let sum = uncapped.entry(&call.user).or_default();
        *sum = sum.checked_add(exact(&price(call.seconds))).unwrap_or(*sum);
    }
    let most = uncapped.values().copied().max().unwrap_or_default();
    check.uncapped_highest = most.to_decimal().as_str().to_string();
    Ok(check)
}

/// Every user's day against what their calls came to.
async fn check_capped(
    cfg: &EventConfig,
    tallies: &BTreeMap<String, UserTally>,
    limit: &str,
    calls: usize,
) -> Result<CappedCheck, String> {
    let store = Store::from_env(cfg).map_err(|e| e.to_string())?;
    let today = voice_core::time::day_of(&voice_core::time::Timestamp::now()).to_string();
    let limit = exact(limit);
    let mut check = CappedCheck {
        users: tallies.len(),
        calls,
        ..CappedCheck::default()
    };
    let mut highest = Amount::ZERO;
    for (user, tally) in tallies {
        check.funded += tally.funded;
        check.refused += tally.refused;
        check.cut += tally.cut;
        let day = store
            .ledger()
            .day(user, &today)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let (spend, held) = (exact(&day.spend), exact(&day.held));
        highest = highest.max(spend);
        if spend > limit {
            check.over_limit += 1;
        }
        let counted = day.calls.parse::<usize>().unwrap_or(0);
        if spend == tally.spend && held == Amount::ZERO && counted == tally.funded {
            check.exact += 1;
        } else {
            check.wrong.push(format!(
                "{user}: spend {} (legs {}), held {}, calls {counted} (funded {})",
                spend.to_decimal().as_str(),
                tally.spend.to_decimal().as_str(),
                held.to_decimal().as_str(),
                tally.funded
            ));
        }
    }
    check.highest = highest.to_decimal().as_str().to_string();
    Ok(check)
}
