//! Per-user usage: what each app user's calls cost, per UTC day, and the limits checked when a
//! call is answered. Pure: the store (`store::usage`) carries it out with conditional writes.
//!
//! A day's ledger counts the calls the answer webhook connected for the user that day, and adds
//! the `duration` and `price` of each call's outbound phone leg from its `completed` event. The
//! day is the day the call was answered, so a call that runs past midnight is billed to the day
//! it began, with the call it belongs to.

use crate::answer::{Answer, Decision};
use crate::event::{CallEvent, CallStatus, Decimal, Timestamp};

/// The daily caps. `None` is no cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Calls connected per user per UTC day: the call that would exceed it is refused.
    pub max_calls: Option<u32>,
    /// Spend per user per UTC day, in the account's currency: once a user's completed calls
    /// reach it, their next call is refused.
    pub max_spend: Option<Decimal>,
}

impl Limits {
    pub fn any(&self) -> bool {
        self.max_calls.is_some() || self.max_spend.is_some()
    }
}

/// The UTC day of a time, `yyyy-mm-dd`: the ledger's sort key is `DAY#<day>`.
pub fn day_of(at: &Timestamp) -> &str {
    &at.as_str()[..10]
}

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
        let request = &answer.request;
        // Vonage always sends both ids; without either, the time stands in (such a request
        // cannot be recognised when redelivered, so it would count again).
        let call_id = request
            .conversation_uuid
            .clone()
            .or_else(|| request.uuid.clone())
            .unwrap_or_else(|| format!("unidentified-{}", now.as_str()));
        Some(Self {
            user: user.clone(),
            call_id,
            to: number.digits().to_string(),
            answered_at: now,
        })
    }

    pub fn day(&self) -> &str {
        day_of(&self.answered_at)
    }
}

/// Longest user name the ledger takes, in bytes (token-fn makes names of at most 100).
pub const MAX_USER_LEN: usize = 256;

/// What one completed outbound phone leg adds to its user's day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub conversation_uuid: String,
    /// The leg: each leg is charged once.
    pub leg: String,
    pub seconds: Decimal,
    pub spend: Decimal,
}

impl Charge {
    /// The charge of a `completed` event of an outbound leg, with the leg and conversation it
    /// belongs to; `None` for every other event. A missing duration or price is zero; a
    /// negative one (no real leg has one) is refused rather than subtracted.
    pub fn of(event: &CallEvent) -> Option<Result<Self, String>> {
        if event.status() != Some(&CallStatus::Completed)
            || event.direction.as_deref() != Some("outbound")
        {
            return None;
        }
        let (Some(conversation_uuid), Some(leg)) = (&event.conversation_uuid, &event.uuid) else {
            return None;
        };
        let amount = |value: &Option<Decimal>, name: &str| -> Result<Decimal, String> {
            match value {
                None => Ok(Decimal::zero()),
                Some(d) if d.as_str().starts_with('-') => {
                    Err(format!("negative {name} `{}`", d.as_str()))
                }
                Some(d) => Ok(d.clone()),
            }
        };
        Some(amount(&event.duration, "duration").and_then(|seconds| {
            Ok(Self {
                conversation_uuid: conversation_uuid.clone(),
                leg: leg.clone(),
                seconds,
                spend: amount(&event.price, "price")?,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::call_event;
    use serde_json::json;

    #[test]
    fn the_day_is_the_utc_date_of_the_answer() {
        let at = Timestamp::parse("2026-11-26T23:59:59.999-01:00").unwrap();
        assert_eq!(day_of(&at), "2026-11-27");
    }

    #[test]
    fn only_an_outbound_legs_completed_event_is_charged() {
        let completed = call_event(json!({
            "uuid": "phone", "conversation_uuid": "CON-1", "status": "completed",
            "direction": "outbound", "duration": "5", "price": "0.00833333",
            "timestamp": "2021-03-10T10:36:35.585Z"
        }));
        let charge = Charge::of(&completed).unwrap().unwrap();
        assert_eq!(
            (
                charge.leg.as_str(),
                charge.seconds.as_str(),
                charge.spend.as_str()
            ),
            ("phone", "5", "0.00833333")
        );
        for other in [
            json!({"uuid": "app", "conversation_uuid": "CON-1", "status": "completed",
                   "direction": "inbound", "duration": "15", "price": "0"}),
            json!({"uuid": "phone", "conversation_uuid": "CON-1", "status": "answered",
                   "direction": "outbound"}),
            json!({"uuid": "phone", "status": "completed", "direction": "outbound", "price": "1"}),
        ] {
            assert_eq!(Charge::of(&call_event(other.clone())), None, "{other}");
        }
    }

    #[test]
    fn a_leg_without_price_costs_nothing_and_a_negative_price_is_refused() {
        let unpriced = call_event(json!({"uuid": "p", "conversation_uuid": "C",
            "status": "completed", "direction": "outbound"}));
        let charge = Charge::of(&unpriced).unwrap().unwrap();
        assert_eq!((charge.seconds.as_str(), charge.spend.as_str()), ("0", "0"));
        let negative = call_event(json!({"uuid": "p", "conversation_uuid": "C",
            "status": "completed", "direction": "outbound", "price": "-1.5"}));
        assert!(Charge::of(&negative).unwrap().is_err());
    }
}
