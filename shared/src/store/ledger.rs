//! The per-user ledger: each app user's days (`USER#<user>` / `DAY#<yyyy-mm-dd>`: `calls`,
//! `seconds`, `spend`), their call log (`USER#<user>` / `LOG#<answered_at>#<conversation>`), and
//! who placed each conversation's call (`OWNER#<conversation>` / `OWNER`).
//!
//! Exactly once, race-free, and every item small whatever the input: no item holds a growing
//! set. Each guard is an item of its own, written in one transaction with what it guards:
//!
//! - **A call is counted** by one `TransactWriteItems`: the owner item, put only if the
//!   conversation has none (the guard: a redelivered answer request finds it and is connected
//!   again without a second count); the call's log entry; and the day's `ADD calls 1` under
//!   the limits' condition. All or nothing, so concurrent answers cannot overshoot a limit.
//! - **A phone leg is charged** by one `TransactWriteItems`: the leg's guard item
//!   (`OWNER#<conversation>` / `CHARGED#<leg>`), put only if absent; the day's `ADD seconds, spend`;
//!   the log entry's duration, price and outcome. Whatever the order, the number of
//!   deliveries or instances, a leg is added once, and no state has the sums without the guard.
//!
//! The event webhook finds a leg's caller by reading the owner item with a strongly consistent
//! `GetItem`: the answer writes it before the NCCO goes out, so a missing owner means the call
//! was not placed by an app user through this answer webhook.

use super::dynamo::{s, transact, unavailable, Item};
use super::keys::{charged_sk, day_sk, log_sk, owner_pk, user_pk, LOG_PREFIX, OWNER_SK, PK, SK};
use crate::usecase::answer::CallLedger;
use crate::usecase::calls::{CallLog, CallPage};
use crate::usecase::event::LegLedger;
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::{
    types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update},
    Client,
};
use std::collections::HashMap;
use voice_core::decimal::Decimal;
use voice_core::time::Timestamp;
use voice_core::usage::{
    CallOwner, CallRecord, Counted, DayTotals, LegEnd, Limits, NewCall, RefusedCall, Settled,
    Settlement,
};

/// Day attributes.
pub const CALLS: &str = "calls";
pub const SECONDS: &str = "seconds";
pub const SPEND: &str = "spend";

/// A call's owner from its owner item.
fn owner_of(item: &Item) -> Result<CallOwner, StoreError> {
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
    })
}

/// A call-log entry as the table holds it.
fn record_of(item: &Item) -> CallRecord {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) | Some(AttributeValue::N(v)) => Some(v.clone()),
        _ => None,
    };
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

/// A string attribute's text, or `""`.
fn text_of(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    }
}

fn n(value: &Decimal) -> AttributeValue {
    AttributeValue::N(value.as_str().to_string())
}

/// The ledger's items in the calls table.
#[derive(Clone, Debug)]
pub struct Ledger {
    client: Client,
    table: String,
}

impl Ledger {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_string(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(condition) = condition {
            put = put
                .condition_expression(condition)
                .expression_attribute_names("#pk", PK)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        let put = put
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn update(
        &self,
        pk: String,
        sk: String,
        expression: &str,
        condition: Option<String>,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(&pk))
            .key(SK, s(&sk))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

impl CallLedger for Ledger {
    /// Counts a call for its user unless the day's limits are reached; with it, the owner
    /// item the event webhook finds the user by and the call's log entry. One transaction.
    async fn count_call(&self, call: &NewCall, limits: &Limits) -> Result<Counted, StoreError> {
        let at = call.answered_at.as_str();
        let log = log_sk(at, &call.call_id);
        let owner = HashMap::from([
            (PK.to_string(), s(&owner_pk(&call.call_id))),
            (SK.to_string(), s(OWNER_SK)),
            ("user".to_string(), s(&call.user)),
            ("day".to_string(), s(call.day())),
            ("answered_at".to_string(), s(at)),
            ("to".to_string(), s(&call.to)),
            ("log_sk".to_string(), s(&log)),
        ]);
        let entry = HashMap::from([
            (PK.to_string(), s(&user_pk(&call.user))),
            (SK.to_string(), s(&log)),
            ("conversation_uuid".to_string(), s(&call.call_id)),
            ("to".to_string(), s(&call.to)),
            ("answered_at".to_string(), s(at)),
            ("day".to_string(), s(call.day())),
        ]);
        let mut condition = Vec::new();
        let mut names = HashMap::from([("#calls".to_string(), CALLS.to_string())]);
        let mut values = HashMap::from([(":one".to_string(), AttributeValue::N("1".into()))]);
        if let Some(max) = limits.max_calls {
            condition.push("(attribute_not_exists(#calls) OR #calls < :max_calls)");
            values.insert(":max_calls".into(), AttributeValue::N(max.to_string()));
        }
        if let Some(max) = &limits.max_spend {
            condition.push("(attribute_not_exists(#spend) OR #spend < :max_spend)");
            values.insert(":max_spend".into(), n(max));
            names.insert("#spend".into(), SPEND.into());
        }
        let items = vec![
            self.put(owner, Some("attribute_not_exists(#pk)"))?,
            self.put(entry, None)?,
            self.update(
                user_pk(&call.user),
                day_sk(call.day()),
                "ADD #calls :one",
                (!condition.is_empty()).then(|| condition.join(" AND ")),
                names,
                values,
            )?,
        ];
        Ok(match transact(&self.client, items).await? {
            Ok(()) => Counted::New,
            Err(cancelled) if cancelled.condition_failed(0) => match cancelled.item(0) {
                Some(owner) if text_of(owner, "user") != call.user => Counted::OtherUser,
                Some(owner) if owner.contains_key("refused") => Counted::Refused,
                _ => Counted::Again,
            },
            Err(_) => Counted::OverLimit,
        })
    }

    /// Keeps a refused call in its user's call log, with why; once per conversation (its
    /// owner item, marked refused, is the guard), and a redelivered answer request for it is
    /// refused again (`Counted::Refused`).
    async fn record_refusal(&self, call: &RefusedCall) -> Result<(), StoreError> {
        let at = call.answered_at.as_str();
        let log = log_sk(at, &call.call_id);
        let owner = HashMap::from([
            (PK.to_string(), s(&owner_pk(&call.call_id))),
            (SK.to_string(), s(OWNER_SK)),
            ("user".to_string(), s(&call.user)),
            ("day".to_string(), s(call.day())),
            ("answered_at".to_string(), s(at)),
            ("log_sk".to_string(), s(&log)),
            ("refused".to_string(), s(&call.reason)),
        ]);
        let mut entry = HashMap::from([
            (PK.to_string(), s(&user_pk(&call.user))),
            (SK.to_string(), s(&log)),
            ("conversation_uuid".to_string(), s(&call.call_id)),
            ("answered_at".to_string(), s(at)),
            ("day".to_string(), s(call.day())),
            ("outcome".to_string(), s("refused")),
            ("reason".to_string(), s(&call.reason)),
        ]);
        if !call.to.is_empty() {
            entry.insert("to".to_string(), s(&call.to));
        }
        let items = vec![
            self.put(owner, Some("attribute_not_exists(#pk)"))?,
            self.put(entry, None)?,
        ];
        // Already recorded (a redelivered request): nothing more to do.
        transact(&self.client, items).await.map(drop)
    }
}

impl LegLedger for Ledger {
    /// The user and day a conversation's calls are charged to, if an app user placed it
    /// through the answer webhook: a strongly consistent read of its owner item.
    async fn owner(&self, conversation_uuid: &str) -> Result<Option<CallOwner>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(&owner_pk(conversation_uuid)))
            .key(SK, s(OWNER_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        output.item.as_ref().map(owner_of).transpose()
    }

    /// Settles a leg of `owner`'s call: a completed leg's duration and price are added to the
    /// day, once, and the call's log entry gets them with its outcome; a leg that never
    /// connected leaves its outcome in the log entry.
    async fn settle(
        &self,
        owner: &CallOwner,
        settlement: &Settlement,
    ) -> Result<Settled, StoreError> {
        let ended_at = settlement.at.as_ref().map_or("", Timestamp::as_str);
        let names = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        match &settlement.end {
            LegEnd::Completed { seconds, price } => {
                let guard = HashMap::from([
                    (PK.to_string(), s(&owner_pk(&settlement.conversation_uuid))),
                    (SK.to_string(), s(&charged_sk(&settlement.leg))),
                    ("user".to_string(), s(&owner.user)),
                    ("ended_at".to_string(), s(ended_at)),
                ]);
                let day = self.update(
                    user_pk(&owner.user),
                    day_sk(&owner.day),
                    "ADD #seconds :seconds, #spend :spend",
                    None,
                    names(&[("#seconds", SECONDS), ("#spend", SPEND)]),
                    HashMap::from([
                        (":seconds".to_string(), n(seconds)),
                        (":spend".to_string(), n(price)),
                    ]),
                )?;
                // A not-connected status the leg reported says more than "unanswered".
                let entry = self.update(
                    user_pk(&owner.user),
                    owner.log_sk.clone(),
                    "SET #leg = :leg, #duration = :seconds, #price = :price, #ended = :ended, \
                     #outcome = if_not_exists(#outcome, :outcome)",
                    None,
                    names(&[
                        ("#leg", "leg"),
                        ("#duration", "duration"),
                        ("#price", "price"),
                        ("#ended", "ended_at"),
                        ("#outcome", "outcome"),
                    ]),
                    HashMap::from([
                        (":leg".to_string(), s(&settlement.leg)),
                        (":seconds".to_string(), n(seconds)),
                        (":price".to_string(), n(price)),
                        (":ended".to_string(), s(ended_at)),
                        (":outcome".to_string(), s(settlement.outcome())),
                    ]),
                )?;
                let items = vec![
                    self.put(guard, Some("attribute_not_exists(#pk)"))?,
                    day,
                    entry,
                ];
                Ok(match transact(&self.client, items).await? {
                    Ok(()) => Settled::Charged,
                    Err(_) => Settled::AlreadyCharged,
                })
            }
            LegEnd::NotConnected(status) => {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key(PK, s(&user_pk(&owner.user)))
                    .key(SK, s(&owner.log_sk))
                    .update_expression("SET #leg = :leg, #outcome = :outcome")
                    .expression_attribute_names("#leg", "leg")
                    .expression_attribute_names("#outcome", "outcome")
                    .expression_attribute_values(":leg", s(&settlement.leg))
                    .expression_attribute_values(":outcome", s(status.as_str()))
                    .send()
                    .await
                    .map_err(unavailable)?;
                Ok(Settled::Noted)
            }
        }
    }
}

impl CallLog for Ledger {
    /// Up to `limit` of the user's calls, newest first, after the call-log key `after`: one
    /// Query of their partition, read backwards. It asks for one call more than the page holds,
    /// so `next` is given only when another call follows (never a last, empty page).
    async fn page(
        &self,
        user: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<CallPage, StoreError> {
        let start = after.map(|sk| {
            HashMap::from([(PK.to_string(), s(&user_pk(user))), (SK.to_string(), s(sk))])
        });
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :log)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&user_pk(user)))
            .expression_attribute_values(":log", s(LOG_PREFIX))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let items = page.items();
        let shown = items
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = (items.len() > shown)
            .then(|| {
                items
                    .get(shown.checked_sub(1)?)?
                    .get(SK)?
                    .as_s()
                    .ok()
                    .cloned()
            })
            .flatten();
        Ok(CallPage {
            calls: items.iter().take(shown).map(record_of).collect(),
            next,
        })
    }

    /// The user's totals on `day` (`yyyy-mm-dd`), read consistently.
    async fn day(&self, user: &str, day: &str) -> Result<Option<DayTotals>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(&user_pk(user)))
            .key(SK, s(&day_sk(day)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let number = |item: &Item, name: &str| match item.get(name) {
            Some(AttributeValue::N(n)) => n.clone(),
            _ => "0".into(),
        };
        Ok(out.item.map(|item| DayTotals {
            calls: number(&item, CALLS),
            seconds: number(&item, SECONDS),
            spend: number(&item, SPEND),
        }))
    }
}
