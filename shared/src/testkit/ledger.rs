//! The ledger's traits in memory (`MemoryLedger`), with the store's rules: a call counted
//! once, limits checked with the count, reservations made and released as the store makes
//! them (`voice_core::budget`), a leg charged once, a failing ledger. The real store is tested
//! against DynamoDB Local with the same scenarios.

use crate::usecase::answer::CallLedger;
#[cfg(feature = "dynamodb")]
use crate::usecase::calls::{CallLog, CallPage};
use crate::usecase::event::LegLedger;
use crate::usecase::ports::StoreError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use voice_core::budget::{reserve, DayBudget, Hold, Short};
use voice_core::decimal::{Amount, Decimal};
use voice_core::phone::E164;
use voice_core::time::Timestamp;
use voice_core::usage::{
    CallOwner, CallRecord, Counted, DayTotals, Funded, LegEnd, Limits, NewCall, RefusedCall,
    Settled, Settlement,
};

/// A day as the store keeps it: calls, exact sums, open holds.
#[derive(Debug, Default, Clone)]
struct Day {
    calls: u64,
    seconds: Amount,
    spend: Amount,
    holds: BTreeMap<String, Hold>,
}

#[derive(Debug, Default)]
struct Ledger {
    owners: HashMap<String, CallOwner>,
    /// The connect limit each funded call was given.
    limits: HashMap<String, u32>,
    days: HashMap<(String, String), Day>,
    charged: HashSet<String>,
    /// (user, call-log key) → entry.
    log: BTreeMap<(String, String), CallRecord>,
    /// Country calling code → highest rate per minute seen.
    rates: HashMap<String, Amount>,
}

/// No ledger at all, as answer-fn runs without `TABLE_NAME`.
pub const NO_LEDGER: Option<&MemoryLedger> = None;

/// The ledger in memory; `failing` makes every call fail as told.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    state: Mutex<Ledger>,
    fail: Option<fn() -> StoreError>,
}

fn exact(decimal: &Decimal) -> Amount {
    Amount::of(decimal).unwrap_or(Amount::ZERO)
}

fn held(day: &Day) -> Amount {
    day.holds.values().fold(Amount::ZERO, |sum, hold| {
        sum.checked_add(hold.amount).unwrap_or(sum)
    })
}

impl MemoryLedger {
    pub fn failing(fail: fn() -> StoreError) -> Self {
        Self {
            fail: Some(fail),
            ..Self::default()
        }
    }

    fn state(&self) -> Result<std::sync::MutexGuard<'_, Ledger>, StoreError> {
        if let Some(fail) = self.fail {
            return Err(fail());
        }
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("poisoned".into()))
    }

    fn totals(&self, user: &str) -> Day {
        let state = self.state.lock().expect("ledger");
        let mut sum = Day::default();
        for ((u, _), day) in &state.days {
            if u == user {
                sum.calls += day.calls;
                sum.seconds = sum.seconds.checked_add(day.seconds).unwrap_or(sum.seconds);
                sum.spend = sum.spend.checked_add(day.spend).unwrap_or(sum.spend);
                sum.holds.extend(day.holds.clone());
            }
        }
        sum
    }

    /// The calls counted for `user`, over all days.
    pub fn calls(&self, user: &str) -> u64 {
        self.totals(user).calls
    }

    /// `n` connected calls of `user`, answered a second apart today (`CON-<user>-000` first).
    pub fn add_calls(&self, user: &str, n: usize) {
        let start = Timestamp::now();
        let mut state = self.state.lock().expect("ledger");
        for i in 0..n {
            let at = start
                .plus_seconds(i as i64 - n as i64)
                .unwrap_or(start.clone());
            let conversation = format!("CON-{user}-{i:03}");
            let sk = format!("LOG#{}#{conversation}", at.as_str());
            state.log.insert(
                (user.to_string(), sk),
                CallRecord {
                    conversation_uuid: conversation,
                    to: "447700900000".into(),
                    answered_at: at.as_str().to_string(),
                    ..CallRecord::default()
                },
            );
            let day = voice_core::time::day_of(&start).to_string();
            state.days.entry((user.to_string(), day)).or_default().calls += 1;
        }
    }

    /// The seconds and spend charged to `user`, over all days, as exact decimals.
    pub fn spend(&self, user: &str) -> (String, String) {
        let day = self.totals(user);
        (
            day.seconds.to_decimal().as_str().to_string(),
            day.spend.to_decimal().as_str().to_string(),
        )
    }

    /// What `user`'s open calls hold, over all days.
    pub fn held(&self, user: &str) -> Amount {
        held(&self.totals(user))
    }
}

/// A call's owner and its log entry, as the store writes them: the owner, to complete.
fn open<'a>(
    state: &'a mut Ledger,
    user: &str,
    call_id: &str,
    at: &Timestamp,
    to: &str,
) -> &'a mut CallOwner {
    let log_sk = format!("LOG#{}#{call_id}", at.as_str());
    let entry = CallRecord {
        conversation_uuid: call_id.to_string(),
        to: to.to_string(),
        answered_at: at.as_str().to_string(),
        ..CallRecord::default()
    };
    state.log.insert((user.to_string(), log_sk.clone()), entry);
    let owner = CallOwner {
        user: user.to_string(),
        day: voice_core::time::day_of(at).to_string(),
        answered_at: at.as_str().to_string(),
        log_sk,
        refused: None,
        to: Some(to.to_string()),
        held: None,
    };
    state.owners.entry(call_id.to_string()).or_insert(owner)
}

impl CallLedger for MemoryLedger {
    async fn count_call(&self, call: &NewCall, limits: &Limits) -> Result<Counted, StoreError> {
        let mut state = self.state()?;
        if let Some(owner) = state.owners.get(&call.call_id) {
            return Ok(match owner {
                owner if owner.user != call.user => Counted::OtherUser,
                owner if owner.refused.is_some() => {
                    Counted::Refused(owner.refused.clone().unwrap_or_default())
                }
                _ => Counted::Again(state.limits.get(&call.call_id).copied()),
            });
        }
        let key = (call.user.clone(), call.day().to_string());
        let mut day = state.days.get(&key).cloned().unwrap_or_default();
        let mut funded = None;
        match (&call.priced, &limits.max_spend) {
            (Some(priced), Some(_)) => {
                let budget = DayBudget {
                    calls: day.calls,
                    spend: day.spend,
                    holds: day.holds.clone(),
                    version: None,
                };
                let now = call.answered_at.unix_seconds().unwrap_or(0);
                let reservation = match reserve(&budget, limits, &call.call_id, priced, now) {
                    Ok(reservation) => reservation,
                    Err(Short::Budget { .. }) => return Ok(Counted::OverBudget),
                    Err(_) => return Ok(Counted::OverLimit),
                };
                day.holds = reservation.holds.clone();
                state
                    .limits
                    .insert(call.call_id.clone(), reservation.seconds);
                funded = Some(Funded {
                    seconds: reservation.seconds,
                    held: reservation.amount,
                    expired: reservation.expired,
                    committed: reservation.committed,
                });
            }
            _ => {
                let over_calls = limits
                    .max_calls
                    .is_some_and(|max| day.calls >= u64::from(max));
                let over_spend = limits
                    .max_spend
                    .as_ref()
                    .is_some_and(|max| day.spend >= exact(max));
                if over_calls || over_spend {
                    return Ok(Counted::OverLimit);
                }
            }
        }
        day.calls += 1;
        state.days.insert(key, day);
        let held = funded.map(|f| f.held).filter(|h| *h > Amount::ZERO);
        let owner = open(
            &mut state,
            &call.user,
            &call.call_id,
            &call.answered_at,
            &call.to,
        );
        owner.held = held;
        Ok(Counted::New(funded))
    }

    async fn record_refusal(&self, call: &RefusedCall) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.owners.contains_key(&call.call_id) {
            return Ok(());
        }
        let owner = open(
            &mut state,
            &call.user,
            &call.call_id,
            &call.answered_at,
            &call.to,
        );
        owner.refused = Some(call.reason.clone());
        owner.to = None;
        let log_sk = owner.log_sk.clone();
        if let Some(entry) = state.log.get_mut(&(call.user.clone(), log_sk)) {
            entry.outcome = Some("refused".into());
            entry.reason = Some(call.reason.clone());
        }
        Ok(())
    }

    async fn learned_rate(&self, country_code: &str) -> Result<Option<Amount>, StoreError> {
        Ok(self.state()?.rates.get(country_code).copied())
    }
}

/// The call log in memory, paged as the store pages it.
#[cfg(feature = "dynamodb")]
impl CallLog for MemoryLedger {
    async fn page(
        &self,
        user: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<CallPage, StoreError> {
        let state = self.state()?;
        let mut entries: Vec<(&String, &CallRecord)> = state
            .log
            .iter()
            .filter(|((u, sk), _)| u == user && after.is_none_or(|after| sk.as_str() < after))
            .map(|((_, sk), record)| (sk, record))
            .collect();
        entries.reverse();
        let limit = limit as usize;
        let next = (entries.len() > limit).then(|| entries[limit - 1].0.clone());
        Ok(CallPage {
            calls: entries
                .into_iter()
                .take(limit)
                .map(|(_, r)| r.clone())
                .collect(),
            next,
        })
    }

    async fn day(&self, user: &str, day: &str) -> Result<Option<DayTotals>, StoreError> {
        let state = self.state()?;
        Ok(state
            .days
            .get(&(user.to_string(), day.to_string()))
            .map(|d| DayTotals {
                calls: d.calls.to_string(),
                seconds: d.seconds.to_decimal().as_str().to_string(),
                spend: d.spend.to_decimal().as_str().to_string(),
                held: held(d).to_decimal().as_str().to_string(),
            }))
    }
}

impl LegLedger for MemoryLedger {
    async fn owner(&self, conversation_uuid: &str) -> Result<Option<CallOwner>, StoreError> {
        Ok(self.state()?.owners.get(conversation_uuid).cloned())
    }

    async fn settle(
        &self,
        owner: &CallOwner,
        settlement: &Settlement,
    ) -> Result<Settled, StoreError> {
        let mut state = self.state()?;
        let key = (owner.user.clone(), owner.day.clone());
        let conversation = &settlement.conversation_uuid;
        let LegEnd::Completed { seconds, price } = &settlement.end else {
            let day = state.days.entry(key).or_default();
            let released = owner.held.is_some() && day.holds.remove(conversation).is_some();
            return Ok(Settled::Noted { released });
        };
        if !state.charged.insert(settlement.leg.clone()) {
            return Ok(Settled::AlreadyCharged);
        }
        let day = state.days.entry(key).or_default();
        day.seconds = day
            .seconds
            .checked_add(exact(seconds))
            .unwrap_or(day.seconds);
        day.spend = day.spend.checked_add(exact(price)).unwrap_or(day.spend);
        let released = owner.held.is_some() && day.holds.remove(conversation).is_some();
        let country = owner.to.as_deref().and_then(|to| E164::parse(to).ok());
        if let (Some(rate), Some(country)) = (&settlement.rate, country) {
            let rate = exact(rate);
            let learned = state
                .rates
                .entry(country.country_code().to_string())
                .or_default();
            *learned = (*learned).max(rate);
        }
        Ok(Settled::Charged { released })
    }
}
