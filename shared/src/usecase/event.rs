//! event-fn's use case: one event → stored exactly once (its transition, and its effect on its
//! leg) → for the end of an outbound phone leg, settled with the app user who placed the call.

use super::ports::StoreError;
use std::future::Future;
use std::time::{Duration, Instant};
use voice_core::event::{CallEvent, Recorded, MAX_FUTURE_SECONDS};
use voice_core::privacy::{party, pseudonym};
use voice_core::time::Timestamp;
use voice_core::usage::{CallOwner, LegEnd, Settled, Settlement};

/// Where events are stored.
pub trait EventLog {
    /// Stores one event: its transition, and its effect on the leg when `moves_leg`.
    fn record(
        &self,
        event: &CallEvent,
        raw: &str,
        moves_leg: bool,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send;
}

/// What the event webhook needs of the ledger.
pub trait LegLedger {
    /// Who placed the conversation's call through the answer webhook, read so that a call
    /// answered a moment ago is found.
    fn owner(
        &self,
        conversation_uuid: &str,
    ) -> impl Future<Output = Result<Option<CallOwner>, StoreError>> + Send;

    /// Settles the end of a leg of `owner`'s call, once.
    fn settle(
        &self,
        owner: &CallOwner,
        settlement: &Settlement,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;
}

/// What the caller's ledger made of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerOutcome {
    /// Not the end of an outbound leg (or stamped too far ahead to move anything).
    Nothing,
    /// The end of a phone leg of a call no app user placed through this answer webhook (a
    /// call made with the Voice API, answered elsewhere, or connected uncounted while the
    /// ledger was down): not charged.
    Unowned,
    Settled(Settled),
}

/// What became of one event.
#[derive(Debug)]
pub struct Recording {
    pub recorded: Result<Recorded, StoreError>,
    /// Whether it was settled with its caller's ledger; `Nothing` when it was not stored.
    pub ledgered: Result<LedgerOutcome, StoreError>,
    /// How long storing it took.
    pub latency: Duration,
}

/// Stores `event` (as `raw`, received at `received`) and settles the end of an outbound leg.
/// Settling runs for duplicates too: a delivery that stored the event but died before
/// settling it is finished by the next. An event stamped more than `MAX_FUTURE_SECONDS` ahead
/// of its arrival is kept in the timeline but moves nothing: neither its leg nor a ledger.
pub async fn record_event<E: EventLog, L: LegLedger>(
    events: &E,
    ledger: &L,
    event: &CallEvent,
    raw: &str,
    received: &Timestamp,
) -> Recording {
    let moves_leg = event.may_move_leg(received);
    if !moves_leg {
        tracing::warn!(
            call_uuid = event.uuid.as_deref().unwrap_or(""),
            conversation_uuid = event.conversation_uuid.as_deref().unwrap_or(""),
            timestamp = event.timestamp.as_ref().map(Timestamp::as_str).unwrap_or(""),
            "VOICE EVENT stamped more than {MAX_FUTURE_SECONDS}s ahead of its arrival: kept in the timeline, the leg is left as it is"
        );
    }
    let started = Instant::now();
    let recorded = events.record(event, raw, moves_leg).await;
    let latency = started.elapsed();
    let ledgered = match &recorded {
        Ok(recorded) => {
            log_event(event, *recorded);
            settle(ledger, event, moves_leg).await
        }
        Err(_) => Ok(LedgerOutcome::Nothing),
    };
    Recording {
        recorded,
        ledgered,
        latency,
    }
}

/// Settles the end of an outbound phone leg with the app user whose call it is: a completed
/// leg is charged once, a leg that never connected leaves its outcome in the call log.
async fn settle<L: LegLedger>(
    ledger: &L,
    event: &CallEvent,
    moves_leg: bool,
) -> Result<LedgerOutcome, StoreError> {
    let Some(settlement) = Settlement::of(event).filter(|_| moves_leg) else {
        return Ok(LedgerOutcome::Nothing);
    };
    // The answer wrote the owner before its NCCO went out, and this read sees it: no owner
    // means no app user placed this call here.
    let owner = ledger.owner(&settlement.conversation_uuid).await?;
    // A refused call has no phone leg of its own; whatever leg names its conversation is not
    // the app user's to pay.
    let Some(owner) = owner.filter(|owner| owner.refused.is_none()) else {
        tracing::info!(
            call_uuid = settlement.leg,
            conversation_uuid = settlement.conversation_uuid,
            "VOICE EVENT phone leg of a call no app user placed through this answer webhook: not charged"
        );
        return Ok(LedgerOutcome::Unowned);
    };
    let settled = ledger.settle(&owner, &settlement).await?;
    if matches!(settled, Settled::Charged { .. }) {
        let user = pseudonym(&owner.user);
        tracing::info!(
            user,
            day = owner.day,
            "VOICE EVENT leg {} charged to {user} for {}",
            settlement.leg.get(..8).unwrap_or(&settlement.leg),
            owner.day
        );
    }
    Ok(LedgerOutcome::Settled(settled))
}

/// One line per event that a person can read in the `make run` terminal; the same fields go
/// out as JSON in Lambda. Parties are masked or pseudonymous.
fn log_event(event: &CallEvent, recorded: Recorded) {
    let leg = event.uuid.as_deref().unwrap_or("-");
    let short_leg = leg.get(..8).unwrap_or(leg);
    let direction = event.direction.as_deref().unwrap_or("-");
    let status = event.kind.name();
    let to = event.to.as_deref().map(party).unwrap_or_default();
    let duration = event.duration.as_ref().map(|d| d.as_str()).unwrap_or("");
    let price = event.price.as_ref().map(|d| d.as_str()).unwrap_or("");
    let ended = match LegEnd::of(event) {
        Some(LegEnd::Completed { seconds, price }) => {
            format!(" duration={}s price={}", seconds.as_str(), price.as_str())
        }
        _ => String::new(),
    };
    let duplicate = recorded == Recorded::Duplicate;
    let note = if duplicate { " (duplicate)" } else { "" };
    tracing::info!(
        call_uuid = leg,
        conversation_uuid = event.conversation_uuid.as_deref().unwrap_or(""),
        direction,
        status,
        to,
        duration,
        price,
        duplicate,
        "VOICE EVENT leg {short_leg} {direction} {status}{ended}{note}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{call_event, tutorial_call, MemoryLedger, MemoryLog, CONVERSATION};
    use serde_json::json;
    use voice_core::usage::{Limits, NewCall};

    fn tutorial() -> Vec<(CallEvent, String)> {
        tutorial_call()
            .into_iter()
            .map(|(_, body)| (call_event(serde_json::from_str(&body).unwrap()), body))
            .collect()
    }

    async fn answered(ledger: &MemoryLedger, user: &str, conversation: &str) {
        let call = NewCall {
            user: user.into(),
            call_id: conversation.into(),
            to: "447700900000".into(),
            answered_at: Timestamp::now(),
            priced: None,
        };
        use super::super::answer::CallLedger;
        ledger.count_call(&call, &Limits::default()).await.unwrap();
    }

    async fn deliver(
        log: &MemoryLog,
        ledger: &MemoryLedger,
        (event, raw): &(CallEvent, String),
    ) -> Recording {
        record_event(log, ledger, event, raw, &Timestamp::now()).await
    }

    #[tokio::test]
    async fn the_tutorial_call_is_stored_once_and_charged_to_its_caller_once() {
        let (log, ledger) = (MemoryLog::default(), MemoryLedger::default());
        answered(&ledger, "alice", CONVERSATION).await;
        let call = tutorial();
        for event in call.iter().chain(call.iter().rev()) {
            let recording = deliver(&log, &ledger, event).await;
            assert!(recording.recorded.is_ok() && recording.ledgered.is_ok());
        }
        assert_eq!(log.transitions(), call.len());
        assert_eq!(
            ledger.spend("alice"),
            ("5".to_string(), "0.00833333".to_string())
        );
    }

    #[tokio::test]
    async fn the_end_of_a_phone_leg_no_app_user_placed_is_unowned_and_charges_nobody() {
        let (log, ledger) = (MemoryLog::default(), MemoryLedger::default());
        let completed = tutorial().swap_remove(3);
        let recording = deliver(&log, &ledger, &completed).await;
        assert_eq!(recording.recorded.unwrap(), Recorded::New);
        assert_eq!(recording.ledgered.unwrap(), LedgerOutcome::Unowned);
    }

    #[tokio::test]
    async fn an_event_stamped_far_ahead_is_kept_but_settles_nothing() {
        let (log, ledger) = (MemoryLog::default(), MemoryLedger::default());
        answered(&ledger, "bob", "CON-late").await;
        let forged = json!({"uuid": "phone", "conversation_uuid": "CON-late", "status": "completed",
            "direction": "outbound", "duration": "60", "price": "9", "timestamp": "9999-12-30T00:00:00Z"});
        let event = call_event(forged.clone());
        let recording = deliver(&log, &ledger, &(event, forged.to_string())).await;
        assert_eq!(recording.ledgered.unwrap(), LedgerOutcome::Nothing);
        assert_eq!(ledger.spend("bob"), ("0".to_string(), "0".to_string()));
    }

    #[tokio::test]
    async fn a_store_that_cannot_settle_leaves_the_event_stored_and_says_so() {
        let log = MemoryLog::default();
        let ledger = MemoryLedger::failing(|| StoreError::Unavailable("throttled".into()));
        let completed = tutorial().swap_remove(3);
        let recording = deliver(&log, &ledger, &completed).await;
        assert_eq!(recording.recorded.unwrap(), Recorded::New);
        assert!(recording.ledgered.unwrap_err().is_transient());
    }
}
