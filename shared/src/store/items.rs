//! The ledger's items and their attributes, as `ledger`, `budget` and `history` read and write
//! them: a call's owner item and log entry, a day's sums and reservations, what an owner item
//! already there means for a call, and the clause that releases a hold.

use super::dynamo::{s, Item};
use super::keys::{log_sk, owner_pk, user_pk, OWNER_SK, PK, SK};
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, HashMap};
use voice_core::budget::{DayBudget, Hold};
use voice_core::decimal::{Amount, Decimal};
use voice_core::time::{day_of, Timestamp};
use voice_core::usage::{CallOwner, CallRecord, Counted, NewCall, RefusedCall};

/// Day attributes.
pub const CALLS: &str = "calls";
pub const SECONDS: &str = "seconds";
pub const SPEND: &str = "spend";
/// What open calls' reservations hold of the day (N), their holds by conversation (M:
/// `amount` N, `until` N Unix seconds), and the day's version (N), which every write bumps.
pub const HELD: &str = "held";
pub const HOLDS: &str = "holds";
pub const VERSION: &str = "v";

/// A call's owner from its owner item.
pub(crate) fn owner_of(item: &Item) -> Result<CallOwner, StoreError> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Malformed {
            pk: text_of(item, PK),
            sk: text_of(item, SK),
            reason: format!("no `{name}`"),
        }),
    };
    Ok(CallOwner {
        user: text("user")?,
        day: text("day")?,
        answered_at: text("answered_at")?,
        log_sk: text("log_sk")?,
        refused: match item.get("refused") {
            Some(AttributeValue::S(reason)) => Some(reason.clone()),
            _ => None,
        },
        to: match item.get("to") {
            Some(AttributeValue::S(to)) => Some(to.clone()),
            _ => None,
        },
        held: amount_of(item.get("held")),
    })
}

/// A call-log entry as the table holds it.
pub(crate) fn record_of(item: &Item) -> CallRecord {
    let text = |name: &str| value_text(item, name);
    CallRecord {
        conversation_uuid: text("conversation_uuid").unwrap_or_default(),
        to: text("to").unwrap_or_default(),
        answered_at: text("answered_at").unwrap_or_default(),
        leg: text("leg"),
        outcome: text("outcome"),
        reason: text("reason"),
        duration: text("duration"),
        price: text("price"),
        ended_at: text("ended_at").filter(|at| !at.is_empty()),
    }
}

/// A string or number attribute's text.
fn value_text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) | Some(AttributeValue::N(v)) => Some(v.clone()),
        _ => None,
    }
}

/// A string attribute's text, or `""`.
pub(crate) fn text_of(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    }
}

pub(crate) fn n(value: &Decimal) -> AttributeValue {
    AttributeValue::N(value.as_str().to_string())
}

/// A call's owner item and its log entry: `user`'s call `call_id` to `to`, answered `at`.
fn log_items(user: &str, call_id: &str, at: &Timestamp, to: &str) -> (Item, Item) {
    let (answered_at, day) = (at.as_str(), day_of(at));
    let log = log_sk(answered_at, call_id);
    let mut owner = HashMap::from([
        (PK.to_string(), s(&owner_pk(call_id))),
        (SK.to_string(), s(OWNER_SK)),
        ("user".to_string(), s(user)),
        ("day".to_string(), s(day)),
        ("answered_at".to_string(), s(answered_at)),
        ("log_sk".to_string(), s(&log)),
    ]);
    let mut entry = HashMap::from([
        (PK.to_string(), s(&user_pk(user))),
        (SK.to_string(), s(&log)),
        ("conversation_uuid".to_string(), s(call_id)),
        ("answered_at".to_string(), s(answered_at)),
        ("day".to_string(), s(day)),
    ]);
    if !to.is_empty() {
        owner.insert("to".to_string(), s(to));
        entry.insert("to".to_string(), s(to));
    }
    (owner, entry)
}

/// A counted call's owner item and log entry.
pub(crate) fn call_items(call: &NewCall) -> (Item, Item) {
    log_items(&call.user, &call.call_id, &call.answered_at, &call.to)
}

/// A refused call's owner item (marked `refused`, the reason) and log entry (outcome
/// `refused`, with the reason).
pub(crate) fn refusal_items(call: &RefusedCall) -> (Item, Item) {
    let (mut owner, mut entry) = log_items(&call.user, &call.call_id, &call.answered_at, &call.to);
    owner.insert("refused".to_string(), s(&call.reason));
    entry.insert("outcome".to_string(), s("refused"));
    entry.insert("reason".to_string(), s(&call.reason));
    (owner, entry)
}

/// What an owner item already there means for a call of `user`: another user's conversation,
/// one refused before, or this call counted before (with the limit it was funded for).
pub(crate) fn already(owner: Option<&Item>, user: &str) -> Counted {
    let text = value_text;
    match owner {
        Some(item) if text(item, "user").as_deref() != Some(user) => Counted::OtherUser,
        Some(item) if item.contains_key("refused") => {
            Counted::Refused(text(item, "refused").unwrap_or_default())
        }
        Some(item) => Counted::Again(text(item, "limit").and_then(|l| l.parse().ok())),
        None => Counted::Again(None),
    }
}

pub(crate) fn amount_attr(value: Amount) -> AttributeValue {
    AttributeValue::N(value.to_decimal().as_str().to_string())
}

/// An amount the table holds (a number attribute), exactly.
pub(crate) fn amount_of(value: Option<&AttributeValue>) -> Option<Amount> {
    match value {
        Some(AttributeValue::N(text)) => Decimal::parse(text).and_then(|d| Amount::of(&d)),
        _ => None,
    }
}

pub(crate) fn holds_attr(holds: &BTreeMap<String, Hold>) -> AttributeValue {
    AttributeValue::M(
        holds
            .iter()
            .map(|(call, hold)| {
                let entry = HashMap::from([
                    ("amount".to_string(), amount_attr(hold.amount)),
                    (
                        "until".to_string(),
                        AttributeValue::N(hold.until.to_string()),
                    ),
                ]);
                (call.clone(), AttributeValue::M(entry))
            })
            .collect(),
    )
}

/// A day item as `budget::reserve` reads it.
pub(crate) fn day_budget(item: Option<&Item>) -> Result<DayBudget, StoreError> {
    let Some(item) = item else {
        return Ok(DayBudget::default());
    };
    let malformed = |reason: String| StoreError::Malformed {
        pk: text_of(item, PK),
        sk: text_of(item, SK),
        reason,
    };
    let whole = |name: &str| match item.get(name) {
        Some(AttributeValue::N(text)) => text.parse::<u64>().ok(),
        _ => None,
    };
    let spend = match item.get(SPEND) {
        None => Amount::ZERO,
        value => amount_of(value).ok_or_else(|| malformed(format!("`{SPEND}` is not exact")))?,
    };
    let mut holds = BTreeMap::new();
    if let Some(AttributeValue::M(map)) = item.get(HOLDS) {
        for (call, hold) in map {
            let AttributeValue::M(hold) = hold else {
                return Err(malformed(format!("hold {call} is not a map")));
            };
            let amount = amount_of(hold.get("amount"));
            let until = match hold.get("until") {
                Some(AttributeValue::N(text)) => text.parse::<i64>().ok(),
                _ => None,
            };
            let (Some(amount), Some(until)) = (amount, until) else {
                return Err(malformed(format!("hold {call} lacks `amount` or `until`")));
            };
            holds.insert(call.clone(), Hold { amount, until });
        }
    }
    Ok(DayBudget {
        calls: whole(CALLS).unwrap_or(0),
        spend,
        holds,
        version: whole(VERSION),
    })
}

/// The parts of a day's update that release a hold: `ADD #held :release REMOVE #holds.#call`
/// (to follow an `ADD` clause), its condition, and their names and values (with `:one`).
pub(crate) fn release_clause(
    conversation: &str,
    amount: Amount,
) -> (
    String,
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
) {
    let released = Amount::ZERO.checked_sub(amount).unwrap_or(Amount::ZERO);
    (
        "#held :release REMOVE #holds.#call".to_string(),
        "attribute_exists(#holds.#call)".to_string(),
        HashMap::from([
            ("#held".to_string(), HELD.to_string()),
            ("#holds".to_string(), HOLDS.to_string()),
            ("#call".to_string(), conversation.to_string()),
            ("#v".to_string(), VERSION.to_string()),
        ]),
        HashMap::from([
            (":release".to_string(), amount_attr(released)),
            (":one".to_string(), AttributeValue::N("1".into())),
        ]),
    )
}
