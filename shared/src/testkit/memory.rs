//! The use cases' traits in memory, with the store's rules (exactly once, limits checked with
//! the count, a leg charged once), for use-case tests that run without DynamoDB Local. The
//! real store is tested against DynamoDB Local with the same scenarios.

use super::requests::scaled;
use crate::usecase::answer::CallLedger;
#[cfg(feature = "dynamodb")]
use crate::usecase::calls::{CallLog, CallPage};
use crate::usecase::event::{EventLog, LegLedger};
use crate::usecase::ports::StoreError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use voice_core::event::{CallEvent, Recorded};
use voice_core::time::Timestamp;
use voice_core::usage::{
    CallOwner, CallRecord, Counted, DayTotals, LegEnd, Limits, NewCall, RefusedCall, Settled,
    Settlement,
};

/// A day's sums, in units of 10⁻⁸ (Vonage's prices have 8 decimals).
#[derive(Debug, Default, Clone, Copy)]
struct Day {
    calls: u64,
    seconds: i128,
    spend: i128,
}

#[derive(Debug, Default)]
struct Ledger {
    owners: HashMap<String, CallOwner>,
    days: HashMap<(String, String), Day>,
    charged: HashSet<String>,
    /// (user, call-log key) → entry.
    log: BTreeMap<(String, String), CallRecord>,
}

/// No ledger at all, as answer-fn runs without `TABLE_NAME`.
pub const NO_LEDGER: Option<&MemoryLedger> = None;

/// The ledger in memory; `failing` makes every call fail as told.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    state: Mutex<Ledger>,
    fail: Option<fn() -> StoreError>,
}

/// A decimal of 10⁻⁸ units as text, without trailing zeros.
fn unscaled(units: i128) -> String {
    let text = format!("{}.{:08}", units / 100_000_000, units % 100_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
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
        state
            .days
            .iter()
            .filter(|((u, _), _)| u == user)
            .fold(Day::default(), |sum, (_, day)| Day {
                calls: sum.calls + day.calls,
                seconds: sum.seconds + day.seconds,
                spend: sum.spend + day.spend,
            })
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
        (unscaled(day.seconds), unscaled(day.spend))
    }
}

impl CallLedger for MemoryLedger {
    async fn count_call(&self, call: &NewCall, limits: &Limits) -> Result<Counted, StoreError> {
        let mut state = self.state()?;
        if let Some(owner) = state.owners.get(&call.call_id) {
            return Ok(match owner {
                owner if owner.user != call.user => Counted::OtherUser,
                owner if owner.refused.is_some() => Counted::Refused,
                _ => Counted::Again,
            });
        }
        let key = (call.user.clone(), call.day().to_string());
        let day = state.days.get(&key).copied().unwrap_or_default();
        let over_calls = limits
            .max_calls
            .is_some_and(|max| day.calls >= u64::from(max));
        let over_spend = limits
            .max_spend
            .as_ref()
            .and_then(|max| scaled(max.as_str()))
            .is_some_and(|max| day.spend >= max);
        if over_calls || over_spend {
            return Ok(Counted::OverLimit);
        }
        state.owners.insert(
            call.call_id.clone(),
            CallOwner {
                user: call.user.clone(),
                day: call.day().to_string(),
                answered_at: call.answered_at.as_str().to_string(),
                log_sk: format!("LOG#{}#{}", call.answered_at.as_str(), call.call_id),
                refused: None,
            },
        );
        state.days.entry(key).or_default().calls += 1;
        let sk = format!("LOG#{}#{}", call.answered_at.as_str(), call.call_id);
        let entry = CallRecord {
            conversation_uuid: call.call_id.clone(),
            to: call.to.clone(),
            answered_at: call.answered_at.as_str().to_string(),
            ..CallRecord::default()
        };
        state.log.insert((call.user.clone(), sk), entry);
        Ok(Counted::New)
    }

    async fn record_refusal(&self, call: &RefusedCall) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.owners.contains_key(&call.call_id) {
            return Ok(());
        }
        let sk = format!("LOG#{}#{}", call.answered_at.as_str(), call.call_id);
        state.owners.insert(
            call.call_id.clone(),
            CallOwner {
                user: call.user.clone(),
                day: call.day().to_string(),
                answered_at: call.answered_at.as_str().to_string(),
                log_sk: sk.clone(),
                refused: Some(call.reason.clone()),
            },
        );
        let entry = CallRecord {
            conversation_uuid: call.call_id.clone(),
            to: call.to.clone(),
            answered_at: call.answered_at.as_str().to_string(),
            outcome: Some("refused".into()),
            reason: Some(call.reason.clone()),
            ..CallRecord::default()
        };
        state.log.insert((call.user.clone(), sk), entry);
        Ok(())
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
                seconds: unscaled(d.seconds),
                spend: unscaled(d.spend),
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
        let LegEnd::Completed { seconds, price } = &settlement.end else {
            return Ok(Settled::Noted);
        };
        if !state.charged.insert(settlement.leg.clone()) {
            return Ok(Settled::AlreadyCharged);
        }
        let amount = |d: &voice_core::decimal::Decimal| scaled(d.as_str()).unwrap_or(0);
        let day = state
            .days
            .entry((owner.user.clone(), owner.day.clone()))
            .or_default();
        day.seconds += amount(seconds);
        day.spend += amount(price);
        Ok(Settled::Charged)
    }
}

/// The event log in memory: each event once, by what identifies it.
#[derive(Debug, Default)]
pub struct MemoryLog {
    transitions: Mutex<HashSet<String>>,
}

impl MemoryLog {
    pub fn transitions(&self) -> usize {
        self.transitions.lock().expect("log").len()
    }
}

impl EventLog for MemoryLog {
    async fn record(
        &self,
        event: &CallEvent,
        _raw: &str,
        _moves_leg: bool,
    ) -> Result<Recorded, StoreError> {
        let key = format!(
            "{:?}|{:?}|{}|{:?}|{:?}",
            event.conversation_uuid,
            event.uuid,
            event.kind.name(),
            event.timestamp,
            event.fingerprint
        );
        let mut transitions = self
            .transitions
            .lock()
            .map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(if transitions.insert(key) {
            Recorded::New
        } else {
            Recorded::Duplicate
        })
    }
}

#[cfg(feature = "token")]
pub use self::token::*;

#[cfg(feature = "token")]
mod token {
    use crate::usecase::ports::{StoreError, VonageError};
    use crate::usecase::token::{Creation, UserProfiles, UserRecord, VonageUsers, CREATED_BY};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use voice_core::identity::{Profile, UserName};

    /// The profiles in memory: the first remembered stays.
    #[derive(Debug, Default)]
    pub struct MemoryProfiles(Mutex<HashMap<String, Profile>>);

    impl MemoryProfiles {
        pub fn len(&self) -> usize {
            self.0.lock().expect("profiles").len()
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    }

    impl UserProfiles for MemoryProfiles {
        async fn get(&self, name: &UserName) -> Result<Option<Profile>, StoreError> {
            Ok(self.0.lock().expect("profiles").get(name.as_str()).cloned())
        }

        async fn remember(&self, profile: &Profile) -> Result<(), StoreError> {
            let mut profiles = self.0.lock().expect("profiles");
            profiles
                .entry(profile.name.to_string())
                .or_insert_with(|| profile.clone());
            Ok(())
        }
    }

    /// Vonage's users in memory: name → (id, creation mark).
    #[derive(Debug, Default)]
    pub struct MemoryVonage {
        users: Mutex<HashMap<String, (String, Option<String>)>>,
        creates: AtomicUsize,
    }

    impl MemoryVonage {
        /// A user made earlier, with `created_by` as its mark (`None`: made by hand).
        pub fn add(&self, name: &str, created_by: Option<&str>) {
            let mut users = self.users.lock().expect("users");
            users.insert(
                name.into(),
                (format!("USR-{name}"), created_by.map(str::to_string)),
            );
        }

        pub fn creates(&self) -> usize {
            self.creates.load(Ordering::SeqCst)
        }
    }

    impl VonageUsers for MemoryVonage {
        async fn create(
            &self,
            _app_token: &str,
            name: &UserName,
            _display_name: &str,
        ) -> Result<Creation, VonageError> {
            let mut users = self.users.lock().expect("users");
            if users.contains_key(name.as_str()) {
                return Ok(Creation::Taken);
            }
            let id = format!("USR-{name}");
            users.insert(name.to_string(), (id.clone(), Some(CREATED_BY.into())));
            self.creates.fetch_add(1, Ordering::SeqCst);
            Ok(Creation::Created(id))
        }

        async fn lookup(
            &self,
            _app_token: &str,
            name: &UserName,
        ) -> Result<UserRecord, VonageError> {
            let users = self.users.lock().expect("users");
            let (id, created_by) =
                users
                    .get(name.as_str())
                    .cloned()
                    .ok_or(VonageError::Refused {
                        status: 404,
                        body: "no such user".into(),
                    })?;
            Ok(UserRecord { id, created_by })
        }
    }
}
