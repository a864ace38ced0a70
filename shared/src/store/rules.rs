//! The write rules: what one event writes, and under which conditions, so that redeliveries,
//! any order and concurrent writers leave the same table. Each leg's status only moves up the
//! ordering `event::CallStatus::rank` defines (its outcome up `outcome_rank`), enforced by the
//! condition expressions built here. Pure: nothing here talks to DynamoDB.

use super::dynamo::{s, Item};
use super::keys::{transition_key, EXPIRES_AT};
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use voice_core::event::CallEvent;
use voice_core::status::CallStatus;

/// One event as received, in the conversation's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub pk: String,
    pub sk: String,
    /// The status for status events, the kind (`input`, `record`, …) otherwise.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The body exactly as Vonage sent it (for `GET` delivery, the query as a JSON object).
    pub raw: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// A DynamoDB `UpdateItem` being put together: `SET` clauses with their names and values.
/// Every attribute goes through a `#name` placeholder: `status`, `from`, `to`, `duration` and
/// `timestamp` are DynamoDB reserved words.
#[derive(Default)]
pub(super) struct Update {
    sets: Vec<String>,
    pub(super) names: HashMap<String, String>,
    pub(super) values: HashMap<String, AttributeValue>,
}

impl Update {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#{attr}");
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    fn value(&mut self, attr: &str, value: AttributeValue) -> String {
        let placeholder = format!(":{attr}");
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn set(&mut self, attr: &str, value: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(attr, value));
        self.sets.push(format!("{n} = {v}"));
    }

    /// Sets the attribute only if the item has none yet: first value seen wins.
    fn set_if_absent(&mut self, attr: &str, value: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(attr, value));
        self.sets.push(format!("{n} = if_not_exists({n}, {v})"));
    }

    pub(super) fn expression(&self) -> String {
        format!("SET {}", self.sets.join(", "))
    }
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The leg's `(rank, time)` key or the outcome's, from the item DynamoDB handed back.
fn ranked(item: &Item, rank: &str, at: &str) -> Option<(u8, String)> {
    let rank = match item.get(rank)? {
        AttributeValue::N(n) => n.parse().ok()?,
        _ => return None,
    };
    let at = match item.get(at) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    Some((rank, at))
}

/// Condition under which `(rank, at)` may replace the item's `(rank_attr, at_attr)`: nothing
/// there yet, a lower rank, or the same rank no later. Equal keys pass, so a redelivery writes
/// the same values again and changes nothing.
fn not_older(update: &mut Update, rank_attr: &str, at_attr: &str, rank: u8, at: &str) -> String {
    let (rn, an) = (update.name(rank_attr), update.name(at_attr));
    let (rv, av) = (
        update.value(rank_attr, n(rank)),
        update.value(at_attr, s(at)),
    );
    format!("attribute_not_exists({rn}) OR {rn} < {rv} OR ({rn} = {rv} AND {an} <= {av})")
}

/// The two writes one event makes, built but not sent.
pub struct Writes {
    /// The transition item, put only if its key is new.
    pub(super) transition: Item,
    /// The leg update, for call status events that name their leg and conversation.
    pub(super) leg: Option<LegWrite>,
}

pub(super) struct LegWrite {
    pub(super) conv: String,
    pub(super) uuid: String,
    pub(super) status: CallStatus,
    pub(super) at: String,
    pub(super) update: Update,
    pub(super) condition: String,
}

/// Builds the writes for one event (pure: the hot path before any I/O). Without `moves_leg`
/// (`CallEvent::may_move_leg`: stamped too far ahead of its arrival) it is a transition only.
pub fn writes(
    event: &CallEvent,
    raw: &str,
    expires_at: Option<u64>,
    moves_leg: bool,
) -> Result<Writes, StoreError> {
    let (pk, sk) = transition_key(event);
    let transition = Transition {
        pk,
        sk,
        kind: event.kind.name().to_string(),
        uuid: event.uuid.clone(),
        conversation_uuid: event.conversation_uuid.clone(),
        timestamp: event.timestamp.as_ref().map(|t| t.as_str().to_string()),
        raw: raw.to_string(),
        expires_at,
    };
    let transition =
        serde_dynamo::to_item(transition).map_err(|e| StoreError::Rejected(e.to_string()))?;
    let leg = match (event.status(), &event.uuid, &event.conversation_uuid) {
        (Some(status), Some(uuid), Some(conv)) if moves_leg => {
            Some(leg_write(event, status, uuid, conv, expires_at))
        }
        _ => None,
    };
    Ok(Writes { transition, leg })
}

fn leg_write(
    event: &CallEvent,
    status: &CallStatus,
    uuid: &str,
    conv: &str,
    expires_at: Option<u64>,
) -> LegWrite {
    let at = event.timestamp.as_ref().map(|t| t.as_str()).unwrap_or("");
    let rank = status.rank();

    let mut update = Update::default();
    update.set("uuid", s(uuid));
    update.set("conversation_uuid", s(conv));
    update.set("status", s(status.as_str()));
    update.set("status_at", s(at));
    update.set("status_rank", n(rank));
    if let Some(orank) = status.outcome_rank() {
        // Safe without its own condition: outcome rank rises with status rank, so an event
        // that wins the status condition also wins the outcome one.
        update.set("outcome", s(status.as_str()));
        update.set("outcome_at", s(at));
        update.set("outcome_rank", n(orank));
    }
    let texts = [
        ("network", &event.network),
        ("start_time", &event.start_time),
        ("end_time", &event.end_time),
        ("detail", &event.detail),
        ("sip_code", &event.sip_code),
        ("disconnected_by", &event.disconnected_by),
    ];
    for (attr, value) in texts {
        if let Some(value) = value {
            update.set(attr, s(value));
        }
    }
    for (attr, value) in [
        ("duration", &event.duration),
        ("rate", &event.rate),
        ("price", &event.price),
    ] {
        if let Some(value) = value {
            update.set(attr, n(value.as_str()));
        }
    }
    parties(&mut update, event, None);
    if let Some(expires_at) = expires_at {
        update.set(EXPIRES_AT, n(expires_at));
    }
    let condition = not_older(&mut update, "status_rank", "status_at", rank, at);
    LegWrite {
        conv: conv.to_string(),
        uuid: uuid.to_string(),
        status: status.clone(),
        at: at.to_string(),
        update,
        condition,
    }
}

/// `direction`, `from`, `to`: the first value seen is kept (Vonage sends the same ones on
/// every event of a leg, or none). With the current item at hand, only missing ones are set.
fn parties(update: &mut Update, event: &CallEvent, current: Option<&Item>) {
    for (attr, value) in [
        ("direction", &event.direction),
        ("from", &event.from),
        ("to", &event.to),
    ] {
        if let Some(value) = value {
            if current.is_none_or(|item| !item.contains_key(attr)) {
                update.set_if_absent(attr, s(value));
            }
        }
    }
}

/// What a late event (one that lost the leg's status condition) still adds to the leg, given
/// the leg as DynamoDB returned it: its outcome, if it outranks the stored one (under its own
/// condition), and parties the leg lacks. `None` when it adds nothing.
pub(super) fn late_update(
    event: &CallEvent,
    status: &CallStatus,
    at: &str,
    current: &Item,
) -> Option<(Update, Option<String>)> {
    let mut late = Update::default();
    let mut condition = None;
    if let Some(orank) = status.outcome_rank() {
        if ranked(current, "outcome_rank", "outcome_at") < Some((orank, at.to_string())) {
            late.set("outcome", s(status.as_str()));
            late.set("outcome_at", s(at));
            late.set("outcome_rank", n(orank));
            if let Some(detail) = &event.detail {
                late.set("detail", s(detail));
            }
            condition = Some(not_older(
                &mut late,
                "outcome_rank",
                "outcome_at",
                orank,
                at,
            ));
        }
    }
    parties(&mut late, event, Some(current));
    (!late.sets.is_empty()).then_some((late, condition))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::testkit::call_event as event;

    #[test]
    fn an_event_stamped_far_ahead_of_its_arrival_writes_no_leg() {
        let received = voice_core::time::Timestamp::parse("2021-03-10T10:00:00Z").unwrap();
        let at = |ts: &str| {
            event(
                json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "completed", "timestamp": ts}),
            )
        };
        let writes_leg = |ts: &str| {
            let event = at(ts);
            writes(&event, "{}", None, event.may_move_leg(&received))
                .unwrap()
                .leg
                .is_some()
        };
        assert!(writes_leg("2021-03-10T10:59:59Z"));
        assert!(writes_leg("2021-03-10T11:00:00Z"));
        assert!(!writes_leg("2021-03-10T11:00:00.001Z"));
        assert!(!writes_leg("9999-12-30T00:00:00Z"));
    }

    #[test]
    fn updates_name_every_attribute_through_placeholders() {
        let mut update = Update::default();
        update.set("status", s("completed"));
        update.set_if_absent("from", s("Alice"));
        assert_eq!(
            update.expression(),
            "SET #status = :status, #from = if_not_exists(#from, :from)"
        );
        assert_eq!(update.names["#from"], "from");
        let condition = not_older(&mut update, "status_rank", "status_at", 6, "t");
        assert_eq!(
            condition,
            "attribute_not_exists(#status_rank) OR #status_rank < :status_rank OR (#status_rank = :status_rank AND #status_at <= :status_at)"
        );
    }
}
