//! Per-user usage: what each app user's calls cost, per UTC day, and the limits checked when a
//! call is answered. Pure: the store (`store::usage`) carries it out with conditional writes.
//!
//! A day's ledger counts the calls the answer webhook connected for the user that day, and adds
//! the `duration` and `price` of each call's outbound phone leg from its `completed` event. The
//! day is the day the call was answered, so a call that runs past midnight is billed to the day
//! it began, with the call it belongs to.

use crate::answer::{Answer, AnswerRequest, Decision, Refusal};
use crate::budget::Priced;
use crate::decimal::{Amount, Decimal};
use crate::event::CallEvent;
use crate::status::CallStatus;
use crate::time::{day_of, Timestamp};

pub use crate::budget::Limits;

/// A call the answer webhook is about to connect for an app user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub user: String,
    /// What makes a redelivered answer request the same call: the conversation (or, without
    /// one, the app leg).
    pub call_id: String,
    /// The number dialled, E.164 digits.
    pub to: String,
    pub answered_at: Timestamp,
    /// How it is priced, when a spend limit applies: then it is counted with a reservation
    /// (`budget::reserve`) that bounds how long it may last.
    pub priced: Option<Priced>,
}

impl NewCall {
    /// The call this answer connects for an app user; `None` for every other decision (only
    /// calls an app user places to a phone are counted).
    pub fn of(answer: &Answer, now: Timestamp) -> Option<Self> {
        let (Decision::ConnectPhone(number), Some(user)) =
            (&answer.decision, &answer.request.from_user)
        else {
            return None;
        };
        Some(Self {
            user: user.clone(),
            call_id: call_id(&answer.request, &now),
            to: number.digits().to_string(),
            answered_at: now,
            priced: None,
        })
    }

    pub fn day(&self) -> &str {
        day_of(&self.answered_at)
    }
}

/// What makes a redelivered answer request the same call: the conversation (or, without one,
/// the app leg). Vonage always sends both; without either, the time stands in (such a request
/// cannot be recognised when redelivered).
fn call_id(request: &AnswerRequest, now: &Timestamp) -> String {
    request
        .conversation_uuid
        .clone()
        .or_else(|| request.uuid.clone())
        .unwrap_or_else(|| format!("unidentified-{}", now.as_str()))
}

/// What counting a call in its user's ledger did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// Counted now: connect; funded by a reservation when the call was priced.
    New(Option<Funded>),
    /// Already counted for this user (a redelivered answer request): connect again, without
    /// counting again, for the seconds it was funded for when it was.
    Again(Option<u32>),
    /// The day's call limit is reached (or its open calls, `budget::MAX_OPEN_HOLDS`): refuse.
    OverLimit,
    /// What is left of the day's spend limit cannot fund the minimum call: refuse.
    OverBudget,
    /// The conversation was already answered for another app user: refuse.
    OtherUser,
    /// The conversation was refused before (its `Refusal::code`): refuse again.
    Refused(String),
}

/// What a reservation funds a call with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funded {
    /// The connect's `limit`.
    pub seconds: u32,
    /// What it holds of the day's spend limit.
    pub held: Amount,
    /// Expired holds the reservation dropped.
    pub expired: usize,
    /// The day's spend plus every open hold, this one included.
    pub committed: Amount,
}

/// Who a conversation's call is charged to: the app user who placed it, on which day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOwner {
    pub user: String,
    pub day: String,
    pub answered_at: String,
    /// Where the call's entry in the user's call log is (its sort key).
    pub log_sk: String,
    /// Why the call was refused, when it was (`Refusal::code`): such a call has no phone leg
    /// to charge.
    pub refused: Option<String>,
    /// The number dialled (E.164 digits), when the owner item says.
    pub to: Option<String>,
    /// What the call's reservation holds of its day, when it has one: released (once) when
    /// its phone leg ends.
    pub held: Option<Amount>,
}

/// A call refused for an app user, to keep in their call log with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedCall {
    pub user: String,
    /// What makes a redelivered answer request the same call (as `NewCall::call_id`).
    pub call_id: String,
    /// The destination as asked for (at most `MAX_ASKED_CHARS` characters of it).
    pub to: String,
    pub answered_at: Timestamp,
    /// `Refusal::code`: `limit`, `budget`, `no-rate`, `blocked`, `not-allowed`, `invalid`,
    /// `no-destination`.
    pub reason: String,
}

/// How much of an asked-for destination a refused call keeps.
pub const MAX_ASKED_CHARS: usize = 32;

impl RefusedCall {
    /// The refusal of an app user's call, worth a line in their call log: refused by the
    /// destination policy or their limit. `None` for every other answer (a connected call,
    /// a phone calling in, a refusal the ledger could not record anyway).
    pub fn of(answer: &Answer, now: Timestamp) -> Option<Self> {
        let (Decision::Refuse(refusal), Some(user)) = (&answer.decision, &answer.request.from_user)
        else {
            return None;
        };
        let recorded = matches!(
            refusal,
            Refusal::Limit
                | Refusal::Budget
                | Refusal::NoRate
                | Refusal::Blocked(_)
                | Refusal::NotAllowed
                | Refusal::Invalid(_)
                | Refusal::NoDestination
        );
        if !recorded {
            return None;
        }
        let request = &answer.request;
        let asked = request.destination().ok().flatten().unwrap_or_default();
        Some(Self {
            user: user.clone(),
            call_id: call_id(request, &now),
            to: asked.chars().take(MAX_ASKED_CHARS).collect(),
            answered_at: now,
            reason: refusal.code().to_string(),
        })
    }

    pub fn day(&self) -> &str {
        day_of(&self.answered_at)
    }
}

/// One call in a user's call log, as kept: numbers as the table returns them (exact).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallRecord {
    pub conversation_uuid: String,
    /// The number dialled (E.164 digits), or what was asked for when the call was refused.
    pub to: String,
    pub answered_at: String,
    /// The phone leg, once it ended.
    pub leg: Option<String>,
    /// `answered`, `busy`, `unanswered`, … once the phone leg ended; `refused` for a call
    /// that was never connected.
    pub outcome: Option<String>,
    /// Why a refused call was refused (`Refusal::code`).
    pub reason: Option<String>,
    pub duration: Option<String>,
    pub price: Option<String>,
    pub ended_at: Option<String>,
}

/// A user's day as the ledger holds it: the calls connected, and the seconds and spend of
/// their phone legs; numbers as the table returns them (exact).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayTotals {
    pub calls: String,
    pub seconds: String,
    pub spend: String,
    /// What open calls' reservations hold of the spend limit.
    pub held: String,
}

/// What settling the end of a leg did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Its duration and price were added to its caller's day now; `released`: and the
    /// call's reservation released with them.
    Charged { released: bool },
    /// It had been charged already (a redelivery, another instance): nothing changed.
    AlreadyCharged,
    /// A leg that never connected: its outcome is in the call log, nothing is charged;
    /// `released`: the call's reservation released now.
    Noted { released: bool },
}

impl Settled {
    /// Whether this settlement released the call's reservation.
    pub fn released(self) -> bool {
        matches!(
            self,
            Settled::Charged { released: true } | Settled::Noted { released: true }
        )
    }
}

/// How an outbound phone leg ended, for its caller's ledger. The one place that decides what
/// a terminal status of a phone leg means: a `completed` leg is charged its duration and
/// price; a leg that never connected (busy, cancelled, unanswered, rejected, failed, timeout)
/// charges nothing but is the call's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegEnd {
    Completed { seconds: Decimal, price: Decimal },
    NotConnected(CallStatus),
}

/// What one terminal event of an outbound leg means for the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub conversation_uuid: String,
    /// The leg's price per minute, as its `completed` event says: what the answer learns
    /// destinations' rates from.
    pub rate: Option<Decimal>,
    /// The leg: each leg is charged once.
    pub leg: String,
    pub end: LegEnd,
    /// When the leg ended (the event's time), if it says.
    pub at: Option<Timestamp>,
}

impl LegEnd {
    /// How the leg an event reports on ended, if the event is the end of a leg (of either
    /// direction): `completed` with its duration and price (zero when missing), or a status
    /// of a leg that never connected.
    pub fn of(event: &CallEvent) -> Option<Self> {
        match event.status()? {
            CallStatus::Completed => Some(LegEnd::Completed {
                seconds: event.duration.clone().unwrap_or_else(Decimal::zero),
                price: event.price.clone().unwrap_or_else(Decimal::zero),
            }),
            status if status.is_not_connected() => Some(LegEnd::NotConnected(status.clone())),
            _ => None,
        }
    }
}

impl Settlement {
    /// The settlement of the end of an outbound leg that names its leg and conversation;
    /// `None` for every other event.
    pub fn of(event: &CallEvent) -> Option<Self> {
        if event.direction.as_deref() != Some("outbound") {
            return None;
        }
        let (Some(conversation_uuid), Some(leg)) = (&event.conversation_uuid, &event.uuid) else {
            return None;
        };
        Some(Self {
            conversation_uuid: conversation_uuid.clone(),
            rate: event.rate.clone(),
            leg: leg.clone(),
            end: LegEnd::of(event)?,
            at: event.timestamp.clone(),
        })
    }

    /// The call's outcome as this event tells it. A leg that never connected says how; a
    /// `completed` leg that talked was answered, and one that did not, unanswered, unless an
    /// event of its own says better (the store keeps the not-connected status over it).
    pub fn outcome(&self) -> &str {
        match &self.end {
            LegEnd::NotConnected(status) => status.as_str(),
            LegEnd::Completed { seconds, .. } if seconds.is_zero() => "unanswered",
            LegEnd::Completed { .. } => "answered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::call_event;
    use serde_json::json;

    #[test]
    fn an_app_users_refused_call_is_kept_with_its_reason_and_nothing_else_is() {
        use crate::answer::{answer, AnswerSettings};
        let settings = AnswerSettings::new(crate::phone::E164::parse("447700900001").unwrap());
        let at = Timestamp::parse("2026-12-04T10:00:00.000Z").unwrap();
        let asked = |params: serde_json::Value| {
            let answered = answer(&settings, params.as_object().unwrap()).unwrap();
            RefusedCall::of(&answered, at.clone())
        };
        let blocked = asked(json!({"to": "449098790000", "from_user": "alice",
                                   "conversation_uuid": "CON-1"}))
        .unwrap();
        assert_eq!(
            (
                blocked.user.as_str(),
                blocked.call_id.as_str(),
                blocked.to.as_str()
            ),
            ("alice", "CON-1", "449098790000")
        );
        assert_eq!(
            (blocked.reason.as_str(), blocked.day()),
            ("blocked", "2026-12-04")
        );
        let long = format!("+{}", "9".repeat(60));
        let invalid = asked(json!({"to": long, "from_user": "alice", "uuid": "app-2"})).unwrap();
        assert_eq!(
            (invalid.reason.as_str(), invalid.call_id.as_str()),
            ("invalid", "app-2")
        );
        assert_eq!(invalid.to.chars().count(), MAX_ASKED_CHARS);
        let none = asked(json!({"from_user": "alice", "conversation_uuid": "CON-3"})).unwrap();
        assert_eq!(
            (none.reason.as_str(), none.to.as_str()),
            ("no-destination", "")
        );
        // A call that connects, and a phone calling our number, are no refusals to keep.
        let connected = json!({"to": "447700900000", "from_user": "alice"});
        let inbound = json!({"to": "447700900001", "from": "447700900000"});
        assert_eq!((asked(connected), asked(inbound)), (None, None));
    }

    #[test]
    fn the_day_is_the_utc_date_of_the_answer() {
        let at = Timestamp::parse("2026-11-26T23:59:59.999-01:00").unwrap();
        assert_eq!(day_of(&at), "2026-11-27");
    }

    #[test]
    fn an_outbound_legs_terminal_events_settle_it_and_nothing_else_does() {
        let completed = call_event(json!({
            "uuid": "phone", "conversation_uuid": "CON-1", "status": "completed",
            "direction": "outbound", "duration": "5", "price": "0.00833333",
            "timestamp": "2021-03-10T10:36:35.585Z"
        }));
        let settlement = Settlement::of(&completed).unwrap();
        assert_eq!(
            settlement.end,
            LegEnd::Completed {
                seconds: Decimal::parse("5").unwrap(),
                price: Decimal::parse("0.00833333").unwrap()
            }
        );
        assert_eq!(
            (settlement.leg.as_str(), settlement.outcome()),
            ("phone", "answered")
        );
        for status in [
            "busy",
            "cancelled",
            "unanswered",
            "rejected",
            "failed",
            "timeout",
        ] {
            let ended = call_event(json!({"uuid": "phone", "conversation_uuid": "CON-1",
                "status": status, "direction": "outbound"}));
            let settlement = Settlement::of(&ended).unwrap();
            assert_eq!(settlement.outcome(), status);
            assert!(matches!(settlement.end, LegEnd::NotConnected(_)));
        }
        for other in [
            json!({"uuid": "app", "conversation_uuid": "CON-1", "status": "completed",
                   "direction": "inbound", "duration": "15", "price": "0"}),
            json!({"uuid": "phone", "conversation_uuid": "CON-1", "status": "answered",
                   "direction": "outbound"}),
            json!({"uuid": "phone", "conversation_uuid": "CON-1", "status": "disconnected",
                   "direction": "outbound"}),
            json!({"uuid": "phone", "status": "completed", "direction": "outbound", "price": "1"}),
        ] {
            assert_eq!(Settlement::of(&call_event(other.clone())), None, "{other}");
        }
    }

    #[test]
    fn a_completed_leg_without_duration_or_price_costs_nothing_and_was_not_answered() {
        let unpriced = call_event(json!({"uuid": "p", "conversation_uuid": "C",
            "status": "completed", "direction": "outbound"}));
        let settlement = Settlement::of(&unpriced).unwrap();
        assert_eq!(
            settlement.end,
            LegEnd::Completed {
                seconds: Decimal::zero(),
                price: Decimal::zero()
            }
        );
        assert_eq!(settlement.outcome(), "unanswered");
    }
}
