//! The check: every distinct event stored once, every leg as its sequence implies, and every
//! user's ledger equal, exactly, to what was sent for them.

use super::plan::Plan;
use shared::store::{Store, SK};
use shared::testkit::{scaled, trim_zeros};
use shared::usecase::calls::CallLog;
use std::collections::{BTreeSet, HashMap};

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
            .page(user, 1000, None)
            .await
            .map_err(|e| e.to_string())?
            .calls
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
